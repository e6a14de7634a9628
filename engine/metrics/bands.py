"""The typical band (μ ± σ) of rolling_stat metrics, from their own history.

Computed daily from the last N days of history, today excluded (today's
value is what gets judged against the band). With too few days there is no
band at all — a "learning" metric — never a band from two points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, text

# A band needs at least this many days (or the whole window when shorter).
MIN_DAYS = 14


def min_days(window_days: int) -> int:
    return min(MIN_DAYS, window_days)


@dataclass(frozen=True)
class BandResult:
    metric_id: str
    days: int
    mean: float | None
    stddev: float | None

    @property
    def learning(self) -> bool:
        return self.mean is None


_STATS = text(
    """
    SELECT r.id, r.benchmark_window_days AS window_days,
           count(h.value) AS days, avg(h.value) AS mean, stddev_samp(h.value) AS stddev
    FROM heartbeat.metric_registry r
    LEFT JOIN heartbeat.metric_history h
      ON h.metric_id = r.id AND h.value IS NOT NULL
     AND h.day < :today AND h.day >= :today - r.benchmark_window_days
    WHERE r.retired_at IS NULL AND r.benchmark_kind = 'rolling_stat'
    GROUP BY r.id, r.benchmark_window_days
    ORDER BY r.id
    """
)


def refresh(engine: Engine, today: date) -> list[BandResult]:
    """Recompute every rolling_stat band; metrics with too few days lose their band (learning)."""
    results = []
    with engine.begin() as conn:
        for row in conn.execute(_STATS, {"today": today}).all():
            enough = row.days >= min_days(row.window_days)
            mean = float(row.mean) if enough else None
            stddev = float(row.stddev) if enough and row.stddev is not None else None
            conn.execute(
                text(
                    "UPDATE heartbeat.metric_registry SET benchmark_mean = :mean, benchmark_stddev = :stddev, "
                    "benchmark_computed_at = now() WHERE id = :id"
                ),
                {"mean": mean, "stddev": stddev, "id": row.id},
            )
            results.append(BandResult(row.id, row.days, mean, stddev))
    return results
