"""The answers of the refresh and operations routes: jobs, the scheduler, the screens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from engine.api.schemas.base import Answer, example
from engine.read.shapes import RunningJob

JOB = {
    "id": 118, "trigger": "cron", "requested": "all", "status": "succeeded", "phase": "done", "step": 24,
    "total": 24, "current_item": None,
    "source_outcomes": {"card_management.cards": {"status": "succeeded", "rows": 1843, "duration_ms": 912,
                                                  "error": None}},
    "metric_outcomes": {"active_cards": {"ok": True, "value": 3412.0, "status": "green", "duration_ms": 41,
                                         "error": None}},
    "started_at": "2026-11-30T08:00:00.204000+00:00", "heartbeat_at": "2026-11-30T08:00:05.020000+00:00",
    "finished_at": "2026-11-30T08:00:05.031000+00:00", "error": None,
}


class SourceOutcome(Answer):
    """How one source schema's ingest went."""

    status: str = Field(description="succeeded, failed or skipped")
    rows: int | None = Field(description="rows loaded")
    duration_ms: int | None
    error: str | None


class MetricOutcome(Answer):
    """How one metric's computation went."""

    ok: bool
    value: float | None
    status: str | None = Field(description="the status it was computed with")
    duration_ms: int | None
    error: str | None


class RefreshJob(RunningJob, Answer):
    """One refresh job of the ledger: what was asked, how far it got, each source's and metric's outcome."""

    model_config = example(JOB)

    requested: Literal["all"] | list[str] = Field(description='"all" or the metric ids asked for')
    status: str = Field(description="running, succeeded, partial, failed or abandoned")
    source_outcomes: dict[str, SourceOutcome] = Field(description="per source.schema")
    metric_outcomes: dict[str, MetricOutcome] = Field(description="per metric id")
    heartbeat_at: datetime | None = Field(description="the job's last sign of life")
    finished_at: datetime | None
    error: str | None


class RecomputeStarted(Answer):
    """The job that will refresh the metrics: a new one, or the one already running (``coalesced``)."""

    model_config = example({"job_id": 119, "coalesced": False})

    job_id: int = Field(description="follow it at GET /api/metrics/recompute/{job_id}")
    coalesced: bool = Field(description="true when the request joined a job already running")


class ActiveJob(Answer):
    """The refresh job running now, whoever started it."""

    model_config = example({"job": {**JOB, "status": "running", "phase": "compute", "step": 9,
                                    "current_item": "active_cards", "finished_at": None}})

    job: RefreshJob | None = Field(description="null when no job is running")


class JobList(Answer):
    """The job ledger, newest first."""

    model_config = example({"jobs": [JOB]})

    jobs: list[RefreshJob]


class Leader(Answer):
    """The process whose scheduler runs the schedules now."""

    pid: int
    host: str
    since: datetime
    heartbeat_at: datetime
    alive: bool = Field(description="its last beat is recent: a standby takes over otherwise")


class LastRun(Answer):
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None = Field(description="ok or failed (null while it runs)")
    detail: str | None


class Schedule(Answer):
    id: str
    cron: str = Field(description="crontab, UTC")
    description: str
    next_run_at: datetime | None
    last_run: LastRun | None


class SchedulerStatus(Answer):
    """Every schedule with its next run and last outcome, and the leader."""

    model_config = example({
        "leader": {"pid": 4121, "host": "heartbeat-1", "since": "2026-11-30T06:12:40.112000+00:00",
                   "heartbeat_at": "2026-11-30T08:00:21.530000+00:00", "alive": True},
        "lease_seconds": 10.0,
        "jobs": [{"id": "refresh", "cron": "*/5 * * * *", "description": "ingest + compute every metric",
                  "next_run_at": "2026-11-30T08:05:00+00:00",
                  "last_run": {"started_at": "2026-11-30T08:00:00.190000+00:00",
                               "finished_at": "2026-11-30T08:00:05.040000+00:00", "outcome": "ok",
                               "detail": "job 118 succeeded"}}],
    })

    leader: Leader | None = Field(description="null when no scheduler has led yet")
    lease_seconds: float = Field(description="within this a standby takes over from a killed leader")
    jobs: list[Schedule]


class Screen(Answer):
    """One tab that showed the cockpit."""

    id: str
    path: str = Field(description="the page it shows")
    kiosk: bool
    user_agent: str | None
    watchlist: str | None = Field(description='the watchlist it shows, "starred" for a browser\'s own stars, '
                                              "null for the whole wall")
    first_seen: datetime
    last_seen: datetime
    alive: bool = Field(description="seen within three refresh intervals")
    seconds_since_seen: float


class ScreenList(Answer):
    """Every screen seen in the last 7 days, newest beat first."""

    model_config = example({"screens": [{
        "id": "3f9c2a71-7d8e-4c55-9a0b-2e51c8d0b6aa", "path": "/?kiosk=1", "kiosk": True,
        "user_agent": "Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 Chromium/120.0",
        "watchlist": None, "first_seen": "2026-11-23T07:58:02.338000+00:00",
        "last_seen": "2026-11-30T08:00:15.914000+00:00", "alive": True, "seconds_since_seen": 12.4}]})

    screens: list[Screen]
