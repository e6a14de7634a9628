"""REST routes of the refresh path: start (or join) the job, follow it, read the ledger and the scheduler."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from engine.api_json import Json
from pydantic import BaseModel, ConfigDict, Field

from engine import compute, read_model, refresh, scheduler, screens
from engine.api_auth import require_operator, require_reader
from engine.refresh import RefreshRequest
from engine.runtime import Runtime

router = APIRouter(prefix="/api", dependencies=[Depends(require_reader)])


class RecomputeBody(BaseModel):
    """Which metrics to refresh ("all" or ids) and who asks."""

    model_config = ConfigDict(extra="forbid")

    metric_ids: Literal["all"] | Annotated[
        list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")]], Field(min_length=1, max_length=500)
    ] = "all"
    trigger: Literal["ui", "api", "cron", "cli"] = "api"


def _rt(request: Request) -> Runtime:
    return request.app.state.runtime()


@router.post("/metrics/recompute", status_code=202, response_class=Json, tags=["refresh"],
             summary="Start the refresh job, or join the one running (operator token)")
def post_recompute(request: Request, body: RecomputeBody, actor: str = Depends(require_operator)) -> Json:
    rt = _rt(request)
    if body.metric_ids != "all":
        known = {m.id for m in compute.active_metrics(rt.db.engine(), body.metric_ids)}
        unknown = sorted(set(body.metric_ids) - known)
        if unknown:
            raise HTTPException(404, f"unknown or retired metric(s): {', '.join(unknown)}")
    started = refresh.start(request.app.state.refresh_context(), RefreshRequest(body.metric_ids, body.trigger))
    return Json({"job_id": started.job_id, "coalesced": started.coalesced}, status_code=202)


@router.get("/metrics/recompute/{job_id}", response_class=Json, tags=["refresh"],
            summary="One refresh job: phase, progress and outcomes")
def get_job(request: Request, job_id: Annotated[int, Path(ge=1, le=2**62)]) -> Json:
    jobs = read_model.recent_jobs(_rt(request).db.engine(), limit=1, job_id=job_id)
    if not jobs:
        raise HTTPException(404, f"no refresh job {job_id}")
    return Json(jobs[0])


@router.get("/metrics/active-job", response_class=Json, tags=["refresh"],
            summary="The refresh job running now (null when idle), whoever started it")
def get_active_job(request: Request) -> Json:
    return Json({"job": read_model.active_job(_rt(request).db.engine())})


@router.get("/jobs", response_class=Json, tags=["refresh"], summary="The job ledger, newest first")
def get_jobs(request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 20) -> Json:
    return Json({"jobs": read_model.recent_jobs(_rt(request).db.engine(), limit=limit)})


@router.get("/scheduler", response_class=Json, tags=["operations"],
            summary="Scheduled jobs, their next runs and last outcomes, and the leader")
def get_scheduler(request: Request) -> Json:
    rt = _rt(request)
    jobs = scheduler.default_jobs(rt.settings, rt.db)
    return Json(scheduler.status(rt.db.engine(), jobs))


@router.get("/screens", response_class=Json, tags=["operations"],
            summary="Screens showing the cockpit and when each was last seen")
def get_screens(request: Request) -> Json:
    rt = _rt(request)
    return Json({"screens": screens.listed(rt.db.engine(), rt.settings.tv_refresh_seconds)})
