"""Metric sync: make ``metric_registry`` say what ``metrics/*.sql`` say.

Config truth is the file; runtime truth (operator-tuned thresholds, owner,
verification, benchmark) is the table. The sync parses every file first and
writes nothing when any is broken; otherwise one transaction, under the
write guard, brings the registry in line and records every change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, text

from engine.metrics.files import MetricDefinition, load_directory
from engine.store.write_guard import open_for_sync

METRICS_DIR = Path(__file__).resolve().parents[2] / "metrics"
SYNC_ACTOR = "sync"

# Operator-tunable columns: a file value applies when the metric is new or
# when the file's value changed since the last sync; otherwise the operator's
# value stands.
TUNABLE = ("norm_value", "alert_value", "target_value", "target_due_date", "owner")


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired or self.revived)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.retired)} retired",
            f"{self.unchanged} unchanged",
        ]
        if self.revived:
            parts.append(f"{len(self.revived)} revived")
        if self.unverified:
            parts.append(f"{len(self.unverified)} lost verification (definition changed)")
        return ", ".join(parts)


def _config_row(d: MetricDefinition) -> dict[str, Any]:
    h = d.header
    return {
        "id": d.id,
        "name": h.name,
        "how_to_read": h.how_to_read,
        "methodology": h.methodology,
        "sources": ", ".join(h.sources),
        "source_schemas": json.dumps(h.sources),
        "value_sql": d.value_sql,
        "history_sql": h.history_sql,
        "period": h.period,
        "unit": h.unit,
        "currency": h.currency,
        "direction": h.direction,
        "benchmark_kind": d.benchmark_kind,
        "benchmark_window_days": d.benchmark_window_days,
        "benchmark_config": json.dumps(d.benchmark_config),
        "series_hash": d.series_hash,
        "tags": json.dumps(h.tags),
        "related_cuts": json.dumps(h.related_cuts),
        "file_thresholds": json.dumps(d.file_thresholds),
        "config_hash": d.config_hash,
        "definition_hash": d.definition_hash,
    }


_JSON_COLUMNS = ("source_schemas", "tags", "related_cuts", "file_thresholds", "benchmark_config")


def record_change(
    conn: Connection, metric_id: str, field_name: str, old: Any, new: Any, actor: str, note: str | None = None
) -> None:
    """Append one entry to the registry's audit trail."""
    conn.execute(
        text(
            "INSERT INTO heartbeat.registry_change (entity, entity_id, field, old_value, new_value, changed_by, note) "
            "VALUES ('metric', :id, :field, CAST(:old AS jsonb), CAST(:new AS jsonb), :actor, :note)"
        ),
        {
            "id": metric_id, "field": field_name, "old": json.dumps(old, default=str),
            "new": json.dumps(new, default=str), "actor": actor, "note": note,
        },
    )


def _tunable_value(column: str, value: Any) -> Any:
    if column == "target_due_date" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _insert(conn: Connection, d: MetricDefinition) -> None:
    row = _config_row(d)
    tunables = {c: _tunable_value(c, d.file_thresholds[c]) for c in TUNABLE}
    columns = [*row, *TUNABLE, "threshold_set_by"]
    values = ", ".join(f"CAST(:{c} AS jsonb)" if c in (*_JSON_COLUMNS, "threshold_set_by") else f":{c}" for c in columns)
    conn.execute(
        text(f"INSERT INTO heartbeat.metric_registry ({', '.join(columns)}) VALUES ({values})"),
        {**row, **tunables, "threshold_set_by": json.dumps({c: "file" for c in TUNABLE})},
    )
    record_change(conn, d.id, "metric", None, d.header.name, SYNC_ACTOR, "added from " + d.path.name)


class _Assignments:
    """The SET list of one UPDATE, with its parameters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: dict[str, Any] = {}

    def put(self, column: str, value: Any) -> None:
        is_json = column in (*_JSON_COLUMNS, "threshold_set_by")
        self.parts.append(f"{column} = CAST(:{column} AS jsonb)" if is_json else f"{column} = :{column}")
        self.params[column] = value

    def raw(self, sql: str) -> None:
        self.parts.append(sql)


def _update(conn: Connection, d: MetricDefinition, current: Any, report: SyncReport) -> None:
    row = _config_row(d)
    sets = _Assignments()
    if current.config_hash != d.config_hash:
        for column in ("value_sql", "period", "unit", "direction", "name", "history_sql"):
            if getattr(current, column) != row[column]:
                record_change(conn, d.id, column, getattr(current, column), row[column], SYNC_ACTOR)
        for column, value in row.items():
            if column != "id":
                sets.put(column, value)
        sets.raw("synced_at = now()")
    else:
        # Rows synced before migration 0011 have no series hash or benchmark options yet.
        if current.series_hash != d.series_hash:
            sets.put("series_hash", d.series_hash)
        if (current.benchmark_config or {}) != d.benchmark_config:
            sets.put("benchmark_config", json.dumps(d.benchmark_config))
    if current.series_hash is None:
        # History from before definitions were recorded belongs to the definition the files hold now.
        conn.execute(text("UPDATE heartbeat.metric_history SET definition_hash = :hash "
                          "WHERE metric_id = :id AND definition_hash IS NULL"), {"hash": d.series_hash, "id": d.id})
    set_by = dict(current.threshold_set_by or {})
    old_file = dict(current.file_thresholds or {})
    for column in TUNABLE:
        new_file_value = d.file_thresholds[column]
        if column in old_file and old_file[column] == new_file_value:
            continue  # the file did not change it: an operator's value stands
        new_value = _tunable_value(column, new_file_value)
        if getattr(current, column) != new_value:
            sets.put(column, new_value)
            record_change(conn, d.id, column, getattr(current, column), new_value, SYNC_ACTOR, "file value changed")
        set_by[column] = "file"
    if set_by != (current.threshold_set_by or {}):
        sets.put("threshold_set_by", json.dumps(set_by))
    if current.retired_at is not None:
        sets.put("retired_at", None)
        report.revived.append(d.id)
        record_change(conn, d.id, "retired_at", str(current.retired_at), None, SYNC_ACTOR, "file is back")
    if current.definition_hash != d.definition_hash and current.verification_state == "verified":
        sets.put("verification_state", "unverified")
        sets.put("verified_by", None)
        sets.put("verified_at", None)
        report.unverified.append(d.id)
        record_change(conn, d.id, "verification_state", "verified", "unverified", SYNC_ACTOR, "definition changed")
    if not sets.parts:
        report.unchanged += 1
        return
    conn.execute(
        text(f"UPDATE heartbeat.metric_registry SET {', '.join(sets.parts)} WHERE id = :id"),
        {**sets.params, "id": d.id},
    )
    if d.id not in report.revived:
        report.updated.append(d.id)


def sync(engine: Engine, folder: Path = METRICS_DIR) -> SyncReport:
    """Bring the registry in line with the metric files; raises MetricFilesInvalid before writing."""
    definitions = load_directory(folder)
    report = SyncReport()
    with engine.begin() as conn:
        # One sync at a time: two would race on the same rows.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('heartbeat.metric_sync'))"))
        open_for_sync(conn)
        existing = {
            row.id: row for row in conn.execute(text("SELECT * FROM heartbeat.metric_registry")).all()
        }
        for definition in definitions:
            current = existing.get(definition.id)
            if current is None:
                _insert(conn, definition)
                report.added.append(definition.id)
            else:
                _update(conn, definition, current, report)
        wanted = {d.id for d in definitions}
        for metric_id, row in existing.items():
            if metric_id not in wanted and row.retired_at is None:
                conn.execute(
                    text("UPDATE heartbeat.metric_registry SET retired_at = now() WHERE id = :id"), {"id": metric_id}
                )
                record_change(conn, metric_id, "retired_at", None, "now", SYNC_ACTOR, "file removed; history kept")
                report.retired.append(metric_id)
    return report


_ACTIVE_SQL = text(
    "SELECT id, value_sql, direction, norm_value, alert_value, benchmark_mean, benchmark_stddev, source_schemas, "
    "series_hash "
    "FROM heartbeat.metric_registry WHERE retired_at IS NULL ORDER BY id"
)


@dataclass(frozen=True)
class RegistryRow:
    """What computing a metric needs from its registry row."""

    id: str
    value_sql: str
    direction: str
    norm_value: float | None
    alert_value: float | None
    benchmark_mean: float | None
    benchmark_stddev: float | None
    source_schemas: list[str]
    series_hash: str | None = None


def active_metrics(engine: Engine, ids: Iterable[str] | None = None) -> list[RegistryRow]:
    """Registry rows to compute: all active ones, or the named ones (unknown ids are ignored)."""
    with engine.connect() as conn:
        rows = [RegistryRow(**row) for row in conn.execute(_ACTIVE_SQL).mappings()]
    if ids is None:
        return rows
    wanted = set(ids)
    return [row for row in rows if row.id in wanted]
