"""The typical band of every benchmarked metric, learned from its own clean history (engine.metrics.baseline).

Computed from the days before today (today's value is what gets judged). A day is left out of the band
when the metric was amber or red *by a line* that day (judged against today's lines), when it falls in
an acknowledged incident of the metric (an acknowledged firing/pending alert, from its first bad day on;
those days are marked ``excluded_reason`` so they stay out after the alert resolves),
or when it was computed under another definition (``definition_hash``). A day the band itself flagged
(amber or red against the band of its own day) is held out of the bands of the next 14 days
(``engine.metrics.baseline.Replay``, replayed from the history each refresh; not for ``rolling_stat``), and
the same walk's level check moves the amber edge in when the last ten days together sit clearly off their
bands (a slow drift that no single day shows yet).
With too few clean points there is no band: the metric is "learning", and the wall says so.

24h metrics with a weekday benchmark are judged against the same hour-of-week window of past weeks: when
a marts connection is given, their ``history_sql`` (which counts each past day's 24 h up to the current
time of day) is run afresh; without one (the nightly job) their band is left as the last refresh set it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from sqlalchemy import Connection, Engine, text

from engine import contract
from engine.metrics.backfill import series
from engine.metrics.baseline import Band, Spec, replay, replay_days
from engine.metrics.compute import ComputeContext
from engine.metrics.sql import MetricSqlError, run_readonly

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BandResult:
    metric_id: str
    days: int  # clean points learned from
    mean: float | None  # the centre (μ or median)
    stddev: float | None  # the band unit: amber 1 unit from the centre, red 2
    needed: int = 0
    excluded: int = 0  # days of the window left out (line crossed, acknowledged incident)

    @property
    def learning(self) -> bool:
        return self.days < self.needed


_METRICS = text(
    """
    SELECT id, benchmark_kind, benchmark_window_days, benchmark_config, unit, period, direction, norm_value,
           alert_value, series_hash, history_sql
    FROM heartbeat.metric_registry
    WHERE retired_at IS NULL AND benchmark_kind <> 'none'
    ORDER BY id
    """
)

_HISTORY = text(
    """
    SELECT day, value FROM heartbeat.metric_history
    WHERE metric_id = :id AND value IS NOT NULL AND day < :today AND day >= :start
      AND (definition_hash IS NULL OR CAST(:hash AS text) IS NULL OR definition_hash = :hash)
      AND excluded_reason IS NULL
    """
)

# An acknowledged incident stays out of the band after it resolves: its days are marked when first seen.
_MARK = text(
    "UPDATE heartbeat.metric_history SET excluded_reason = 'acknowledged incident' "
    "WHERE metric_id = :id AND day >= :first AND excluded_reason IS NULL"
)
_MARKED = text(
    "SELECT day FROM heartbeat.metric_history WHERE metric_id = :id AND day >= :start "
    "AND excluded_reason IS NOT NULL"
)

# The days of an acknowledged incident: from its first bad day (``since``) to today.
_ACKNOWLEDGED = text(
    """
    SELECT coalesce(since, fired_at)::date AS first_day FROM heartbeat.alert_state
    WHERE key = 'value:' || :id AND acked_by IS NOT NULL AND state IN ('firing', 'pending')
      AND coalesce(since, fired_at) IS NOT NULL
    """
)

_STORE = text(
    "UPDATE heartbeat.metric_registry SET benchmark_mean = :mean, benchmark_stddev = :stddev, "
    "benchmark_points = :points, benchmark_computed_at = now() WHERE id = :id"
)


def spec_of(metric) -> Spec:
    """The band a registry row learns: its benchmark as the registry keeps it, through the one mapping."""
    return Spec.from_benchmark({**(metric.benchmark_config or {}), "kind": metric.benchmark_kind,
                                "window_days": metric.benchmark_window_days}, metric.unit)


def hour_of_week(metric) -> bool:
    """A 24h metric with a weekday benchmark: judged against the same hour-of-week window."""
    return metric.period == "24h" and spec_of(metric).weekly


def clean(conn: Connection, metric, points: dict[date, float], today: date) -> tuple[dict[date, float], int]:
    """``points`` without the days the band must not learn from; and how many were left out."""
    acked = [row.first_day for row in conn.execute(_ACKNOWLEDGED, {"id": metric.id})]
    first_acked = min(acked) if acked else None
    if first_acked is not None:
        conn.execute(_MARK, {"id": metric.id, "first": first_acked})
    marked = set(conn.execute(_MARKED, {"id": metric.id, "start": min(points, default=today)}).scalars())
    kept = {
        day: value for day, value in points.items()
        if not contract.crossed(value, metric.alert_value, metric.direction)
        and not contract.crossed(value, metric.norm_value, metric.direction)
        and not (first_acked is not None and day >= first_acked)
        and day not in marked
    }
    return kept, len(points) - len(kept)


def _live(marts, metric, ctx: ComputeContext) -> dict[date, float] | None:
    try:
        rows = run_readonly(marts, metric.history_sql, ctx.statement_timeout, f"metrics/{metric.id}.sql (history_sql)")
        return {d: v for d, v in series(rows).items() if v is not None}
    except MetricSqlError as exc:
        log.warning("band of %s: history_sql failed, band kept: %s", metric.id, exc)
        return None


def refresh(engine: Engine, today: date, *, marts: ComputeContext | None = None,
            ids: Iterable[str] | None = None) -> list[BandResult]:
    """Recompute the bands of every benchmarked metric (or of ``ids``); too few clean points: learning."""
    with engine.connect() as conn:
        metrics = conn.execute(_METRICS).all()
    if ids is not None:
        wanted = set(ids)
        metrics = [m for m in metrics if m.id in wanted]
    live_needed = [m for m in metrics if hour_of_week(m) and m.history_sql]
    live: dict[str, dict[date, float] | None] = {}
    if marts is not None and live_needed:
        try:
            with marts.connect() as conn:
                live = {m.id: _live(conn, m, marts) for m in live_needed}
        except Exception as exc:  # an unreachable marts database keeps the last bands
            log.warning("bands: marts unreachable, hour-of-week bands kept: %s", exc)
    results = []
    with engine.begin() as conn:
        for metric in metrics:
            spec = spec_of(metric)
            start = today - timedelta(days=spec.days)
            since = today - timedelta(days=replay_days(spec))  # the held days' own bands need their windows
            if hour_of_week(metric) and metric.history_sql:
                fresh = live.get(metric.id)
                if fresh is None:
                    continue  # no marts (the nightly job) or a failing history_sql: keep the last band
                points = {d: v for d, v in fresh.items() if since <= d < today}
            else:
                points = dict(conn.execute(_HISTORY, {"id": metric.id, "today": today, "start": since,
                                                      "hash": metric.series_hash}).all())
            kept, _ = clean(conn, metric, points, today)
            band: Band
            band, held = replay(spec, kept, today)
            window = sum(1 for d in points if d >= start)
            excluded = window - sum(1 for d in kept if d >= start) + sum(1 for d in held if d >= start)
            mean = None if band.learning else band.centre
            stddev = None if band.learning else band.unit
            conn.execute(_STORE, {"mean": mean, "stddev": stddev, "points": band.points, "id": metric.id})
            results.append(BandResult(metric.id, band.points, mean, stddev, band.needed, excluded))
    return results
