"""The one place where the stages meet: a refresh context with ingest, compute and alerting wired in.

Every entry that starts a refresh (app, scheduler, CLI, API, demo) takes its
context from here, so the hooks a job runs never depend on which process or
which database it happens in.
"""

from __future__ import annotations

import logging
from typing import Callable

from engine import alerts, ingest
from engine.audit import read as audit_read
from engine.audit import segments, snapshots
from engine.core.db import Database
from engine.core.settings import Settings
from engine.metrics.compute import ComputeContext
from engine.refresh import RefreshContext
from engine.refresh.scheduler import ScheduledJob, default_jobs

log = logging.getLogger(__name__)
ATTENTION = ("red", "amber")


def refresh_context(settings: Settings, db: Database, *, alerting: bool = True) -> RefreshContext:
    """The refresh context of a Heartbeat process on ``db``: after compute, the cuts behind red and amber
    metrics are recomputed, then alerts are evaluated — in that order, so an alert quotes today's evidence
    (and the very first alerts of a new installation have evidence at all)."""
    hooks = (cut_recompute(settings, db),) + ((alerts.evaluator(settings, db),) if alerting else ())
    return RefreshContext(
        db=db,
        ingest=ingest.context_for(settings, db),
        compute=ComputeContext.from_settings(settings, db),
        metrics_dir=settings.metrics_dir,
        after_compute=hooks,
    )


def audit_snapshots(settings: Settings, db: Database) -> Callable[[], str]:
    """The daily audit job: sync cuts/ into the registry, then snapshot every cut × window."""
    def run() -> str:
        results = snapshots.refresh(ComputeContext.from_settings(settings, db), folder=settings.cuts_dir)
        failed = [f"{r.cut_id}/{r.window}" for r in results if r.error]
        return f"{len(results) - len(failed)} snapshot(s)" + (f", failed: {', '.join(failed)}" if failed else "")
    return run


def client_segments(settings: Settings, db: Database) -> Callable[[], str]:
    """The daily segment job: count the clients per segment today (engine/audit/segments.py)."""
    def run() -> str:
        days = segments.snapshot(ComputeContext.from_settings(settings, db))
        return f"client segments counted for {len(days)} day(s), up to {days[-1].isoformat()}"
    return run


def cut_recompute(settings: Settings, db: Database) -> Callable[[int, list], None]:
    """After-compute hook: recompute the cuts that explain a metric now red or amber, so the drill-down of a
    live incident is never a day old (beside alert evaluation; a failure is logged, never fails the job)."""
    def after_compute(job_id: int, results: list) -> None:
        attention = {r.metric_id for r in results if r.status in ATTENTION}
        if not attention:
            return
        ids = sorted({c["id"] for c in audit_read.registry(db.engine()) if attention & set(c["metrics"] or [])})
        if not ids:
            return
        done = snapshots.refresh(ComputeContext.from_settings(settings, db), ids, folder=settings.cuts_dir)
        log.info("after job %s: recomputed %s cut snapshot(s) of %s red/amber metric(s)", job_id, len(done),
                 len(attention))
    return after_compute


def scheduled_jobs(settings: Settings, db: Database) -> list[ScheduledJob]:
    """The schedules of a Heartbeat process; each refresh gets a context from ``refresh_context``."""
    return default_jobs(settings, db, lambda: refresh_context(settings, db),
                        audit=audit_snapshots(settings, db), segments=client_segments(settings, db))
