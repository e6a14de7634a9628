"""With ``HEARTBEAT_READ_TOKEN`` set, nothing on the app's port is readable without it: pages, the static
files they need, the websocket handshake and the REST API.

A TV cannot send headers, so it opens ``http://host:3000/?token=<read token>`` once: the answer sets an
HttpOnly, SameSite=Strict cookie (a keyed hash of the token, never the token itself) and redirects to the
same address without the token, which so never stays in the address bar, the history or a Referer. From then
on the cookie (or an ``Authorization: Bearer`` header) opens everything. Without it: a plain 401 page (pages
and static files), 401 JSON (``/api``), a refused handshake (the websocket). ``/api/health`` stays open for
load balancers and then says only whether the app can serve. The operator token opens reads as a Bearer
header only, never from a query string.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import urllib.parse
from typing import Callable

from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.core.auth import token_matches
from engine.core.settings import Settings

COOKIE = "heartbeat_read"
COOKIE_MAX_AGE = 400 * 86400  # the longest a browser keeps a cookie: a TV is set up once
OPEN_PATHS = frozenset({"/api/health", "/ping"})  # load balancers; they say nothing sensitive
# Paths with a token rule of their own (stricter: a Bearer header only): the MCP endpoint (engine/mcp/http.py).
SELF_GUARDED = ("/mcp",)


def cookie_value(read_token: str) -> str:
    """What the cookie holds: a keyed hash of the read token (the token itself never sits in a cookie jar)."""
    return hmac.new(read_token.encode(), b"heartbeat read cookie v1", hashlib.sha256).hexdigest()


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name not in found:
            found[name] = value
    return found


def _bearer(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def reader_allowed(settings: Settings, headers: dict[str, str]) -> bool:
    """True when no read token is set, or these headers carry the read cookie or a read/operator Bearer."""
    expected = settings.read_token
    if not expected:
        return True
    bearer = _bearer(headers)
    if token_matches(bearer, expected) or token_matches(bearer, settings.operator_token):
        return True
    return token_matches(_cookies(headers.get("cookie", "")).get(COOKIE), cookie_value(expected))


def _clean_url(scope: Scope, query: list[tuple[str, str]]) -> str:
    path = "/" + (scope.get("root_path", "") + scope["path"]).lstrip("/")  # never "//host": no open redirect
    rest = [(k, v) for k, v in query if k != "token"]
    return urllib.parse.quote(path, safe="/%:@!$&'()*+,;=-._~") + ("?" + urllib.parse.urlencode(rest) if rest else "")


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Heartbeat: read token needed</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>
body{{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#111318;
color:#e6e8ee;font:20px/1.5 system-ui,sans-serif}}main{{max-width:44rem;padding:2rem}}h1{{font-size:2rem;margin:0 0 1rem}}
code{{background:#23262f;padding:.1em .4em;border-radius:4px}}</style></head><body><main id="read-token-needed">
<h1>This Heartbeat needs its read token</h1>
<p>{reason}</p>
<p>Open this screen once as <code>{example}</code>; the screen then remembers it. The person who runs
Heartbeat has the read token (<code>HEARTBEAT_READ_TOKEN</code>).</p></main></body></html>"""


def refusal_page(scope: Scope, reason: str) -> HTMLResponse:
    example = html.escape(scope["path"] + "?token=<read token>")
    return HTMLResponse(_PAGE.format(reason=html.escape(reason), example=example), 401,
                        headers={"Cache-Control": "no-store", "WWW-Authenticate": "Bearer"})


class ReadGuard:
    """ASGI middleware: the read token (cookie, Bearer, or once ``?token=`` on a page) before anything is read."""

    def __init__(self, app: ASGIApp, settings: Callable[[], Settings]) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        settings = self.settings()
        path = scope["path"]
        self_guarded = path == SELF_GUARDED[0] or path.startswith(tuple(p + "/" for p in SELF_GUARDED))
        if not settings.read_token or (kind == "http" and (path in OPEN_PATHS or self_guarded)):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if reader_allowed(settings, headers):
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            # Its ?token= is Reflex's client token, never a read token. Closing before accepting: 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        query = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        presented = next((v for k, v in query if k == "token"), None)
        if path.startswith("/api/"):
            if token_matches(presented, settings.read_token):  # TV players and scripts that cannot send headers
                await self.app(scope, receive, send)
                return
            await JSONResponse({"error": "read token required: send Authorization: Bearer <token> or ?token="},
                               401, headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        if presented is not None and scope.get("method") in ("GET", "HEAD"):
            if token_matches(presented, settings.read_token):
                secure = scope.get("scheme") == "https" or headers.get("x-forwarded-proto", "") == "https"
                response = RedirectResponse(_clean_url(scope, query), 303, headers={"Cache-Control": "no-store"})
                response.set_cookie(COOKIE, cookie_value(settings.read_token), max_age=COOKIE_MAX_AGE, path="/",
                                    httponly=True, samesite="strict", secure=secure)
                await response(scope, receive, send)
                return
            await refusal_page(scope, "The token in this address is not the read token.")(scope, receive, send)
            return
        await refusal_page(scope, "This screen has not been given the read token yet.")(scope, receive, send)
