"""Fill past days of history from each metric's ``history_sql``, so bands and sparklines exist from day one.

History belongs to a definition: every row carries the ``series_hash`` (value and history SQL) it was
computed under. A backfilled day never overwrites a day that was computed under the *current* definition;
a day computed under another one is replaced, so a changed definition gets a whole series of its own
(``backfill_changed`` runs before each refresh's compute). Status of a past day is judged by the contract
against today's lines (no band: the band itself is learned from these days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from sqlalchemy import text

from engine import contract
from engine.metrics.compute import ComputeContext
from engine.metrics.sql import MetricSqlError, run_readonly

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class BackfillResult:
    metric_id: str
    days_written: int
    error: str | None = None


_METRICS = text(
    "SELECT id, history_sql, direction, norm_value, alert_value, series_hash, backfilled_hash "
    "FROM heartbeat.metric_registry WHERE retired_at IS NULL AND history_sql IS NOT NULL ORDER BY id"
)

# A row without a hash predates migration 0011 (or was written by hand): it is kept, like a computed day.
_INSERT = text(
    "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, computed_at, error, definition_hash) "
    "VALUES (:id, :day, :value, :status, now(), NULL, :hash) "
    "ON CONFLICT (metric_id, day) DO UPDATE SET value = EXCLUDED.value, status = EXCLUDED.status, "
    "computed_at = now(), error = NULL, source_as_of = NULL, duration_ms = NULL, job_id = NULL, "
    "definition_hash = EXCLUDED.definition_hash "
    "WHERE metric_history.definition_hash IS NOT NULL "
    "AND metric_history.definition_hash <> EXCLUDED.definition_hash"
)


def series(rows: list[tuple]) -> dict[date, float | None]:
    """The (day, value) rows of a history_sql as a series; MetricSqlError on any other shape."""
    out: dict[date, float | None] = {}
    for row in rows:
        if len(row) != 2 or not isinstance(row[0], date):
            raise MetricSqlError("history_sql must return rows of (day date, value number)")
        value = row[1]
        out[row[0]] = None if value is None else float(value)
    return out


def backfill(ctx: ComputeContext, days: int = DEFAULT_DAYS, ids: Iterable[str] | None = None) -> list[BackfillResult]:
    """Write up to ``days`` past daily values per metric with history_sql (today excluded)."""
    end = ctx.today()
    start = end - timedelta(days=days)
    with ctx.db.engine().connect() as conn:
        metrics = conn.execute(_METRICS).all()
    if ids is not None:
        wanted = set(ids)
        metrics = [m for m in metrics if m.id in wanted]
    results = []
    if not metrics:
        return results
    with ctx.connect() as marts:
        for metric in metrics:
            try:
                source = f"metrics/{metric.id}.sql (history_sql)"
                values = series(run_readonly(marts, metric.history_sql, ctx.statement_timeout, source))
            except MetricSqlError as exc:
                results.append(BackfillResult(metric.id, 0, str(exc)))
                continue
            rows = [
                {
                    "id": metric.id, "day": day, "value": value, "hash": metric.series_hash,
                    "status": contract.status(value, direction=metric.direction, norm_value=metric.norm_value,
                                              alert_value=metric.alert_value).value,
                }
                for day, value in sorted(values.items())
                if start <= day < end
            ]
            with ctx.db.engine().begin() as conn:
                written = sum(conn.execute(_INSERT, row).rowcount for row in rows)
                conn.execute(text("UPDATE heartbeat.metric_registry SET backfilled_hash = :hash WHERE id = :id"),
                             {"hash": metric.series_hash, "id": metric.id})
            results.append(BackfillResult(metric.id, written))
    return results


def backfill_changed(ctx: ComputeContext, days: int = DEFAULT_DAYS) -> list[BackfillResult]:
    """Backfill again every metric whose definition changed since its last backfill: the new definition's
    series replaces the old one's days, and the band relearns from it."""
    with ctx.db.engine().connect() as conn:
        changed = list(conn.execute(text(
            "SELECT id FROM heartbeat.metric_registry WHERE retired_at IS NULL AND history_sql IS NOT NULL "
            "AND backfilled_hash IS NOT NULL AND backfilled_hash IS DISTINCT FROM series_hash")).scalars())
    return backfill(ctx, days, changed) if changed else []
