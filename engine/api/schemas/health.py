"""The answer of ``GET /api/health``: can this app serve?"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from engine.api.schemas.base import Answer, example
from engine.api.schemas.jobs import Leader

PRIVATE = "absent when a read token is set and the caller did not send it"


class Migrations(Answer):
    head: str = Field(description="the revision this code needs")
    current: str | None = Field(description="the database's revision (null: unreachable)")


class SchedulerHealth(Answer):
    leader_alive: bool
    leader: Leader | None


class RefreshAge(Answer):
    at: datetime | None = Field(description="when the last refresh that moved data finished")
    age_seconds: float | None
    stale: bool = Field(description="older than HEARTBEAT_FROZEN_AFTER (or never)")


class Health(Answer):
    """Whether the app can serve (200) or not (503, with ``error``); with a read token set and not sent,
    only ``status`` and ``error`` (load balancers need no more)."""

    # Without the read token only status and error: those fields are absent, not null.
    model_config = example({
        "version": "0.1.0", "worker_pid": 4121, "database": "ok",
        "migrations": {"head": "0011", "current": "0011"},
        "scheduler": {"leader_alive": True, "leader": {
            "pid": 4121, "host": "heartbeat-1", "since": "2026-11-30T06:12:40.112000+00:00",
            "heartbeat_at": "2026-11-30T08:00:21.530000+00:00", "alive": True}},
        "last_successful_refresh": {"at": "2026-11-30T08:00:05.031000+00:00", "age_seconds": 26.2, "stale": False},
        "status": "ok",
    }) | ConfigDict(json_schema_serialization_defaults_required=False)

    status: Literal["ok", "unhealthy"]
    # The rest may be absent but is never null: a default of None without "| None" says exactly that.
    error: str = Field(None, description="why it cannot serve (absent when ok)")
    version: str = Field(None, description=PRIVATE)
    worker_pid: int = Field(None, description="which app worker answered; " + PRIVATE)
    database: Literal["ok", "unreachable"] = Field(None, description=PRIVATE)
    migrations: Migrations = Field(None, description=PRIVATE)
    scheduler: SchedulerHealth = Field(None, description="when the database is reachable and migrated")
    last_successful_refresh: RefreshAge = Field(None, description="when the database is reachable and "
                                                                         "migrated")
