"""The metric contract: status, freshness and target-hit, as pure functions.

Every surface (tile, API, alert, MCP answer) calls these and nothing else
decides a colour, so two surfaces can never disagree. No I/O here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A metric id is its file name: what every surface (file, API path, page route) accepts.
METRIC_ID_PATTERN = r"^[a-z][a-z0-9_]{1,62}$"


class Status(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    NO_DATA = "no_data"
    ERROR = "error"


class Freshness(StrEnum):
    FRESH = "fresh"
    LATE = "late"  # amber on the freshness chip
    STALE = "stale"  # red on the freshness chip
    UNKNOWN = "unknown"  # never synced: no source_as_of at all


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


# Attention order of the cockpit: what is broken first, green last.
STATUS_ORDER: dict[Status, int] = {
    Status.RED: 0, Status.AMBER: 1, Status.ERROR: 2, Status.NO_DATA: 3, Status.GREEN: 4,
}

# Z-score lines of the rolling μ ± σ benchmark.
Z_RED = 2.0
Z_AMBER = 1.0


@dataclass(frozen=True)
class FreshnessLimits:
    late_after: timedelta
    stale_after: timedelta


# The age of source data after which a value of this period is late / stale.
# 24h, 30d and snapshot come from the seed; 7d and funnel are ours
# (docs/decisions.md, "Freshness of 7d and funnel metrics").
FRESHNESS_LIMITS: dict[str, FreshnessLimits] = {
    "snapshot": FreshnessLimits(timedelta(hours=24), timedelta(hours=48)),
    "24h": FreshnessLimits(timedelta(hours=36), timedelta(hours=72)),
    "7d": FreshnessLimits(timedelta(hours=48), timedelta(hours=96)),
    "30d": FreshnessLimits(timedelta(days=7), timedelta(days=14)),
    "funnel": FreshnessLimits(timedelta(days=3), timedelta(days=7)),
}


def _number(x: float | int | None) -> float | None:
    """``x`` as a finite float, or None when it is missing or not a real number."""
    if x is None or isinstance(x, bool):
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def crossed(value: float, line: float | None, direction: Direction | str) -> bool:
    """True when ``value`` is on the wrong side of ``line``; exactly on the line counts as crossed."""
    line = _number(line)
    if line is None:
        return False
    if Direction(direction) is Direction.HIGHER_IS_BETTER:
        return value <= line
    return value >= line


def z_score(value: float, mean: float | None, stddev: float | None) -> float | None:
    """How many σ ``value`` lies from μ; None when there is no usable band (σ missing or ≤ 0)."""
    mean, stddev = _number(mean), _number(stddev)
    if mean is None or stddev is None or stddev <= 0:
        return None
    return (value - mean) / stddev


def status(
    value: float | int | None,
    *,
    direction: Direction | str,
    norm_value: float | None = None,
    alert_value: float | None = None,
    mean: float | None = None,
    stddev: float | None = None,
    failed: bool = False,
) -> Status:
    """The colour of a metric value, by the fixed priority of the contract.

    1. alert line crossed → red; 2. norm line crossed → amber;
    3. |z| ≥ 2 → red, |z| ≥ 1 → amber (only with μ and σ > 0); 4. green.
    A failed computation is ``error`` and a missing or non-finite value is
    ``no_data`` — never green.
    """
    Direction(direction)  # an unknown direction is a programming error, fail loudly
    if failed:
        return Status.ERROR
    number = _number(value)
    if number is None:
        return Status.NO_DATA
    if crossed(number, alert_value, direction):
        return Status.RED
    if crossed(number, norm_value, direction):
        return Status.AMBER
    z = z_score(number, mean, stddev)
    if z is not None:
        if abs(z) >= Z_RED:
            return Status.RED
        if abs(z) >= Z_AMBER:
            return Status.AMBER
    return Status.GREEN


def freshness(source_as_of: datetime | None, period: str, now: datetime) -> Freshness:
    """How current the source data behind a value is, on its own scale (not the status)."""
    if source_as_of is None:
        return Freshness.UNKNOWN
    limits = FRESHNESS_LIMITS[period]
    age = now - source_as_of
    if age > limits.stale_after:
        return Freshness.STALE
    if age > limits.late_after:
        return Freshness.LATE
    return Freshness.FRESH


def target_hit(
    value: float | int | None,
    target_value: float | None,
    direction: Direction | str,
    current_status: Status | str,
) -> bool:
    """True when a green value meets or beats its target (display only, never a colour)."""
    number, target = _number(value), _number(target_value)
    if number is None or target is None or Status(current_status) is not Status.GREEN:
        return False
    if Direction(direction) is Direction.HIGHER_IS_BETTER:
        return number >= target
    return number <= target


def lines_in_order(norm_value: float | None, alert_value: float | None, direction: Direction | str) -> bool:
    """True unless the amber line lies beyond the red line for the direction (a config error)."""
    norm, alert = _number(norm_value), _number(alert_value)
    if norm is None or alert is None:
        return True
    if Direction(direction) is Direction.HIGHER_IS_BETTER:
        return norm >= alert
    return norm <= alert


@dataclass(frozen=True)
class Crossing:
    """Which line a value crossed and by how much — what a red or amber tile says beside its number."""

    line: str  # "alert" | "norm" | "band"
    line_value: float
    by: float  # how far past the line, in the metric's unit (for "band": in σ past 1σ/2σ)
    relative: float  # ``by`` as a share of the line (or σ past the band edge), for ordering


def crossing(
    value: float | int | None,
    *,
    direction: Direction | str,
    norm_value: float | None = None,
    alert_value: float | None = None,
    mean: float | None = None,
    stddev: float | None = None,
) -> Crossing | None:
    """The line that decided a red/amber status, following the same priority as ``status``."""
    number = _number(value)
    if number is None:
        return None
    for name, line in (("alert", _number(alert_value)), ("norm", _number(norm_value))):
        if line is not None and crossed(number, line, direction):
            by = abs(number - line)
            return Crossing(name, line, by, by / abs(line) if line else by)
    z = z_score(number, mean, stddev)
    if z is not None and abs(z) >= Z_AMBER:
        edge = Z_RED if abs(z) >= Z_RED else Z_AMBER
        assert mean is not None and stddev is not None
        line = float(mean) + (edge if z > 0 else -edge) * float(stddev)
        return Crossing("band", line, abs(number - line), abs(z) - edge)
    return None
