"""Security headers on every response of the app's port: pages, static files and the API.

The CSP allows what the compiled Reflex frontend needs and nothing from
elsewhere: its inline bootstrap script and style attributes, ``eval`` (Reflex
runs ``rx.call_script`` code and callbacks through it — the operator token
reaches localStorage that way), the websocket back to this origin. Heartbeat
loads no CDN, so a script injected through a metric name or an owner could not
fetch its payload or send data elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.core.settings import Settings


def policy(settings: Settings) -> list[tuple[bytes, bytes]]:
    csp = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
           "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
           f"base-uri 'self'; form-action 'self'; frame-ancestors {settings.frame_ancestors}")
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]


class SecurityHeaders:
    """Add the policy's headers to every HTTP response (a header the app set itself is left alone)."""

    def __init__(self, app: ASGIApp, settings: Callable[[], Settings]) -> None:
        self.app = app
        self.settings = settings  # read on the first response: building the app must not open the database
        self.headers: list[tuple[bytes, bytes]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        if self.headers is None:
            self.headers = policy(self.settings())

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in self.headers if name not in present]
            await send(message)

        await self.app(scope, receive, with_headers)
