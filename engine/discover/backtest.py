"""Backtest a candidate over the landed history: what would its tile have said, day by day?

Each past day is judged like the wall judges today: the day's value against the
candidate's lines and against the band learned from the days before it
(``learn_band``), by ``engine.contract.status``. Days inside a known incident of
the candidate's table are not "normal"; a red or amber on any other day is a
false alarm. For each known incident, the first red day on or after its start (for candidates on a table it touches)
says whether (and how late) the candidate would have caught it. Correlation with
the history of the existing metrics flags near-duplicates.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Mapping

from engine import contract
from engine.metrics import baseline

CAUGHT_WITHIN_DAYS = 2  # a candidate catches an incident when it is red this many days after its start at most
DUPLICATE_CORRELATION = 0.95
MIN_OVERLAP = 20  # days two series share before their correlation means anything


@dataclass(frozen=True)
class KnownIncident:
    """An incident someone knows about: when it started and which landed tables it touches."""

    id: str
    start: datetime
    tables: tuple[str, ...]  # "webbank.core.payment": source.schema.table

    @property
    def start_day(self) -> date:
        return self.start.date()


def _spec(benchmark: Mapping[str, Any] | None, unit: str) -> baseline.Spec | None:
    if not benchmark or benchmark.get("kind") in (None, "none"):
        return None
    return baseline.Spec.from_benchmark(benchmark, unit)


def _pair(band: baseline.Band) -> tuple[float, float] | None:
    if band.learning or band.centre is None or band.unit is None:
        return None
    return band.centre, band.unit


def learn_band(benchmark: Mapping[str, Any] | None, points: Mapping[date, float], day: date,
               unit: str = "count") -> tuple[float, float] | None:
    """(centre, band unit) the wall would have had on ``day`` from the days before it; None while learning
    or without a band. Every kind is learned by the metrics layer's own band code
    (``engine.metrics.baseline.replay``: days its band flagged held out), so the backtest and the wall
    cannot disagree."""
    spec = _spec(benchmark, unit)
    return None if spec is None else _pair(baseline.replay(spec, points, day)[0])


@dataclass
class DayPoint:
    day: str
    value: float | None
    mean: float | None
    stddev: float | None
    status: str


@dataclass
class Catch:
    incident: str
    start_day: str
    first_red: str | None
    days_late: int | None

    @property
    def caught(self) -> bool:
        return self.days_late is not None and self.days_late <= CAUGHT_WITHIN_DAYS


@dataclass
class Backtest:
    """A candidate's backtest: its days, false alarms on normal days, incidents caught, duplicate of."""

    candidate_id: str
    points: list[DayPoint] = field(default_factory=list)
    norm: float | None = None
    alert: float | None = None
    normal_days: int = 0
    false_ambers: int = 0
    false_reds: int = 0
    catches: list[Catch] = field(default_factory=list)
    duplicate_of: str | None = None
    correlation: float | None = None
    error: str | None = None

    @property
    def false_ambers_per_week(self) -> float:
        return 7.0 * self.false_ambers / self.normal_days if self.normal_days else 0.0

    @property
    def false_reds_per_week(self) -> float:
        return 7.0 * self.false_reds / self.normal_days if self.normal_days else 0.0

    @property
    def false_reds_per_month(self) -> float:
        return 30.0 * self.false_reds / self.normal_days if self.normal_days else 0.0

    @property
    def caught(self) -> list[Catch]:
        return [c for c in self.catches if c.caught]

    @property
    def usefulness(self) -> float:
        """Incidents caught early score most; false alarms and being a duplicate cost."""
        if self.error or not self.normal_days:
            return -100.0
        score = sum(10.0 - 2.0 * (c.days_late or 0) for c in self.caught)
        score -= 4.0 * self.false_reds_per_month + 0.5 * self.false_ambers_per_week
        if self.duplicate_of:
            score -= 5.0
        return round(score, 2)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            false_ambers_per_week=round(self.false_ambers_per_week, 3),
            false_reds_per_week=round(self.false_reds_per_week, 3),
            false_reds_per_month=round(self.false_reds_per_month, 3), usefulness=self.usefulness,
        )
        return data


def _incident_days(incidents: list[KnownIncident], table: str, last: date) -> dict[date, str]:
    days: dict[date, str] = {}
    for incident in incidents:
        if table not in incident.tables:
            continue
        day = incident.start_day
        while day <= last:
            days.setdefault(day, incident.id)
            day += timedelta(days=1)
    return days


def run(candidate_id: str, table: str, direction: str, benchmark: Mapping[str, Any] | None,
        norm: float | None, alert: float | None, series: Mapping[date, float | None],
        incidents: list[KnownIncident], unit: str = "count") -> Backtest:
    """Judge every day of ``series`` (the past days and today) as the wall would have."""
    result = Backtest(candidate_id, norm=norm, alert=alert)
    points = {d: v for d, v in series.items() if v is not None and math.isfinite(v)}
    if not points:
        result.error = "no history: the history SQL returned no values"
        return result
    days = sorted(series)
    in_incident = _incident_days(incidents, table, days[-1])
    first_red: dict[str, date] = {}
    spec = _spec(benchmark, unit)
    walk = baseline.Replay(spec) if spec else None  # the same day-by-day walk as learn_band, once
    for day in days:
        value = series[day]
        band = None
        if walk is not None:
            band = _pair(walk.add(day, points[day]) if day in points else walk.band(day))
        mean, stddev = band if band else (None, None)
        status = contract.status(value, direction=direction, norm_value=norm, alert_value=alert,
                                 mean=mean, stddev=stddev).value
        result.points.append(DayPoint(day.isoformat(), value, mean, stddev, status))
        incident = in_incident.get(day)
        learning = benchmark is not None and benchmark not in ("none",) and band is None and norm is None \
            and alert is None
        if incident is None:
            if not learning and value is not None:
                result.normal_days += 1
                result.false_reds += status == "red"
                result.false_ambers += status == "amber"
        elif status == "red":
            first_red.setdefault(incident, day)
    for incident in incidents:
        if table not in incident.tables or incident.start_day > days[-1]:
            continue
        red = first_red.get(incident.id)
        result.catches.append(Catch(incident.id, incident.start_day.isoformat(), red.isoformat() if red else None,
                                    (red - incident.start_day).days if red else None))
    return result


def correlation(a: Mapping[date, float | None], b: Mapping[date, float | None]) -> float | None:
    """Rank (Spearman) correlation over the days both series have; None with too few days or a flat series.

    Ranks, not values: two series that both jump on the last day of an incident are not alike.
    """
    shared = [(a[d], b[d]) for d in a.keys() & b.keys() if a[d] is not None and b[d] is not None]
    if len(shared) < MIN_OVERLAP:
        return None
    xs, ys = zip(*shared)
    try:
        return statistics.correlation(_ranks(xs), _ranks(ys))
    except statistics.StatisticsError:
        return None


def _ranks(values: tuple[float, ...]) -> list[float]:
    """Average ranks (ties share the mean of their positions)."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2.0
        start = end + 1
    return ranks


def flag_duplicate(result: Backtest, series: Mapping[date, float | None],
                   existing: Mapping[str, Mapping[date, float | None]]) -> None:
    """Name the existing metric the candidate moves with (|r| ≥ DUPLICATE_CORRELATION), if any."""
    best: tuple[float, str] | None = None
    for metric_id, other in existing.items():
        r = correlation(series, other)
        if r is not None and (best is None or abs(r) > abs(best[0])):
            best = (r, metric_id)
    if best:
        result.correlation = round(best[0], 3)
        if abs(best[0]) >= DUPLICATE_CORRELATION:
            result.duplicate_of = best[1]
