"""What surfaces read about cuts: the registry, a page of cuts with their snapshots, one cut, a metric's cuts.

Reads snapshots and the registry only — never the marts — so a page costs a
couple of indexed reads whatever the size of the data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from engine.audit.files import PAGES
from engine.core.errors import NotFound

_CUT_COLUMNS = (
    "id, page, title, position, kind, prose_before, prose_after, window_default, windows, metrics, "
    "source_schemas, module, owner, verification_state, verified_by, verified_at, synced_at"
)
_SNAPSHOTS = text(
    "SELECT cut_id, window_key, payload, computed_at, source_as_of, duration_ms, error "
    "FROM heartbeat.audit_cut_snapshot WHERE cut_id = ANY(:ids)"
)


class UnknownPage(NotFound):
    def __init__(self, page: str) -> None:
        super().__init__(f"no audit page {page!r}; pages: {', '.join(PAGES)}")


def registry(engine: Engine) -> list[dict[str, Any]]:
    """Every active cut, by page and position (no payloads)."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {_CUT_COLUMNS} FROM heartbeat.audit_cut_registry "
                                 "WHERE retired_at IS NULL ORDER BY page, position, id")).mappings().all()
    return [dict(r) for r in rows]


def _snapshot(row: Any) -> dict[str, Any]:
    payload = row["payload"] or {}
    return {"window": row["window_key"], "payload": payload or None, "computed_at": row["computed_at"] if payload
            else None, "source_as_of": row["source_as_of"], "duration_ms": row["duration_ms"], "error": row["error"]}


def _with_snapshots(engine: Engine, cuts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(_SNAPSHOTS, {"ids": [c["id"] for c in cuts]}).mappings().all()
    by_cut: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_cut.setdefault(row["cut_id"], {})[row["window_key"]] = _snapshot(row)
    for cut in cuts:
        found = by_cut.get(cut["id"], {})
        cut["snapshots"] = {w: found[w] for w in cut["windows"] if w in found}
    return cuts


def page(engine: Engine, name: str) -> list[dict[str, Any]]:
    """The cuts of one page in order, each with its snapshot per window (``snapshots[window]``)."""
    if name not in PAGES:
        raise UnknownPage(name)
    return _with_snapshots(engine, [c for c in registry(engine) if c["page"] == name])


def cut(engine: Engine, cut_id: str) -> dict[str, Any]:
    """One active cut with its snapshots; NotFound names the id."""
    found = [c for c in registry(engine) if c["id"] == cut_id]
    if not found:
        raise NotFound(f"no active cut {cut_id!r}: the ids are the file names in cuts/")
    return _with_snapshots(engine, found)[0]


def cuts_for_metric(engine: Engine, metric_id: str) -> list[dict[str, Any]]:
    """The cuts that explain ``metric_id`` (first = the one a tile offers), with the freshness of their default."""
    cuts = [c for c in registry(engine) if metric_id in (c["metrics"] or [])]
    cuts.sort(key=lambda c: (c["metrics"].index(metric_id), _PAGE_ORDER[c["page"]], c["position"]))
    for c in _with_snapshots(engine, cuts):
        default = c["snapshots"].get(c["window_default"]) or {}
        c["computed_at"] = default.get("computed_at")
        c["error"] = default.get("error")
        del c["snapshots"]
    return cuts


_PAGE_ORDER = {p: i for i, p in enumerate(PAGES)}
