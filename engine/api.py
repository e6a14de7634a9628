"""The REST API, mounted in front of Reflex on the same port (``api_transformer``).

Reads are open (a TV needs no login) unless a read token is set; writes need
the operator token. Bad input gets a 4xx that names the field and the
reason; no response ever carries a traceback.
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import datetime, timezone
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from engine import api_alerts, api_jobs, api_metrics, migrations, read_model, refresh, runtime, scheduler
from engine.operator_edits import EditRejected, MetricNotFound
from engine.runtime import Runtime
from engine.version import VERSION

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024


class BodyLimit:
    """Refuse request bodies over MAX_BODY_BYTES with 413, before any parsing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await JSONResponse({"error": f"request body over {MAX_BODY_BYTES} bytes"}, 413)(scope, receive, send)
            return
        received = 0

        async def limited() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await JSONResponse({"error": f"request body over {MAX_BODY_BYTES} bytes"}, 413)(scope, receive, send)


class _TooLarge(Exception):
    pass


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the field and the reason; never echo the input back (it may be huge or hostile).
        problems = [
            {"field": _field(tuple(e.get("loc", ()))), "reason": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid request", "problems": problems}, 422)

    @api.exception_handler(EditRejected)
    async def rejected(request: Request, exc: EditRejected) -> JSONResponse:
        return JSONResponse({"error": "invalid request", "problems": [{"field": exc.field, "reason": exc.reason}]}, 422)

    @api.exception_handler(MetricNotFound)
    async def not_found(request: Request, exc: MetricNotFound) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, 404)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=getattr(exc, "headers", None))

    @api.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal error; the server log has the details"}, 500)


def health(rt: Runtime) -> tuple[bool, dict]:
    """Whether the app can serve: database reachable, migrated; plus scheduler and refresh age."""
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
    last = read_model.last_successful_refresh(engine)
    age = None if last is None else (now - last).total_seconds()
    body["last_successful_refresh"] = {"at": last, "age_seconds": age,
                                       "stale": age is None or age > rt.settings.frozen_after}
    body["status"] = "ok"
    return True, body


def create_api(get_runtime: Callable[[], Runtime] = runtime.get) -> FastAPI:
    """A fresh FastAPI app (one per test; FastAPI's lifespan does not run when mounted)."""
    api = FastAPI(
        title="Heartbeat",
        version=VERSION,
        description="The read model and operator API of Heartbeat. Reads are open unless HEARTBEAT_READ_TOKEN "
        "is set; writes need `Authorization: Bearer $HEARTBEAT_OPERATOR_TOKEN`.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    api.state.runtime = get_runtime

    context_lock = threading.Lock()

    @functools.cache
    def _context() -> refresh.RefreshContext:
        rt = get_runtime()
        return refresh.context_for(rt.settings, rt.db)

    def refresh_context() -> refresh.RefreshContext:
        with context_lock:  # built once, even under 100 concurrent first requests
            return _context()

    api.state.refresh_context = refresh_context
    api.add_middleware(BodyLimit)
    _install_error_handlers(api)

    @api.get("/api/health", tags=["operations"], summary="Is the app able to serve?")
    def get_health() -> JSONResponse:
        ok, body = health(get_runtime())
        return JSONResponse(jsonable_encoder(body), status_code=200 if ok else 503)

    # Jobs first: /api/metrics/active-job must not be taken for a metric id.
    api.include_router(api_jobs.router)
    api.include_router(api_metrics.router)
    api.include_router(api_alerts.router)
    return api
