"""Fill past days of history from each metric's ``history_sql``, so bands and sparklines exist from day one.

A backfilled day never overwrites a day that was really computed. Status of
a past day is judged by the contract against today's thresholds (no band:
the band itself is learned from these days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text

from engine import contract
from engine.metrics.compute import ComputeContext, today
from engine.metrics.sql import MetricSqlError, run_readonly


@dataclass(frozen=True)
class BackfillResult:
    metric_id: str
    days_written: int
    error: str | None = None


_METRICS = text(
    "SELECT id, history_sql, direction, norm_value, alert_value FROM heartbeat.metric_registry "
    "WHERE retired_at IS NULL AND history_sql IS NOT NULL ORDER BY id"
)

_INSERT = text(
    "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, computed_at, error) "
    "VALUES (:id, :day, :value, :status, now(), NULL) ON CONFLICT (metric_id, day) DO NOTHING"
)


def _series(rows: list[tuple]) -> dict[date, float | None]:
    series: dict[date, float | None] = {}
    for row in rows:
        if len(row) != 2 or not isinstance(row[0], date):
            raise MetricSqlError("history_sql must return rows of (day date, value number)")
        value = row[1]
        series[row[0]] = None if value is None else float(value)
    return series


def backfill(ctx: ComputeContext, days: int = 90) -> list[BackfillResult]:
    """Write up to ``days`` past daily values per metric with history_sql (today excluded)."""
    end = today()
    start = end - timedelta(days=days)
    with ctx.db.engine().connect() as conn:
        metrics = conn.execute(_METRICS).all()
    results = []
    with ctx.connect() as marts:
        for metric in metrics:
            try:
                source = f"metrics/{metric.id}.sql (history_sql)"
                series = _series(run_readonly(marts, metric.history_sql, ctx.statement_timeout, source))
            except MetricSqlError as exc:
                results.append(BackfillResult(metric.id, 0, str(exc)))
                continue
            rows = [
                {
                    "id": metric.id, "day": day, "value": value,
                    "status": contract.status(value, direction=metric.direction, norm_value=metric.norm_value,
                                              alert_value=metric.alert_value).value,
                }
                for day, value in sorted(series.items())
                if start <= day < end
            ]
            written = 0
            if rows:
                with ctx.db.engine().begin() as conn:
                    written = sum(conn.execute(_INSERT, row).rowcount for row in rows)
            results.append(BackfillResult(metric.id, written))
    return results
