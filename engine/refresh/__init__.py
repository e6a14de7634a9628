"""The one job: sync the metric files → ingest → compute → after-compute hooks; its ledger; the scheduler.

May import ``engine.metrics``, ``engine.ingest``, ``engine.sources`` and ``engine.core`` — never
``engine.alerts`` (alerting reaches the job as a hook in its context) and never ``engine.runtime``.
"""

from engine.refresh.job import (
    TRIGGERS,
    AfterCompute,
    RefreshContext,
    RefreshRequest,
    Started,
    Trigger,
    run,
    start,
)
from engine.refresh.ledger import LOCK_KEY, JobState, mark_abandoned, running_job_id

__all__ = [
    "LOCK_KEY", "TRIGGERS", "AfterCompute", "JobState", "RefreshContext", "RefreshRequest", "Started", "Trigger",
    "mark_abandoned", "run", "running_job_id", "start",
]
