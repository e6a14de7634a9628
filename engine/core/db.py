"""The PostgreSQL server Heartbeat talks to: embedded or configured, and its engines.

Heartbeat's own tables, the marts and the demo sources may live in different
databases of one server, so "which database" is always a parameter. A database
may also live on a server of its own (``place``): the marts on a second
PostgreSQL, read through a replica. Callers keep naming the database; the
``Database`` knows which server holds it, so nothing else changes when the
marts move out. The demo's source databases may move to a server of their own
too (``sources``): the demo builds and appends there, and ingest reads there.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psycopg
from psycopg import sql
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url

from engine.core.embedded import EmbeddedServer
from engine.core.errors import HeartbeatError
from engine.core.settings import Settings

log = logging.getLogger(__name__)

APP_DATABASE = "heartbeat"


class DatabaseError(HeartbeatError):
    """The database cannot be reached or prepared; the message says what to check."""


def _start_embedded(data_dir: Path) -> EmbeddedServer:
    """Start (or join) the embedded PostgreSQL in ``data_dir/pg``; stale handles of dead processes are dropped first."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = EmbeddedServer(data_dir / "pg")
    try:
        server.start()
    except Exception as exc:  # pgserver raises bare subprocess/OS errors
        raise DatabaseError(
            f"could not start the embedded PostgreSQL in {data_dir / 'pg'}: {exc}. "
            "Check that the folder is writable, or set HEARTBEAT_DATABASE_URL."
        ) from exc
    return server


def _libpq_dsn(url: URL) -> str:
    """A psycopg connection string for ``url`` (sqlalchemy's form carries the driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    """One PostgreSQL server and a pooled engine per database on it."""

    def __init__(self, server_url: URL, embedded: EmbeddedServer | None = None) -> None:
        self.server_url = server_url
        # Set only in the process that started the embedded server: the one that supervises it.
        self.embedded = embedded
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()
        # Databases that live on another server: name -> (URL, read replica URL or None).
        self._placed: dict[str, tuple[URL, URL | None]] = {}
        self._sources: Database | None = None

    def __getstate__(self) -> dict[str, object]:
        # What another process needs to reach the same databases: the addresses, not this process's
        # pools, nor the embedded server (only the process that started it supervises it).
        return {"server_url": self.server_url, "placed": self._placed, "sources": self._sources}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["server_url"])  # type: ignore[misc]
        self._placed = dict(state["placed"])  # type: ignore[call-overload]
        self._sources = state["sources"]  # type: ignore[assignment]

    @property
    def sources(self) -> Database:
        """The server that holds the demo's source databases (and the tests'): this one unless
        ``place_sources`` moved them to a server of their own."""
        return self._sources or self

    def place_sources(self, server_url: URL) -> None:
        """Say that the source databases live on the server at ``server_url`` (its database part is ignored)."""
        self._sources = Database(server_url.set(database="postgres"))

    def place(self, database: str, url: URL, read_url: URL | None = None) -> None:
        """Say that ``database`` lives at ``url`` (another server), optionally read through ``read_url``."""
        self._placed[database] = (url.set(database=database), read_url.set(database=database) if read_url else None)

    def placed(self, database: str) -> bool:
        """True when ``database`` lives on a server other than Heartbeat's own."""
        return database in self._placed

    def read_url(self, database: str) -> URL:
        """Where reads of ``database`` go: its read replica when one is configured, else ``url(database)``."""
        placed = self._placed.get(database)
        return placed[1] if placed and placed[1] is not None else self.url(database)

    @property
    def app_database(self) -> str:
        return self.server_url.database or APP_DATABASE

    def url(self, database: str | None = None) -> URL:
        """The SQLAlchemy URL of ``database`` (default: Heartbeat's own), on the server that holds it."""
        name = database or self.app_database
        placed = self._placed.get(name)
        return placed[0] if placed else self.server_url.set(database=name)

    def dsn(self, database: str | None = None) -> str:
        """A libpq connection string for psycopg; contains credentials, never log it."""
        return _libpq_dsn(self.url(database))

    def engine(self, database: str | None = None) -> Engine:
        """The process-wide pooled engine of ``database``."""
        name = database or self.app_database
        with self._lock:
            engine = self._engines.get(name)
            if engine is None:
                engine = create_engine(
                    self.url(name),
                    pool_size=5,
                    max_overflow=10,
                    pool_pre_ping=True,
                    pool_recycle=1800,
                    connect_args={"application_name": "heartbeat", "connect_timeout": 10},
                )
                self._engines[name] = engine
            return engine

    @contextmanager
    def admin(self, database: str | None = None) -> Iterator[psycopg.Connection]:
        """An autocommit connection to the maintenance database of the server holding ``database``
        (default: Heartbeat's own), for CREATE/DROP DATABASE and roles."""
        url = self.url(database).set(database="postgres")
        try:
            conn = psycopg.connect(_libpq_dsn(url), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise DatabaseError(
                f"cannot reach PostgreSQL at {self.url(database).render_as_string(hide_password=True)}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc}"
            ) from exc
        with conn:
            yield conn

    def ensure_database(self, name: str | None = None) -> None:
        """Create ``name`` on this server when it does not exist yet."""
        name = name or self.app_database
        if self.placed(name) and self._reachable(name):
            return  # a managed marts server may not let its user into the maintenance database at all
        with self.admin(name) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    log.info("created database %s", name)
                except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                    pass  # another process created it between our check and our CREATE

    def _reachable(self, name: str) -> bool:
        try:
            psycopg.connect(self.dsn(name), connect_timeout=10).close()
        except psycopg.OperationalError:
            return False
        return True

    def drop_database(self, name: str) -> None:
        """Drop ``name`` and end its connections (tests and demo rebuilds only)."""
        engine = self._engines.pop(name, None)
        if engine is not None:
            engine.dispose()
        with self.admin(name) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def dispose(self) -> None:
        """Close every pooled connection (clean shutdown)."""
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        if self._sources is not None:
            self._sources.dispose()


def _sqlalchemy_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def open_database(settings: Settings) -> Database:
    """The server the settings name: the configured URL, or the embedded one started now; the marts
    placed on their own server when HEARTBEAT_MARTS_DATABASE_URL names one, the demo sources when
    HEARTBEAT_DEMO_SOURCES_DATABASE_URL does."""
    if settings.database_url:
        db = Database(_sqlalchemy_url(settings.database_url))
    else:
        embedded = _start_embedded(settings.data_dir)
        url = make_url(embedded.uri())
        db = Database(url.set(drivername="postgresql+psycopg", database=APP_DATABASE), embedded)
    if settings.marts_database_url:
        read = _sqlalchemy_url(settings.marts_read_url) if settings.marts_read_url else None
        db.place(settings.marts_database, _sqlalchemy_url(settings.marts_database_url), read)
    if settings.demo_sources_database_url:
        db.place_sources(_sqlalchemy_url(settings.demo_sources_database_url))
    return db
