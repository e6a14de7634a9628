"""A world of N metrics × D days of daily history, written in bulk by SQL on a migrated database.

Each benchmark says what its metrics and days look like as SQL expressions of ``g`` (the metric's
number, 1…N) and ``d`` (days ago, 0…D-1) over a common base: ids ``metric_<g>``, a 24h count with a
rolling band of 100 ± 5, history computed and fed ``d`` days ago.
"""

from __future__ import annotations

import psycopg

from engine.core.db import Database

REGISTRY = {
    "id": "'metric_' || g", "name": "'Metric number ' || g", "how_to_read": "'A benchmark metric.'",
    "value_sql": "'SELECT 1'", "period": "'24h'", "unit": "'count'", "benchmark_kind": "'rolling_stat'",
    "benchmark_mean": "100", "benchmark_stddev": "5", "config_hash": "'h'", "definition_hash": "'d'",
    "source_schemas": "'[\"webbank.core\"]'::jsonb",
}
HISTORY = {
    "metric_id": "'metric_' || g", "day": "current_date - d", "status": "'green'",
    "computed_at": "now() - d * interval '1 day'", "source_as_of": "now() - d * interval '1 day'",
    "duration_ms": "12",
}


def _insert(table: str, columns: dict[str, str], series: str) -> str:
    return (f"INSERT INTO heartbeat.{table} ({', '.join(columns)}) "
            f"SELECT {', '.join(columns.values())} FROM {series}")


def fill(db: Database, metrics: int, days: int, *, registry: dict[str, str], history: dict[str, str],
         then: tuple[str, ...] = ()) -> None:
    """``metrics`` registry rows and ``days`` of history each (``registry``/``history``: columns over the
    base), then the statements ``then`` (with ``{metrics}`` for the count); the tables analysed after."""
    metrics, days = int(metrics), int(days)  # written into the SQL: numbers only
    with psycopg.connect(db.dsn(), autocommit=True) as conn:
        conn.execute("SELECT set_config('heartbeat.sync', 'on', false)")
        conn.execute(_insert("metric_registry", {**REGISTRY, **registry}, f"generate_series(1, {metrics}) g"))
        conn.execute(_insert("metric_history", {**HISTORY, **history},
                             f"generate_series(1, {metrics}) g, generate_series(0, {days} - 1) d"))
        for statement in then:
            conn.execute(statement.format(metrics=metrics))
        for table in ("metric_history", "metric_registry", "source_sync", "alert_state"):
            conn.execute(f"ANALYZE heartbeat.{table}")
