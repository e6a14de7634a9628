"""What the shared fixtures of tests/conftest.py yield: small named worlds instead of tuples."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from engine.core.db import Database
from engine.ingest import IngestContext
from engine.metrics.compute import ComputeContext
from engine.refresh import RefreshContext
from tests.support.databases import scratch_database
from tests.support.factories import MetricFolder


@dataclass(frozen=True)
class World:
    """A Heartbeat of its own: a migrated app database, an empty marts database, a metrics folder, and the
    environment of a process over them (``env``, operator token ``tests.support.served_api.TOKEN``)."""

    db: Database
    folder: MetricFolder
    env: dict[str, str]


@dataclass(frozen=True)
class RefreshEnv:
    """A refreshable world: ``ctx`` runs ingest and compute over a source database ``<prefix>webbank``
    whose ``core.payment`` has 500 payments, 10 % declined; ``folder`` holds the metric files."""

    ctx: RefreshContext
    folder: MetricFolder


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
class RefreshWorld(RefreshEnv):
    """A RefreshEnv that also knows its source database (fault tests drop and rebuild it)."""

    source: Database
    source_name: str


@contextmanager
def refresh_world(server: Database, tmp_path: Path, rows: int = 500) -> Iterator[RefreshWorld]:
    """A RefreshEnv on any server (the ``refresh_env`` fixture is this on the session server): app database,
    marts, and a source ``<prefix>webbank`` with ``rows`` payments, 10 % declined."""
    prefix = f"r{uuid.uuid4().hex[:8]}_"
    with ExitStack() as stack:
        db = stack.enter_context(scratch_database(server, "hb_refresh"))
        marts = stack.enter_context(scratch_database(server, "hb_marts", migrate=False))
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
        yield RefreshWorld(ctx, folder, source, prefix + "webbank")
