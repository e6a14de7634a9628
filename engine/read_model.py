"""The single read model of every surface: registry + latest history, judged by the contract.

Reads only schema ``heartbeat`` (never marts) and never computes a metric,
so a TV never waits on a slow source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import Engine, text

from engine import contract


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
    target_hit: bool
    norm_value: float | None
    alert_value: float | None
    target_value: float | None
    target_due_date: date | None
    computed_at: datetime | None
    source_as_of: datetime | None
    error: str | None
    owner: str | None
    verification_state: str

    @property
    def order_key(self) -> tuple[int, str]:
        return (contract.STATUS_ORDER[self.status], self.name.lower())


# The latest history row per active metric, and the latest row with a value
# (a failed computation keeps showing the last good value). LATERAL + the
# (metric_id, day) primary key: a few index probes per metric, whatever the
# history length.
_LATEST_SQL = text(
    """
    SELECT r.id, r.name, r.how_to_read, r.period, r.unit, r.currency, r.direction,
           r.norm_value, r.alert_value, r.target_value, r.target_due_date,
           r.benchmark_mean, r.benchmark_stddev, r.owner, r.verification_state,
           coalesce(h.value, g.value) AS value, h.computed_at, coalesce(h.source_as_of, g.source_as_of) AS source_as_of,
           h.error
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
    WHERE r.retired_at IS NULL
    """
)


def metric_cards(engine: Engine, now: datetime | None = None) -> list[MetricCard]:
    """Every active metric, red first, green last (then by name)."""
    now = now or datetime.now(timezone.utc)
    with engine.connect() as conn:
        rows = conn.execute(_LATEST_SQL).mappings().all()
    cards = []
    for row in rows:
        # A failed computation keeps the last good value; the error is shown beside it.
        failed = row["error"] is not None
        status = contract.status(
            row["value"],
            direction=row["direction"],
            norm_value=row["norm_value"],
            alert_value=row["alert_value"],
            mean=row["benchmark_mean"],
            stddev=row["benchmark_stddev"],
            failed=failed,
        )
        cards.append(
            MetricCard(
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
                target_hit=contract.target_hit(row["value"], row["target_value"], row["direction"], status),
                norm_value=row["norm_value"],
                alert_value=row["alert_value"],
                target_value=row["target_value"],
                target_due_date=row["target_due_date"],
                computed_at=row["computed_at"],
                source_as_of=row["source_as_of"],
                error=row["error"],
                owner=row["owner"],
                verification_state=row["verification_state"],
            )
        )
    return sorted(cards, key=lambda card: card.order_key)


def last_successful_refresh(engine: Engine) -> datetime | None:
    """When the newest refresh job that moved data finished (None: never)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT max(finished_at) FROM heartbeat.refresh_job "
                "WHERE status IN ('succeeded', 'partial')"
            )
        ).scalar()
