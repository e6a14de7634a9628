"""Metric SQL truly cannot write: the attacks of issue 16 §2, replayed through compute, backfill and validate.

Each attack runs exactly as a metric author could ship it in a metric file;
the data must be intact afterwards and the error must say what was refused.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import psycopg
import pytest

from engine.core.db import Database
from engine.metrics.backfill import backfill
from engine.metrics.compute import ComputeContext, compute_many
from engine.metrics.registry import sync
from engine.metrics.validate import validate
from engine.store.roles import COMPUTE_ROLE, DANGEROUS_ROLES, ensure_compute_role

PAYMENTS = 1000


@pytest.fixture()
def marts(server: Database):
    name = f"hb_guard_{uuid.uuid4().hex[:8]}"
    server.ensure_database(name)
    with psycopg.connect(server.dsn(name), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA webbank_core")
        conn.execute("CREATE TABLE webbank_core.payment (id int, state text)")
        conn.execute(f"INSERT INTO webbank_core.payment SELECT g, 'approved' FROM generate_series(1, {PAYMENTS}) g")
    yield name
    server.drop_database(name)


@pytest.fixture()
def ctx(fresh_db, marts) -> ComputeContext:
    return ComputeContext(fresh_db, marts, statement_timeout=1.0, workers=2)


def _admin(ctx: ComputeContext) -> psycopg.Connection:
    return psycopg.connect(ctx.db.dsn(ctx.marts_database), autocommit=True)


def _payments(ctx: ComputeContext) -> int | None:
    with _admin(ctx) as conn:
        if conn.execute("SELECT to_regclass('webbank_core.payment')").fetchone()[0] is None:
            return None
        return conn.execute("SELECT count(*) FROM webbank_core.payment").fetchone()[0]


def _compute(ctx: ComputeContext, folder, **metrics: str) -> dict:
    for metric_id, sql in metrics.items():
        folder.write(metric_id, sql, norm=None, alert=None)
    sync(ctx.db.engine(), folder.path)
    return {result.metric_id: result for result in compute_many(ctx)}


def test_a_legitimate_metric_still_computes(ctx, folder):
    results = _compute(ctx, folder, legit="SELECT count(*) FROM webbank_core.payment WHERE state LIKE 'app%';")
    assert results["legit"].ok and results["legit"].value == PAYMENTS


def test_commit_then_delete_is_refused_and_the_rows_stay(ctx, folder):
    results = _compute(ctx, folder, delete="SELECT 42; COMMIT; DELETE FROM webbank_core.payment")
    assert not results["delete"].ok
    assert results["delete"].error == ("metrics/delete.sql: metric SQL must be exactly one statement "
                                       "(found more than one, separated by ';')")
    assert _payments(ctx) == PAYMENTS


def test_commit_then_drop_is_refused_and_the_table_stays(ctx, folder):
    results = _compute(ctx, folder, drop="COMMIT; DROP TABLE webbank_core.payment")
    assert "metrics/drop.sql" in results["drop"].error and "exactly one statement" in results["drop"].error
    assert _payments(ctx) == PAYMENTS


def test_single_statement_writes_are_refused_too(ctx, folder):
    results = _compute(ctx, folder, wipe="DELETE FROM webbank_core.payment RETURNING 1",
                       ddl="CREATE TABLE webbank_core.hacked AS SELECT 1 AS x",
                       temp="CREATE TEMP TABLE scratch AS SELECT 1 AS x",
                       lo="SELECT lo_create(0)")
    assert all(not result.ok for result in results.values())
    assert "must not write" in results["wipe"].error
    assert _payments(ctx) == PAYMENTS


def test_copy_to_program_runs_no_command(ctx, folder, tmp_path: Path):
    marker = tmp_path / "pwned"
    results = _compute(ctx, folder, chained=f"SELECT 7; COPY (SELECT 1) TO PROGRAM 'touch {marker}'",
                       alone=f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'")
    assert "exactly one statement" in results["chained"].error
    assert "permission denied to COPY to or from an external program" in results["alone"].error
    assert not marker.exists()


def test_server_files_large_objects_and_dblink_are_out_of_reach(ctx, folder):
    results = _compute(ctx, folder, passwd="SELECT pg_read_file('/etc/passwd')::int",
                       lo_import="SELECT lo_import('/etc/passwd')::int",
                       dblink="SELECT count(*) FROM dblink('dbname=postgres', 'SELECT 1') AS t(x int)",
                       extension="CREATE EXTENSION dblink")
    assert "permission denied for function pg_read_file" in results["passwd"].error
    assert "permission denied for function lo_import" in results["lo_import"].error
    assert all("root:" not in r.error and "\n" not in r.error for r in results.values())
    assert not results["dblink"].ok and not results["extension"].ok


def test_the_timeout_cannot_be_escaped(ctx, folder):
    began = time.monotonic()
    results = _compute(
        ctx, folder,
        chained="SELECT 1; SET LOCAL statement_timeout = 0; SELECT pg_sleep(5)",
        inline="SELECT count(*) FROM (SELECT set_config('statement_timeout', '0', false)) s, pg_sleep(5)",
        dynamic="SELECT length(query_to_xml('SELECT pg_sleep(5)', true, true, '')::text) "
                "FROM (SELECT set_config('statement_timeout', '0', false)) s",
        later="SELECT 1 FROM pg_sleep(5)",
    )
    assert "exactly one statement" in results["chained"].error
    for metric_id in ("inline", "dynamic", "later"):
        assert "timed out after 1s" in results[metric_id].error, metric_id
    assert time.monotonic() - began < 5  # two workers, three 1 s timeouts, no 5 s sleep


def test_a_schema_landed_after_the_role_exists_is_readable(ctx, folder):
    assert _compute(ctx, folder, first="SELECT count(*) FROM webbank_core.payment")["first"].ok
    with _admin(ctx) as conn:  # what dlt does for a new source: a new schema, as Heartbeat's own user
        conn.execute("CREATE SCHEMA crm_core")
        conn.execute("CREATE TABLE crm_core.account AS SELECT g AS id FROM generate_series(1, 3) g")
        conn.execute("CREATE TABLE webbank_core.refund AS SELECT g AS id FROM generate_series(1, 2) g")
    results = _compute(ctx, folder, accounts="SELECT count(*) FROM crm_core.account",
                       refunds="SELECT count(*) FROM webbank_core.refund")
    assert results["accounts"].value == 3 and results["refunds"].value == 2


def test_the_role_cannot_read_schema_heartbeat(fresh_db, folder):
    # Marts in Heartbeat's own database: the worst case for a configuration mistake.
    ctx = ComputeContext(fresh_db, fresh_db.app_database, statement_timeout=1.0, workers=1)
    results = _compute(ctx, folder, registry="SELECT count(*) FROM heartbeat.metric_registry")
    assert "permission denied for schema heartbeat" in results["registry"].error


def test_the_role_has_no_rights_beyond_reading(ctx, folder):
    _compute(ctx, folder, warm="SELECT 1")
    with _admin(ctx) as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, rolconfig, "
            "has_database_privilege(rolname, current_database(), 'CREATE') FROM pg_roles WHERE rolname = %s",
            (COMPUTE_ROLE,),
        ).fetchone()
        creatable = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(%s, oid, 'CREATE')", (COMPUTE_ROLE,)
        ).fetchall()
        memberships = conn.execute(
            "SELECT d FROM unnest(%s::text[]) d WHERE pg_has_role(%s, d, 'USAGE')", (list(DANGEROUS_ROLES), COMPUTE_ROLE)
        ).fetchall()
    assert row[:5] == (False, False, False, False, False) and row[6] is False
    assert "default_transaction_read_only=on" in row[5]
    assert creatable == [] and memberships == []


def test_backfill_and_validate_refuse_the_same_attacks(ctx, folder):
    folder.write("approval", "SELECT 1; DELETE FROM webbank_core.payment",
                 history_sql="'SELECT current_date - 1, 1; DROP TABLE webbank_core.payment'", norm=None, alert=None)
    sync(ctx.db.engine(), folder.path)
    [result] = backfill(ctx, days=5)
    assert result.error.startswith("metrics/approval.sql (history_sql): metric SQL must be exactly one statement")
    checked = validate("approval", ctx, folder.path)
    assert f"{folder.path / 'approval.sql'}: metric SQL must be exactly one statement" in checked.error
    assert _payments(ctx) == PAYMENTS


def test_a_superuser_login_is_refused_and_its_password_never_shown(ctx, folder, server):
    url = server.url(ctx.marts_database).set(drivername="postgresql", password="hunter2-not-shown")
    configured = ComputeContext(ctx.db, ctx.marts_database, 1.0, 1, url.render_as_string(hide_password=False))
    results = _compute(configured, folder, as_superuser="SELECT 1")
    error = results["as_superuser"].error
    assert error.startswith(f"refusing to run metric SQL as {url.username}: it has superuser")
    assert "HEARTBEAT_COMPUTE_DATABASE_URL" in error and "hunter2" not in error and "\n" not in error


def test_start_up_repairs_a_role_someone_widened(ctx):
    with _admin(ctx) as conn:
        conn.execute(f"ALTER ROLE {COMPUTE_ROLE} CREATEDB")
        conn.execute(f"ALTER ROLE {COMPUTE_ROLE} RESET default_transaction_read_only")
    assert ensure_compute_role(ctx.db, ctx.marts_database) is None
    assert ensure_compute_role(ctx.db, ctx.marts_database) is None  # idempotent
    with _admin(ctx) as conn:
        createdb, config = conn.execute("SELECT rolcreatedb, rolconfig FROM pg_roles WHERE rolname = %s",
                                        (COMPUTE_ROLE,)).fetchone()
    assert createdb is False and "default_transaction_read_only=on" in config


def test_a_configured_read_only_login_is_used_and_kept_granted(ctx, folder):
    role = f"hb_guard_{uuid.uuid4().hex[:6]}"
    with _admin(ctx) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
    url = ctx.db.url(ctx.marts_database).set(drivername="postgresql", username=role, password="s3cret-xyz")
    configured = ComputeContext(ctx.db, ctx.marts_database, 1.0, 1, url.render_as_string(hide_password=False))
    try:
        results = _compute(configured, folder, mine="SELECT current_user = '" + role + "' AND count(*) > 0 "
                           "FROM webbank_core.payment GROUP BY current_user")
        assert results["mine"].error and "must return a number" in results["mine"].error  # a boolean: it ran
        assert _compute(configured, folder, count="SELECT count(*) FROM webbank_core.payment")["count"].ok
    finally:
        with _admin(ctx) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
    missing = url.set(username="hb_guard_nobody").render_as_string(hide_password=False)
    results = _compute(ComputeContext(ctx.db, ctx.marts_database, 1.0, 1, missing), folder, gone="SELECT 1")
    assert "role hb_guard_nobody of HEARTBEAT_COMPUTE_DATABASE_URL does not exist" in results["gone"].error and "s3cret" not in results["gone"].error
