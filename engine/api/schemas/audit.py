"""The answers of the audit routes: the cut registry, a page of cuts, one cut, a refresh, an edit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from engine.api.schemas.base import Answer, FieldChange, NotedChange, example

CUT = {
    "id": "collateral_arrears", "page": "clients", "title": "Unpaid card collateral, per company and month",
    "position": 10, "kind": "table",
    "prose_before": "Every business client pays a monthly **card collateral** invoice, due on the 15th. …",
    "prose_after": "*Covered by us* is the amount we advanced. …",
    "window_default": "180d", "windows": ["180d", "365d"],
    "metrics": ["collateral_covered_by_company", "clients_in_collateral_arrears_60d",
                "collateral_paid_on_time_rate_30d"],
    "source_schemas": ["webbank.core"], "module": "cuts.collateral_arrears", "owner": "credit-risk@satchel.example",
    "verification_state": "unverified", "verified_by": None, "verified_at": None,
    "synced_at": "2026-11-30T06:12:41.006000+00:00",
}
SNAPSHOT = {
    "window": "180d",
    "payload": {"kind": "table", "columns": ["Company", "Month", "Amount due (EUR)", "Covered by us (EUR)",
                                             "Due date", "Days overdue", "Unpaid months of company"],
                "rows": [["Nordlicht Logistik GmbH", "2026-10", 9125.0, 9125.0, "2026-10-15", 46, 2]],
                "highlight": "Company", "headline": "2 unpaid month(s) at 1 company, 18,250 EUR covered by us"},
    "computed_at": "2026-11-30T08:00:02.771000+00:00", "source_as_of": "2026-11-30T07:58:40+00:00",
    "duration_ms": 63, "error": None,
}


class CutEntry(Answer):
    """A cut of the registry: where it shows, what it explains, who owns and vouches for it."""

    model_config = example(CUT)

    id: str = Field(description="the cut id (its file name in cuts/)")
    page: str = Field(description="overview, clients or journeys")
    title: str
    position: int = Field(description="order on its page")
    kind: str = Field(description="the chart kind: table, bars, line, funnel, …")
    prose_before: str = Field(description="Markdown shown above the chart")
    prose_after: str = Field(description="Markdown shown below it")
    window_default: str
    windows: list[str] = Field(description="the windows it offers, e.g. 7d, 30d, 90d")
    metrics: list[str] = Field(description="the metrics it explains, first first")
    source_schemas: list[str]
    module: str = Field(description="the Python module that computes it")
    owner: str | None
    verification_state: str = Field(description="verified or unverified")
    verified_by: str | None
    verified_at: datetime | None
    synced_at: datetime | None


class Snapshot(Answer):
    """The last computation of a cut for one window (the last good payload, beside the last run's error)."""

    window: str
    payload: dict[str, Any] | None = Field(description="the chart's data, validated JSON of the cut's kind: kind, "
                                                       "headline, and its series, rows or steps")
    computed_at: datetime | None = Field(description="when the payload shown was computed")
    source_as_of: datetime | None
    duration_ms: int | None
    error: str | None = Field(description="the error of the last run, if it failed")


class CutRegistry(Answer):
    """Every active cut, by page and position."""

    model_config = example({"cuts": [CUT]})

    cuts: list[CutEntry]


class PageCut(CutEntry):
    """A cut of a page, with its snapshot per window."""

    model_config = example({**CUT, "snapshots": {"180d": SNAPSHOT}})

    snapshots: dict[str, Snapshot] = Field(description="per window key")


class AuditPage(Answer):
    """The cuts of one audit page, in order."""

    model_config = example({"page": "clients", "cuts": [{**CUT, "snapshots": {"180d": SNAPSHOT}}]})

    page: str
    cuts: list[PageCut]


class Tile(Answer):
    """A live tile of a metric the cut explains."""

    id: str
    name: str
    status: str = Field(description="red, amber, green, no_data or error")


class CutDetail(CutEntry):
    """One cut: its registry fields, the snapshot of one window, the live tiles it explains, its change trail."""

    model_config = example({**CUT, "window": "180d", "snapshot": SNAPSHOT,
                            "tiles": [{"id": "collateral_covered_by_company",
                                       "name": "Card collateral covered by us (unpaid)", "status": "red"}],
                            "changes": []})

    window: str = Field(description="the window shown")
    snapshot: Snapshot | None = Field(description="null until the cut is computed for this window")
    tiles: list[Tile]
    changes: list[NotedChange] = Field(description="the change trail, newest first")


class WindowResult(Answer):
    window: str
    ok: bool
    duration_ms: int | None
    error: str | None


class CutRefreshed(Answer):
    """The outcome of recomputing one cut, per window."""

    model_config = example({"cut_id": "collateral_arrears", "results": [
        {"window": "180d", "ok": True, "duration_ms": 61, "error": None},
        {"window": "365d", "ok": True, "duration_ms": 74, "error": None}]})

    cut_id: str = Field(description="the cut recomputed")
    results: list[WindowResult] = Field(description="one per window the cut offers")


class CutEdited(Answer):
    """What an operator edit changed, and the cut as it is now."""

    model_config = example({"changed": {"verification_state": {"old": "unverified", "new": "verified"}},
                            "cut": {**CUT, "verification_state": "verified", "verified_by": "operator",
                                    "verified_at": "2026-11-30T09:14:02.118000+00:00"}})

    changed: dict[str, FieldChange] = Field(description="per field: old and new (empty: nothing changed)")
    cut: CutEntry
