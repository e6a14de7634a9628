"""A metric's typical band from its clean history points: the three benchmark kinds, as pure functions.

- ``rolling_stat``: μ ± σ of every day of the window. Amber beyond 1 σ, red beyond 2 σ.
- ``seasonal``: μ and σ of the same weekday of the last N weeks (the caller hands in, for 24h metrics,
  the same hour-of-week window of each of those days), each brought to today's level by the weekly growth
  of the last eight weeks.
- ``robust``: median and MAD × 1.4826 of the window, or of the same weekday with ``weekly``.

The contract judges every band the same way — amber at 1 band unit from the centre, red at 2 — so the
kinds differ only in the centre and the unit they hand it. μ ± 1 σ is amber a third of the time on
honest noise; that is the old ``rolling_stat`` and it stays as it was. The weekday and robust kinds measure the
noise of like-for-like days, so their unit is a 3-σ prediction interval of that noise (``band_spreads``:
about 4.8 σ from eight weekly points, 3.1 σ from ninety days); red at twice that.
benchmarks/baselines.py measures what this costs in false ambers and late catches.

A floor keeps the unit from collapsing on a flat history: the header's ``floor``, 1 % of the centre,
and for counts √centre (the Poisson noise of a count). Too few clean points is "learning": no band.

``Replay`` walks the history day by day and keeps a day the band itself flagged (amber or red) out of the
bands of the next ``HOLD_DAYS`` days: a slow drift is judged against the level before it instead of being
learned as it goes, and a lasting new level is learned once its first days are ``HOLD_DAYS`` old. Its band
is also the common green stretch with the band of ``LAG_DAYS`` earlier (``earlier``, ``overlap``): a drift
the latest weeks have begun to absorb is still measured against where the metric stood before it.
``rolling_stat`` holds nothing: its amber at 1 σ is a third of honest days, not an anomaly.
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
LAG_DAYS = 14  # the second reference: the band of the same weekday two weeks earlier, brought to today's level
HOLD_DAYS = 14  # a day the band itself flagged stays out of later bands this long, then a lasting level is learned
GROWTH_LIMIT = 1.03  # the weekly growth a weekday band follows, at most (and 1/1.03 for a decline): faster is news
LEVEL_DAYS = 10  # the level check: the mean offset of the last ten days (today included) from their own bands …
LEVEL_ERRORS = 4.75  # … is amber this many standard errors of that mean from zero (1.5 σ of one day, over ten days)
LEVEL_MIN_DAYS = 5  # fewer of those days with a band (a new metric, an acknowledged incident): no level check


KINDS = ("rolling_stat", "seasonal", "robust")
DEFAULT_WEEKS, DEFAULT_WINDOW_DAYS = 8, 28  # a weekday kind's weeks, the other kinds' days, when the header says none


@dataclass(frozen=True)
class Spec:
    kind: str  # rolling_stat | seasonal | robust
    days: int  # the window, in days
    weekly: bool = False  # same weekday only (seasonal, or robust with seasonal: true)
    floor: float | None = None  # the smallest spread, in the metric's unit
    count: bool = False  # unit count: √centre is a floor too

    @classmethod
    def from_benchmark(cls, benchmark: Mapping[str, Any], unit: str) -> "Spec":
        """The one mapping from a benchmark to the band it learns — for the metric files, the registry, metric
        discovery's backtest and benchmarks/baselines.py alike. ``benchmark`` is a header's ``benchmark:``
        (``kind``, ``weeks`` or ``window_days``, ``seasonal``, ``floor``) or what the registry keeps of it
        (``kind``, ``window_days`` already in days, ``weekly``, ``floor``). An unknown kind is a ValueError."""
        kind = benchmark.get("kind")
        if kind not in KINDS:
            raise ValueError(f"unknown benchmark kind {kind!r}: use one of {', '.join(KINDS)}")
        weekly = bool(benchmark.get("weekly", kind == "seasonal" or benchmark.get("seasonal", False)))
        weeks = benchmark.get("weeks")
        days = 7 * weeks if weeks else benchmark.get("window_days") or (
            7 * DEFAULT_WEEKS if weekly else DEFAULT_WINDOW_DAYS)
        return cls(kind, int(days), weekly, benchmark.get("floor"), unit == "count")

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


def weekly_growth(points: Mapping[date, float], today: date) -> float:
    """How much the metric grows a week: the mean of the last four weeks over the four before (whole weeks,
    so the weekday mix is the same), as a weekly factor. 1 when either half is too thin to say."""
    recent = [v for d, v in points.items() if today - timedelta(days=28) <= d < today]
    earlier = [v for d, v in points.items() if today - timedelta(days=56) <= d < today - timedelta(days=28)]
    if len(recent) < 21 or len(earlier) < 21:
        return 1.0
    before, after = statistics.fmean(earlier), statistics.fmean(recent)
    if before <= 0 or after <= 0:
        return 1.0
    return min(GROWTH_LIMIT, max(1 / GROWTH_LIMIT, (after / before) ** (1 / 4)))


def window_points(spec: Spec, points: Mapping[date, float], today: date) -> list[float]:
    """The clean points the band of ``today`` reads: the window before today. Weekly: the same weekday
    only, each brought forward to today's level by the growth since (a growing business would otherwise
    sit above the average of its own past weeks)."""
    start = today - timedelta(days=spec.days)
    if not spec.weekly:
        return [v for d, v in sorted(points.items()) if start <= d < today]
    growth = weekly_growth(points, today)
    return [v * growth ** ((today - d).days // 7) for d, v in sorted(points.items())
            if start <= d < today and d.weekday() == today.weekday()]


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
    unit = spread if spec.kind == "rolling_stat" else band_spreads(len(values)) * spread
    return Band(centre, unit, len(values), spec.needed)


def band_spreads(n: int) -> float:
    """How many spreads from the centre amber starts, learned from ``n`` points: ``SPREADS_PER_BAND`` as a
    prediction interval — Student's t with n − 1 degrees of freedom at the same tail probability (Cornish–
    Fisher expansion), times √(1 + 1/n) for the uncertainty of the centre. Eight points give 4.8; ninety, 3.1.
    Fewer points, less known about the noise, a wider band: what keeps eight Sundays from crying wolf."""
    z, nu = SPREADS_PER_BAND, max(n - 1, 1)
    t = (z + (z**3 + z) / (4 * nu) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * nu**2)
         + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * nu**3))
    return t * math.sqrt(1 + 1 / max(n, 1))


def flags(band: Band, value: float) -> bool:
    """Whether ``band`` calls ``value`` amber or red (the contract's |z| ≥ 1)."""
    return (not band.learning and band.centre is not None and band.unit is not None
            and abs(value - band.centre) >= band.unit)


class Replay:
    """A metric's clean history walked day by day: each day is judged against the band learned from the
    days before it, and a day that band flagged stays out of the bands of the next ``hold`` days.

    Bounded on purpose. Held for ever, a genuine new level (a lost customer segment, a new product line)
    would stay amber for good and the band would go numb in the other direction; held ``hold`` days, the
    first days of a lasting level come back once they are that old, while a drift that keeps moving stays
    ahead of a band that lags it by ``hold`` days.

    Held kinds also run the **level check** (``level``): each day's offset from its own band is remembered,
    and today's amber edge on the side the recent days lean to moves in to where the mean offset of the last
    ``LEVEL_DAYS`` days, today's included, leaves ``LEVEL_ERRORS`` standard errors of zero (``narrow``). A
    drift of +2 % a day sits inside every day's band for a week or two, but ten days all a little high are
    not noise. The level check speaks for one hold (``HOLD_DAYS``) from the first day its level went off: by
    then a drift has left every band, and a lasting new level must be learned like any other (the hold's
    rule), not kept amber by a band that is still mixing it with the old one."""

    def __init__(self, spec: Spec, hold: int = HOLD_DAYS):
        self.spec = spec
        self.hold = 0 if spec.kind == "rolling_stat" else hold
        self.points: dict[date, float] = {}
        self.flagged: set[date] = set()
        self.offsets: dict[date, Offset] = {}  # each day's offset from its own band, for the level check
        self.level_since: date | None = None  # the first day of the level check's current spell off
        self._quiet = 0  # days in a row the level has been back within its limit
        self._keep = timedelta(days=max(spec.days, 56) + 1)  # what learn() reads: the window and 8 weeks of growth

    def held(self, today: date) -> set[date]:
        """The days the band of ``today`` leaves out because an earlier band flagged them."""
        return {d for d in self.flagged if 0 < (today - d).days <= self.hold}

    def _bands(self, today: date) -> tuple[Band, Band]:
        """The band of the latest weeks alone, and the band ``today`` is judged by."""
        held = self.held(today)
        kept = {d: v for d, v in self.points.items() if d not in held}
        recent = learn(self.spec, kept, today)
        if not self.hold:
            return recent, recent
        band = overlap(self.spec, recent, earlier(self.spec, kept, today))
        if self.level_since is not None and (today - self.level_since).days >= self.hold:
            return recent, band  # off for a whole hold: a drift is the band's own news by now, a level its new normal
        return recent, narrow(band, self.level(today, recent))

    def band(self, today: date) -> Band:
        return self._bands(today)[1]

    def level(self, today: date, recent: Band) -> Band:
        """The level check as a band for ``today``: the values that keep the mean offset of the last
        ``LEVEL_DAYS`` days (today's included) from their own bands within ``LEVEL_ERRORS`` standard errors.
        Offsets are relative to each day's centre and the error is pooled over those days' relative spreads
        (one weekday's eight points say little about its noise; ten days of every weekday say more), so a
        weekend half as busy weighs the same. A learning band (no level known) is returned when the check
        cannot be made: too few days, or a centre at or below zero (no relative offset)."""
        none = Band(None, None, 0, 1)
        if recent.learning or recent.centre is None or recent.unit is None or recent.centre <= 0:
            return none
        since = today - timedelta(days=LEVEL_DAYS)
        past = [o for d, o in self.offsets.items() if since < d < today and d in self.points]
        if len(past) + 1 < LEVEL_MIN_DAYS:
            return none
        spread = recent.unit / band_spreads(recent.points) / recent.centre
        pooled = math.sqrt(statistics.fmean([o.spread**2 for o in past] + [spread**2]))
        n = len(past) + 1
        limit = n * LEVEL_ERRORS * pooled / math.sqrt(n)  # on the sum of the n relative offsets
        others = sum(o.offset for o in past)
        return Band(recent.centre * (1 - others), recent.centre * limit, recent.points, recent.needed)

    def add(self, day: date, value: float) -> Band:
        """Judge ``value`` of ``day`` against the band of the days before it, then remember it."""
        recent, band = self._bands(day)
        if self.hold and flags(band, value):
            self.flagged.add(day)
        if self.hold:
            self._spell(day, flags(self.level(day, recent), value))
        if self.hold and not recent.learning and recent.centre and recent.unit and recent.centre > 0:
            # Clipped at the band's amber distance: a one-day spike is the band's news, not a level.
            reach = recent.unit / recent.centre
            self.offsets[day] = Offset(max(-reach, min(reach, value / recent.centre - 1)),
                                       recent.unit / band_spreads(recent.points) / recent.centre)
        self.points[day] = value
        old = [d for d in self.points if d < day - self._keep]
        for d in old:
            del self.points[d]
        self.flagged = {d for d in self.flagged if d >= day - self._keep}
        self.offsets = {d: o for d, o in self.offsets.items() if day - d < timedelta(days=LEVEL_DAYS)}
        return band


    def _spell(self, day: date, off: bool) -> None:
        """Track how long the level has been off: a spell ends after ``LEVEL_DAYS`` days in a row back within."""
        if off:
            self._quiet = 0
            if self.level_since is None:
                self.level_since = day
            return
        self._quiet += 1
        if self._quiet >= LEVEL_DAYS:
            self.level_since = None


@dataclass(frozen=True)
class Offset:
    offset: float  # (value − centre) / centre of the day's own band, clipped at its amber distance
    spread: float  # that band's spread (σ) over its centre


def replay(spec: Spec, points: Mapping[date, float], today: date, hold: int = HOLD_DAYS) -> tuple[Band, set[date]]:
    """The band of ``today`` from clean points, with the days earlier bands flagged held out (``Replay``);
    and the days it held out. Give it history from ``replay_days`` before today so the bands of the
    held days had their own windows."""
    walk = Replay(spec, hold)
    for day, value in sorted(points.items()):
        if day < today:
            walk.add(day, value)
    return walk.band(today), walk.held(today)


def replay_days(spec: Spec) -> int:
    """How far back ``replay`` wants history: a window (and the growth's eight weeks) for each band of the
    held days, and the held days before those."""
    return max(spec.days, 56) + 2 * HOLD_DAYS


def earlier(spec: Spec, points: Mapping[date, float], today: date, lag: int = LAG_DAYS) -> Band:
    """The second reference: the band of ``lag`` days ago (the same weekday), learned from the days before
    it and brought forward by the weekly growth measured then. A drift that the latest weeks have started
    to absorb is still measured against where the metric stood before it began."""
    then = today - timedelta(days=lag)
    band = learn(spec, {d: v for d, v in points.items() if d < then}, then)
    if band.learning or band.centre is None or band.unit is None or not spec.weekly:
        return band
    growth = weekly_growth(points, then) ** (lag // 7)
    return Band(band.centre * growth, band.unit * growth, band.points, band.needed)


def overlap(spec: Spec, recent: Band, before: Band) -> Band:
    """One band whose green stretch is where both references are green: a value must be typical of the
    latest weeks *and* of the weeks before the last ``LAG_DAYS``. When the two do not overlap (a change in
    the last two weeks that the latest band has already taken in), the stretch between them, at the floor."""
    if recent.learning or before.learning or None in (recent.centre, recent.unit, before.centre, before.unit):
        return recent
    low = max(recent.centre - recent.unit, before.centre - before.unit)
    high = min(recent.centre + recent.unit, before.centre + before.unit)
    centre = (low + high) / 2
    return Band(centre, max((high - low) / 2, floor(spec, centre)), recent.points, recent.needed)


def narrow(band: Band, level: Band) -> Band:
    """``band`` with the level check folded in: on the side the last days lean to, amber starts where the level
    check's band ends — but no nearer than half a unit from ``band``'s centre (a value near the norm is not
    news, whatever the days before it did) — while red stays where ``band`` put it: the level check calls
    amber, never red. So the centre moves by at most one unit and the unit grows by at most half; the other
    side widens by as much (a low day in a run of high ones is the lesser news)."""
    if band.learning or level.learning or None in (band.centre, band.unit, level.centre, level.unit):
        return band
    centre, unit = band.centre, band.unit
    high = min(centre + unit, max(centre + unit / 2, level.centre + level.unit))
    low = max(centre - unit, min(centre - unit / 2, level.centre - level.unit))
    if high < centre + unit:  # the last days ran high: amber from ``high``, red still at centre + 2 units
        wider = centre + 2 * unit - high
        return Band(high - wider, wider, band.points, band.needed)
    if low > centre - unit:
        wider = low - (centre - 2 * unit)
        return Band(low + wider, wider, band.points, band.needed)
    return band
