"""Data factories: metric files and registry rows, history values, source syncs and alert notifications.

Tests build their world through these instead of raw ``INSERT INTO heartbeat.*``, so a schema change is
made here once. Metrics enter the registry the way production does (a file, then ``sync``); history rows
are written the way compute writes them (one row per metric and day; a failed day keeps its value).
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text

from engine.alerts import outbox
from engine.alerts.config import AlertConfig
from engine.core.db import Database
from engine.metrics.registry import sync

# A valid metric file header: an approval rate, higher is better, norm 95 and red line 90.
HEADER = {
    "name": "Payment approval rate",
    "how_to_read": "Share of outgoing payments approved in the last 24 hours.",
    "sources": "[webbank.core]",
    "period": "24h",
    "unit": "percent",
    "direction": "higher_is_better",
    "norm": "95",
    "alert": "90",
}


def metric_text(sql: str = "SELECT 97.5", **fields: str | None) -> str:
    """The text of a metric file: HEADER with ``fields`` over it (None drops a field), then the SQL."""
    header = {**HEADER, **fields}
    lines = ["-- ---"] + [f"-- {k}: {v}" for k, v in header.items() if v is not None] + ["-- ---", sql]
    return "\n".join(lines) + "\n"


class MetricFolder:
    """A folder of metric files, as HEARTBEAT_METRICS_DIR points at."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)

    def write(self, metric_id: str, sql: str = "SELECT 97.5", **fields: str | None) -> Path:
        path = self.path / f"{metric_id}.sql"
        path.write_text(metric_text(sql, **fields))
        return path

    def write_raw(self, name: str, text: str) -> Path:
        path = self.path / name
        path.write_text(textwrap.dedent(text))
        return path

    def remove(self, metric_id: str) -> None:
        (self.path / f"{metric_id}.sql").unlink()

    def sync(self, db: Database):
        """Sync the folder into ``db``'s registry, as `heartbeat metrics sync` does; returns the report."""
        return sync(db.engine(), self.path)


def add_metric(db: Database, folder: MetricFolder, metric_id: str, sql: str = "SELECT 97.5", *,
               owner: str | None = None, **fields: str | None) -> None:
    """A metric in the registry: its file written and synced, then (optionally) an owner set as an operator would."""
    folder.write(metric_id, sql, **fields)
    folder.sync(db)
    if owner:
        set_registry(db, metric_id, owner=owner)


def set_registry(db: Database, metric_id: str, **values: Any) -> None:
    """An operator's edit of registry columns (the write guard lets operator columns through)."""
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    with db.engine().begin() as conn:
        conn.execute(text(f"UPDATE heartbeat.metric_registry SET {assignments} WHERE id = :id"),
                     {**values, "id": metric_id})


def clone_metric(db: Database, metric_id: str, copies: int) -> None:
    """``copies`` registry rows ``m1..m<copies>`` cloned from ``metric_id``, bypassing files (load tests only)."""
    with db.engine().begin() as conn:
        conn.execute(text("SELECT set_config('heartbeat.sync', 'on', true)"))  # as sync does: config columns open
        columns = [c for c in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'heartbeat' "
            "AND table_name = 'metric_registry' AND column_name <> 'id' ORDER BY ordinal_position")).scalars()]
        listed = ", ".join(columns)
        conn.execute(text(f"INSERT INTO heartbeat.metric_registry (id, {listed}) SELECT 'm' || g, {listed} "
                          "FROM heartbeat.metric_registry, generate_series(1, :n) g WHERE id = :id"),
                     {"n": copies, "id": metric_id})


def add_value(db: Database, metric_id: str, value: float | None, *, days_ago: int = 0, day: date | None = None,
              status: str = "green", source_as_of: datetime | None = None, error: str | None = None) -> None:
    """One day of a metric's history (today unless ``day``/``days_ago``); a NULL value with an error keeps the day's
    earlier value, as a failed computation does."""
    day = day or datetime.now(timezone.utc).date() - timedelta(days=days_ago)
    with db.engine().begin() as conn:
        conn.execute(text(
            "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of, error) "
            "VALUES (:id, :day, :value, :status, :as_of, :error) ON CONFLICT (metric_id, day) DO UPDATE "
            "SET value = coalesce(EXCLUDED.value, heartbeat.metric_history.value), error = EXCLUDED.error, "
            "status = EXCLUDED.status, source_as_of = EXCLUDED.source_as_of, computed_at = now()"),
            {"id": metric_id, "day": day, "value": value, "status": status, "as_of": source_as_of, "error": error})


def add_values(db: Database, metric_id: str, by_days_ago: dict[int, float | None], *, today: date | None = None,
               status: str = "green") -> None:
    """A history series: ``{days ago: value}``, counted back from ``today`` (the UTC date unless given)."""
    today = today or datetime.now(timezone.utc).date()
    for days_ago, value in by_days_ago.items():
        add_value(db, metric_id, value, day=today - timedelta(days=days_ago), status=status)


def add_values_for_all(db: Database, value: float, *, status: str = "green") -> None:
    """Today's value for every metric in the registry at once (load tests over many metrics)."""
    with db.engine().begin() as conn:
        conn.execute(text("INSERT INTO heartbeat.metric_history (metric_id, day, value, status) "
                          "SELECT id, current_date, :v, :s FROM heartbeat.metric_registry"), {"v": value, "s": status})


def add_sync(db: Database, source: str, schema: str, started_at: datetime, status: str = "succeeded") -> None:
    """A finished ingest of ``source.schema`` in the sync ledger (what freshness and stale alerts read)."""
    with db.engine().begin() as conn:
        conn.execute(text(
            "INSERT INTO heartbeat.source_sync (source, schema_name, dataset, status, started_at, finished_at) "
            "VALUES (:s, :sc, :s || '_' || :sc, :st, :at, :at)"),
            {"s": source, "sc": schema, "st": status, "at": started_at})


def enqueue_alert(db: Database, config: AlertConfig, key: str = "value:m:1:firing",
                  title: str = "m crossed its red line") -> None:
    """One alert notification for metric ``m`` queued in the outbox for every channel of ``config``."""
    with db.engine().begin() as conn:
        outbox.enqueue(conn, config, key=key, alert_key="value:m", transition="firing", channels=list(config.channels),
                       payload={"title": title, "lines": ["Value 1"], "link": "http://hb/metrics/m"})


def outbox_rows(db: Database) -> list[dict[str, Any]]:
    """Every notification in the outbox, oldest first."""
    with db.engine().connect() as conn:
        return [dict(r) for r in conn.execute(text("SELECT * FROM heartbeat.alert_outbox ORDER BY id")).mappings()]
