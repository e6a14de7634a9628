"""μ/σ bands from history (never from two points) and backfill from history_sql."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from engine.contract import Status
from engine.core.db import Database
from engine.metrics import bands
from engine.metrics.backfill import backfill
from engine.metrics.compute import ComputeContext, today
from engine.metrics.registry import sync
from engine.read import cards
from tests.support.databases import scratch_database
from tests.support.factories import add_values

BAND = "{kind: rolling_stat, window_days: 28}"


def _history(db, metric_id, values_by_days_ago):
    add_values(db, metric_id, values_by_days_ago, today=today())  # compute's "today", as bands count from it


def test_band_is_mean_and_stddev_of_the_window_excluding_today(fresh_db, folder):
    folder.write("signups", "SELECT 1", norm=None, alert=None, direction="higher_is_better", unit="count",
                 benchmark=BAND)
    sync(fresh_db.engine(), folder.path)
    values = {d: 100.0 + (10 if d % 2 else -10) for d in range(1, 21)}
    values[0] = 5000.0  # today: must not move the band
    values[40] = 5000.0  # outside the window
    _history(fresh_db, "signups", values)
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.days == 20
    assert band.mean == pytest.approx(100.0)
    assert band.stddev == pytest.approx(10.26, abs=0.01)
    [card] = cards.metric_cards(fresh_db.engine())
    assert card.status is Status.RED  # today's 5000 is far outside 100 ± 10


def test_too_few_days_means_learning_with_no_band(fresh_db, folder):
    folder.write("signups", "SELECT 1", norm=None, alert=None, unit="count", benchmark=BAND)
    sync(fresh_db.engine(), folder.path)
    _history(fresh_db, "signups", {1: 100.0, 2: 300.0})
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.learning and band.days == 2
    with fresh_db.engine().connect() as conn:
        row = conn.execute(text("SELECT benchmark_mean, benchmark_stddev, benchmark_computed_at "
                                "FROM heartbeat.metric_registry")).one()
    assert row.benchmark_mean is None and row.benchmark_stddev is None and row.benchmark_computed_at is not None


@pytest.fixture()
def marts(server: Database):
    with scratch_database(server, "hb_marts", migrate=False) as marts:
        yield marts.app_database


HISTORY_SQL = "'SELECT (current_date - g)::date AS day, 90 + g % 5 AS value FROM generate_series(1, 120) g'"


def test_backfill_writes_past_days_and_never_overwrites_a_computed_day(fresh_db, folder, marts):
    folder.write("approval", "SELECT 97", history_sql=HISTORY_SQL, norm="95", alert="85")
    sync(fresh_db.engine(), folder.path)
    _history(fresh_db, "approval", {3: 42.0})
    ctx = ComputeContext(fresh_db, marts, 5.0, 2)
    [result] = backfill(ctx, days=30)
    assert result.error is None and result.days_written == 29  # 30 past days, one already computed
    with fresh_db.engine().connect() as conn:
        rows = dict(conn.execute(text("SELECT day, value FROM heartbeat.metric_history")).all())
        statuses = set(conn.execute(text("SELECT DISTINCT status FROM heartbeat.metric_history")).scalars())
    assert rows[today() - timedelta(days=3)] == 42.0
    assert min(rows) == today() - timedelta(days=30) and today() not in rows
    assert statuses == {"amber", "green"}  # 90 is under the norm of 95
    assert backfill(ctx, days=30)[0].days_written == 0  # idempotent


def test_backfill_reports_a_bad_history_sql_per_metric(fresh_db, folder, marts):
    folder.write("approval", "SELECT 97", history_sql="'SELECT 1'", norm=None, alert=None)
    sync(fresh_db.engine(), folder.path)
    [result] = backfill(ComputeContext(fresh_db, marts, 5.0, 2), days=10)
    assert "history_sql must return rows of (day date, value number)" in result.error
