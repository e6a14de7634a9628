"""OKR pace as a pure function: each state, both directions, and the edges a real target hits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.read.pace import BEHIND_SHARE, MIN_TREND_POINTS, TREND_DAYS, PaceState, least_squares, pace

TODAY = date(2026, 11, 30)
START = date(2026, 10, 1)
DUE = date(2026, 12, 31)


def series(first: float, per_day: float, days: int = TREND_DAYS) -> list[tuple[date, float]]:
    """``days`` daily values ending today, moving ``per_day`` a day."""
    return [(TODAY - timedelta(days=back), first + per_day * (days - 1 - back)) for back in range(days - 1, -1, -1)]


def higher(history, *, target=200.0, start=(START, 100.0), due=DUE, today=TODAY):
    current = history[-1][1] if history else None
    return pace(direction="higher_is_better", target=target, due=due, today=today, current=current,
                start=start, history=history)


def test_least_squares_recovers_a_line_and_refuses_a_single_x():
    intercept, slope = least_squares([(0, 1.0), (1, 3.0), (2, 5.0)])
    assert (round(intercept, 9), round(slope, 9)) == (1.0, 2.0)
    assert least_squares([(3, 1.0), (3, 2.0)]) is None
    assert least_squares([(0, 1.0)]) is None


def test_a_trend_that_reaches_the_target_by_the_due_date_is_on_pace():
    # 150 today, +2/day, 31 days left → 212 ≥ 200.
    result = higher(series(96, 2))
    assert result.state is PaceState.ON_PACE
    assert result.projected == pytest.approx(150 + 2 * 31)
    assert result.slope_per_day == pytest.approx(2)
    assert result.trend_now == pytest.approx(150)
    assert result.days_left == 31
    assert result.progress == pytest.approx(0.5)
    # 60 of 91 days elapsed: the pace line expects 100 + 100 × 60/91 today.
    assert result.expected_progress == pytest.approx(60 / 91)
    assert result.expected_now == pytest.approx(100 + 100 * 60 / 91)
    # 150 + 2 × 25 = 200: the trend meets the target 25 days from today.
    assert result.reaches_on == TODAY + timedelta(days=25)
    assert higher(series(123, 1)).reaches_on is None  # behind: it never does by the due date


def test_a_trend_that_falls_a_little_short_is_behind_and_far_short_is_off_track():
    # 150 today, +1/day → 181: covers 81% of the way from 100 to 200 (≥ 75%).
    behind = higher(series(123, 1))
    assert behind.state is PaceState.BEHIND
    assert (behind.projected - 100) / 100 >= BEHIND_SHARE
    # 150 today, flat → 150: covers 50%.
    assert higher(series(150, 0)).state is PaceState.OFF_TRACK
    # Moving away from the target is off track too.
    assert higher(series(177, -1)).state is PaceState.OFF_TRACK


def test_lower_is_better_reads_the_other_way():
    # 10 today falling 0.2/day towards 5 → 3.8 by the due date: on pace.
    falling = [(d, v) for d, v in series(15.4, -0.2)]
    result = pace(direction="lower_is_better", target=5.0, due=DUE, today=TODAY, current=falling[-1][1],
                  start=(START, 20.0), history=falling)
    assert result.state is PaceState.ON_PACE
    assert result.progress == pytest.approx((20 - 10) / (20 - 5))
    # The same numbers rising are off track for a lower-is-better target.
    rising = series(4.6, 0.2)
    assert pace(direction="lower_is_better", target=5.0, due=DUE, today=TODAY, current=rising[-1][1],
                start=(START, 20.0), history=rising).state is PaceState.OFF_TRACK
    # At or under the target: achieved.
    assert pace(direction="lower_is_better", target=5.0, due=DUE, today=TODAY, current=5.0,
                start=(START, 20.0), history=[]).state is PaceState.ACHIEVED


def test_a_target_already_met_is_achieved_whatever_the_trend_and_even_after_the_due_date():
    assert higher(series(260, -2)).state is PaceState.ACHIEVED
    late = higher(series(260, -2), due=TODAY - timedelta(days=5))
    assert late.state is PaceState.ACHIEVED
    assert late.progress == 1.0


def test_a_due_date_that_passed_without_the_target_is_missed():
    result = higher(series(96, 2), due=TODAY - timedelta(days=1))
    assert result.state is PaceState.MISSED
    assert result.days_left == -1
    assert result.expected_progress == 1.0
    # The due day itself still counts: not missed yet, judged on today's trend value (199 of 200: behind).
    assert higher(series(172, 1), due=TODAY).state is PaceState.BEHIND


def test_no_history_no_value_or_too_few_values_give_no_data_not_a_guess():
    assert higher([]).state is PaceState.NO_DATA
    too_few = series(150, 2, days=MIN_TREND_POINTS - 1)
    assert higher(too_few).state is PaceState.NO_DATA
    assert higher(series(150, 2, days=MIN_TREND_POINTS)).state is not PaceState.NO_DATA
    # Values older than the trend window and gaps (None) do not count towards a trend.
    old = [(TODAY - timedelta(days=TREND_DAYS + k), 100.0 + k) for k in range(20)]
    gaps = [(TODAY - timedelta(days=k), None) for k in range(10)]
    assert higher(old + gaps, start=(START, 100.0)).state is PaceState.NO_DATA


def test_no_start_value_still_projects_but_draws_no_pace_line():
    result = higher(series(123, 1), start=None)
    # Measured from today's 150 instead: 181 covers 62% of the remaining 50, off track.
    assert result.state is PaceState.OFF_TRACK
    assert result.projected == pytest.approx(181)
    assert result.expected_now is None and result.progress is None and result.start_day is None


def test_a_period_that_began_beyond_the_target_measures_from_today():
    # Started at 210 (already beyond 200), slipped to 150; +1/day → 181 covers 62% of 150→200: off track.
    assert higher(series(123, 1), start=(START, 210.0)).state is PaceState.OFF_TRACK


def test_no_target_or_no_due_date_has_no_pace():
    assert higher(series(96, 2), target=None) is None
    assert higher(series(96, 2), due=None) is None
    assert higher(series(96, 2), target=float("nan")) is None


def test_a_projection_never_goes_below_zero_for_counts_durations_and_shares_but_money_may():
    falling = series(40, -2)  # 2 a day down: -14 today, -76 on the due date
    for unit in ("count", "seconds", "percent", "ratio"):
        result = pace(direction="higher_is_better", target=50.0, due=DUE, today=TODAY, current=falling[-1][1],
                      start=(START, 45.0), history=falling, unit=unit)
        assert result.projected == 0.0 and result.state is PaceState.OFF_TRACK
    money = pace(direction="higher_is_better", target=50.0, due=DUE, today=TODAY, current=falling[-1][1],
                 start=(START, 45.0), history=falling, unit="money")
    assert money.projected == pytest.approx(-14 - 62)
