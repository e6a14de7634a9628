"""Scratch databases on the test server: created for one test (or module), dropped afterwards."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy.engine import make_url

from engine.core.db import APP_DATABASE, Database
from engine.core.embedded import EmbeddedServer
from engine.store import migrations


@contextmanager
def scratch_database(server: Database, prefix: str, migrate: bool = True, *,
                     name: str | None = None) -> Iterator[Database]:
    """A database of its own named ``<prefix>_<random>`` (or exactly ``name``), dropped afterwards.

    With ``migrate`` it holds schema ``heartbeat`` at head, as Heartbeat's own database; without it, it is
    empty (a marts or source database, or a database the test migrates itself). Its name is
    ``database.app_database``.
    """
    name = name or f"{prefix}_{uuid.uuid4().hex[:8]}"
    server.ensure_database(name)
    database = Database(server.url(name))
    try:
        if migrate:
            migrations.upgrade(database.engine())
        yield database
    finally:
        database.dispose()
        server.drop_database(name)


@contextmanager
def second_server(pgdata: Path) -> Iterator[Database]:
    """Another embedded PostgreSQL of its own in ``pgdata`` (marts apart from the app), stopped afterwards."""
    embedded = EmbeddedServer(pgdata)
    url = make_url(embedded.start()).set(drivername="postgresql+psycopg", database=APP_DATABASE)
    database = Database(url, embedded)
    try:
        yield database
    finally:
        database.dispose()
        embedded.stop()
