"""Benchmark kinds (rolling_stat, seasonal, robust), clean history (line days and acknowledged incidents left
out), learning and the floor — and history that belongs to a definition. Against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from engine.contract import Status
from engine.core.db import Database
from engine.metrics import bands, baseline
from engine.metrics.backfill import backfill, backfill_changed
from engine.metrics.baseline import MAD_SCALE, band_spreads
from engine.metrics.compute import ComputeContext, compute_many, today
from engine.metrics.files import parse_file
from engine.metrics.registry import sync
from engine.read import cards
from tests.support.databases import scratch_database
from tests.support.factories import add_values

# A weekly pattern: Saturdays and Sundays at 40, weekdays at 100 ± 2.
WEEKEND = {5, 6}


def _weekly(days: int, *, noise: float = 2.0) -> dict[int, float]:
    start = today()
    values = {}
    for ago in range(1, days + 1):
        day = start - timedelta(days=ago)
        values[ago] = 40.0 if day.weekday() in WEEKEND else 100.0 + (noise if ago % 2 else -noise)
    return values


def _metric(db, folder, benchmark: str, **fields) -> None:
    fields = {"norm": None, "alert": None, "direction": "higher_is_better", "unit": "percent", **fields}
    folder.write("mx", "SELECT 1", benchmark=benchmark, **fields)
    sync(db.engine(), folder.path)


def _card(db):
    [card] = cards.metric_cards(db.engine())
    return card


def test_the_header_names_the_kind_and_its_window(folder):
    for benchmark, kind, window in (("{kind: seasonal, weeks: 6}", "seasonal", 42),
                                    ("{kind: robust, window_days: 90}", "robust", 90),
                                    ("{kind: robust, seasonal: true}", "robust", 56),
                                    ("{kind: rolling_stat}", "rolling_stat", 28)):
        definition, errors = parse_file(folder.write("mx", benchmark=benchmark))
        assert not errors and definition.benchmark_kind == kind and definition.benchmark_window_days == window


@pytest.mark.parametrize("benchmark, message", [
    ("{kind: seasonal, window_days: 28}", "counts weeks: write weeks: N instead of window_days"),
    ("{kind: rolling_stat, weeks: 4}", "counts days: write window_days: N instead of weeks"),
    ("{kind: seasonal, seasonal: true}", "seasonal: true is a robust option"),
    ("{kind: weekly}", "benchmark.kind: must be 'rolling_stat', 'seasonal' or 'robust'"),
    ("{kind: robust, floor: -1}", "greater than or equal to 0"),
])
def test_a_wrong_benchmark_is_refused_with_what_to_write(folder, benchmark, message):
    _, errors = parse_file(folder.write("mx", benchmark=benchmark))
    assert errors and message in errors[0].message, errors


def test_rolling_stat_on_a_weekly_series_calls_every_weekend_amber_and_seasonal_does_not(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: rolling_stat, window_days: 28}")
    add_values(fresh_db, "mx", {**_weekly(56), 0: 40.0 if today().weekday() in WEEKEND else 100.0}, today=today())
    history = _weekly(56)
    [rolling] = bands.refresh(fresh_db.engine(), today())
    assert rolling.stddev > 20  # weekdays and weekends in one σ
    weekend_value = 40.0
    assert abs(weekend_value - rolling.mean) / rolling.stddev >= 1  # a normal Sunday is amber here

    _metric(fresh_db, folder, "{kind: seasonal, weeks: 8}")
    [seasonal] = bands.refresh(fresh_db.engine(), today())
    same_weekday = [v for ago, v in history.items() if ago % 7 == 0]
    assert seasonal.days == len(same_weekday) == 8
    expected = sum(same_weekday) / 8
    assert seasonal.mean == pytest.approx(expected)
    assert _card(fresh_db).status is Status.GREEN  # today's value is a normal one for its weekday


def test_robust_is_median_and_mad_and_ignores_a_few_wild_days(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: robust, window_days: 28}")
    values = {ago: 100.0 + (ago % 5) for ago in range(1, 29)}  # 100..104, median 102, MAD 1
    values.update({3: 5000.0, 4: 4000.0, 5: -3000.0})  # an incident the band must not learn
    values[0] = 170.0  # today: far above 102 even with the floor
    add_values(fresh_db, "mx", values, today=today())
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.mean == pytest.approx(102.0)
    # The band flagged the three wild days, so they are held out too (HOLD_DAYS): 25 points.
    assert band.days == 25 and band.excluded == 3
    assert band.stddev == pytest.approx(band_spreads(25) * max(MAD_SCALE * 1.0, 1.02))
    assert _card(fresh_db).status is Status.RED


def test_robust_seasonal_reads_the_same_weekday_only(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: robust, seasonal: true, weeks: 4}")
    add_values(fresh_db, "mx", _weekly(28), today=today())
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.days == 4
    assert band.mean == pytest.approx(40.0 if today().weekday() in WEEKEND else 100.0, abs=2.0)


def test_days_red_or_amber_by_a_line_are_left_out(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: robust, window_days: 28}", norm="80", alert="60")
    values = {ago: 100.0 for ago in range(1, 29)}
    values.update({ago: 70.0 for ago in range(1, 8)})  # a week under the norm: amber by a line
    add_values(fresh_db, "mx", values, today=today())
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.excluded == 7 and band.days == 21 and band.mean == pytest.approx(100.0)


def test_days_of_an_acknowledged_incident_are_left_out(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: rolling_stat, window_days: 28}")
    values = {ago: 100.0 + (ago % 3) for ago in range(1, 29)}
    values.update({ago: 300.0 + ago for ago in range(1, 11)})  # ten days of an incident
    add_values(fresh_db, "mx", values, today=today())
    [learned] = bands.refresh(fresh_db.engine(), today())
    assert learned.mean > 150  # without the acknowledgement the band learns the incident
    with fresh_db.engine().begin() as conn:
        conn.execute(text(
            "INSERT INTO heartbeat.alert_state (key, kind, subject, state, since, fired_at, acked_by, acked_until) "
            "VALUES ('value:mx', 'value', 'mx', 'firing', now() - interval '10 days', now() - interval '9 days', "
            "'ceo@example.com', now() + interval '1 day')"))
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.excluded == 10 and band.mean == pytest.approx(101.0, abs=0.2)
    # Resolved: the alert is gone, its days stay out of the band.
    with fresh_db.engine().begin() as conn:
        conn.execute(text("UPDATE heartbeat.alert_state SET state = 'resolved', acked_by = NULL"))
    [after] = bands.refresh(fresh_db.engine(), today())
    assert after.mean == pytest.approx(101.0, abs=0.2)


def test_too_few_clean_points_is_learning_and_said_so(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: seasonal, weeks: 8}")
    add_values(fresh_db, "mx", {7: 100.0, 14: 101.0, 21: 99.0}, today=today())  # three same-weekday points
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.learning and band.days == 3 and band.needed == 4 and band.mean is None
    with fresh_db.engine().connect() as conn:
        assert conn.execute(text("SELECT benchmark_points FROM heartbeat.metric_registry")).scalar_one() == 3
    add_values(fresh_db, "mx", {28: 100.0}, today=today())
    [band] = bands.refresh(fresh_db.engine(), today())
    assert not band.learning and band.mean == pytest.approx(100.0)


def test_a_flat_history_gets_a_floor_not_a_hair_trigger(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: rolling_stat, window_days: 28}", unit="count")
    add_values(fresh_db, "mx", {**{ago: 400.0 for ago in range(1, 29)}, 0: 412.0}, today=today())
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.mean == 400.0 and band.stddev == pytest.approx(20.0)  # √400: the noise of a count
    assert _card(fresh_db).status is Status.GREEN  # 12 more than a flat 400 is a wobble
    _metric(fresh_db, folder, "{kind: robust, window_days: 28, floor: 50}", unit="count")
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.stddev == pytest.approx(band_spreads(28) * 50)  # the header's floor wins when larger


@pytest.fixture()
def marts(server: Database):
    with scratch_database(server, "hb_marts", migrate=False) as marts:
        yield marts.app_database


def _history(level: int) -> str:
    return f"'SELECT (current_date - g)::date AS day, {level} + g % 3 AS value FROM generate_series(1, 60) g'"


def test_a_changed_definition_backfills_its_own_history_and_the_band_relearns(fresh_db, folder, marts):
    _metric(fresh_db, folder, "{kind: rolling_stat, window_days: 28}", history_sql=_history(100), unit="count")
    ctx = ComputeContext(fresh_db, marts, 5.0, 2)
    [first] = backfill(ctx, days=30)
    assert first.days_written == 30
    [old] = bands.refresh(fresh_db.engine(), today())
    assert old.mean == pytest.approx(101.0, abs=0.1)
    with fresh_db.engine().connect() as conn:
        old_hash = conn.execute(text("SELECT series_hash FROM heartbeat.metric_registry")).scalar_one()
        assert set(conn.execute(text("SELECT DISTINCT definition_hash FROM heartbeat.metric_history")).scalars()) \
            == {old_hash}
    # A computed day older than the backfill window stays, under its old definition.
    add_values(fresh_db, "mx", {45: 7.0}, today=today())
    with fresh_db.engine().begin() as conn:
        conn.execute(text("UPDATE heartbeat.metric_history SET definition_hash = :h WHERE value = 7"), {"h": old_hash})

    _metric(fresh_db, folder, "{kind: rolling_stat, window_days: 28}", history_sql=_history(500), unit="count")
    [again] = backfill_changed(ctx, days=30)
    assert again.days_written == 30  # every day of the window replaced by the new definition's value
    assert backfill_changed(ctx, days=30) == []  # once
    [new] = bands.refresh(fresh_db.engine(), today())
    assert new.mean == pytest.approx(501.0, abs=0.1)
    with fresh_db.engine().connect() as conn:
        new_hash = conn.execute(text("SELECT series_hash FROM heartbeat.metric_registry")).scalar_one()
        by_hash = dict(conn.execute(text("SELECT definition_hash, count(*) FROM heartbeat.metric_history "
                                         "GROUP BY 1")).all())
    assert new_hash != old_hash and by_hash == {new_hash: 30, old_hash: 1}
    # The metric page marks where the current definition's history starts.
    assert cards.metric_profile(fresh_db.engine(), "mx").definition_since == today() - timedelta(days=30)
    compute_many(ctx)
    with fresh_db.engine().connect() as conn:
        assert conn.execute(text("SELECT definition_hash FROM heartbeat.metric_history WHERE day = :d"),
                            {"d": today()}).scalar_one() == new_hash


def test_a_band_learns_only_from_the_current_definition(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: rolling_stat, window_days: 28}")
    add_values(fresh_db, "mx", {ago: 100.0 + ago % 2 for ago in range(1, 29)}, today=today())
    with fresh_db.engine().begin() as conn:
        conn.execute(text("UPDATE heartbeat.metric_history SET definition_hash = 'old' WHERE day < :d"),
                     {"d": today() - timedelta(days=10)})
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.days == 10


def test_few_points_widen_the_band_to_a_prediction_interval():
    assert band_spreads(8) == pytest.approx(4.8, abs=0.1)  # eight Sundays: little known about the noise
    assert band_spreads(90) == pytest.approx(3.1, abs=0.05)
    assert band_spreads(8) > band_spreads(14) > band_spreads(90) > 3.0


def _level(ago: int) -> float:
    """A weekly volume: weekdays 1000, weekends 500, ±2 % of noise that repeats every three days."""
    day = today() - timedelta(days=ago)
    return (500.0 if day.weekday() in WEEKEND else 1000.0) * (1 + 0.02 * (ago % 3 - 1))


def test_a_slow_drift_is_judged_against_the_level_before_it_not_learned_as_it_goes(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: seasonal, weeks: 8}", unit="count")
    values = {ago: _level(ago) for ago in range(1, 113)}
    values.update({ago: _level(ago) * (1 + 0.02 * (21 - ago)) for ago in range(1, 21)})  # +2 %/day for 20 days
    values[0] = _level(0) * 1.42
    add_values(fresh_db, "mx", values, today=today())
    [band] = bands.refresh(fresh_db.engine(), today())
    # The days the band flagged are held out and the band still stands at (or, while the last ten days lean
    # high, below) the level before the drift...
    assert band.excluded >= 5
    assert band.mean <= _level(0) * 1.10
    assert _card(fresh_db).status is not Status.GREEN  # ...so the drift, now +42 %, is still flagged
    # The old rule (nothing held, one reference) has learned most of the drift: its band calls today green.
    spec = baseline.Spec.from_benchmark({"kind": "seasonal", "weeks": 8}, "count")
    points = {today() - timedelta(days=ago): v for ago, v in values.items() if ago > 0}
    old = baseline.learn(spec, points, today())
    assert abs(values[0] - old.centre) < old.unit


def test_a_lasting_new_level_is_learned_once_its_first_days_are_past_the_hold(fresh_db, folder):
    _metric(fresh_db, folder, "{kind: seasonal, weeks: 8}", unit="count")
    values = {ago: _level(ago) * (0.65 if ago <= 35 else 1.0) for ago in range(1, 113)}  # −35 % five weeks ago
    values[0] = _level(0) * 0.65
    add_values(fresh_db, "mx", values, today=today())
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.excluded == 0  # nothing of the last 14 days is held: the new level is the band's now
    assert _card(fresh_db).status is Status.GREEN  # not numb, not stuck crying wolf
    # While the shift is younger than the hold, it stays flagged against the level before it.
    with fresh_db.engine().begin() as conn:
        conn.execute(text("DELETE FROM heartbeat.metric_history"))
    young = {ago: _level(ago) * (0.65 if ago <= 6 else 1.0) for ago in range(0, 113)}
    add_values(fresh_db, "mx", young, today=today())
    [band] = bands.refresh(fresh_db.engine(), today())
    assert band.excluded >= 4 and _card(fresh_db).status is not Status.GREEN
