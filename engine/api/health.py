"""``GET /api/health``: can this app serve? Database reachable and migrated; scheduler leader and refresh age."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import text

from engine.api.deps import runtime_of
from engine.api.readers import reader_allowed
from engine.api.schemas.health import Health
from engine.core.version import VERSION
from engine.read.jobs import last_successful_refresh
from engine.refresh import scheduler
from engine.runtime import Runtime
from engine.store import migrations

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api")


@router.get("/health", tags=["operations"], summary="Is the app able to serve?", response_model=Health,
            response_description="It can serve: database reachable and migrated to head",
            responses={503: {"model": Health, "description": "Cannot serve: database unreachable or migrations "
                                                              "not at head (error says which)"}})
def get_health(request: Request) -> JSONResponse:
    """200 when the database is reachable and migrated to head, 503 otherwise, saying why; also whether the scheduler
    leader is alive, the age of the last successful refresh and `worker_pid`, which app worker answered (with
    `heartbeat serve --workers N`). It answers without a token (a load balancer asks it); with a read token set
    and not sent, only `status` and `error`.
    """
    rt = runtime_of(request)
    ok, body = health(rt)
    if not reader_allowed(rt.settings, {k.lower(): v for k, v in request.headers.items()}):
        # Open for load balancers even with a read token set; without it, only whether the app can serve.
        body = {k: body[k] for k in ("status", "error") if k in body}
    return JSONResponse(jsonable_encoder(body), status_code=200 if ok else 503)


def health(rt: Runtime) -> tuple[bool, dict]:
    """Whether the app can serve: database reachable, migrated; plus scheduler and refresh age."""
    head = migrations.head_revision()
    # worker_pid: which of several app workers answered (behind one port, or a balancer).
    body: dict = {"version": VERSION, "worker_pid": os.getpid(), "database": "unreachable",
                  "migrations": {"head": head, "current": None}}
    try:
        engine = rt.db.engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        body["database"] = "ok"
        body["migrations"]["current"] = migrations.current_revision(engine)
    except Exception as exc:  # any failure here means "not healthy", said plainly
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        body["error"] = "database unreachable"
        body["status"] = "unhealthy"
        return False, body
    ok = body["migrations"]["current"] == head
    if not ok:
        body["error"] = "migrations not at head: run `heartbeat db upgrade`"
        body["status"] = "unhealthy"
        return False, body
    now = datetime.now(timezone.utc)
    sched = scheduler.status(engine, [], now)
    body["scheduler"] = {"leader_alive": bool(sched["leader"] and sched["leader"]["alive"]),
                         "leader": sched["leader"]}
    last = last_successful_refresh(engine)
    age = None if last is None else (now - last).total_seconds()
    body["last_successful_refresh"] = {"at": last, "age_seconds": age,
                                       "stale": age is None or age > rt.settings.frozen_after}
    body["status"] = "ok"
    return True, body
