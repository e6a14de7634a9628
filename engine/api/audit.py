"""REST routes of the audit surface: the cut registry, a page of cuts, one cut, and operator actions.

Reads come from snapshots only (never the marts), so a page costs the same at any data size.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from engine.api.deps import CutId, Json, require_operator, require_reader, runtime_of
from engine.api.schemas.audit import AuditPage, CutDetail, CutEdited, CutRefreshed, CutRegistry
from engine.api.schemas.errors import READ, WRITE, errors
from engine.audit import edits, read, snapshots
from engine.audit.windows import WINDOW_PATTERN
from engine.core.errors import ConfigError, FieldRejected
from engine.metrics.compute import ComputeContext
from engine.metrics.edits import UNSET
from engine.read.cards import metric_cards

router = APIRouter(prefix="/api/audit", dependencies=[Depends(require_reader)])

Page = Annotated[Literal["overview", "clients", "journeys"],
                 Path(description="the audit page: overview (/audit), clients or journeys")]
Window = Annotated[str | None, Query(pattern=WINDOW_PATTERN.pattern, description="the snapshot's window, in days (e.g. 30d), one the cut offers; default: the cut's")]


def _tiles(request: Request, metric_ids: list[str]) -> list[dict[str, Any]]:
    """The live tiles of the metrics a cut explains: name, status, value as shown."""
    cards = {c.id: c for c in metric_cards(runtime_of(request).db.engine(), history_days=0, ids=metric_ids)}
    return [{"id": m, "name": cards[m].name, "status": cards[m].status} for m in metric_ids if m in cards]


@router.get("/registry", response_class=Json, response_model=CutRegistry,
            responses=errors(401, 503), tags=["audit"], summary="Every active cut, by page and position")
def get_registry(request: Request) -> Json:
    """See [audit](/docs/audit) for what a cut is."""
    return Json({"cuts": read.registry(runtime_of(request).db.engine())})


@router.get("/pages/{page}", response_class=Json, response_model=AuditPage, responses=errors(*READ), tags=["audit"],
            summary="The cuts of one audit page, each with its snapshot per window")
def get_page(request: Request, page: Page) -> Json:
    """Snapshots only, never the marts, so a page costs the same at any data size. Each cut carries its last good
    payload per window beside the error of its last run.
    """
    return Json({"page": page, "cuts": read.page(runtime_of(request).db.engine(), page)})


@router.get("/cuts/{cut_id}", response_class=Json, response_model=CutDetail,
            responses=errors(404, *READ, why={404: "No active cut by that id"}), tags=["audit"],
            summary="One cut: registry fields, the snapshot of one window, the live tiles it explains")
def get_cut(request: Request, cut_id: CutId, window: Window = None) -> Json:
    """`window` defaults to the cut's own; a malformed window, or one the cut does not offer, is `422` naming
    `window`.
    """
    engine = runtime_of(request).db.engine()
    cut = read.cut(engine, cut_id)
    chosen = window or cut["window_default"]
    if chosen not in cut["windows"]:
        raise FieldRejected("window", f"{cut_id} offers {', '.join(cut['windows'])}, not {chosen}")
    snapshots_by_window = cut.pop("snapshots")
    return Json({**cut, "window": chosen, "snapshot": snapshots_by_window.get(chosen),
                 "tiles": _tiles(request, cut["metrics"]), "changes": edits.changes(engine, cut_id)})


@router.post("/cuts/{cut_id}/refresh", response_class=Json, response_model=CutRefreshed,
             responses=errors(404, 409, *WRITE,
                              why={404: "No cut by that id in cuts/",
                                   409: "cuts/ cannot be loaded: the module at fault and the fix"}),
             tags=["audit"],
             summary="Sync cuts/ and recompute one cut for every window now (operator token)")
def post_refresh(request: Request, cut_id: CutId, actor: str = Depends(require_operator)) -> Json:
    """Syncs `cuts/` first (a cut just added can be refreshed at once), then recomputes the cut for every window it
    offers. A broken `cuts/` folder is `409` naming the module and the fix.
    """
    rt = runtime_of(request)
    try:  # the refresh syncs cuts/ first, so a cut just added can be refreshed; an unknown id is a 404
        results = snapshots.refresh(ComputeContext.from_settings(rt.settings, rt.db), [cut_id],
                                    folder=rt.settings.cuts_dir)
    except ConfigError as exc:
        raise HTTPException(409, str(exc)) from exc
    return Json({"cut_id": cut_id, "results": [
        {"window": r.window, "ok": r.ok, "duration_ms": r.duration_ms, "error": r.error} for r in results
    ]})


class CutVerificationEdit(BaseModel):
    """Set the verification state and/or the owner of a cut; either may be sent alone."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"verification_state": "verified", "owner": "compliance@example.com"}]})

    verification_state: Annotated[Literal["verified", "unverified"] | None, Field(
        description="verified records who and when vouched for the cut; unverified withdraws it")] = None
    owner: Annotated[str | None, Field(
        max_length=254, description="the owner's email address (null: no owner)")] = None


@router.patch("/cuts/{cut_id}/verification", response_class=Json, response_model=CutEdited,
              responses=errors(404, *WRITE, why={404: "No active cut by that id"}), tags=["audit"],
              summary="Verify a cut and/or set its owner (operator token)")
def patch_verification(request: Request, cut_id: CutId, edit: CutVerificationEdit,
                       actor: str = Depends(require_operator)) -> Json:
    """As for a metric: either field alone, the owner an email; recorded in the change trail (entity `cut`)."""
    sent = edit.model_fields_set
    if not sent:
        raise FieldRejected("body", "send verification_state and/or owner")
    engine = runtime_of(request).db.engine()
    result = edits.set_verification(
        engine, cut_id, actor=actor,
        verification_state=edit.verification_state if "verification_state" in sent else UNSET,
        owner=edit.owner if "owner" in sent else UNSET,
    )
    cut = read.cut(engine, cut_id)
    cut.pop("snapshots")
    return Json({"changed": {f: {"old": old, "new": new} for f, (old, new) in result.changed.items()}, "cut": cut})
