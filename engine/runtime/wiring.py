"""The one place where the stages meet: a refresh context with ingest, compute and alerting wired in.

Every entry that starts a refresh (app, scheduler, CLI, API, demo) takes its
context from here, so the hooks a job runs never depend on which process or
which database it happens in.
"""

from __future__ import annotations

from engine import alerts, ingest
from engine.core.db import Database
from engine.core.settings import Settings
from engine.metrics.compute import ComputeContext
from engine.refresh import RefreshContext
from engine.refresh.scheduler import ScheduledJob, default_jobs


def refresh_context(settings: Settings, db: Database, *, alerting: bool = True) -> RefreshContext:
    """The refresh context of a Heartbeat process on ``db``; alert evaluation runs after compute."""
    return RefreshContext(
        db=db,
        ingest=ingest.context_for(settings, db),
        compute=ComputeContext.from_settings(settings, db),
        metrics_dir=settings.metrics_dir,
        after_compute=(alerts.evaluator(settings, db),) if alerting else (),
    )


def scheduled_jobs(settings: Settings, db: Database) -> list[ScheduledJob]:
    """The schedules of a Heartbeat process; each refresh gets a context from ``refresh_context``."""
    return default_jobs(settings, db, lambda: refresh_context(settings, db))
