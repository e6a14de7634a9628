"""REST routes of the refresh path: start (or join) the job, follow it, read the ledger and the scheduler."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from engine import refresh
from engine.api.deps import Json, MetricIdField, require_operator, require_reader, runtime_of
from engine.api.schemas.errors import READ, WRITE, errors
from engine.api.schemas.jobs import ActiveJob, JobList, RecomputeStarted, RefreshJob, SchedulerStatus, ScreenList
from engine.metrics import registry
from engine.read import screens
from engine.read.jobs import active_job, recent_jobs
from engine.refresh import RefreshRequest, Trigger, scheduler
from engine.runtime import wiring

router = APIRouter(prefix="/api", dependencies=[Depends(require_reader)])


class RecomputeBody(BaseModel):
    """Which metrics to refresh ("all" or ids) and who asks."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"metric_ids": ["payment_approval_rate_24h", "payments_24h"], "trigger": "api"}]})

    metric_ids: Annotated[Literal["all"] | Annotated[list[MetricIdField], Field(min_length=1, max_length=500)],
                          Field(description='"all" active metrics (the default), or 1 to 500 active metric ids')
                          ] = "all"
    trigger: Annotated[Trigger, Field(
        description="who asks, as the job ledger records it: ui (the cockpit), api (a script), cron, cli")] = "api"



@router.post("/metrics/recompute", status_code=202, response_class=Json, response_model=RecomputeStarted,
             responses=errors(404, *WRITE, why={404: "Unknown or retired metric ids, named"}), tags=["refresh"],
             summary="Start the refresh job, or join the one running (operator token)")
def post_recompute(request: Request, body: RecomputeBody, actor: str = Depends(require_operator)) -> Json:
    """Single-flight: while a refresh job runs, a request joins it and gets its id with `coalesced: true` — 100
    concurrent requests yield one job. The job syncs the metrics, lands the sources they read and computes them;
    follow it at `GET /api/metrics/recompute/{job_id}`.
    """
    rt = runtime_of(request)
    if body.metric_ids != "all":
        known = {m.id for m in registry.active_metrics(rt.db.engine(), body.metric_ids)}
        unknown = sorted(set(body.metric_ids) - known)
        if unknown:
            raise HTTPException(404, f"unknown or retired metric(s): {', '.join(unknown)}")
    started = refresh.start(request.app.state.refresh_context(), RefreshRequest(body.metric_ids, body.trigger))
    return Json({"job_id": started.job_id, "coalesced": started.coalesced}, status_code=202)


@router.get("/metrics/recompute/{job_id}", response_class=Json, response_model=RefreshJob,
            responses=errors(404, *READ, why={404: "No refresh job by that id"}), tags=["refresh"],
            summary="One refresh job: phase, progress and outcomes")
def get_job(request: Request, job_id: Annotated[int, Path(
        ge=1, le=2**62, description="the job's id, as POST /api/metrics/recompute answered it")]) -> Json:
    """Its trigger, status, phase, step of total, the item in progress, and each source's and metric's outcome."""
    jobs = recent_jobs(runtime_of(request).db.engine(), limit=1, job_id=job_id)
    if not jobs:
        raise HTTPException(404, f"no refresh job {job_id}")
    return Json(jobs[0])


@router.get("/metrics/active-job", response_class=Json, response_model=ActiveJob,
            responses=errors(401, 503), tags=["refresh"],
            summary="The refresh job running now (null when idle), whoever started it")
def get_active_job(request: Request) -> Json:
    """Whoever started it: the cockpit, a script, the scheduler or `heartbeat refresh`. `{"job": null}` when idle."""
    return Json({"job": active_job(runtime_of(request).db.engine())})


@router.get("/jobs", response_class=Json, response_model=JobList,
            responses=errors(*READ), tags=["refresh"], summary="The job ledger, newest first")
def get_jobs(
    request: Request, limit: Annotated[int, Query(ge=1, le=500, description="how many jobs, newest first")] = 20
) -> Json:
    return Json({"jobs": recent_jobs(runtime_of(request).db.engine(), limit=limit)})


@router.get("/scheduler", response_class=Json, response_model=SchedulerStatus,
            responses=errors(401, 503), tags=["operations"],
            summary="Scheduled jobs, their next runs and last outcomes, and the leader")
def get_scheduler(request: Request) -> Json:
    """Every schedule (refresh, benchmarks, segments, audit: cron, next run, last outcome) and the leader (pid,
    host, since, last beat, alive), with `lease_seconds`: the time within which a standby takes over from a
    killed leader.
    """
    rt = runtime_of(request)
    return Json(scheduler.status(rt.db.engine(), wiring.scheduled_jobs(rt.settings, rt.db)))


@router.get("/screens", response_class=Json, response_model=ScreenList, responses=errors(401, 503), tags=["operations"],
            summary="Screens showing the cockpit and when each was last seen")
def get_screens(request: Request) -> Json:
    """Every tab that showed the cockpit in the last 7 days, with the watchlist it shows; `alive` when seen within
    three refresh intervals — a TV that crashed or froze stops beating.
    """
    rt = runtime_of(request)
    return Json({"screens": screens.listed(rt.db.engine(), rt.settings.tv_refresh_seconds,
                                              expire_after=rt.settings.screen_expiry)})
