"""The job ledger (``heartbeat.refresh_job``) and the advisory lock that makes the job single-flight.

Every statement against ``refresh_job`` that writes lives here; reads for the
surfaces live in ``engine.read.jobs``.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Connection, text

from engine.core.db import Database

LOCK_KEY = 0x4842_5246  # "HBRF": the refresh job's advisory lock, one per database

_ABANDON_SQL = text(
    "UPDATE heartbeat.refresh_job SET status = 'abandoned', finished_at = now(), "
    "error = coalesce(error, 'the process running this job stopped before it finished') "
    "WHERE status = 'running'"
)


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


class JobLock:
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


def open_job(conn: Connection, trigger: str, requested: object) -> int:
    """Insert the ledger row of a job this process holds the lock for; earlier 'running' rows are dead."""
    conn.execute(_ABANDON_SQL)
    return conn.execute(
        text(
            "INSERT INTO heartbeat.refresh_job (trigger, requested, status, phase, pid, host, "
            "heartbeat_at) VALUES (:trigger, CAST(:requested AS jsonb), 'running', 'queued', :pid, "
            ":host, now()) RETURNING id"
        ),
        {"trigger": trigger, "requested": json.dumps(requested), "pid": os.getpid(), "host": socket.gethostname()},
    ).scalar_one()


def write(db: Database, state: JobState, *, finished: bool = False) -> None:
    """Write the job's phase, progress and outcomes (and its end, when ``finished``)."""
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


def mark_abandoned(db: Database) -> int:
    """Mark 'running' jobs abandoned when no process holds the job lock (their process died)."""
    lock = JobLock(db)
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
