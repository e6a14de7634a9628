"""The demo as an MCP client meets it: built, landed, refreshed (history, alerts), its cuts snapshotted, and
served by the real app (`heartbeat serve`) with a read and an operator token — once for this package."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from engine import alerts
from engine.audit import snapshots
from engine.core.db import Database
from engine.core.settings import load_settings
from engine.demo import build_demo, serve_rates, session
from engine.ingest import IngestContext
from engine.metrics.compute import ComputeContext
from engine.refresh import RefreshContext
from tests.support.databases import scratch_database
from tests.support.running_app import RunningApp

ROOT = Path(__file__).resolve().parents[2]
READ_TOKEN = "mcp-test-read-token-0123456789"
OPERATOR_TOKEN = "mcp-test-operator-token-0123456789"


@dataclass(frozen=True)
class McpDemo:
    """The refreshed demo (``db``, marts ``marts``) and the environment of a Heartbeat process over it
    (read and operator tokens set, no scheduler)."""

    db: Database
    marts: str
    env: dict[str, str]


@pytest.fixture(scope="package")
def mcp_demo(server: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpDemo]:
    prefix = f"t{uuid.uuid4().hex[:8]}_mcp_"
    files = Path(tmp_path_factory.mktemp("mcp-demo"))
    report = None
    try:
        report = build_demo(server, files_dir=files, scale=0.05, prefix=prefix)
        settings = load_settings({"HEARTBEAT_DATA_DIR": str(files), "HEARTBEAT_PORT": "3000"})
        with (scratch_database(server, prefix, name=prefix + "app") as app_db,
              scratch_database(server, prefix, migrate=False, name=prefix + "marts") as marts,
              serve_rates(report.files_dir) as rates):
            ctx = RefreshContext(
                app_db,
                IngestContext(db=app_db, marts_database=marts.app_database, pipelines_dir=files / "dlt",
                              source_database_prefix=prefix,
                              locations={"currency_rate": rates.url,
                                         "currency_rate_files": str(report.files_dir / "currency_rates")}),
                ComputeContext(app_db, marts.app_database, statement_timeout=60.0, workers=2),
                ROOT / "metrics",
                after_compute=(alerts.evaluator(settings, app_db),),
            )
            session.first_refresh(ctx)
            # Every cut snapshotted, as the daily audit job does: the triage links a metric's first cut.
            snapshots.refresh(ctx.compute, folder=ROOT / "cuts")
            env = {
                "HEARTBEAT_DATABASE_URL": app_db.url().render_as_string(hide_password=False),
                "HEARTBEAT_MARTS_DATABASE": marts.app_database,
                "HEARTBEAT_DATA_DIR": str(files / "data"),
                "HEARTBEAT_READ_TOKEN": READ_TOKEN,
                "HEARTBEAT_OPERATOR_TOKEN": OPERATOR_TOKEN,
                "HEARTBEAT_SCHEDULER": "off",  # nothing moves while the tests read
            }
            yield McpDemo(app_db, marts.app_database, env)
    finally:
        for name in (report.databases.values() if report else ()):
            server.drop_database(name)


@pytest.fixture(scope="package")
def mcp_app(mcp_demo: McpDemo) -> Iterator[RunningApp]:
    """`heartbeat serve` over the demo: /mcp and /api on one port, both needing ``READ_TOKEN``."""
    running = RunningApp(mcp_demo.env, name="mcp").start(timeout=900)
    yield running
    running.stop()


def run_async(main):
    """``anyio.run(main)`` on a thread of its own: after the browser tests the main thread still has
    Playwright's event loop set, and a second loop may not run on the same thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, main).result()
