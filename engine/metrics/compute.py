"""Compute metrics: run each value SQL on the marts and write today's history row.

A failed computation records its error but never removes the last good
value, so a tile never goes blank. Status is decided by the contract against
the registry's current thresholds and benchmark.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable

import psycopg
from sqlalchemy import text

from engine import contract
from engine.core.db import Database
from engine.core.settings import Settings
from engine.ingest.ledger import source_as_of
from engine.metrics.registry import RegistryRow, active_metrics
from engine.metrics.sql import MetricSqlError, connect_readonly, run_readonly, scalar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComputeContext:
    db: Database
    marts_database: str
    statement_timeout: float
    workers: int
    # HEARTBEAT_COMPUTE_DATABASE_URL; None: the role Heartbeat creates itself.
    compute_url: str | None = field(default=None, repr=False)
    # What "now" is for metric days: the wall clock, or the demo's clock when a test moves it.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc), repr=False, compare=False)

    def today(self) -> date:
        """Metric days are UTC days (docs/decisions.md)."""
        return self.clock().astimezone(timezone.utc).date()

    @classmethod
    def from_settings(cls, settings: Settings, db: Database) -> "ComputeContext":
        return cls(db, settings.marts_database, settings.metric_statement_timeout, settings.compute_workers,
                   settings.compute_database_url)

    def connect(self, *, sync_grants: bool = True) -> psycopg.Connection:
        """A marts connection as the read-only compute role (MetricSqlError if there is none); newly landed
        schemas are granted first unless this batch already did (``sync_grants=False``)."""
        return connect_readonly(self.db, self.marts_database, self.compute_url, sync_grants=sync_grants)


@dataclass(frozen=True)
class ComputeResult:
    metric_id: str
    ok: bool
    value: float | None
    status: str
    duration_ms: int
    error: str | None = None

    def as_outcome(self) -> dict[str, Any]:
        return {"ok": self.ok, "value": self.value, "status": self.status, "duration_ms": self.duration_ms,
                "error": self.error}


_UPSERT_OK = text(
    """
    INSERT INTO heartbeat.metric_history (metric_id, day, value, status, computed_at, source_as_of, duration_ms,
                                          error, job_id, definition_hash)
    VALUES (:id, :day, :value, :status, now(), :as_of, :ms, NULL, :job, :hash)
    ON CONFLICT (metric_id, day) DO UPDATE SET value = EXCLUDED.value, status = EXCLUDED.status,
        computed_at = now(), source_as_of = EXCLUDED.source_as_of, duration_ms = EXCLUDED.duration_ms,
        error = NULL, job_id = EXCLUDED.job_id, definition_hash = EXCLUDED.definition_hash
    """
)

# On failure the value of the day stays what it was (or NULL on a new day);
# the read model then shows the last good value with the error beside it.
_UPSERT_FAILED = text(
    """
    INSERT INTO heartbeat.metric_history (metric_id, day, value, status, computed_at, source_as_of, duration_ms,
                                          error, job_id, definition_hash)
    VALUES (:id, :day, NULL, 'error', now(), :as_of, :ms, :error, :job, :hash)
    ON CONFLICT (metric_id, day) DO UPDATE SET status = 'error', computed_at = now(),
        duration_ms = EXCLUDED.duration_ms, error = EXCLUDED.error, job_id = EXCLUDED.job_id
    """
)


def today() -> date:
    """Metric days are UTC days (docs/decisions.md)."""
    return datetime.now(timezone.utc).date()


def compute_one(
    metric: RegistryRow, ctx: ComputeContext, *, job_id: int | None = None, marts: psycopg.Connection | None = None
) -> ComputeResult:
    """Compute one registry row and write today's history row."""
    own = marts is None
    began = time.perf_counter()
    value: float | None = None
    error: str | None = None
    try:
        if own:
            marts = ctx.connect()
        value = scalar(run_readonly(marts, metric.value_sql, ctx.statement_timeout, f"metrics/{metric.id}.sql"))
    except MetricSqlError as exc:
        error = str(exc)
    except psycopg.OperationalError as exc:
        error = "marts database unreachable: " + (str(exc).strip().splitlines() or ["connection failed"])[0]
    finally:
        if own and marts is not None:
            marts.close()
    duration_ms = int((time.perf_counter() - began) * 1000)
    pairs = [tuple(item.split(".", 1)) for item in metric.source_schemas]
    as_of = source_as_of(ctx.db.engine(), pairs)  # type: ignore[arg-type]
    if error is None:
        status = contract.status(
            value, direction=metric.direction, norm_value=metric.norm_value, alert_value=metric.alert_value,
            mean=metric.benchmark_mean, stddev=metric.benchmark_stddev,
        )
        params = {"id": metric.id, "day": ctx.today(), "value": value, "status": status.value, "as_of": as_of,
                  "ms": duration_ms, "job": job_id, "hash": metric.series_hash}
        with ctx.db.engine().begin() as conn:
            conn.execute(_UPSERT_OK, params)
        return ComputeResult(metric.id, True, value, status.value, duration_ms)
    log.warning("metric %s failed: %s", metric.id, error)
    with ctx.db.engine().begin() as conn:
        conn.execute(_UPSERT_FAILED, {"id": metric.id, "day": ctx.today(), "as_of": as_of, "ms": duration_ms,
                                      "error": error, "job": job_id, "hash": metric.series_hash})
    return ComputeResult(metric.id, False, None, contract.Status.ERROR.value, duration_ms, error)


def compute_many(
    ctx: ComputeContext,
    ids: Iterable[str] | None = None,
    *,
    job_id: int | None = None,
    workers: int | None = None,
    on_result: Callable[[ComputeResult], None] | None = None,
) -> list[ComputeResult]:
    """Compute the named (or all active) metrics on a pool, one marts connection per worker."""
    metrics = active_metrics(ctx.db.engine(), ids)
    local = threading.local()
    try:
        ctx.connect().close()  # newly landed schemas granted once per batch, not by every worker's connection
    except (psycopg.OperationalError, MetricSqlError):
        pass  # each metric's own attempt reports it
    connections: list[psycopg.Connection] = []
    lock = threading.Lock()

    def connection() -> psycopg.Connection | None:
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed:
            try:
                conn = ctx.connect(sync_grants=False)
            except (psycopg.OperationalError, MetricSqlError):
                return None  # compute_one opens its own and records the failure
            local.conn = conn
            with lock:
                connections.append(conn)
        return conn

    def task(metric: Any) -> ComputeResult:
        result = compute_one(metric, ctx, job_id=job_id, marts=connection())
        if on_result is not None:
            on_result(result)
        return result

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers or ctx.workers), thread_name_prefix="compute") as pool:
            return list(pool.map(task, metrics))
    finally:
        for conn in connections:
            conn.close()
