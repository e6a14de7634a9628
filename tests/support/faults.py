"""Faults on demand: a PostgreSQL server of a test's own (to stop and restart), a refreshable world on any
server, and the checks every fault test makes afterwards (history, ledger)."""

from __future__ import annotations

import uuid
import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.core.db import Database
from engine.ingest import IngestContext
from engine.metrics.compute import ComputeContext
from engine.refresh import RefreshContext
from tests.support.databases import scratch_database
from tests.support.factories import MetricFolder
from tests.support.worlds import RefreshEnv


class OwnServer:
    """An embedded PostgreSQL in a tmp folder, for one test: the session server is shared and must stay up."""

    def __init__(self, folder: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver._commands import pg_ctl
        self._pg_ctl = pg_ctl
        self.handle = pgserver.get_server(folder, cleanup_mode="stop")
        url = make_url(self.handle.get_uri()).set(drivername="postgresql+psycopg", database="heartbeat")
        self.db = Database(url)

    def stop(self) -> None:
        """Stop the server now (fast: open sessions are ended, as in a restart by systemd)."""
        self._pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.handle.pgdata, user=self.handle.system_user)

    def start(self) -> None:
        self.handle.ensure_postgres_running()

    def close(self) -> None:
        self.db.dispose()
        self.handle.cleanup()


@contextmanager
def own_server(folder: Path) -> Iterator[OwnServer]:
    server = OwnServer(folder)
    try:
        yield server
    finally:
        server.close()


def fill_payments(dsn: str, rows: int, declined_every: int = 10) -> None:
    """``core.payment`` with ``rows`` payments, one in ``declined_every`` declined (created if missing)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS core")
        conn.execute("CREATE TABLE IF NOT EXISTS core.payment (id int PRIMARY KEY, state text, "
                     "update_time timestamptz NOT NULL)")
        conn.execute("TRUNCATE core.payment")
        conn.execute("INSERT INTO core.payment SELECT g, CASE WHEN g %% %s = 0 THEN 'declined' ELSE 'approved' END, "
                     "now() FROM generate_series(1, %s) g", (declined_every, rows))


@dataclass(frozen=True)
class FaultWorld(RefreshEnv):
    """A RefreshEnv that also knows its source database (to drop and rebuild it)."""

    source: Database
    source_name: str


@contextmanager
def refresh_world(server: Database, tmp_path: Path, rows: int = 500) -> Iterator[FaultWorld]:
    """What the ``refresh_env`` fixture builds, on any server: app database, marts, source ``<prefix>webbank``."""
    prefix = f"r{uuid.uuid4().hex[:8]}_"
    with ExitStack() as stack:
        db = stack.enter_context(scratch_database(server, "hb_fault"))
        marts = stack.enter_context(scratch_database(server, "hb_fault_marts", migrate=False))
        source = stack.enter_context(scratch_database(server, prefix, migrate=False, name=prefix + "webbank"))
        fill_payments(source.dsn(), rows)
        folder = MetricFolder(tmp_path / "metrics")
        ctx = RefreshContext(
            db,
            IngestContext(db=db, marts_database=marts.app_database, pipelines_dir=tmp_path / "dlt",
                          source_database_prefix=prefix),
            ComputeContext(db, marts.app_database, statement_timeout=30.0, workers=2),
            folder.path,
        )
        yield FaultWorld(ctx, folder, source, prefix + "webbank")


def history(db: Database, day: date | None = None) -> dict[str, tuple]:
    """Today's (or ``day``'s) history rows: metric id → (value, status, error, job id)."""
    with db.engine().connect() as conn:
        rows = conn.execute(text("SELECT metric_id, value, status, error, job_id FROM heartbeat.metric_history "
                                 "WHERE day = coalesce(:day, (now() AT TIME ZONE 'UTC')::date)"), {"day": day}).all()
    return {r.metric_id: (r.value, r.status, r.error, r.job_id) for r in rows}


def job_row(db: Database, job_id: int):
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT * FROM heartbeat.refresh_job WHERE id = :id"), {"id": job_id}).one()


def running_jobs(db: Database) -> list[int]:
    with db.engine().connect() as conn:
        return list(conn.execute(text("SELECT id FROM heartbeat.refresh_job WHERE status = 'running'")).scalars())
