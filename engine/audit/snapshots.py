"""Compute cut snapshots: each (cut, window) read-only on the marts, validated, stored.

One failing cut — SQL error, timeout, an exception, a payload that breaks its
kind's schema — records its error beside its last good payload and the
others carry on; a page therefore never loses a chart to one bad run.
``computed_at`` is the time of the payload shown, so it stays the last good
time when a run fails.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import psycopg
from sqlalchemy import text

from engine.audit import kinds, registry
from engine.audit.files import CUTS_DIR, CutDefinition
from engine.audit.query import CutConnection
from engine.core.db import Database
from engine.ingest.ledger import source_as_of
from engine.metrics.compute import ComputeContext
from engine.metrics.sql import MetricSqlError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotResult:
    cut_id: str
    window: str
    ok: bool
    duration_ms: int
    error: str | None = None


_STORE_OK = text(
    """
    INSERT INTO heartbeat.audit_cut_snapshot (cut_id, window_key, payload, computed_at, source_as_of, duration_ms,
                                              error)
    VALUES (:cut, :window, CAST(:payload AS jsonb), now(), :as_of, :ms, NULL)
    ON CONFLICT (cut_id, window_key) DO UPDATE SET payload = EXCLUDED.payload, computed_at = now(),
        source_as_of = EXCLUDED.source_as_of, duration_ms = EXCLUDED.duration_ms, error = NULL
    """
)
# The last good payload, its time and its as-of stay; only the error and the duration of the failed run change.
_STORE_FAILED = text(
    """
    INSERT INTO heartbeat.audit_cut_snapshot (cut_id, window_key, payload, computed_at, duration_ms, error)
    VALUES (:cut, :window, '{}'::jsonb, now(), :ms, :error)
    ON CONFLICT (cut_id, window_key) DO UPDATE SET duration_ms = EXCLUDED.duration_ms, error = EXCLUDED.error
    """
)


def _payload(d: CutDefinition, conn: CutConnection, window: str) -> dict:
    payload = kinds.jsonable(d.compute(conn, window=window))
    problems = kinds.validate(payload)
    if not problems and payload["kind"] != d.kind:
        problems = [f"payload kind {payload['kind']!r} differs from META['kind'] {d.kind!r}"]
    if problems:
        raise MetricSqlError(f"cuts/{d.path.name} returned an invalid payload: {'; '.join(problems)}")
    return payload


def _error_text(exc: Exception) -> str:
    if isinstance(exc, MetricSqlError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:500]


def compute_cut(ctx: ComputeContext, d: CutDefinition, windows: Iterable[str] | None = None) -> list[SnapshotResult]:
    """Every window of one cut on one read-only connection; each result stored as it comes."""
    engine = ctx.db.engine()
    as_of = source_as_of(engine, [tuple(s.split(".", 1)) for s in d.sources])
    results = []
    try:
        raw = ctx.connect()
    except Exception as exc:  # no marts or no compute role: every window records why
        return [_store_failed(engine, d.id, w, 0, _error_text(exc)) for w in (windows or d.windows)]
    with raw:
        conn = CutConnection(raw, ctx.statement_timeout, f"cuts/{d.path.name}", app=engine)
        for window in windows or d.windows:
            started = time.monotonic()
            try:
                payload = _payload(d, conn, window)
            except Exception as exc:
                log.warning("cut %s (%s) failed: %s", d.id, window, exc)
                results.append(_store_failed(engine, d.id, window, _ms(started), _error_text(exc)))
                continue
            ms = _ms(started)
            with engine.begin() as db:
                db.execute(_STORE_OK, {"cut": d.id, "window": window, "payload": json.dumps(payload),
                                       "as_of": as_of, "ms": ms})
            results.append(SnapshotResult(d.id, window, True, ms))
    return results


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _store_failed(engine, cut_id: str, window: str, ms: int, error: str) -> SnapshotResult:
    with engine.begin() as db:
        db.execute(_STORE_FAILED, {"cut": cut_id, "window": window, "ms": ms, "error": error})
    return SnapshotResult(cut_id, window, False, ms, error)


def refresh(ctx: ComputeContext, ids: Iterable[str] | None = None, *, folder: Path = CUTS_DIR,
            windows: Iterable[str] | None = None,
            on_result: Callable[[SnapshotResult], None] | None = None) -> list[SnapshotResult]:
    """Sync the registry from ``folder``, then compute the named cuts (default: all) for their windows.

    Unknown ids raise ``registry.UnknownCut``; a window a cut does not offer is skipped for that cut.
    """
    with _one_at_a_time(ctx.db):
        report = registry.sync(ctx.db.engine(), folder)
        chosen = _chosen(report.definitions, ids)
        results: list[SnapshotResult] = []
        for d in chosen:
            wanted = [w for w in (windows or d.windows) if w in d.windows]
            for result in compute_cut(ctx, d, wanted):
                results.append(result)
                if on_result:
                    on_result(result)
    return results


SNAPSHOT_LOCK_KEY = 0x4842_4155  # "HBAU": one snapshot refresh at a time per database


@contextmanager
def _one_at_a_time(db: Database) -> Iterator[None]:
    """Snapshot refreshes take turns across processes (the daily job, a refresh's red/amber recompute,
    the API and the CLI): a second waits for the first rather than computing the same cuts beside it."""
    conn = psycopg.connect(db.dsn(), autocommit=True, connect_timeout=10)
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (SNAPSHOT_LOCK_KEY,))
        yield
    finally:
        conn.close()  # closing the session releases the lock


def _chosen(definitions: list[CutDefinition], ids: Iterable[str] | None) -> list[CutDefinition]:
    if ids is None:
        return definitions
    wanted = list(ids)
    by_id = {d.id: d for d in definitions}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise registry.UnknownCut(missing[0])
    return [by_id[i] for i in wanted]
