"""A metric's typical band from its clean history points: the three benchmark kinds, as pure functions.

- ``rolling_stat``: μ ± σ of every day of the window. Amber beyond 1 σ, red beyond 2 σ.
- ``seasonal``: μ and σ of the same weekday of the last N weeks (the caller hands in, for 24h metrics,
  the same hour-of-week window of each of those days).
- ``robust``: median and MAD × 1.4826 of the window, or of the same weekday with ``weekly``.

The contract judges every band the same way — amber at 1 band unit from the centre, red at 2 — so the
kinds differ only in the centre and the unit they hand it. μ ± 1 σ is amber a third of the time on
honest noise; that is the old ``rolling_stat`` and it stays as it was. The weekday kinds measure the noise
of like-for-like days, so their unit is ``SPREADS_PER_BAND`` spreads: amber at 3 σ, red at 6 σ of that
noise (benchmarks/baselines.py measures what this costs in false ambers and late catches).

A floor keeps the unit from collapsing on a flat history: the header's ``floor``, 1 % of the centre,
and for counts √centre (the Poisson noise of a count). Too few clean points is "learning": no band.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping

MAD_SCALE = 1.4826  # MAD × 1.4826 estimates σ for normal noise
SPREADS_PER_BAND = 3.0
RELATIVE_FLOOR = 0.01
MIN_POINTS = 14  # a daily band needs this many clean days (or the whole window when shorter)
MIN_WEEKLY_POINTS = 4  # a weekday band needs this many clean same-weekday points


@dataclass(frozen=True)
class Spec:
    kind: str  # rolling_stat | seasonal | robust
    days: int  # the window, in days
    weekly: bool = False  # same weekday only (seasonal, or robust with seasonal: true)
    floor: float | None = None  # the smallest spread, in the metric's unit
    count: bool = False  # unit count: √centre is a floor too

    @classmethod
    def of(cls, kind: str, window_days: int | None, config: Mapping[str, Any] | None, unit: str) -> "Spec":
        config = config or {}
        weekly = bool(config.get("weekly", kind == "seasonal"))
        days = window_days or (56 if weekly else 28)
        return cls(kind, days, weekly, config.get("floor"), unit == "count")

    @property
    def needed(self) -> int:
        if self.weekly:
            return min(MIN_WEEKLY_POINTS, self.days // 7)
        return min(MIN_POINTS, self.days)


@dataclass(frozen=True)
class Band:
    centre: float | None
    unit: float | None  # amber at 1 unit from the centre, red at 2; None: no band (learning or flat)
    points: int  # clean points it was learned from
    needed: int

    @property
    def learning(self) -> bool:
        return self.points < self.needed


def window_points(spec: Spec, points: Mapping[date, float], today: date) -> list[float]:
    """The clean points the band of ``today`` reads: the window before today, same weekday if weekly."""
    start = today - timedelta(days=spec.days)
    return [v for d, v in sorted(points.items())
            if start <= d < today and (not spec.weekly or d.weekday() == today.weekday())]


def floor(spec: Spec, centre: float) -> float:
    bounds = [spec.floor or 0.0, RELATIVE_FLOOR * abs(centre)]
    if spec.count:
        bounds.append(math.sqrt(max(abs(centre), 1.0)))
    return max(bounds)


def learn(spec: Spec, points: Mapping[date, float], today: date) -> Band:
    """The band of ``today`` from clean (day → value) points (excluded days already left out)."""
    values = window_points(spec, points, today)
    if len(values) < max(spec.needed, 2):
        return Band(None, None, len(values), spec.needed)
    if spec.kind == "robust":
        centre = statistics.median(values)
        spread = MAD_SCALE * statistics.median(abs(v - centre) for v in values)
    else:
        centre = statistics.fmean(values)
        spread = statistics.stdev(values)
    spread = max(spread, floor(spec, centre))
    if spread <= 0:
        return Band(centre, None, len(values), spec.needed)  # flat at zero: only lines can judge it
    unit = spread if spec.kind == "rolling_stat" else SPREADS_PER_BAND * spread
    return Band(centre, unit, len(values), spec.needed)
