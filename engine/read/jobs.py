"""The refresh job ledger as surfaces read it: the running job, the last good refresh, recent jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text


def last_successful_refresh(engine: Engine) -> datetime | None:
    """When the newest refresh job that moved data finished (None: never)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT max(finished_at) FROM heartbeat.refresh_job "
                "WHERE status IN ('succeeded', 'partial')"
            )
        ).scalar()


def active_job(engine: Engine) -> dict[str, Any] | None:
    """The refresh job running now, whoever started it (None: idle)."""
    jobs = recent_jobs(engine, limit=1, running_only=True)
    return jobs[0] if jobs else None


def recent_jobs(engine: Engine, *, limit: int = 20, running_only: bool = False, job_id: int | None = None) -> list[dict[str, Any]]:
    """The job ledger, newest first."""
    where = []
    if running_only:
        where.append("status = 'running'")
    if job_id is not None:
        where.append("id = :id")
    sql = (
        "SELECT id, trigger, requested, status, phase, step, total, current_item, source_outcomes, "
        "metric_outcomes, started_at, heartbeat_at, finished_at, error FROM heartbeat.refresh_job "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + "ORDER BY id DESC LIMIT :limit"
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(text(sql), {"limit": limit, "id": job_id}).mappings()]
