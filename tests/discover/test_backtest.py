"""The backtest judges past days as the wall would: false alarms on normal days, incidents caught, duplicates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from engine.discover.backtest import KnownIncident, correlation, flag_duplicate, learn_band, run
from engine.discover.rules import robust_lines

TODAY = date(2026, 11, 30)
TABLE = "webbank.core.payment"


def _days(values: list[float]) -> dict[date, float | None]:
    return {TODAY - timedelta(days=len(values) - 1 - i): v for i, v in enumerate(values)}


def _incident(days_ago: int, table: str = TABLE) -> KnownIncident:
    start = TODAY - timedelta(days=days_ago)
    return KnownIncident("dip", datetime(start.year, start.month, start.day, 6, tzinfo=timezone.utc), (table,))


def test_a_spike_after_the_start_is_caught_and_one_before_it_is_a_false_red() -> None:
    values = [10.0 + (i % 3) for i in range(60)]
    values[20] = 40.0  # a normal day gone red
    values[-2:] = [40.0, 41.0]  # the incident, from yesterday
    result = run("x", TABLE, "lower_is_better", None, 20.0, 30.0, _days(values), [_incident(1)])
    assert result.false_reds == 1 and result.normal_days == 58
    assert result.false_reds_per_month == pytest.approx(30 / 58)
    (catch,) = result.catches
    assert catch.caught and catch.days_late == 0 and catch.first_red == (TODAY - timedelta(days=1)).isoformat()


def test_an_incident_on_another_table_neither_counts_nor_hides_normal_days() -> None:
    values = [10.0] * 30
    result = run("x", TABLE, "lower_is_better", None, 20.0, 30.0, _days(values), [_incident(5, "aml.aml.checks")])
    assert result.catches == [] and result.normal_days == 30


def test_band_days_while_learning_are_not_judged_and_late_catches_are_not_caught() -> None:
    values = [100.0 + (i % 7) for i in range(40)]
    values[-1] = 300.0  # red against the band only on the incident's 5th day
    result = run("x", TABLE, "higher_is_better", {"kind": "rolling_stat", "window_days": 28}, None, None,
                 _days(values), [_incident(5)])
    assert result.normal_days == 40 - 14 - 6  # 14 learning days; the start day to today are the incident's
    (catch,) = result.catches
    assert catch.days_late == 5 and not catch.caught and not result.caught


def test_rolling_stat_band_is_the_mean_and_sample_deviation_of_the_window() -> None:
    points = _days([1.0, 2.0, 3.0] * 10)
    mean, sigma = learn_band({"kind": "rolling_stat", "window_days": 28}, points, TODAY)
    window = [v for d, v in points.items() if TODAY - timedelta(days=28) <= d < TODAY]
    assert mean == pytest.approx(sum(window) / len(window)) and sigma > 0
    assert learn_band(None, points, TODAY) is None


def test_robust_lines_sit_on_the_bad_side_and_ignore_a_short_incident() -> None:
    history = [2.0 + 0.1 * (i % 5) for i in range(170)] + [9.0] * 10
    norm, alert = robust_lines("lower_is_better", history)
    assert 2.2 < norm < alert < 4.0
    low_norm, low_alert = robust_lines("higher_is_better", history)
    assert low_alert < low_norm < 2.2
    assert robust_lines("lower_is_better", [0.0] * 50) == (None, None)


def test_a_candidate_moving_with_an_existing_metric_is_flagged_as_its_duplicate() -> None:
    series = _days([float(i % 9) for i in range(60)])
    same = {d: 3 * v + 1 for d, v in series.items()}
    other = _days([float((i * 7) % 11) for i in range(60)])
    result = run("x", TABLE, "lower_is_better", None, None, 100.0, series, [])
    flag_duplicate(result, series, {"payments_24h": same, "unrelated": other})
    assert result.duplicate_of == "payments_24h" and result.correlation == pytest.approx(1.0)
    assert correlation(series, _days([1.0] * 5)) is None  # too few shared days
