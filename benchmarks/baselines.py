"""Baselines backtest (issue #15): how often each benchmark kind cries wolf, and how fast it catches a real change.

Run on demand (not a test)::

    .venv/bin/python benchmarks/baselines.py [--metrics 30] [--days 365] [--seed 15] [--hold 14]

For every benchmark kind it replays a year, day by day, of ``--metrics`` weekly-seasonal daily series
(business-banking volumes: weekends about half a weekday, slow growth, 5 % day-to-day noise or Poisson
noise for small counts). Each series carries three injected anomalies at known days after a three-month
warm-up, 100 days apart: two of a one-day spike (+60 %), a one-day drop (−50 %) and a slow drift (+2 % a day
for 30 days), then a level shift (−35 % from then on). Each day's band is learned by
``engine.metrics.baseline.Replay`` from the days before it — exactly what the product runs, including the
days the band itself flagged held out for ``--hold`` days (0: the rule before, nothing held, no second
reference and no level check) and the level check on the last ``--level-days`` days (``--level-errors inf``:
off) — and the value judged by ``engine.contract.status``.

Printed per kind:

- false ambers and false reds per 30 metrics per week, on normal days (days outside every anomaly and
  the four weeks after it, and before any level shift);
- the share of injected anomalies caught (amber or red) and caught red, and how many days late, counted
  from the day a band that never saw the anomaly can be expected to flag it (``visible_day``: its change
  reaches that band's amber distance plus one spread of noise; day 0 for spikes and drops) — a drift of
  +2 %/day is not visible to a band 24 % wide on its first day; for comparison also from the first day
  the anomaly is 20 % off the normal level (the drift's 10th day).

Target: ≤ 1 false amber per week per 30 metrics, every anomaly caught within 1 day. Exit code 1 when a
kind that the demo uses for daily volumes (seasonal) misses it. A few seconds; no database.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta

from rich.console import Console
from rich.table import Table

from engine import contract
from engine.metrics import baseline
from engine.metrics.baseline import Spec, learn

START = date(2025, 12, 1)
WARM_UP = 84  # days before the first anomaly: bands of every kind have their points
AFTERMATH = 28  # days after an anomaly that are not "normal" (the series settles, bands relearn)
NOTICEABLE = 0.20  # an anomaly counts from the day it is this far off the normal level

KINDS = {  # as a metric header writes them, through the product's one mapping to a band
    "rolling_stat 28d": Spec.from_benchmark({"kind": "rolling_stat", "window_days": 28}, "count"),
    "seasonal 8w": Spec.from_benchmark({"kind": "seasonal", "weeks": 8}, "count"),
    "robust 90d": Spec.from_benchmark({"kind": "robust", "window_days": 90}, "count"),
    "robust seasonal 8w": Spec.from_benchmark({"kind": "robust", "seasonal": True, "weeks": 8}, "count"),
}


PAIRS = [("spike", "drop"), ("drop", "drift"), ("drift", "spike"), ("drop", "spike"), ("spike", "drift"),
         ("drift", "drop")]
LENGTHS = {"spike": 1, "drop": 1, "drift": 30, "shift": 10_000}


@dataclass
class Anomaly:
    kind: str  # spike | drop | drift | shift
    start: int  # day index
    length: int  # days it lasts (the shift: to the end)

    def factor(self, day: int) -> float:
        offset = day - self.start
        if offset < 0 or offset >= self.length:
            return 1.0
        return {"spike": 1.6, "drop": 0.5, "drift": 1 + 0.02 * (offset + 1), "shift": 0.65}[self.kind]

    @property
    def noticeable_day(self) -> int:
        return self.start + (9 if self.kind == "drift" else 0)  # +2 %/day reaches 20 % on its 10th day


@dataclass
class Series:
    values: list[float]
    anomalies: list[Anomaly] = field(default_factory=list)

    def normal(self, day: int) -> bool:
        for a in self.anomalies:
            end = len(self.values) if a.kind == "shift" else a.start + a.length + AFTERMATH
            if a.start <= day < end:
                return False
        return True


def make_series(rng: random.Random, days: int, index: int) -> Series:
    level = math.exp(rng.uniform(math.log(300), math.log(8000)))
    weekend = rng.uniform(0.4, 0.6)
    growth = rng.uniform(0.0, 0.3) / 365  # up to 30 % a year
    # Two anomalies a series (spike, drop or drift, every pair equally often) and a level shift last, each
    # more than a band window (8 weeks) plus its own length after the one before, so each is judged
    # against a band that has not learned the previous one.
    first, second = PAIRS[index % len(PAIRS)]
    starts = (WARM_UP + rng.randrange(0, 14), WARM_UP + 100 + rng.randrange(0, 14), days - 60 + rng.randrange(0, 14))
    anomalies = [Anomaly(kind, start, LENGTHS[kind]) for kind, start in zip((first, second, "shift"), starts)]
    values = []
    for day in range(days):
        weekday = (START + timedelta(days=day)).weekday()
        expected = level * (1 + growth * day) * (weekend if weekday >= 5 else 1.0)
        expected *= math.prod(a.factor(day) for a in anomalies)
        if expected < 400:  # small counts: Poisson noise
            value = float(_poisson(rng, expected))
        else:
            value = max(0.0, rng.gauss(expected, 0.05 * expected))
        values.append(round(value))
    return Series(values, anomalies)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth for small means, normal approximation beyond.
    if mean > 60:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while p > limit:
        k += 1
        p *= rng.random()
    return k - 1


def judge(spec: Spec, series: Series, acknowledged: bool, hold: int = baseline.HOLD_DAYS) -> list[contract.Status]:
    """Each day's status against the band learned from the days before, by ``engine.metrics.baseline.Replay``
    (days the band itself flagged are held out of the next ``hold`` days' bands, as the product does).
    ``acknowledged``: an operator acknowledges every red, so its episode (from the first non-green day before
    it until the metric is green again) leaves the band, as the product leaves out an acknowledged incident."""
    walk = baseline.Replay(spec, hold)
    statuses: list[contract.Status] = []
    streak: list[date] = []  # the current run of non-green days
    acked = False
    for day, value in enumerate(series.values):
        today = START + timedelta(days=day)
        band = walk.add(today, value)
        mean, unit = (None, None) if band.learning else (band.centre, band.unit)
        status = contract.status(value, direction="higher_is_better", mean=mean, stddev=unit)
        statuses.append(status)
        if status is contract.Status.GREEN:
            streak, acked = [], False
            continue
        streak.append(today)
        if acknowledged and (acked or status is contract.Status.RED):
            acked = True
            for d in streak:
                walk.points.pop(d, None)
    return statuses


def visible_day(spec: Spec, series: Series, a: Anomaly) -> int:
    """The first day a band that never saw the anomaly can be expected to flag it: its change (relative to
    the normal level) reaches that band's amber distance plus one spread of the day-to-day noise (so the
    noisy value lands beyond amber five times in six, not once in two). The band is the one of that day
    learned from the days before the anomaly only. Spikes and drops: their day. A change that never gets that far counts from its start (judged as if visible)."""
    if a.kind in ("spike", "drop"):
        return a.start
    before = {START + timedelta(days=d): series.values[d] for d in range(max(0, a.start - 91), a.start)}
    for day in range(a.start, min(len(series.values), a.start + a.length)):
        band = learn(spec, before, START + timedelta(days=day))
        if band.learning or not band.unit or not band.centre:
            return a.start
        spread = band.unit if spec.kind == "rolling_stat" else band.unit / baseline.band_spreads(band.points)
        if abs(a.factor(day) - 1) >= (band.unit + spread) / abs(band.centre):
            return day
    return a.start


@dataclass
class Figures:
    normal_days: int = 0
    false_amber: int = 0
    false_red: int = 0
    anomalies: int = 0
    caught: int = 0
    caught_red: int = 0
    late: list[int] = field(default_factory=list)
    late_by_kind: dict[str, list[int]] = field(default_factory=dict)  # from the band-visible day
    late_20_by_kind: dict[str, list[int]] = field(default_factory=dict)  # from the 20 %-off day
    missed: list[str] = field(default_factory=list)

    def per_week_per_30(self, count: int) -> float:
        return count / self.normal_days * 30 * 7 if self.normal_days else 0.0


def backtest(spec: Spec, all_series: list[Series], acknowledged: bool, hold: int = baseline.HOLD_DAYS) -> Figures:
    f = Figures()
    flagged = {contract.Status.AMBER, contract.Status.RED}
    for series in all_series:
        statuses = judge(spec, series, acknowledged, hold)
        for day in range(WARM_UP, len(statuses)):
            if series.normal(day):
                f.normal_days += 1
                f.false_amber += statuses[day] is contract.Status.AMBER
                f.false_red += statuses[day] is contract.Status.RED
        for a in series.anomalies:
            f.anomalies += 1
            window = range(a.start, min(len(statuses), a.start + max(a.length, 1)))
            first = next((d for d in window if statuses[d] in flagged), None)
            if first is None:
                f.missed.append(a.kind)
                continue
            f.caught += 1
            f.caught_red += any(statuses[d] is contract.Status.RED for d in window)
            f.late.append(max(0, first - visible_day(spec, series, a)))
            f.late_by_kind.setdefault(a.kind, []).append(f.late[-1])
            f.late_20_by_kind.setdefault(a.kind, []).append(max(0, first - a.noticeable_day))
    return f


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--hold", type=int, default=baseline.HOLD_DAYS,
                        help="days a band-flagged day stays out of the band (0: never held, the old rule)")
    parser.add_argument("--spreads", type=float, default=baseline.SPREADS_PER_BAND,
                        help="band unit of the weekday and robust kinds, in spreads (to explore the trade-off)")
    parser.add_argument("--level-days", type=int, default=baseline.LEVEL_DAYS,
                        help="days the level check averages (to explore the trade-off)")
    parser.add_argument("--level-errors", type=float, default=baseline.LEVEL_ERRORS,
                        help="standard errors of that mean at which the level check calls amber (inf: off)")
    args = parser.parse_args(argv)
    baseline.SPREADS_PER_BAND = args.spreads
    baseline.LEVEL_DAYS, baseline.LEVEL_ERRORS = args.level_days, args.level_errors
    rng = random.Random(args.seed)
    all_series = [make_series(rng, args.days, i) for i in range(args.metrics)]
    console = Console(width=150)
    table = Table(title=f"Backtest: {args.metrics} weekly-seasonal metrics × {args.days} days, "
                        f"{args.metrics * 3} injected anomalies (seed {args.seed}, band unit {args.spreads:g} spreads, "
                        f"band-flagged days held {args.hold} d)")
    texts = ("kind", "missed", "max late by anomaly", "max late from 20 % off")
    for column in ("kind", "reds acknowledged", "false amber /wk/30", "false red /wk/30", "caught", "caught red", "days late (max)",
                   "max late by anomaly", "max late from 20 % off", "missed"):
        table.add_column(column, justify="left" if column in texts else "right")
    ok = True
    for name, spec, acknowledged in [(n, s, a) for a in (False, True) for n, s in KINDS.items()]:
        f = backtest(spec, all_series, acknowledged, args.hold)
        late_max = max(f.late) if f.late else 0
        table.add_row(
            name, "yes" if acknowledged else "no", f"{f.per_week_per_30(f.false_amber):.2f}", f"{f.per_week_per_30(f.false_red):.2f}",
            f"{f.caught / f.anomalies:.0%}", f"{f.caught_red / f.anomalies:.0%}", str(late_max),
            " ".join(f"{k} {max(v)}" for k, v in sorted(f.late_by_kind.items())),
            " ".join(f"{k} {max(v)}" for k, v in sorted(f.late_20_by_kind.items())),
            ", ".join(f"{k} ×{f.missed.count(k)}" for k in sorted(set(f.missed))) or "none",
        )
        if name.startswith("seasonal") and acknowledged:
            ok = f.per_week_per_30(f.false_amber) <= 1.0 and not f.missed and late_max <= 1
    console.print(table)
    console.print("target: ≤ 1 false amber per week per 30 metrics, every anomaly caught within 1 day — "
                  + ("[green]met by seasonal[/]" if ok else "[red]missed by seasonal[/]"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
