"""The demo at test scale, built and landed once per test module (the metric and cut catalogues use it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import ingest
from engine.core.db import Database
from engine.demo import build_demo, serve_rates
from engine.ingest import IngestContext
from engine.metrics import registry
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


@contextmanager
def landed_demo(server: Database, tmp_path_factory: pytest.TempPathFactory, tag: str, *,
                marts_server: Database | None = None) -> Iterator[LandedDemo]:
    """Build the demo sources (scale 0.05), land every source with dlt, sync the metrics; drop it all after.

    With ``marts_server`` the marts database lives there (``app.place``), as with HEARTBEAT_MARTS_DATABASE_URL.
    """
    prefix = f"t{uuid.uuid4().hex[:8]}_{tag}_"
    report = build_demo(server, files_dir=Path(tmp_path_factory.mktemp(f"{tag}-demo")), scale=0.05, prefix=prefix)
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
            yield LandedDemo(app, marts_db.app_database)
    finally:
        for name in report.databases.values():
            server.drop_database(name)
