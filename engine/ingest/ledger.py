"""The sync ledger: what each (source, schema) ingest did, and how fresh its data is."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text


@dataclass
class SyncOutcome:
    """The result of one (source, schema) run, as the ledger and the job ledger record it."""

    source: str
    schema: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int = 0
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    ledger_id: int | None = None
    data_as_of: datetime | None = None

    @property
    def rows_total(self) -> int:
        return sum(int(t.get("rows", 0)) for t in self.tables.values())

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


def open_sync(engine: Engine, source: str, schema: str, dataset: str, job_id: int | None) -> tuple[int, datetime]:
    """Record a sync as running; returns its ledger id and start time (the database clock)."""
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "INSERT INTO heartbeat.source_sync (source, schema_name, dataset, job_id, pid) "
                "VALUES (:source, :schema, :dataset, :job_id, :pid) RETURNING id, started_at"
            ),
            {"source": source, "schema": schema, "dataset": dataset, "job_id": job_id, "pid": os.getpid()},
        ).one()
    return row.id, row.started_at


def close_sync(engine: Engine, outcome: SyncOutcome) -> None:
    """Write the final state of a sync (succeeded or failed)."""
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "UPDATE heartbeat.source_sync SET status = :status, finished_at = now(), "
                "duration_ms = :duration_ms, tables = CAST(:tables AS jsonb), rows_total = :rows_total, "
                "error = :error, data_as_of = :data_as_of WHERE id = :id RETURNING finished_at"
            ),
            {
                "status": outcome.status,
                "duration_ms": outcome.duration_ms,
                "tables": json.dumps(outcome.tables),
                "rows_total": outcome.rows_total,
                "error": outcome.error,
                "data_as_of": outcome.data_as_of,
                "id": outcome.ledger_id,
            },
        ).one()
    outcome.finished_at = row.finished_at


def fail_running_syncs(engine: Engine, job_id: int | None, error: str) -> None:
    """Close as failed the syncs of ``job_id`` still marked running: their process died mid-run."""
    if job_id is None:
        return
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE heartbeat.source_sync SET status = 'failed', finished_at = now(), error = :error "
                "WHERE job_id = :job_id AND status = 'running'"
            ),
            {"job_id": job_id, "error": error[:500]},
        )


# How current one successful sync's data is: its start — or, for a feed, its
# newest landed row when that is older.
AS_OF = "least(started_at, coalesce(data_as_of, started_at))"


def source_as_of(engine: Engine, pairs: list[tuple[str, str]]) -> datetime | None:
    """The freshness of data read from several (source, schema): the OLDEST of their as-of times.

    A sync's data is as of its start (a feed's: its newest row, if older). None when any never synced.
    """
    if not pairs:
        return None
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (source, schema_name) source, schema_name, " + AS_OF + " AS as_of "
                "FROM heartbeat.source_sync WHERE status = 'succeeded' AND (source || '.' || schema_name) = ANY(:keys) "
                "ORDER BY source, schema_name, started_at DESC"
            ),
            {"keys": [f"{s}.{sc}" for s, sc in pairs]},
        ).all()
    if len(rows) < len(set(pairs)):
        return None
    return min(row.as_of for row in rows)


@dataclass(frozen=True)
class LastSync:
    source: str
    schema: str
    status: str | None
    started_at: datetime | None
    finished_at: datetime | None
    rows_total: int | None
    error: str | None
    last_success_at: datetime | None


def last_syncs(engine: Engine) -> dict[tuple[str, str], LastSync]:
    """The latest run and the latest success of every (source, schema) in the ledger."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """
                SELECT DISTINCT ON (source, schema_name)
                       source, schema_name, status, started_at, finished_at, rows_total, error,
                       (SELECT least(ok.started_at, coalesce(ok.data_as_of, ok.started_at))
                          FROM heartbeat.source_sync ok
                         WHERE ok.source = s.source AND ok.schema_name = s.schema_name
                           AND ok.status = 'succeeded' ORDER BY ok.started_at DESC LIMIT 1) AS last_success_at
                FROM heartbeat.source_sync s
                ORDER BY source, schema_name, started_at DESC
                """
            )
        ).all()
    return {
        (r.source, r.schema_name): LastSync(
            r.source, r.schema_name, r.status, r.started_at, r.finished_at, r.rows_total, r.error, r.last_success_at
        )
        for r in rows
    }
