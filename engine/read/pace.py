"""OKR pace: is a targeted metric on its way to its target by the due date? A pure function, no I/O.

Pace is a second judgement beside the status colour, never a colour of the tile: a metric can be
green today and off track for its target, or red today and still on pace. The method (docs/okr.md):

* the **pace line** runs from the value at the start of the target period to the target on the due date;
  the period starts on the first day of the current quarter, or on the day the target value last changed
  when that is later (the read model finds that value: ``engine.read.cards``);
* the **projection** is the least-squares line through the last ``TREND_DAYS`` daily values, carried on
  to the due date;
* the state follows from the current value, the date and that projection, in this order:
  achieved → missed → no data → on pace → behind → off track.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Sequence

# Four whole weeks: long enough to see a trend, and it spans each weekday equally often, so a
# weekly rhythm (busy weekdays, quiet weekends) does not tilt the line.
TREND_DAYS = 28
# A line through fewer values is noise, not a trend.
MIN_TREND_POINTS = 7
# A projection that still covers this share of the way to the target is "behind", less is "off track".
BEHIND_SHARE = 0.75
# A straight line carried months ahead can cross zero; a count, a duration, a share or a ratio cannot.
# (No upper bound: a percent such as "closed per opened" may exceed 100.) Money can be negative.
NON_NEGATIVE_UNITS = frozenset({"count", "seconds", "percent", "ratio"})


class PaceState(StrEnum):
    ACHIEVED = "achieved"
    ON_PACE = "on_pace"
    BEHIND = "behind"
    OFF_TRACK = "off_track"
    MISSED = "missed"
    NO_DATA = "no_data"  # no current value, or too few recent values to draw a trend


PACE_LABEL: dict[PaceState, str] = {
    PaceState.ACHIEVED: "achieved", PaceState.ON_PACE: "on pace", PaceState.BEHIND: "behind",
    PaceState.OFF_TRACK: "off track", PaceState.MISSED: "missed", PaceState.NO_DATA: "no trend yet",
}

# Worst first: what a board of targets shows at the top.
PACE_ORDER: dict[PaceState, int] = {
    PaceState.MISSED: 0, PaceState.OFF_TRACK: 1, PaceState.BEHIND: 2, PaceState.NO_DATA: 3,
    PaceState.ON_PACE: 4, PaceState.ACHIEVED: 5,
}


@dataclass(frozen=True)
class Pace:
    """Where a target stands: its state, the pace line's ends and where the recent trend leads."""

    state: PaceState
    target: float
    due: date
    start_day: date | None
    start_value: float | None
    current: float | None
    expected_now: float | None  # the pace line's value today: where the metric should be by now
    projected: float | None  # the trend's value on the due date
    slope_per_day: float | None
    trend_points: int
    progress: float | None  # share of the way from the start value to the target covered now (0..1, clamped)
    expected_progress: float | None  # share of the target period elapsed today (0..1)
    days_left: int
    reaches_on: date | None = None  # on pace: the day the trend meets the target (None: it does not by the due date)
    trend_now: float | None = None  # the trend line's value today (its intercept)

    @property
    def label(self) -> str:
        return PACE_LABEL[self.state]


def _meets(value: float, target: float, higher_is_better: bool) -> bool:
    return value >= target if higher_is_better else value <= target


def least_squares(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(intercept, slope) of the ordinary least-squares line through ``points``; None for fewer than 2 x's."""
    n = len(points)
    if n < 2:
        return None
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    return mean_y - slope * mean_x, slope


def _finite(x: float | int | None) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _share(part: float, whole: float) -> float:
    return min(1.0, max(0.0, part / whole)) if whole else 1.0


def pace(
    *,
    direction: str,
    target: float | None,
    due: date | None,
    today: date,
    current: float | None,
    start: tuple[date, float] | None = None,
    history: Sequence[tuple[date, float | None]] = (),
    unit: str | None = None,
) -> Pace | None:
    """The pace of one target; None when the metric has no target or no due date.

    ``start`` is (day, value) at the start of the target period (None when no value exists then);
    ``history`` is the daily values, any order, of which the last ``TREND_DAYS`` up to today count;
    ``unit`` keeps the projection of a count, duration, percent or ratio at or above zero.
    """
    target = _finite(target)
    if target is None or due is None:
        return None
    higher = direction == "higher_is_better"
    current = _finite(current)
    start_day, start_value = (start[0], _finite(start[1])) if start is not None else (None, None)
    if start_value is None:
        start_day = None
    days_left = (due - today).days

    expected_now = expected_progress = progress = None
    if start_day is not None and start_value is not None:
        span = (due - start_day).days
        expected_progress = _share((today - start_day).days, span) if span > 0 else 1.0
        expected_now = start_value + (target - start_value) * expected_progress
        if current is not None:
            progress = _share(current - start_value, target - start_value) if target != start_value else 1.0

    since = today - timedelta(days=TREND_DAYS - 1)
    recent = [((day - today).days, value) for day, value in history
              if since <= day <= today and _finite(value) is not None]
    fit = least_squares(recent) if len(recent) >= MIN_TREND_POINTS else None
    slope = projected = reaches_on = intercept = None
    if fit is not None:
        intercept, slope = fit
        if slope != 0 and 0 <= (target - intercept) / slope <= max(days_left, 0):
            reaches_on = today + timedelta(days=math.ceil((target - intercept) / slope))
        projected = intercept + slope * max(days_left, 0)
        if unit in NON_NEGATIVE_UNITS:
            projected = max(projected, 0.0)

    def result(state: PaceState) -> Pace:
        return Pace(state, target, due, start_day, start_value, current, expected_now, projected, slope,
                    len(recent), progress, expected_progress, days_left,
                    reaches_on if state is PaceState.ON_PACE else None, intercept)

    if current is None:
        return result(PaceState.NO_DATA)
    if _meets(current, target, higher):
        return result(PaceState.ACHIEVED)
    if days_left < 0:
        return result(PaceState.MISSED)
    if projected is None:
        return result(PaceState.NO_DATA)
    if _meets(projected, target, higher):
        return result(PaceState.ON_PACE)
    # How much of the way to the target the projection covers: measured from the start value when the
    # period began short of the target, else (it began beyond and slipped back) from today's value.
    origin = start_value if start_value is not None and not _meets(start_value, target, higher) else current
    covered = (projected - origin) / (target - origin)
    return result(PaceState.BEHIND if covered >= BEHIND_SHARE else PaceState.OFF_TRACK)
