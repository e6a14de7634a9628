"""Faults on demand: a PostgreSQL server of a test's own (to stop and restart), a refreshable world on any
server, and the checks every fault test makes afterwards (history, ledger)."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.core.db import Database


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
