"""The demo at test scale, built and landed once per test module (the metric and cut catalogues use it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from engine import ingest
from engine.core.db import Database
from engine.demo import build_demo, serve_rates
from engine.ingest import IngestContext
from engine.metrics import registry
from engine.store.roles import COMPUTE_ROLE
from tests.support.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]
METRICS_DIR = ROOT / "metrics"

# Which metrics must be red for each planted incident (engine.demo.INCIDENTS): the wall's promise.
INCIDENT_METRICS: dict[str, set[str]] = {
    "collateral_arrears": {"collateral_covered_by_company", "clients_in_collateral_arrears_60d"},
    "aml_backlog": {"aml_backlog_checks", "aml_throughput_ratio_7d"},
    "approval_dip": {"payment_approval_rate_24h"},
    "onboarding_rejections": {"onboarding_rejection_rate_7d"},
    "stale_feed": {"card_feed_lag", "rates_file_feed_lag"},
}


@dataclass(frozen=True)
class LandedDemo:
    """The demo's sources landed into ``marts``; ``app`` is migrated and its registry synced from metrics/."""

    app: Database
    marts: str
    prefix: str = ""  # of the source databases (their demo_meta says when the incidents began)
    # dlt's environment variables naming where each demo source lives, for a `heartbeat ingest` process.
    sources_env: dict[str, str] = field(default_factory=dict)


@contextmanager
def landed_demo(server: Database, tmp_path_factory: pytest.TempPathFactory, tag: str,
                now: datetime | None = None, *, marts_server: Database | None = None) -> Iterator[LandedDemo]:
    """Build the demo sources (scale 0.05, as of ``now``: the wall clock unless given), land every source with
    dlt, sync the metrics; drop it all after.

    With ``marts_server`` the marts database lives there (``app.place``), as with HEARTBEAT_MARTS_DATABASE_URL.
    """
    prefix = f"t{uuid.uuid4().hex[:8]}_{tag}_"
    report = build_demo(server, files_dir=Path(tmp_path_factory.mktemp(f"{tag}-demo")), scale=0.05, prefix=prefix,
                        now=now)
    try:
        with (scratch_database(server, prefix, name=prefix + "app") as app,
              scratch_database(marts_server or server, prefix, migrate=False, name=prefix + "marts") as marts_db,
              serve_rates(report.files_dir) as api):
            if marts_server is not None:
                app.place(marts_db.app_database, marts_server.url(marts_db.app_database))
            ingest_ctx = IngestContext(
                db=app, marts_database=marts_db.app_database, pipelines_dir=Path(tmp_path_factory.mktemp(f"{tag}-dlt")),
                source_database_prefix=prefix,
                locations={"currency_rate": api.url, "currency_rate_files": str(report.files_dir / "currency_rates")},
            )
            outcomes = list(ingest.run_many(ingest.plan(None), ingest_ctx))
            failed = {f"{o.source}.{o.schema}": o.error for o in outcomes if o.status != "succeeded"}
            assert not failed, failed
            registry.sync(app.engine(), METRICS_DIR)
            sources_env = {
                f"SOURCES__{name.upper()}__CREDENTIALS": server.url(prefix + name).render_as_string(hide_password=False)
                for name in ("webbank", "aml", "card_management")
            }
            sources_env["SOURCES__CURRENCY_RATE__BASE_URL"] = api.url
            sources_env["SOURCES__CURRENCY_RATE_FILES__PATH"] = str(report.files_dir / "currency_rates")
            yield LandedDemo(app, marts_db.app_database, prefix, sources_env)
    finally:
        for name in report.databases.values():
            server.drop_database(name)


def move_clock(server: Database, marts: str, now: datetime) -> None:
    """Make ``now()`` in the metric SQL of ``marts`` return ``now``: the demo's clock moved to another day.

    A function ``democlock.now()`` placed before pg_catalog on the compute role's search path (in this
    database only) answers every unqualified ``now()`` of metric and history SQL; nothing else changes.
    """
    with psycopg.connect(server.dsn(marts), autocommit=True) as admin:
        admin.execute("CREATE SCHEMA IF NOT EXISTS democlock")
        admin.execute(f"CREATE OR REPLACE FUNCTION democlock.now() RETURNS timestamptz LANGUAGE sql STABLE "
                      f"AS $$ SELECT '{now.isoformat()}'::timestamptz $$")
        admin.execute(f'ALTER ROLE {COMPUTE_ROLE} IN DATABASE "{marts}" '
                      f'SET search_path = democlock, "$user", public, pg_catalog')
