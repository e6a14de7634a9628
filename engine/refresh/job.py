"""The one refresh path: sync the metric files, ingest the sources they read, compute, run the hooks.

Every trigger — the UI button, the scheduler, the CLI, the API — starts this
job. It is single-flight across processes: a session-level Postgres
advisory lock is held for the whole job, so a second request anywhere
coalesces onto the running job instead of starting another. The job ledger
(``refresh_job``) is written at every phase change, so it stays truthful
when a process dies (the next start marks such a job abandoned).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, get_args

import psycopg
import sqlalchemy.exc

from engine import ingest
from engine.core.db import Database
from engine.core.errors import HeartbeatError
from engine.ingest import IngestContext, isolated
from engine.metrics import backfill, bands, compute, registry
from engine.metrics.compute import ComputeContext, ComputeResult
from engine.metrics.files import MetricFilesInvalid
from engine.metrics.sql import MetricSqlError
from engine.refresh import ledger
from engine.refresh.ledger import JobLock, JobState

log = logging.getLogger(__name__)

Trigger = Literal["ui", "cron", "cli", "api"]
TRIGGERS: tuple[str, ...] = get_args(Trigger)

# Called after compute with (job_id, results), e.g. alert evaluation; wired by engine.runtime.wiring.
AfterCompute = Callable[[int, list[ComputeResult]], None]


@dataclass(frozen=True)
class RefreshRequest:
    metric_ids: list[str] | Literal["all"] = "all"
    trigger: Trigger = "cli"

    def __post_init__(self) -> None:
        if self.trigger not in TRIGGERS:
            raise HeartbeatError(f"unknown trigger {self.trigger!r}; one of {', '.join(TRIGGERS)}")


@dataclass(frozen=True)
class Started:
    job_id: int
    coalesced: bool


@dataclass(frozen=True)
class RefreshContext:
    """Everything a refresh needs from the process; built in one place (``engine.runtime.wiring``)."""

    db: Database
    ingest: IngestContext
    compute: ComputeContext
    metrics_dir: Path = registry.METRICS_DIR
    after_compute: tuple[AfterCompute, ...] = ()


ProgressFn = Callable[[JobState], None]


class _Run:
    """One job's phases; each writes the ledger as it goes so the ledger never lies about progress."""

    def __init__(self, ctx: RefreshContext, state: JobState, on_progress: ProgressFn | None) -> None:
        self.ctx, self.state = ctx, state
        self.report = on_progress or (lambda _s: None)

    def _tell(self) -> None:
        ledger.write(self.ctx.db, self.state)
        self.report(self.state)

    def phase(self, name: str, total: int = 0) -> None:
        self.state.phase, self.state.step, self.state.total, self.state.current_item = name, 0, total, None
        self._tell()

    def sync_metrics(self) -> None:
        self.phase("sync")
        try:
            registry.sync(self.ctx.db.engine(), self.ctx.metrics_dir)
        except MetricFilesInvalid as exc:
            # Broken files must not stop the wall: compute what the registry has.
            self.state.error = str(exc).splitlines()[0]
            log.warning("refresh %s: %s", self.state.id, self.state.error)

    def ingest(self, pairs: list[tuple[str, str]]) -> None:
        self.phase("ingest", len(pairs))
        # In a child process of its own: what native code keeps after a run goes with it (engine/ingest/isolated.py).
        for landing in isolated.run_isolated(self.ctx.ingest, pairs, job_id=self.state.id):
            outcome = landing.outcome
            if outcome is None:
                self.state.current_item = landing.key
                self._tell()
                continue
            self.state.source_outcomes[landing.key] = {
                "status": outcome.status, "rows": outcome.rows_total, "duration_ms": outcome.duration_ms,
                "error": outcome.error,
            }
            self.state.step += 1
            self._tell()

    def learn_bands(self, metric_ids: list[str]) -> None:
        """Before judging today: a changed definition gets its own history, and bands are learned afresh
        (24h weekday bands need the current hour-of-week window, so every refresh learns them)."""
        try:
            for result in backfill.backfill_changed(self.ctx.compute):
                if result.error:
                    log.warning("refresh %s: backfill of %s: %s", self.state.id, result.metric_id, result.error)
            bands.refresh(self.ctx.db.engine(), self.ctx.compute.today(), marts=self.ctx.compute, ids=metric_ids)
        except (psycopg.OperationalError, sqlalchemy.exc.OperationalError, MetricSqlError) as exc:
            # The wall keeps the bands it has; compute reports an unreachable marts on its own.
            log.warning("refresh %s: bands not refreshed: %s", self.state.id, exc)

    def compute(self, metric_ids: list[str]) -> list[ComputeResult]:
        # Every requested metric is computed: one whose source failed still gets
        # a fresh value from the data it has, and its freshness says how old that is.
        self.phase("compute", len(metric_ids))
        self.learn_bands(metric_ids)
        lock = threading.Lock()

        def on_result(result: ComputeResult) -> None:
            with lock:
                self.state.metric_outcomes[result.metric_id] = result.as_outcome()
                self.state.step += 1
                self.state.current_item = result.metric_id
                self._tell()

        return compute.compute_many(self.ctx.compute, metric_ids, job_id=self.state.id, on_result=on_result)

    def after_compute(self, results: list[ComputeResult]) -> None:
        self.phase("alerts")
        for hook in self.ctx.after_compute:
            try:
                hook(self.state.id, results)
            except Exception:  # an alerting bug must not fail the refresh that fed it
                log.exception("after-compute hook failed for job %s", self.state.id)

    def summarise(self, pairs: list[tuple[str, str]], results: list[ComputeResult]) -> None:
        state = self.state
        failed_sources = [k for k, o in state.source_outcomes.items() if o["status"] != "succeeded"]
        failed_metrics = [r.metric_id for r in results if not r.ok]
        state.current_item, state.phase = None, "done"
        if not (failed_sources or failed_metrics or state.error):
            state.status = "succeeded"
            return
        no_source_landed = bool(pairs) and len(failed_sources) == len(pairs)
        no_metric_computed = bool(results) and not any(r.ok for r in results)
        state.status = "failed" if no_source_landed and no_metric_computed else "partial"
        problems = [state.error] if state.error else []
        if failed_sources:
            problems.append(f"sources failed: {', '.join(failed_sources)}")
        if failed_metrics:
            problems.append(f"metrics failed: {', '.join(failed_metrics)}")
        state.error = "; ".join(problems)


def _resolve(ctx: RefreshContext, request: RefreshRequest) -> tuple[list[Any], list[tuple[str, str]]]:
    """The metrics a request names, and the (source, schema) pairs they read ("all": every source)."""
    ids = None if request.metric_ids == "all" else list(request.metric_ids)
    metrics = registry.active_metrics(ctx.db.engine(), ids)
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


def _execute(ctx: RefreshContext, request: RefreshRequest, state: JobState, on_progress: ProgressFn | None) -> None:
    run = _Run(ctx, state, on_progress)
    run.sync_metrics()
    metrics, pairs = _resolve(ctx, request)
    run.ingest(pairs)
    results = run.compute([m.id for m in metrics])
    run.after_compute(results)
    run.summarise(pairs, results)


_process_lock = threading.Lock()
_current_job: dict[str, int] = {}  # the job this process runs now, if any


def _begin(ctx: RefreshContext, request: RefreshRequest) -> tuple[JobLock, int] | Started:
    """Take the job lock and open a ledger row, or say which job to coalesce onto."""
    with _process_lock:
        if "id" in _current_job:
            # This process runs it: no need to ask the database (100 clicks, 0 connections).
            return Started(_current_job["id"], True)
        lock = JobLock(ctx.db)
        if not lock.try_acquire():
            return Started(ledger.running_job_id(ctx.db) or 0, True)
        try:
            with ctx.db.engine().begin() as conn:
                job_id = ledger.open_job(conn, request.trigger, request.metric_ids)
        except Exception:
            lock.release()
            raise
        _current_job["id"] = job_id
        return lock, job_id


def _work(ctx: RefreshContext, request: RefreshRequest, lock: JobLock, job_id: int,
          on_progress: ProgressFn | None) -> JobState:
    state = JobState(job_id, request.trigger)
    try:
        _execute(ctx, request, state, on_progress)
    except Exception as exc:
        state.status = "failed"
        state.error = _describe_failure(exc, state.phase)
        log.exception("refresh job %s failed", job_id)
    finally:
        try:
            _write_last(ctx.db, state)
        finally:
            with _process_lock:
                _current_job.pop("id", None)
            lock.release()
    if on_progress:
        on_progress(state)
    return state


def _describe_failure(exc: Exception, phase: str) -> str:
    """The ledger's one line for a job that stopped on an exception."""
    if isinstance(exc, HeartbeatError):
        return str(exc)
    if isinstance(exc, (psycopg.OperationalError, sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)):
        # Said as what it is (found by tests/refresh/test_faults.py: a server restart mid-compute read
        # "unexpected failure (OperationalError)", which sends an operator looking for a bug).
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["connection lost"])[0]
        return f"database unreachable during {phase}: {first}"[:500]
    return f"unexpected failure ({type(exc).__name__})"


# Seconds to wait between tries of the job's last ledger write (about 30 s in all).
_LAST_WRITE_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


def _write_last(db: Database, state: JobState) -> None:
    """Write the job's end, retrying while the database is away.

    Why: when PostgreSQL restarts mid-job, the failure and the ledger write meet the same dead server;
    one try left the row 'running' until the next job called it 'abandoned … the process … stopped',
    which was not what happened (tests/refresh/test_faults.py). A server back within ~30 s gets the truth.
    """
    for wait in (*_LAST_WRITE_WAITS, None):
        try:
            ledger.write(db, state, finished=True)
            return
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError):
            if wait is None:
                raise
            log.warning("refresh job %s: database unreachable writing its end; retrying in %.1f s", state.id, wait)
            time.sleep(wait)


def run(ctx: RefreshContext, request: RefreshRequest, *,
        on_progress: ProgressFn | None = None) -> tuple[Started, JobState | None]:
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
