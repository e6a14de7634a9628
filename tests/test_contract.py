"""The metric contract: every branch and edge of status, freshness and target-hit."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from engine.contract import (
    FRESHNESS_LIMITS,
    Freshness,
    Status,
    crossed,
    freshness,
    lines_in_order,
    status,
    target_hit,
    z_score,
)

HI = "higher_is_better"
LO = "lower_is_better"
NAN = math.nan
INF = math.inf

# (case, value, direction, norm, alert, mean, stddev, failed, expected)
STATUS_CASES = [
    ("no lines is green", 10, HI, None, None, None, None, False, Status.GREEN),
    ("missing value is no_data", None, HI, 5, 1, None, None, False, Status.NO_DATA),
    ("NaN value is no_data", NAN, HI, 5, 1, None, None, False, Status.NO_DATA),
    ("infinite value is no_data", INF, LO, 5, 10, None, None, False, Status.NO_DATA),
    ("failed computation is error", 10, HI, 5, 1, None, None, True, Status.ERROR),
    ("failed beats a missing value", None, HI, None, None, None, None, True, Status.ERROR),
    # higher is better: crossed means at or below the line
    ("hi: above both lines is green", 10, HI, 5, 1, None, None, False, Status.GREEN),
    ("hi: below norm is amber", 4, HI, 5, 1, None, None, False, Status.AMBER),
    ("hi: exactly on norm is amber", 5, HI, 5, 1, None, None, False, Status.AMBER),
    ("hi: below alert is red", 0.5, HI, 5, 1, None, None, False, Status.RED),
    ("hi: exactly on alert is red", 1, HI, 5, 1, None, None, False, Status.RED),
    ("hi: negative value below alert is red", -3, HI, 0, -1, None, None, False, Status.RED),
    ("hi: negative value above lines is green", -0.5, HI, -1, -2, None, None, False, Status.GREEN),
    # lower is better: crossed means at or above the line
    ("lo: below both lines is green", 1, LO, 5, 10, None, None, False, Status.GREEN),
    ("lo: above norm is amber", 6, LO, 5, 10, None, None, False, Status.AMBER),
    ("lo: exactly on norm is amber", 5, LO, 5, 10, None, None, False, Status.AMBER),
    ("lo: above alert is red", 11, LO, 5, 10, None, None, False, Status.RED),
    ("lo: exactly on alert is red", 10, LO, 5, 10, None, None, False, Status.RED),
    ("lo: zero on a zero alert line is red", 0, LO, None, 0, None, None, False, Status.RED),
    # only one line set
    ("alert only, not crossed, is green", 3, LO, None, 10, None, None, False, Status.GREEN),
    ("norm only, crossed, is amber", 30, LO, 10, None, None, None, False, Status.AMBER),
    ("NaN line is ignored", 30, LO, NAN, NAN, None, None, False, Status.GREEN),
    # priority: lines beat the benchmark
    ("alert crossed beats a calm z", 11, LO, 5, 10, 11, 1, False, Status.RED),
    ("norm crossed beats a calm z", 6, LO, 5, 10, 6, 1, False, Status.AMBER),
    ("alert crossed beats an amber z", 11, LO, 5, 10, 10, 1, False, Status.RED),
    # z-score step
    ("|z| >= 2 is red", 120, HI, None, None, 100, 10, False, Status.RED),
    ("z = -2 exactly is red", 80, HI, None, None, 100, 10, False, Status.RED),
    ("|z| >= 1 is amber", 89, HI, None, None, 100, 10, False, Status.AMBER),
    ("z = 1 exactly is amber", 110, LO, None, None, 100, 10, False, Status.AMBER),
    ("|z| < 1 is green", 105, HI, None, None, 100, 10, False, Status.GREEN),
    ("sigma 0 skips the z step", 500, HI, None, None, 100, 0, False, Status.GREEN),
    ("sigma missing skips the z step", 500, HI, None, None, 100, None, False, Status.GREEN),
    ("mean missing skips the z step", 500, HI, None, None, None, 10, False, Status.GREEN),
    ("negative sigma skips the z step", 500, HI, None, None, 100, -5, False, Status.GREEN),
    ("NaN sigma skips the z step", 500, HI, None, None, 100, NAN, False, Status.GREEN),
    ("z applies with lines not crossed", 130, HI, 50, 10, 100, 10, False, Status.RED),
]


@pytest.mark.parametrize(
    "value,direction,norm,alert,mean,stddev,failed,expected",
    [case[1:] for case in STATUS_CASES],
    ids=[case[0] for case in STATUS_CASES],
)
def test_status_follows_the_contract_priority(value, direction, norm, alert, mean, stddev, failed, expected):
    got = status(
        value, direction=direction, norm_value=norm, alert_value=alert, mean=mean, stddev=stddev, failed=failed
    )
    assert got is expected


def test_status_refuses_an_unknown_direction():
    with pytest.raises(ValueError):
        status(1, direction="sideways")


def test_crossed_with_no_line_is_never_crossed():
    assert not crossed(-1e12, None, HI)
    assert not crossed(1e12, None, LO)


def test_z_score_is_signed_distance_in_sigmas():
    assert z_score(130, 100, 10) == pytest.approx(3.0)
    assert z_score(70, 100, 10) == pytest.approx(-3.0)
    assert z_score(70, 100, 0) is None


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)

# (period, age, expected)
FRESHNESS_CASES = [
    ("24h", timedelta(hours=1), Freshness.FRESH),
    ("24h", timedelta(hours=36), Freshness.FRESH),
    ("24h", timedelta(hours=36, seconds=1), Freshness.LATE),
    ("24h", timedelta(hours=72), Freshness.LATE),
    ("24h", timedelta(hours=72, seconds=1), Freshness.STALE),
    ("30d", timedelta(days=6), Freshness.FRESH),
    ("30d", timedelta(days=8), Freshness.LATE),
    ("30d", timedelta(days=15), Freshness.STALE),
    ("snapshot", timedelta(hours=23), Freshness.FRESH),
    ("snapshot", timedelta(hours=25), Freshness.LATE),
    ("snapshot", timedelta(hours=49), Freshness.STALE),
    ("7d", timedelta(hours=47), Freshness.FRESH),
    ("7d", timedelta(hours=49), Freshness.LATE),
    ("7d", timedelta(hours=97), Freshness.STALE),
    ("funnel", timedelta(days=2), Freshness.FRESH),
    ("funnel", timedelta(days=4), Freshness.LATE),
    ("funnel", timedelta(days=8), Freshness.STALE),
    ("24h", -timedelta(minutes=5), Freshness.FRESH),  # a source clock slightly ahead
]


@pytest.mark.parametrize("period,age,expected", FRESHNESS_CASES, ids=[f"{p}-{a}" for p, a, _ in FRESHNESS_CASES])
def test_freshness_by_period(period, age, expected):
    assert freshness(NOW - age, period, NOW) is expected


def test_freshness_without_a_sync_is_unknown_not_fresh():
    assert freshness(None, "24h", NOW) is Freshness.UNKNOWN


def test_every_period_has_freshness_limits_with_late_before_stale():
    from engine.store.models import PERIODS

    assert set(FRESHNESS_LIMITS) == set(PERIODS)
    for limits in FRESHNESS_LIMITS.values():
        assert limits.late_after < limits.stale_after


def test_freshness_is_independent_of_status():
    # A red value on fresh data and a green value on stale data are both possible.
    assert status(11, direction=LO, alert_value=10) is Status.RED
    assert freshness(NOW - timedelta(minutes=5), "24h", NOW) is Freshness.FRESH
    assert status(1, direction=LO, alert_value=10) is Status.GREEN
    assert freshness(NOW - timedelta(days=5), "24h", NOW) is Freshness.STALE


# (case, value, target, direction, status, expected)
TARGET_CASES = [
    ("hi: beats target on green", 120, 100, HI, Status.GREEN, True),
    ("hi: equal to target counts", 100, 100, HI, Status.GREEN, True),
    ("hi: short of target", 99, 100, HI, Status.GREEN, False),
    ("lo: beats target on green", 2, 3, LO, Status.GREEN, True),
    ("lo: above target", 4, 3, LO, Status.GREEN, False),
    ("never on amber", 120, 100, HI, Status.AMBER, False),
    ("never on red", 120, 100, HI, Status.RED, False),
    ("no target", 120, None, HI, Status.GREEN, False),
    ("no value", None, 100, HI, Status.GREEN, False),
    ("NaN target", 120, NAN, HI, Status.GREEN, False),
]


@pytest.mark.parametrize(
    "value,target,direction,current,expected", [c[1:] for c in TARGET_CASES], ids=[c[0] for c in TARGET_CASES]
)
def test_target_hit_only_lights_green_tiles(value, target, direction, current, expected):
    assert target_hit(value, target, direction, current) is expected


@pytest.mark.parametrize(
    "norm,alert,direction,expected",
    [
        (5, 1, HI, True),
        (1, 5, HI, False),
        (5, 10, LO, True),
        (10, 5, LO, False),
        (5, 5, LO, True),
        (None, 5, LO, True),
    ],
)
def test_norm_line_must_not_lie_beyond_the_alert_line(norm, alert, direction, expected):
    assert lines_in_order(norm, alert, direction) is expected


def test_crossing_names_the_deciding_line_and_the_distance():
    from engine.contract import crossing

    hit = crossing(80, direction=HI, norm_value=95, alert_value=90)
    assert (hit.line, hit.line_value, hit.by) == ("alert", 90.0, 10.0)
    assert hit.relative == pytest.approx(10 / 90)
    assert crossing(93, direction=HI, norm_value=95, alert_value=90).line == "norm"
    band = crossing(125, direction=HI, mean=100, stddev=10)
    assert (band.line, band.line_value, band.by) == ("band", 120.0, 5.0)
    assert crossing(99, direction=HI, norm_value=95, alert_value=90) is None
    assert crossing(None, direction=HI, alert_value=90) is None


@pytest.mark.parametrize("case", STATUS_CASES, ids=[c[0] for c in STATUS_CASES])
def test_crossing_agrees_with_status(case):
    from engine.contract import crossing

    _, value, direction, norm, alert, mean, stddev, failed, expected = case
    if failed or expected in (Status.NO_DATA, Status.ERROR):
        return
    hit = crossing(value, direction=direction, norm_value=norm, alert_value=alert, mean=mean, stddev=stddev)
    assert (hit is None) == (expected is Status.GREEN)
