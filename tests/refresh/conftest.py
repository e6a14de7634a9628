"""Fixtures for refresh tests: an app database, marts, a metrics folder, and a refresh context."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from engine.core.db import Database
from engine.ingest import IngestContext
from engine.metrics.compute import ComputeContext
from engine.refresh import RefreshContext
from engine.store import migrations
from tests.metrics.conftest import MetricFolder


@pytest.fixture()
def refresh_env(server: Database, tmp_path: Path):
    """A world of its own: app db, marts with one table, a source database, metric files."""
    tag = uuid.uuid4().hex[:8]
    app_name, marts, prefix = f"hb_refresh_{tag}", f"hb_marts_{tag}", f"r{tag}_"
    for name in (app_name, marts, prefix + "webbank"):
        server.ensure_database(name)
    with psycopg.connect(server.dsn(prefix + "webbank"), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA core")
        conn.execute("CREATE TABLE core.payment (id int PRIMARY KEY, state text, update_time timestamptz NOT NULL)")
        conn.execute("INSERT INTO core.payment SELECT g, CASE WHEN g % 10 = 0 THEN 'declined' ELSE 'approved' END, "
                      "now() FROM generate_series(1, 500) g")
    db = Database(server.url(app_name))
    migrations.upgrade(db.engine())
    folder = MetricFolder(tmp_path / "metrics")
    folder.path.mkdir()
    ctx = RefreshContext(
        db,
        IngestContext(db=db, marts_database=marts, pipelines_dir=tmp_path / "dlt", source_database_prefix=prefix),
        ComputeContext(db, marts, statement_timeout=30.0, workers=2),
        folder.path,
    )
    yield ctx, folder
    db.dispose()
    for name in (app_name, marts, prefix + "webbank"):
        server.drop_database(name)
