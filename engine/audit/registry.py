"""Cut sync: make ``audit_cut_registry`` say what ``cuts/*.py`` say.

Config truth is the module; runtime truth (owner, verification) is the
table. All modules are loaded and checked first — against the active metric
ids — and nothing is written when any is broken; otherwise one transaction
brings the registry in line and records every change in ``registry_change``
(entity ``cut``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from engine.audit.files import CUTS_DIR, CutDefinition, load_directory
from engine.core.errors import NotFound

SYNC_ACTOR = "sync"
_JSON = ("windows", "metrics", "source_schemas")


class UnknownCut(NotFound):
    def __init__(self, cut_id: str) -> None:
        self.cut_id = cut_id
        super().__init__(f"no active cut {cut_id!r}: the ids are the file names in cuts/")


@dataclass
class CutSyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    # What the sync read: the refresh computes from these without importing the folder twice.
    definitions: list[CutDefinition] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.retired)} retired, "
                f"{self.unchanged} unchanged")


def record_change(conn: Connection, cut_id: str, field_name: str, old: Any, new: Any, actor: str,
                  note: str | None = None) -> None:
    """Append one entry for a cut to the registry's audit trail."""
    conn.execute(
        text("INSERT INTO heartbeat.registry_change (entity, entity_id, field, old_value, new_value, changed_by, "
             "note) VALUES ('cut', :id, :field, CAST(:old AS jsonb), CAST(:new AS jsonb), :actor, :note)"),
        {"id": cut_id, "field": field_name, "old": json.dumps(old, default=str), "new": json.dumps(new, default=str),
         "actor": actor, "note": note},
    )


def _row(d: CutDefinition) -> dict[str, Any]:
    return {
        "id": d.id, "page": d.page, "title": d.title, "window_default": d.window_default, "position": d.order,
        "kind": d.kind, "prose_before": d.prose_before, "prose_after": d.prose_after,
        "windows": json.dumps(list(d.windows)), "metrics": json.dumps(list(d.metrics)),
        "source_schemas": json.dumps(list(d.sources)), "module": f"cuts/{d.path.name}",
        "config_hash": d.config_hash,
    }


def _value(column: str) -> str:
    return f"CAST(:{column} AS jsonb)" if column in _JSON else f":{column}"


def _insert(conn: Connection, d: CutDefinition) -> None:
    row = {**_row(d), "owner": d.owner, "file_owner": d.owner}
    conn.execute(text(f"INSERT INTO heartbeat.audit_cut_registry ({', '.join(row)}) "
                      f"VALUES ({', '.join(_value(c) for c in row)})"), row)
    record_change(conn, d.id, "cut", None, d.title, SYNC_ACTOR, f"added from cuts/{d.path.name}")


def _update(conn: Connection, d: CutDefinition, current: Any, report: CutSyncReport) -> None:
    row = _row(d)
    sets: dict[str, Any] = {}
    if current.config_hash != d.config_hash:
        sets.update({c: v for c, v in row.items() if c != "id"})
        for column in ("page", "title", "kind", "position"):
            if getattr(current, column) != row[column]:
                record_change(conn, d.id, column, getattr(current, column), row[column], SYNC_ACTOR)
    if d.owner != current.file_owner:  # the file changed its owner: it wins over an operator's, once
        sets.update(owner=d.owner, file_owner=d.owner)
        record_change(conn, d.id, "owner", current.owner, d.owner, SYNC_ACTOR, "file value changed")
    if current.retired_at is not None:
        sets["retired_at"] = None
        record_change(conn, d.id, "retired_at", str(current.retired_at), None, SYNC_ACTOR, "file is back")
    if not sets:
        report.unchanged += 1
        return
    assignments = ", ".join(f"{c} = {_value(c)}" for c in sets) + ", synced_at = now()"
    conn.execute(text(f"UPDATE heartbeat.audit_cut_registry SET {assignments} WHERE id = :id"), {**sets, "id": d.id})
    report.updated.append(d.id)


def active_metric_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT id FROM heartbeat.metric_registry WHERE retired_at IS NULL")).scalars())


def sync(engine: Engine, folder: Path = CUTS_DIR) -> CutSyncReport:
    """Bring the cut registry in line with the folder; raises CutFilesInvalid before writing anything."""
    definitions = load_directory(folder, known_metrics=active_metric_ids(engine))
    report = CutSyncReport(definitions=definitions)
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('heartbeat.cut_sync'))"))
        existing = {r.id: r for r in conn.execute(text("SELECT * FROM heartbeat.audit_cut_registry")).all()}
        for d in definitions:
            if d.id in existing:
                _update(conn, d, existing[d.id], report)
            else:
                _insert(conn, d)
                report.added.append(d.id)
        wanted = {d.id for d in definitions}
        for cut_id, row in existing.items():
            if cut_id not in wanted and row.retired_at is None:
                conn.execute(text("UPDATE heartbeat.audit_cut_registry SET retired_at = now() WHERE id = :id"),
                             {"id": cut_id})
                record_change(conn, cut_id, "retired_at", None, "now", SYNC_ACTOR, "file removed; snapshots kept")
                report.retired.append(cut_id)
    return report
