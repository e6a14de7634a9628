"""The one refresh path: ingest the sources the requested metrics read, then compute them.

Every trigger — the UI button, the scheduler, the CLI, the API — starts this
job. It is single-flight across processes: a session-level Postgres
advisory lock is held for the whole job, so a second request anywhere
coalesces onto the running job instead of starting another. The job ledger
(``refresh_job``) is written at every phase change, so it stays truthful
when a process dies (the next start marks such a job abandoned).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import psycopg
from sqlalchemy import text

from engine import compute, ingest, registry
from engine.compute import ComputeContext, ComputeResult
from engine.db import Database
from engine.errors import HeartbeatError
from engine.settings import Settings
from engine.ingest import IngestContext
from engine.metric_files import MetricFilesInvalid
from engine.sources import get_source

log = logging.getLogger(__name__)

LOCK_KEY = 0x4842_5246  # "HBRF": the refresh job's advisory lock, one per database
TRIGGERS = ("ui", "cron", "cli", "api")
Trigger = Literal["ui", "cron", "cli", "api"]

# Called after compute with (job_id, results); the alerting layer registers here.
AFTER_COMPUTE: list[Callable[[int, list[ComputeResult]], None]] = []


@dataclass(frozen=True)
class RefreshRequest:
    metric_ids: list[str] | Literal["all"] = "all"
    trigger: Trigger = "cli"

    def __post_init__(self) -> None:
        if self.trigger not in TRIGGERS:
            raise HeartbeatError(f"unknown trigger {self.trigger!r}; one of {', '.join(TRIGGERS)}")


@dataclass
class JobState:
    """What the ledger row says; also what progress callbacks receive."""

    id: int
    trigger: str
    status: str = "running"
    phase: str = "queued"
    step: int = 0
    total: int = 0
    current_item: str | None = None
    source_outcomes: dict[str, Any] = field(default_factory=dict)
    metric_outcomes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Started:
    job_id: int
    coalesced: bool


class RefreshContext:
    """Everything a refresh needs from the process: the database, ingest and compute settings."""

    def __init__(self, db: Database, ingest_ctx: IngestContext, compute_ctx: ComputeContext,
                 metrics_dir=registry.METRICS_DIR) -> None:
        self.db = db
        self.ingest = ingest_ctx
        self.compute = compute_ctx
        self.metrics_dir = metrics_dir


class _Lock:
    """The job's advisory lock, held by a dedicated connection for the whole job."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: psycopg.Connection | None = None

    def try_acquire(self) -> bool:
        self.conn = psycopg.connect(self.db.dsn(), autocommit=True, connect_timeout=10)
        got = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]
        if not got:
            self.release()
        return bool(got)

    def release(self) -> None:
        if self.conn is not None:
            self.conn.close()  # closing the session releases the lock
            self.conn = None


def _write(db: Database, state: JobState, *, finished: bool = False) -> None:
    with db.engine().begin() as conn:
        conn.execute(
            text(
                "UPDATE heartbeat.refresh_job SET status = :status, phase = :phase, step = :step, total = :total, "
                "current_item = :item, source_outcomes = CAST(:sources AS jsonb), "
                "metric_outcomes = CAST(:metrics AS jsonb), error = :error, heartbeat_at = now()"
                + (", finished_at = now()" if finished else "")
                + " WHERE id = :id"
            ),
            {
                "status": state.status, "phase": state.phase, "step": state.step, "total": state.total,
                "item": state.current_item, "sources": json.dumps(state.source_outcomes, default=str),
                "metrics": json.dumps(state.metric_outcomes, default=str), "error": state.error, "id": state.id,
            },
        )


_ABANDON_SQL = text(
    "UPDATE heartbeat.refresh_job SET status = 'abandoned', finished_at = now(), "
    "error = coalesce(error, 'the process running this job stopped before it finished') "
    "WHERE status = 'running'"
)


def mark_abandoned(db: Database) -> int:
    """Mark 'running' jobs abandoned when no process holds the job lock (their process died)."""
    lock = _Lock(db)
    if not lock.try_acquire():
        return 0
    try:
        with db.engine().begin() as conn:
            return conn.execute(_ABANDON_SQL).rowcount
    finally:
        lock.release()


def running_job_id(db: Database, wait_seconds: float = 5.0) -> int | None:
    """The id of the job another process is running (it may take a moment to appear in the ledger)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        with db.engine().connect() as conn:
            job_id = conn.execute(
                text("SELECT id FROM heartbeat.refresh_job WHERE status = 'running' ORDER BY id DESC LIMIT 1")
            ).scalar()
        if job_id is not None or time.monotonic() >= deadline:
            return job_id
        time.sleep(0.1)


def _resolve(ctx: RefreshContext, request: RefreshRequest) -> tuple[list[Any], list[tuple[str, str]]]:
    ids = None if request.metric_ids == "all" else list(request.metric_ids)
    metrics = compute.active_metrics(ctx.db.engine(), ids)
    if ids is not None:
        missing = sorted(set(ids) - {m.id for m in metrics})
        if missing:
            raise HeartbeatError(f"unknown or retired metric(s): {', '.join(missing)}")
    pairs: list[tuple[str, str]] = []
    for metric in metrics:
        for item in metric.source_schemas:
            pair = tuple(item.split(".", 1))
            if pair not in pairs:
                pairs.append(pair)  # type: ignore[arg-type]
    if request.metric_ids == "all":
        # "all" refreshes every registered source, read by a metric or not.
        for spec, schema in ingest.plan(None):
            if (spec.name, schema) not in pairs:
                pairs.append((spec.name, schema))
    return metrics, pairs


def _execute(ctx: RefreshContext, request: RefreshRequest, state: JobState,
             on_progress: Callable[[JobState], None] | None) -> None:
    report = on_progress or (lambda _s: None)

    def phase(name: str, total: int = 0) -> None:
        state.phase, state.step, state.total, state.current_item = name, 0, total, None
        _write(ctx.db, state)
        report(state)

    phase("sync")
    try:
        registry.sync(ctx.db.engine(), ctx.metrics_dir)
    except MetricFilesInvalid as exc:
        # Broken files must not stop the wall: compute what the registry has.
        state.error = str(exc).splitlines()[0]
        log.warning("refresh %s: %s", state.id, state.error)

    metrics, pairs = _resolve(ctx, request)
    phase("ingest", len(pairs))
    for spec_name, schema in pairs:
        state.current_item = f"{spec_name}.{schema}"
        _write(ctx.db, state)
        report(state)
        outcome = ingest.run_one(get_source(spec_name), schema, ctx.ingest, job_id=state.id)
        state.source_outcomes[f"{spec_name}.{schema}"] = {
            "status": outcome.status, "rows": outcome.rows_total, "duration_ms": outcome.duration_ms,
            "error": outcome.error,
        }
        state.step += 1
        _write(ctx.db, state)
        report(state)

    refreshed = {key for key, o in state.source_outcomes.items() if o["status"] == "succeeded"}
    # Every requested metric is computed: one whose source failed still gets
    # a fresh value from the data it has, and its freshness says how old that is.
    phase("compute", len(metrics))
    lock = threading.Lock()

    def on_result(result: ComputeResult) -> None:
        with lock:
            state.metric_outcomes[result.metric_id] = result.as_outcome()
            state.step += 1
            state.current_item = result.metric_id
            _write(ctx.db, state)
            report(state)

    results = compute.compute_many(ctx.compute, [m.id for m in metrics], job_id=state.id, on_result=on_result)

    phase("alerts")
    for hook in AFTER_COMPUTE:
        try:
            hook(state.id, results)
        except Exception:  # an alerting bug must not fail the refresh that fed it
            log.exception("after-compute hook failed for job %s", state.id)

    failed_sources = [k for k, o in state.source_outcomes.items() if o["status"] != "succeeded"]
    failed_metrics = [r.metric_id for r in results if not r.ok]
    state.current_item = None
    if failed_sources or failed_metrics or state.error:
        everything_failed = (not refreshed and pairs) and (results and not any(r.ok for r in results))
        state.status = "failed" if everything_failed else "partial"
        problems = []
        if failed_sources:
            problems.append(f"sources failed: {', '.join(failed_sources)}")
        if failed_metrics:
            problems.append(f"metrics failed: {', '.join(failed_metrics)}")
        state.error = "; ".join(([state.error] if state.error else []) + problems)
    else:
        state.status = "succeeded"
    state.phase = "done"


_process_lock = threading.Lock()
_current_job: dict[str, int] = {}  # the job this process runs now, if any


def _begin(ctx: RefreshContext, request: RefreshRequest) -> tuple[_Lock, int] | Started:
    """Take the job lock and open a ledger row, or say which job to coalesce onto."""
    with _process_lock:
        if "id" in _current_job:
            # This process runs it: no need to ask the database (100 clicks, 0 connections).
            return Started(_current_job["id"], True)
        lock = _Lock(ctx.db)
        if not lock.try_acquire():
            return Started(running_job_id(ctx.db) or 0, True)
        try:
            with ctx.db.engine().begin() as conn:
                # We hold the lock: any job still marked running died with its process.
                conn.execute(_ABANDON_SQL)
                job_id = conn.execute(
                    text(
                        "INSERT INTO heartbeat.refresh_job (trigger, requested, status, phase, pid, host, "
                        "heartbeat_at) VALUES (:trigger, CAST(:requested AS jsonb), 'running', 'queued', :pid, "
                        ":host, now()) RETURNING id"
                    ),
                    {"trigger": request.trigger, "requested": json.dumps(request.metric_ids), "pid": os.getpid(),
                     "host": socket.gethostname()},
                ).scalar_one()
        except Exception:
            lock.release()
            raise
        _current_job["id"] = job_id
        return lock, job_id


def _work(ctx: RefreshContext, request: RefreshRequest, lock: _Lock, job_id: int,
          on_progress: Callable[[JobState], None] | None) -> JobState:
    state = JobState(job_id, request.trigger)
    try:
        _execute(ctx, request, state, on_progress)
    except Exception as exc:
        state.status = "failed"
        state.error = str(exc) if isinstance(exc, HeartbeatError) else f"unexpected failure ({type(exc).__name__})"
        log.exception("refresh job %s failed", job_id)
    finally:
        try:
            _write(ctx.db, state, finished=True)
        finally:
            with _process_lock:
                _current_job.pop("id", None)
            lock.release()
    if on_progress:
        on_progress(state)
    return state


def run(ctx: RefreshContext, request: RefreshRequest, *,
        on_progress: Callable[[JobState], None] | None = None) -> tuple[Started, JobState | None]:
    """Run a refresh in this thread, or coalesce onto the one running anywhere.

    Returns the job id, whether it coalesced, and (when this call ran it) the final state.
    """
    begun = _begin(ctx, request)
    if isinstance(begun, Started):
        return begun, None
    lock, job_id = begun
    return Started(job_id, False), _work(ctx, request, lock, job_id, on_progress)


def start(ctx: RefreshContext, request: RefreshRequest) -> Started:
    """Start a refresh in a background thread (or coalesce) and return at once with its job id."""
    begun = _begin(ctx, request)
    if isinstance(begun, Started):
        return begun
    lock, job_id = begun
    threading.Thread(target=_work, args=(ctx, request, lock, job_id, None), name=f"refresh-{job_id}",
                     daemon=True).start()
    return Started(job_id, False)


def context_for(settings: Settings, db: Database) -> RefreshContext:
    """The refresh context of a Heartbeat process (alert evaluation registered once per database)."""
    from engine import alerts  # imported here: alerts import this module for AFTER_COMPUTE

    alerts.install(settings, db)
    return RefreshContext(
        db, ingest.context_for(settings, db), ComputeContext.from_settings(settings, db), settings.metrics_dir
    )
