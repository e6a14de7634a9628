"""Compute: read-only, time-boxed, parallel, and a failure never blanks a tile."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from engine.contract import Status
from engine.core.db import Database
from engine.ingest.ledger import SyncOutcome, close_sync, open_sync
from engine.metrics.compute import ComputeContext, compute_many, compute_one
from engine.metrics.registry import active_metrics, sync
from engine.read import cards
from tests.support.databases import scratch_database
from tests.support.factories import add_value


@pytest.fixture()
def marts(server: Database):
    """A marts database whose webbank_core.payment has 1000 payments, 10 % declined (approval rate 90)."""
    with scratch_database(server, "hb_marts", migrate=False) as marts:
        with psycopg.connect(marts.dsn(), autocommit=True) as conn:
            conn.execute("CREATE SCHEMA webbank_core")
            conn.execute("CREATE TABLE webbank_core.payment (id int, state text)")
            conn.execute("INSERT INTO webbank_core.payment SELECT g, CASE WHEN g % 10 = 0 THEN 'declined' "
                         "ELSE 'approved' END FROM generate_series(1, 1000) g")
        yield marts.app_database


@pytest.fixture()
def ctx(fresh_db, marts) -> ComputeContext:
    return ComputeContext(fresh_db, marts, statement_timeout=1.0, workers=4)


APPROVAL_SQL = ("SELECT 100.0 * count(*) FILTER (WHERE state = 'approved') / count(*) FROM webbank_core.payment")


def _synced(db, source="webbank", schema="core"):
    ledger_id, started = open_sync(db.engine(), source, schema, f"{source}_{schema}", None)
    close_sync(db.engine(), SyncOutcome(source, schema, "succeeded", started, ledger_id=ledger_id))
    return started


def _history(db, metric_id):
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT * FROM heartbeat.metric_history WHERE metric_id = :id ORDER BY day"),
                            {"id": metric_id}).all()


def test_value_status_and_source_as_of_land_in_todays_history(ctx, folder):
    folder.write("approval_rate", APPROVAL_SQL, norm="95", alert="85")
    sync(ctx.db.engine(), folder.path)
    synced_at = _synced(ctx.db)
    [result] = compute_many(ctx)
    assert result.ok and result.value == pytest.approx(90.0)
    assert result.status == "amber"
    [row] = _history(ctx.db, "approval_rate")
    assert row.value == pytest.approx(90.0) and row.status == "amber"
    assert row.source_as_of == synced_at and row.error is None and row.duration_ms >= 0


def test_source_as_of_is_the_oldest_of_the_schemas_read(ctx, folder):
    folder.write("mixed", "SELECT 1", sources="[webbank.core, aml.aml]", norm=None, alert=None)
    sync(ctx.db.engine(), folder.path)
    older = _synced(ctx.db, "aml", "aml")
    time.sleep(0.01)
    _synced(ctx.db)
    compute_many(ctx)
    assert _history(ctx.db, "mixed")[0].source_as_of == older


def test_read_only_refuses_a_metric_that_writes(ctx, folder):
    folder.write("sneaky", "CREATE TABLE webbank_core.hacked AS SELECT 1 AS x", norm=None, alert=None)
    sync(ctx.db.engine(), folder.path)
    [result] = compute_many(ctx)
    assert not result.ok and "must not write" in result.error
    with psycopg.connect(ctx.db.dsn(ctx.marts_database)) as conn:
        assert conn.execute("SELECT to_regclass('webbank_core.hacked')").fetchone()[0] is None


def test_timeout_isolates_one_slow_metric_while_the_others_finish(ctx, folder):
    folder.write("slow", "SELECT 1 FROM pg_sleep(5)", norm=None, alert=None)
    for i in range(3):
        folder.write(f"quick_{i}", APPROVAL_SQL, norm=None, alert=None)
    sync(ctx.db.engine(), folder.path)
    began = time.monotonic()
    results = {r.metric_id: r for r in compute_many(ctx)}
    assert time.monotonic() - began < 4
    assert not results["slow"].ok and "timed out after 1s" in results["slow"].error
    assert all(results[f"quick_{i}"].ok for i in range(3))


def test_failure_keeps_the_last_good_value_on_the_tile(ctx, folder):
    folder.write("approval_rate", APPROVAL_SQL, norm="95", alert="85")
    sync(ctx.db.engine(), folder.path)
    add_value(ctx.db, "approval_rate", 91.5, days_ago=1, status="amber")  # yesterday's good value
    with psycopg.connect(ctx.db.dsn(ctx.marts_database), autocommit=True) as conn:
        conn.execute("ALTER TABLE webbank_core.payment RENAME TO payment_gone")
    [result] = compute_many(ctx)
    assert not result.ok and "SQL error" in result.error and "payment" in result.error
    [card] = cards.metric_cards(ctx.db.engine())
    assert card.value == pytest.approx(91.5)
    assert card.status is Status.ERROR and "SQL error" in card.error


def test_failure_after_success_today_keeps_todays_value(ctx, folder):
    folder.write("approval_rate", APPROVAL_SQL, norm="95", alert="85")
    sync(ctx.db.engine(), folder.path)
    compute_many(ctx)
    with psycopg.connect(ctx.db.dsn(ctx.marts_database), autocommit=True) as conn:
        conn.execute("DROP TABLE webbank_core.payment")
    compute_many(ctx)
    [row] = _history(ctx.db, "approval_rate")
    assert row.value == pytest.approx(90.0) and row.error is not None


@pytest.mark.parametrize(
    "sql,message",
    [
        ("SELECT 1, 2", "exactly one row with one column; got 1 row(s) × 2 column(s)"),
        ("SELECT g FROM generate_series(1, 3) g", "got 3 row(s)"),
        ("SELECT 'abc'", "must return a number; got str"),
        ("SELECT true", "must return a number; got bool"),
    ],
)
def test_anything_but_one_number_is_a_clear_error(ctx, folder, sql, message):
    folder.write("odd", sql, norm=None, alert=None)
    sync(ctx.db.engine(), folder.path)
    [result] = compute_many(ctx)
    assert not result.ok and message in result.error


def test_null_value_is_no_data_not_green(ctx, folder):
    folder.write("empty", "SELECT avg(id) FROM webbank_core.payment WHERE false", norm=None, alert=None)
    sync(ctx.db.engine(), folder.path)
    [result] = compute_many(ctx)
    assert result.ok and result.value is None and result.status == "no_data"


def test_pool_runs_metrics_in_parallel(ctx, folder):
    for i in range(4):
        folder.write(f"nap_{i}", "SELECT 1 FROM pg_sleep(0.4)", norm=None, alert=None)
    sync(ctx.db.engine(), folder.path)
    began = time.monotonic()
    results = compute_many(ctx)
    assert all(r.ok for r in results)
    assert time.monotonic() - began < 1.2  # serial would take 1.6 s


def test_retired_metrics_are_not_computed(ctx, folder):
    folder.write("approval_rate", APPROVAL_SQL)
    folder.write("other", APPROVAL_SQL)
    sync(ctx.db.engine(), folder.path)
    folder.remove("other")
    sync(ctx.db.engine(), folder.path)
    assert [m.id for m in active_metrics(ctx.db.engine())] == ["approval_rate"]


def test_unreachable_marts_is_an_error_per_metric_not_a_crash(fresh_db, folder, server):
    folder.write("approval_rate", APPROVAL_SQL)
    sync(fresh_db.engine(), folder.path)
    ctx = ComputeContext(fresh_db, "no_such_marts_db", 1.0, 2)
    [metric] = active_metrics(fresh_db.engine())
    result = compute_one(metric, ctx)
    assert not result.ok and "marts database unreachable" in result.error
