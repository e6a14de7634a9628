"""The evidence an alert quotes: the first cut that explains a metric, and the top rows of its snapshot.

Read from ``heartbeat.audit_cut_registry`` and ``heartbeat.audit_cut_snapshot``
only (no marts, no ``engine.audit`` import: alerting may read, not compute).
"First" is one rule for tiles and alerts (``first_cuts`` and
``first_cut_evidence``): the metric's rank in the cut's ``metrics``, then
page, then position. Only a
``table`` payload has rows worth quoting; other kinds give the link and their
headline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

MAX_ROWS = 5
MAX_COLUMNS = 4
MAX_CELL = 40

# The one rule for "a metric's first cut" (what its tile links and its alert quotes): the metric's rank in
# the cut's ``metrics``, then the page (as engine/audit/files.PAGES orders them), then the position on it.
_FIRST_SQL = """
    SELECT DISTINCT ON (m.metric_id) m.metric_id, r.id, r.page, r.title, r.window_default{payload}
    FROM heartbeat.audit_cut_registry AS r
    CROSS JOIN LATERAL jsonb_array_elements_text(r.metrics) WITH ORDINALITY AS m(metric_id, rank)
    {snapshot}
    WHERE r.retired_at IS NULL{only}
    ORDER BY m.metric_id, m.rank, CASE r.page WHEN 'overview' THEN 0 WHEN 'clients' THEN 1 ELSE 2 END,
             r.position, r.id
"""
_FIRST = text(_FIRST_SQL.format(payload="", snapshot="", only=""))
_FIRST_WITH_PAYLOAD = text(_FIRST_SQL.format(
    payload=", s.payload",
    snapshot="LEFT JOIN heartbeat.audit_cut_snapshot AS s ON s.cut_id = r.id AND s.window_key = r.window_default",
    only=" AND m.metric_id = ANY(:ids)"))


def first_cuts(engine: Engine) -> dict[str, dict[str, str]]:
    """metric id → its first cut (``id``, ``page``, ``title``): what a tile offers. One read, no payloads."""
    with engine.connect() as conn:
        return {row.metric_id: {"id": row.id, "page": row.page, "title": row.title} for row in conn.execute(_FIRST)}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        value = f"{value:,.2f}"
    elif isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:,}"
    elif value is None:
        value = "—"
    text_ = " ".join(str(value).split())  # one line per row, whatever the data holds
    return text_ if len(text_) <= MAX_CELL else text_[:MAX_CELL - 1] + "…"


def _quote(payload: dict[str, Any] | None) -> tuple[list[str], list[list[str]]]:
    if not payload or payload.get("kind") != "table":
        return [], []
    columns = [_cell(c) for c in (payload.get("columns") or [])[:MAX_COLUMNS]]
    rows = [[_cell(v) for v in row[:MAX_COLUMNS]] for row in (payload.get("rows") or [])[:MAX_ROWS]]
    return columns, rows


def first_cut_evidence(engine: Engine, metric_ids: list[str], link_base: str) -> dict[str, dict[str, Any]]:
    """metric id → its first cut: ``cut_id``, ``title``, ``window``, ``link`` (``/audit/<page>#<cut>``),
    ``headline`` and, for a table, the first ``columns`` and ``rows`` as display text. One read."""
    if not metric_ids:
        return {}
    with engine.connect() as conn:
        found = conn.execute(_FIRST_WITH_PAYLOAD, {"ids": list(metric_ids)}).mappings().all()
    evidence = {}
    for row in found:
        payload = row["payload"] or None
        columns, rows = _quote(payload)
        evidence[row["metric_id"]] = {
            "cut_id": row["id"], "title": row["title"], "window": row["window_default"],
            "link": f"{link_base}/audit/{row['page']}#{row['id']}",
            "headline": (payload or {}).get("headline"), "columns": columns, "rows": rows,
        }
    return evidence
