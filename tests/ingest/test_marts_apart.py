"""The marts on a PostgreSQL server of their own (HEARTBEAT_MARTS_DATABASE_URL, issue #17 part 3).

A second embedded PostgreSQL holds the marts; Heartbeat's own database and the
demo sources stay on the test server. Ingest must land on the marts server,
metric SQL and audit cuts must read there (as the read-only role, which must
then exist on that server), and Heartbeat's own server must hold no landed
schema nor a marts database at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from engine.audit import segments, snapshots
from engine.core.db import Database, open_database
from engine.core.settings import SettingsError, load_settings
from engine.metrics.compute import ComputeContext, ComputeResult, compute_many
from engine.store.roles import COMPUTE_ROLE, _login_url
from tests.support.databases import second_server
from tests.support.demo import ROOT, landed_demo

CUTS_DIR = ROOT / "cuts"

# Schemas Heartbeat's own database may hold: its tables and PostgreSQL's.
APP_SCHEMAS = {"heartbeat", "public", "information_schema"}


@dataclass
class Apart:
    server: Database
    marts_server: Database
    app: Database
    marts: str
    results: dict[str, ComputeResult]
    cuts: list[snapshots.SnapshotResult]


@pytest.fixture(scope="module")
def apart(server: Database, tmp_path_factory) -> Apart:
    with (second_server(tmp_path_factory.mktemp("marts-server") / "pg") as marts_server,
          landed_demo(server, tmp_path_factory, "apart", marts_server=marts_server) as demo):
        ctx = ComputeContext(demo.app, demo.marts, statement_timeout=60.0, workers=2)
        results = {r.metric_id: r for r in compute_many(ctx)}
        segments.snapshot(ctx)
        cuts = snapshots.refresh(ctx, folder=CUTS_DIR)
        yield Apart(server, marts_server, demo.app, demo.marts, results, cuts)


def _schemas(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'")}


def test_ingest_lands_on_the_marts_server(apart: Apart) -> None:
    assert apart.app.placed(apart.marts)
    landed = _schemas(apart.marts_server.dsn(apart.marts))
    assert {"webbank_core", "aml_aml", "card_management_cards"} <= landed, landed
    with psycopg.connect(apart.marts_server.dsn(apart.marts)) as conn:
        payments = conn.execute("SELECT count(*) FROM webbank_core.payment").fetchone()[0]
    assert payments > 0


def test_the_app_server_holds_no_marts(apart: Apart) -> None:
    assert _schemas(apart.app.dsn()) <= APP_SCHEMAS
    with apart.server.admin() as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (apart.marts,)).fetchone() is None


def test_metric_sql_reads_the_marts_server_as_the_readonly_role(apart: Apart) -> None:
    failed = {mid: r.error for mid, r in apart.results.items() if not r.ok}
    assert apart.results and not failed, failed
    with psycopg.connect(apart.marts_server.dsn(apart.marts)) as conn:
        assert conn.execute("SELECT has_schema_privilege(%s, 'webbank_core', 'USAGE')", (COMPUTE_ROLE,)).fetchone()[0]


def test_audit_cuts_read_the_marts_server(apart: Apart) -> None:
    failed = {(r.cut_id, r.window): r.error for r in apart.cuts if not r.ok}
    assert apart.cuts and not failed, failed


def test_the_cli_computes_on_the_marts_server_named_by_the_environment(apart: Apart) -> None:
    # The whole path an operator takes: settings → open_database → the marts placed on their own server.
    env = {
        **os.environ,
        "HEARTBEAT_DATABASE_URL": apart.app.url().render_as_string(hide_password=False),
        "HEARTBEAT_MARTS_DATABASE_URL": apart.marts_server.url(apart.marts).render_as_string(hide_password=False),
        "HEARTBEAT_METRICS_DIR": str(ROOT / "metrics"),
        "COLUMNS": "200",
    }
    env.pop("HEARTBEAT_MARTS_DATABASE", None)
    done = subprocess.run([str(Path(sys.executable).parent / "heartbeat"), "compute"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(apart.results)} computed, 0 failed" in done.stdout
    with apart.server.admin() as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (apart.marts,)).fetchone() is None


def test_settings_place_the_marts_and_their_read_replica() -> None:
    settings = load_settings({
        "HEARTBEAT_DATABASE_URL": "postgresql://hb:pw@app-host:5432/heartbeat",
        "HEARTBEAT_MARTS_DATABASE_URL": "postgresql://lander:pw@marts-host:5432/warehouse",
        "HEARTBEAT_MARTS_READ_URL": "postgresql://reader:pw@replica-host:5432/warehouse",
    })
    assert settings.marts_database == "warehouse"  # the URL's database part wins over HEARTBEAT_MARTS_DATABASE
    assert "marts-host" not in repr(settings)
    db = open_database(settings)  # a configured server: nothing connects yet
    assert db.url().host == "app-host"
    assert (db.url("warehouse").host, db.url("warehouse").username) == ("marts-host", "lander")
    assert db.read_url("warehouse").host == "replica-host"
    login = _login_url(db, "warehouse", None)  # metric SQL: on the replica, as the read-only role
    assert (login.host, login.username, login.database) == ("replica-host", COMPUTE_ROLE, "warehouse")
    configured = _login_url(db, "warehouse", "postgresql://ro:secret@ignored-host/x")
    assert (configured.host, configured.username) == ("replica-host", "ro")


def test_a_read_replica_without_a_primary_is_refused_by_name() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"HEARTBEAT_MARTS_READ_URL": "postgresql://reader:s3cret@replica:5432/marts"})
    message = str(raised.value)
    assert "HEARTBEAT_MARTS_READ_URL" in message and "HEARTBEAT_MARTS_DATABASE_URL" in message
    assert "s3cret" not in message
