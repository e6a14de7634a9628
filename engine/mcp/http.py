"""The MCP server over streamable HTTP at ``/mcp`` on the app's port, behind a bearer token.

Who may call it: a bearer token is required — the read token when one is set (the operator token opens
reads too), else the operator token. With no token configured at all, ``/mcp`` answers only callers on
this machine (a loopback address with a localhost ``Host``), and refuses everyone else with 403 saying
which setting opens it. A missing or wrong token is 401; five wrong tokens in a minute from one address
lock it out for five minutes (429). A token never comes from the query string (URLs end up in logs).
Browsers from other origins are refused before this runs (``engine.api.origins``); no CORS is sent for them.

The SDK's session manager runs in stateless JSON mode (each POST is one answer, no session to keep on a
worker), and needs its task group running: ``McpHttp.lifespan`` is entered by the app's lifespan — the
FastAPI app's own when it is served alone, a Reflex lifespan task when Reflex mounts it (a mounted app's
lifespan never runs). Until then ``/mcp`` answers 503.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator
from typing import Callable

from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.core.auth import AttemptLimiter, AttemptLog, token_matches
from engine.core.settings import Settings
from engine.mcp.server import build_server
from engine.runtime import Runtime

log = logging.getLogger(__name__)

PATH = "/mcp"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


def is_mcp_path(path: str) -> bool:
    return path == PATH or path.startswith(PATH + "/")


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = value.decode("latin-1").strip().lower()
            return host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return ""


def _loopback(scope: Scope) -> bool:
    client = scope.get("client")
    try:
        return bool(client) and ipaddress.ip_address(client[0]).is_loopback and _host(scope) in LOCAL_HOSTS
    except ValueError:
        return False


def refusal(settings: Settings, scope: Scope) -> tuple[int, str] | None:
    """None when this request may use /mcp; else the status and the reason (never naming a token)."""
    expected = [t for t in (settings.read_token, settings.operator_token) if t]
    if not expected:
        if _loopback(scope):
            return None
        return 403, ("MCP over HTTP is open to this machine only while no token is set: set "
                     "HEARTBEAT_READ_TOKEN (or HEARTBEAT_OPERATOR_TOKEN) and send it as Authorization: Bearer")
    presented = _bearer(scope)
    if presented is None:
        return 401, "token required: send Authorization: Bearer <read token>"
    if any(token_matches(presented, t) for t in expected):
        return None
    return 401, "wrong token"


class McpHttp:
    """The /mcp endpoint: the token rule, then the SDK's streamable HTTP session manager."""

    def __init__(self, get_runtime: Callable[[], Runtime]) -> None:
        self.get_runtime = get_runtime
        self.server = build_server(get_runtime)
        # Host and Origin are checked by the app's own middlewares (engine.api.origins) and the token rule
        # above, for every address the app serves, so the SDK's localhost-only rebinding check stays off.
        self.server.streamable_http_app(
            streamable_http_path=PATH, stateless_http=True, json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.manager = self.server.session_manager
        self.running = False
        self.attempts = AttemptLimiter(limit=5, window=60.0, lockout=300.0)
        self.attempt_log = AttemptLog(log, "MCP bearer token")

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Run the session manager's task group for as long as the app serves."""
        async with self.manager.run():
            self.running = True
            try:
                yield
            finally:
                self.running = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = (scope.get("client") or ("unknown",))[0]
        wait = self.attempts.retry_after([address])
        if wait > 0:
            await JSONResponse({"error": f"too many wrong tokens; try again in {wait:.0f} s"}, 429,
                               headers={"Retry-After": str(int(wait) + 1)})(scope, receive, send)
            return
        refused = refusal(self.get_runtime().settings, scope)
        if refused is not None:
            status, reason = refused
            if status == 401 and _bearer(scope) is not None:
                self.attempt_log.note(address, locked_out=self.attempts.failed([address]))
            headers = {"WWW-Authenticate": 'Bearer realm="heartbeat-mcp"'} if status == 401 else {}
            await JSONResponse({"error": reason}, status, headers=headers)(scope, receive, send)
            return
        if not self.running:
            await JSONResponse({"error": "the MCP server is starting; try again in a moment"}, 503,
                               headers={"Retry-After": "2"})(scope, receive, send)
            return
        await self.manager.handle_request(scope, receive, send)


class McpMount:
    """ASGI middleware: ``/mcp`` (and below) goes to ``McpHttp``, everything else on to the app.

    Dispatched before routing, so ``/mcp`` needs no trailing slash (MCP clients do not follow redirects).
    """

    def __init__(self, app: ASGIApp, endpoint: McpHttp) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_mcp_path(scope["path"]):
            await self.endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)
