"""The REST API, mounted in front of Reflex on the same port (``api_transformer``).

Reads are open (a TV needs no login) unless a read token is set; writes need
the operator token. Bad input gets a 4xx that names the field and the
reason; no response ever carries a traceback.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from engine import refresh, runtime
from engine.api import alerts, audit, deps, health, jobs, metrics, outage, watchlists
from engine.api.headers import SecurityHeaders
from engine.api.origins import OriginGuard
from engine.api.readers import ReadGuard
from engine.api.schemas.base import keep_examples
from engine.api.sessions import SessionCap
from engine.core.errors import FieldRejected, NotFound
from engine.core.version import VERSION
from engine.mcp.http import McpHttp, McpMount
from engine.runtime import Runtime, wiring

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

    @api.exception_handler(FieldRejected)
    async def rejected(request: Request, exc: FieldRejected) -> JSONResponse:
        return JSONResponse({"error": "invalid request", "problems": [{"field": exc.field, "reason": exc.reason}]}, 422)

    @api.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, 404)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's own 400 for a body it cannot decode (bytes that are not UTF-8): name the field like
            # every other bad input does (found by tests/security/test_api_fuzz.py).
            return JSONResponse({"error": "invalid request", "problems": [{"field": "body", "reason": exc.detail}]},
                                400, headers=getattr(exc, "headers", None))
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=getattr(exc, "headers", None))

    @api.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal error; the server log has the details"}, 500)


def create_api(get_runtime: Callable[[], Runtime] = runtime.get) -> FastAPI:
    """A fresh FastAPI app (one per test; FastAPI's lifespan does not run when mounted: the Reflex app enters
    ``api.state.mcp.lifespan`` as a lifespan task of its own)."""
    mcp = McpHttp(get_runtime)
    api = FastAPI(
        lifespan=lambda _: mcp.lifespan(),
        title="Heartbeat",
        version=VERSION,
        description="The read model and operator API of Heartbeat. Reads are open unless HEARTBEAT_READ_TOKEN "
        "is set; writes need `Authorization: Bearer $HEARTBEAT_OPERATOR_TOKEN`.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    api.state.runtime = get_runtime
    api.state.operator_attempts = deps.operator_attempts()

    context_lock = threading.Lock()

    @functools.cache
    def _context() -> refresh.RefreshContext:
        rt = get_runtime()
        return wiring.refresh_context(rt.settings, rt.db)

    def refresh_context() -> refresh.RefreshContext:
        with context_lock:  # built once, even under 100 concurrent first requests
            return _context()

    api.state.refresh_context = refresh_context
    api.state.mcp = mcp
    api.add_middleware(BodyLimit)
    # /mcp (the MCP server over streamable HTTP, its own bearer rule) inside the origin guard and headers.
    api.add_middleware(McpMount, endpoint=mcp)
    # Inner to outer: the per-address session cap, the read token (pages, static files, websocket, /api),
    # the security headers (on the 401 page too), the origin guard.
    api.add_middleware(SessionCap, limit=lambda: get_runtime().settings.max_sessions_per_address)
    api.add_middleware(ReadGuard, settings=lambda: get_runtime().settings)
    api.add_middleware(SecurityHeaders, settings=lambda: get_runtime().settings)
    # Reflex mounts itself inside this app: the guard sees the websocket (/_event) as well as /api.
    api.add_middleware(OriginGuard, allowed=lambda: getattr(get_runtime().settings, "allowed_origins", ()))
    _install_error_handlers(api)
    outage.install(api)  # a database outage is 503 with a reason, never 500

    api.include_router(health.router)
    # Jobs first: /api/metrics/active-job must not be taken for a metric id.
    api.include_router(jobs.router)
    api.include_router(metrics.router)
    api.include_router(alerts.router)
    api.include_router(audit.router)
    api.include_router(watchlists.router)
    generated = api.openapi
    # The document as FastAPI builds it (once, cached), with the answers' examples as declared.
    api.openapi = lambda: keep_examples(generated())  # type: ignore[method-assign]
    return api
