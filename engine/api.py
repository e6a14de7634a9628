"""The REST API, mounted in front of Reflex on the same port (``api_transformer``).

Reads are open (a TV needs no login); writes, added by later issues, need the
operator token. Errors are JSON bodies a person can read, never a traceback.
"""

from __future__ import annotations

import logging
from typing import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from engine import migrations, runtime
from engine.runtime import Runtime
from engine.version import VERSION

log = logging.getLogger(__name__)


def health(rt: Runtime) -> tuple[bool, dict]:
    """Whether the app can serve: database reachable and migrated to head."""
    head = migrations.head_revision()
    body: dict = {"version": VERSION, "database": "unreachable", "migrations": {"head": head, "current": None}}
    try:
        engine = rt.db.engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        body["database"] = "ok"
        body["migrations"]["current"] = migrations.current_revision(engine)
    except Exception as exc:  # any failure here means "not healthy", said plainly
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        body["error"] = "database unreachable"
    ok = body["database"] == "ok" and body["migrations"]["current"] == head
    if body["database"] == "ok" and not ok:
        body["error"] = "migrations not at head: run `heartbeat db upgrade`"
    body["status"] = "ok" if ok else "unhealthy"
    return ok, body


def create_api(get_runtime: Callable[[], Runtime] = runtime.get) -> FastAPI:
    """A fresh FastAPI app (one per test; FastAPI's lifespan does not run when mounted)."""
    api = FastAPI(
        title="Heartbeat",
        version=VERSION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )

    @api.get("/api/health", tags=["operations"], summary="Is the app able to serve?")
    def get_health() -> JSONResponse:
        ok, body = health(get_runtime())
        return JSONResponse(body, status_code=200 if ok else 503)

    return api
