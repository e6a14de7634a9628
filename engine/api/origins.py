"""Only the app's own origin (and the configured allowlist) may use the websocket and the REST API from a browser.

A browser sends ``Origin`` on every websocket handshake and on every
cross-origin (and every non-GET) HTTP request; a page on another site cannot
forge it. A request without ``Origin`` (curl, a TV player, the CLI) is not a
browser acting for someone else, so it passes: its tokens are what it has.
"""

from __future__ import annotations

import logging
import urllib.parse
from typing import Callable, Iterable

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

# HTTP paths a foreign page could use with the browser's credentials; the websocket is always checked.
GUARDED_PREFIXES = ("/api", "/_event", "/_upload", "/mcp")


def _netloc(origin: str) -> str | None:
    parts = urllib.parse.urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port or default
    except ValueError:
        return None
    return f"{parts.hostname.lower()}:{port}"


def _host_netloc(host: str, scheme: str) -> str | None:
    host = host.strip().lower()
    if not host:
        return None
    return _netloc(f"{scheme}://{host}")


def origin_allowed(origin: str | None, headers: dict[str, str], scheme: str, allowed: Iterable[str]) -> bool:
    """Same origin as the request's own host (or its proxy's ``X-Forwarded-Host``), or listed in ``allowed``."""
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if origin in {o.lower() for o in allowed}:
        return True
    mine = _netloc(origin)
    if mine is None:  # "null" (sandboxed frames, file://) and anything unparsable
        return False
    web_scheme = "https" if scheme in ("https", "wss") else "http"
    candidates = [headers.get("host", "")]
    candidates += [h for h in headers.get("x-forwarded-host", "").split(",") if h.strip()]
    for host in candidates:
        for guess in {web_scheme, urllib.parse.urlsplit(origin).scheme}:
            if _host_netloc(host, guess) == mine:
                return True
    return False


class OriginGuard:
    """ASGI middleware: refuse websocket handshakes and guarded HTTP requests from a foreign ``Origin``."""

    def __init__(self, app: ASGIApp, allowed: Callable[[], Iterable[str]]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        guarded = kind == "websocket" or (kind == "http" and scope["path"].startswith(GUARDED_PREFIXES))
        if not guarded:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        if origin_allowed(origin, headers, scope.get("scheme", "http"), self.allowed()):
            await self.app(scope, receive, send)
            return
        log.debug("refused a %s request to %s from origin %r", kind, scope["path"], origin[:100])
        if kind == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        await JSONResponse({"error": "this origin may not call Heartbeat; see HEARTBEAT_ALLOWED_ORIGINS"},
                           403)(scope, receive, send)
