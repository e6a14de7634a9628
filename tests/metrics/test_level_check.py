"""The level check (engine.metrics.baseline.Replay.level): a slow drift that stays inside every day's band is
amber once the last ten days together sit clearly off their bands — through the real band and status path —
while honest noise and a one-day spike leave the days after them green. And the one mapping from a
benchmark to the band it learns (``Spec.from_benchmark``), shared by metric files, the registry, discovery
and the backtest."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from engine.contract import Status
from engine.discover.backtest import learn_band
from engine.metrics import bands, baseline
from engine.metrics.baseline import Replay, Spec, flags
from engine.metrics.compute import today
from engine.metrics.files import parse_file
from engine.metrics.registry import sync
from engine.read import cards
from tests.support.factories import add_values

SEASONAL = Spec.from_benchmark({"kind": "seasonal", "weeks": 8}, "count")


def _volume(day: date, rng: random.Random, factor: float = 1.0) -> float:
    """A day of a business-banking volume: 1 000 on weekdays, 500 at weekends, 5 % day-to-day noise."""
    level = (500.0 if day.weekday() >= 5 else 1000.0) * factor
    return round(rng.gauss(level, 0.05 * level))


def _series(seed: int, end: date, days: int, change=lambda offset: 1.0, start: int | None = None) -> dict[date, float]:
    """``days`` days up to ``end``; from day index ``start`` on, each level times ``change(days since start)``."""
    rng = random.Random(seed)
    out = {}
    for i in range(days):
        day = end - timedelta(days=days - 1 - i)
        factor = change(i - start) if start is not None and i >= start else 1.0
        out[day] = _volume(day, rng, factor)
    return out


def _walk(points: dict[date, float]) -> list[tuple[date, bool]]:
    """Each day and whether its band (learned from the days before it) flags it, as the product replays."""
    walk = Replay(SEASONAL)
    return [(day, flags(walk.add(day, value), value)) for day, value in sorted(points.items())]


def _first_flag(points: dict[date, float], since: date) -> int | None:
    return next((i for i, (day, flagged) in enumerate(d for d in _walk(points) if d[0] >= since) if flagged), None)


@pytest.fixture()
def no_level(monkeypatch):
    """The rule before the level check: every day judged by its own band only."""
    def off():
        monkeypatch.setattr(baseline, "LEVEL_ERRORS", math.inf)
    return off


def _metric(db, folder) -> None:
    folder.write("mx", "SELECT 1", benchmark="{kind: seasonal, weeks: 8}", norm=None, alert=None,
                 direction="higher_is_better", unit="count")
    sync(db.engine(), folder.path)


def test_a_slow_drift_inside_every_days_band_is_amber_by_its_level(fresh_db, folder, no_level):
    # 16 weeks of a weekly volume, then +2 % a day for the last ten days: today is +20 %, inside today's
    # own band (a 3-σ prediction interval of eight Sundays' or Mondays' noise is about ±24 %).
    end = today()
    points = _series(4, end, 112, change=lambda offset: 1 + 0.02 * (offset + 1), start=102)
    _metric(fresh_db, folder)
    add_values(fresh_db, "mx", {(end - day).days: value for day, value in points.items()}, today=end)
    [band] = bands.refresh(fresh_db.engine(), end)
    assert cards.metric_cards(fresh_db.engine())[0].status is Status.AMBER
    assert points[end] > band.mean + band.stddev  # the band the wall shows says why
    # Without the level check the same history and the same day are green: the drift would still be news to come.
    no_level()
    bands.refresh(fresh_db.engine(), end)
    assert cards.metric_cards(fresh_db.engine())[0].status is Status.GREEN


@pytest.mark.parametrize("direction", [+1, -1], ids=["up", "down"])
def test_a_drift_is_flagged_days_before_its_own_band_would(direction, no_level):
    end = date(2026, 6, 30)
    caught, caught_before = [], []
    for seed in range(8):
        points = _series(seed, end, 140, change=lambda offset: 1 + direction * 0.02 * (offset + 1), start=110)
        caught.append(_first_flag(points, end - timedelta(days=29)) + 1)  # the drift's day, 1 = its first
        caught_before.append(None)
    no_level()
    for seed in range(8):
        points = _series(seed, end, 140, change=lambda offset: 1 + direction * 0.02 * (offset + 1), start=110)
        caught_before[seed] = _first_flag(points, end - timedelta(days=29)) + 1
    assert max(caught) <= 13, caught  # ±26 % at the latest
    assert sum(caught) <= sum(caught_before) - 8, (caught, caught_before)  # a day or two earlier, on average
    assert all(a <= b for a, b in zip(caught, caught_before)), (caught, caught_before)


def test_months_of_honest_noise_get_no_amber_from_the_level_check(no_level):
    end = date(2026, 6, 30)
    with_level = [sum(flagged for _, flagged in _walk(_series(seed, end, 240))[84:]) for seed in range(10)]
    no_level()
    without = [sum(flagged for _, flagged in _walk(_series(seed, end, 240))[84:]) for seed in range(10)]
    assert with_level == without  # 1 560 honest days: the level check adds not one amber


def test_a_one_day_spike_does_not_make_the_days_after_it_amber():
    end = date(2026, 6, 30)
    for seed in range(8):
        points = _series(seed, end, 140)
        spike = end - timedelta(days=12)
        points[spike] *= 1.6
        judged = dict(_walk(points))
        assert judged[spike]  # the spike itself is the band's news...
        assert not [day for day, flagged in judged.items() if day > spike and flagged]  # ...not a level


def test_one_mapping_from_a_benchmark_to_its_band(folder):
    """The header, the registry's copy of it, discovery's backtest and benchmarks/baselines.py agree."""
    for header, expected in (("{kind: seasonal}", Spec("seasonal", 56, True, None, True)),
                             ("{kind: seasonal, weeks: 6}", Spec("seasonal", 42, True, None, True)),
                             ("{kind: robust, seasonal: true, floor: 3}", Spec("robust", 56, True, 3.0, True)),
                             ("{kind: robust, window_days: 90}", Spec("robust", 90, False, None, True)),
                             ("{kind: rolling_stat}", Spec("rolling_stat", 28, False, None, True))):
        definition, errors = parse_file(folder.write("mx", benchmark=header, unit="count"))
        assert not errors
        registry = bands.spec_of(type("Row", (), {"benchmark_kind": definition.benchmark_kind,
                                                  "benchmark_window_days": definition.benchmark_window_days,
                                                  "benchmark_config": definition.benchmark_config,
                                                  "unit": "count"})())
        assert definition.header.benchmark.spec("count") == registry == expected, header
    with pytest.raises(ValueError, match="unknown benchmark kind 'weekly'"):
        Spec.from_benchmark({"kind": "weekly"}, "count")


def test_discovery_learns_a_robust_weekday_band_from_seasonal_true():
    # Discovery read `weekly` where a header writes `seasonal: true`, so its backtest judged a robust weekday
    # candidate against every day of the window; now it reads the header through the same mapping.
    end = date(2026, 6, 30)
    points = {day: value for day, value in _series(1, end, 84).items() if day < end}
    sunday = next(end + timedelta(days=i) for i in range(7) if (end + timedelta(days=i)).weekday() == 6)
    centre, _ = learn_band({"kind": "robust", "seasonal": True, "weeks": 8}, points, sunday)
    assert centre == pytest.approx(500, rel=0.06)  # Sundays only, not the median of every day (1 000)


def test_a_small_lasting_step_is_news_for_two_weeks_then_the_new_normal():
    # −15 % from one day on: inside most days' bands (about ±24 %), the level check sees it within three
    # weeks; after one hold (14 days) from its first day off it stands down and the band learns the new level
    # instead of staying amber for good.
    end = date(2026, 6, 30)
    for seed in range(6):
        points = _series(seed, end, 160, change=lambda offset: 0.85, start=110)
        judged = _walk(points)[110:]
        assert any(flagged for _, flagged in judged[:20]), seed
        assert not any(flagged for _, flagged in judged[-14:]), seed


@pytest.mark.parametrize("level_centre, level_unit, amber_from", [
    (900, 450, None),  # they lean a little high, not enough: nothing moves
    (800, 350, 1150),  # they lean high: amber from the level check's edge
    (300, 100, 1100),  # far high: amber from half a unit above the centre, no nearer
])
def test_the_level_check_moves_the_amber_edge_never_the_red_one(level_centre, level_unit, amber_from):
    band = baseline.Band(1000.0, 200.0, 8, 4)  # amber beyond 800–1200, red beyond 600–1400
    moved = baseline.narrow(band, baseline.Band(float(level_centre), float(level_unit), 8, 4))
    if amber_from is None:
        assert moved == band
        return
    assert moved.centre + moved.unit == pytest.approx(amber_from)
    assert moved.centre + 2 * moved.unit == pytest.approx(1400)  # red where the band put it
    assert moved.centre >= band.centre - band.unit  # the centre the metric page shows moves one unit at most
