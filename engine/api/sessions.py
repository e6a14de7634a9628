"""A cap on the websocket sessions (tabs) one client address holds at once.

Every Reflex tab is one websocket on ``/_event`` and a state in server memory while it is open; an outsider
looping "open a socket" would otherwise make the server hold as many as it can open. The count is of open
handshakes per ``scope["client"]`` address (behind a proxy that is the proxy: raise the cap there).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from engine.core.auth import AttemptLog

log = logging.getLogger(__name__)


class SessionCap:
    """ASGI middleware: at most ``limit()`` concurrent websockets per client address; more are refused (403)."""

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit
        self.open: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._refusals = AttemptLog(log, "websocket sessions over the per-address cap (HEARTBEAT_MAX_SESSIONS_"
                                         "PER_ADDRESS)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown", 0))[0]
        with self._lock:
            if self.open[address] >= self.limit():
                refused = True
            else:
                refused = False
                self.open[address] += 1
        if refused:
            self._refusals.note(address, refused=True)
            await send({"type": "websocket.close", "code": 1008})  # before accept: the handshake gets 403
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.open[address] -= 1
                if self.open[address] <= 0:
                    del self.open[address]
