"""The single read model of every surface: registry + history, judged by the contract.

Reads only schema ``heartbeat`` (never marts) and never computes a metric,
so a TV never waits on a slow source. Status and freshness are decided now,
against the registry's current thresholds, by ``engine.contract``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, text

from engine import contract
from engine.read.pace import TREND_DAYS, Pace, pace

SPARKLINE_DAYS = 30
FRESHNESS_ORDER = {
    contract.Freshness.STALE: 0, contract.Freshness.LATE: 1, contract.Freshness.UNKNOWN: 2, contract.Freshness.FRESH: 3,
}


@dataclass(frozen=True)
class MetricCard:
    """What a surface needs to show one metric now."""

    id: str
    name: str
    how_to_read: str
    period: str
    unit: str
    currency: str | None
    direction: str
    value: float | None
    status: contract.Status
    freshness: contract.Freshness
    crossing: contract.Crossing | None
    target_hit: bool
    norm_value: float | None
    alert_value: float | None
    target_value: float | None
    target_due_date: date | None
    benchmark_mean: float | None
    benchmark_stddev: float | None
    computed_at: datetime | None
    source_as_of: datetime | None
    error: str | None
    owner: str | None
    verification_state: str
    tags: tuple[str, ...]
    history: tuple[tuple[date, float | None], ...] = ()
    pace: Pace | None = None  # OKR pace of a target with a due date (engine.read.pace); never a colour

    @property
    def order_key(self) -> tuple[Any, ...]:
        """Red → amber → error → no data → green; then stale first, then the largest breach."""
        breach = self.crossing.relative if self.crossing else 0.0
        return (contract.STATUS_ORDER[self.status], FRESHNESS_ORDER[self.freshness], -breach, self.name.lower())


# The latest history row per active metric, and the latest row with a value
# (a failed computation keeps showing the last good value). LATERAL + the
# (metric_id, day) primary key: a few index probes per metric, whatever the
# history length.
_LATEST_SQL = """
    SELECT r.id, r.name, r.how_to_read, r.period, r.unit, r.currency, r.direction,
           r.norm_value, r.alert_value, r.target_value, r.target_due_date,
           r.benchmark_mean, r.benchmark_stddev, r.owner, r.verification_state, r.tags,
           coalesce(h.value, g.value) AS value, h.computed_at,
           coalesce(h.source_as_of, g.source_as_of) AS source_as_of, h.error,
           ps.day AS pace_start_day, ps.value AS pace_start_value
    FROM heartbeat.metric_registry r
    LEFT JOIN LATERAL (
        SELECT value, computed_at, source_as_of, error
        FROM heartbeat.metric_history
        WHERE metric_id = r.id
        ORDER BY day DESC
        LIMIT 1
    ) h ON true
    LEFT JOIN LATERAL (
        SELECT value, source_as_of
        FROM heartbeat.metric_history
        WHERE metric_id = r.id AND value IS NOT NULL
        ORDER BY day DESC
        LIMIT 1
    ) g ON h.value IS NULL
    LEFT JOIN LATERAL (
        -- The value at the start of the target period (docs/okr.md): the first value on or after the start
        -- of the current quarter, or of the day the target value last changed when that is later.
        SELECT s.day, s.value
        FROM heartbeat.metric_history s
        WHERE r.target_value IS NOT NULL AND r.target_due_date IS NOT NULL  -- one-time filter: untargeted, no probe
          AND s.metric_id = r.id AND s.value IS NOT NULL
          AND s.day >= greatest(CAST(date_trunc('quarter', CAST(:today AS date)) AS date), (
              SELECT max(c.changed_at)::date FROM heartbeat.registry_change c
              WHERE c.entity = 'metric' AND c.entity_id = r.id AND c.field = 'target_value'))
        ORDER BY s.day
        LIMIT 1
    ) ps ON true
    WHERE r.retired_at IS NULL {only}
"""

# The recent values of targeted metrics, for the pace trend when the caller asked for less history.
_TREND_SQL = """
    SELECT h.metric_id, h.day, h.value FROM heartbeat.metric_history h
    JOIN heartbeat.metric_registry r ON r.id = h.metric_id
    WHERE h.day >= :since AND r.retired_at IS NULL AND r.target_value IS NOT NULL AND r.target_due_date IS NOT NULL
          {only}
    ORDER BY h.metric_id, h.day
"""

_HISTORY_SQL = """
    SELECT metric_id, day, value FROM heartbeat.metric_history
    WHERE day >= :since {only}
    ORDER BY metric_id, day
"""


def card_from_row(
    row: Any, now: datetime, history: tuple[tuple[date, float | None], ...] = (),
    trend: tuple[tuple[date, float | None], ...] | None = None,
) -> MetricCard:
    """Judge one registry + latest-history row with the contract, and its target's pace (``trend``: recent values,
    by default ``history``)."""
    failed = row["error"] is not None  # the last good value stays; the error is shown beside it
    kwargs = dict(
        direction=row["direction"], norm_value=row["norm_value"], alert_value=row["alert_value"],
        mean=row["benchmark_mean"], stddev=row["benchmark_stddev"],
    )
    status = contract.status(row["value"], failed=failed, **kwargs)
    return MetricCard(
        id=row["id"],
        name=row["name"],
        how_to_read=row["how_to_read"],
        period=row["period"],
        unit=row["unit"],
        currency=row["currency"],
        direction=row["direction"],
        value=row["value"],
        status=status,
        freshness=contract.freshness(row["source_as_of"], row["period"], now),
        crossing=None if failed else contract.crossing(row["value"], **kwargs),
        target_hit=contract.target_hit(row["value"], row["target_value"], row["direction"], status),
        norm_value=row["norm_value"],
        alert_value=row["alert_value"],
        target_value=row["target_value"],
        target_due_date=row["target_due_date"],
        benchmark_mean=row["benchmark_mean"],
        benchmark_stddev=row["benchmark_stddev"],
        computed_at=row["computed_at"],
        source_as_of=row["source_as_of"],
        error=row["error"],
        owner=row["owner"],
        verification_state=row["verification_state"],
        tags=tuple(row["tags"] or ()),
        history=history,
        pace=_pace(row, now, history if trend is None else trend),
    )


def _pace(row: Any, now: datetime, trend: tuple[tuple[date, float | None], ...]) -> Pace | None:
    start_day, start_value = row.get("pace_start_day"), row.get("pace_start_value")
    return pace(
        direction=row["direction"], target=row["target_value"], due=row["target_due_date"], today=now.date(),
        current=row["value"], start=None if start_day is None else (start_day, start_value), history=trend,
        unit=row["unit"],
    )


def metric_cards(
    engine: Engine,
    now: datetime | None = None,
    *,
    history_days: int = SPARKLINE_DAYS,
    ids: list[str] | None = None,
) -> list[MetricCard]:
    """Every active metric (or the named ones), red first, with ``history_days`` of daily values."""
    now = now or datetime.now(timezone.utc)
    only = "AND r.id = ANY(:ids)" if ids is not None else ""
    params: dict[str, Any] = {"ids": ids} if ids is not None else {}
    with engine.connect() as conn:
        rows = conn.execute(text(_LATEST_SQL.format(only=only)), {**params, "today": now.date()}).mappings().all()
        series: dict[str, list[tuple[date, float | None]]] = defaultdict(list)
        if history_days > 0 and rows:
            since = now.date() - timedelta(days=history_days - 1)
            history_only = "AND metric_id = ANY(:ids)" if ids is not None else ""
            for metric_id, day, value in conn.execute(
                text(_HISTORY_SQL.format(only=history_only)), {**params, "since": since}
            ):
                series[metric_id].append((day, value))
        trends = series
        if history_days < TREND_DAYS and any(row["target_due_date"] is not None for row in rows):
            trends = defaultdict(list)
            history_only = "AND h.metric_id = ANY(:ids)" if ids is not None else ""
            since = now.date() - timedelta(days=TREND_DAYS - 1)
            for metric_id, day, value in conn.execute(
                text(_TREND_SQL.format(only=history_only)), {**params, "since": since}
            ):
                trends[metric_id].append((day, value))
    cards = [card_from_row(row, now, tuple(series.get(row["id"], ())), tuple(trends.get(row["id"], ())))
             for row in rows]
    return sorted(cards, key=lambda card: card.order_key)


def metric_changes(engine: Engine, metric_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The audit trail of one metric, newest first."""
    with engine.connect() as conn:
        return [
            dict(row)
            for row in conn.execute(
                text(
                    "SELECT field, old_value, new_value, changed_by, changed_at, note FROM heartbeat.registry_change "
                    "WHERE entity = 'metric' AND entity_id = :id ORDER BY id DESC LIMIT :limit"
                ),
                {"id": metric_id, "limit": limit},
            ).mappings()
        ]


def metric_computations(engine: Engine, metric_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """The latest computations of one metric (value or error), newest first."""
    with engine.connect() as conn:
        return [
            dict(row)
            for row in conn.execute(
                text(
                    "SELECT day, value, status, computed_at, source_as_of, duration_ms, error, job_id "
                    "FROM heartbeat.metric_history WHERE metric_id = :id ORDER BY day DESC LIMIT :limit"
                ),
                {"id": metric_id, "limit": limit},
            ).mappings()
        ]


@dataclass(frozen=True)
class MetricProfile:
    """What a metric's page says about it besides its value: the definition and who vouches for it."""

    id: str
    methodology: str
    sources: str
    source_schemas: tuple[str, ...]
    period: str
    unit: str
    currency: str | None
    direction: str
    benchmark_kind: str
    benchmark_window_days: int | None
    benchmark_computed_at: datetime | None
    related_cuts: tuple[str, ...]
    threshold_set_by: dict[str, str]
    verified_by: str | None
    verified_at: datetime | None
    verified_hash: str | None
    definition_hash: str
    synced_at: datetime | None


def metric_profile(engine: Engine, metric_id: str) -> MetricProfile | None:
    """The registry's description of one active metric (None: unknown or retired). Registry only."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, methodology, sources, source_schemas, period, unit, currency, direction, "
                "benchmark_kind, benchmark_window_days, benchmark_computed_at, related_cuts, threshold_set_by, "
                "verified_by, verified_at, verified_hash, definition_hash, synced_at "
                "FROM heartbeat.metric_registry WHERE id = :id AND retired_at IS NULL"
            ),
            {"id": metric_id},
        ).mappings().first()
    if row is None:
        return None
    return MetricProfile(
        **{
            **row,
            "source_schemas": tuple(row["source_schemas"] or ()),
            "related_cuts": tuple(row["related_cuts"] or ()),
            "threshold_set_by": dict(row["threshold_set_by"] or {}),
        }
    )
