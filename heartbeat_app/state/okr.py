"""The OKR board's state (/okr): every target's pace, grouped by owner or by tag (``?by=tag``).

A board left on a TV re-reads itself every ``REFRESH_SECONDS`` while its tab is connected; pace moves with
the daily values, so a minute is plenty. If a read fails, the last board stays with a note above it.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from datetime import datetime, timezone
from typing import Any

import reflex as rx

from engine import runtime
from engine.read.cards import metric_cards
from heartbeat_app import sessions
from heartbeat_app.app import app
from heartbeat_app.display import okr

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0
GONE_AFTER_SECONDS = 3.0  # a tab disconnected this long stops its loop (a reload starts a new one)


def _read(by: okr.GroupBy) -> dict[str, Any]:
    """The board from the read model; runs in a worker thread."""
    now = datetime.now(timezone.utc)
    cards = [card for card in metric_cards(runtime.get().db.engine(), now) if card.pace is not None]
    start = okr.common_start(cards)
    since = "" if start is None else f" · progress since {start.day} {start:%b %Y}"
    return {"columns": okr.columns(okr.board(cards, by)), "counts": okr.summary(cards),
            "today": f"{now:%d %b %Y}{since}"}


async def _read_or_none(by: str) -> dict[str, Any] | None:
    try:
        return await asyncio.to_thread(_read, "tag" if by == "tag" else "owner")
    except Exception:
        log.exception("reading the OKR board failed")
        return None


async def _still_connected(token: str, seconds: float) -> bool:
    """Sleep ``seconds``; False as soon as the tab has been gone for GONE_AFTER_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline, gone_since = loop.time() + seconds, None
    while (now := loop.time()) < deadline:
        if sessions.connected(app, token):
            gone_since = None
        elif gone_since is None:
            gone_since = now
        elif now - gone_since >= GONE_AFTER_SECONDS:
            return False
        await asyncio.sleep(min(1.0, deadline - now))
    return True


class OkrState(rx.State):
    by: str = "owner"
    columns: list[list[dict[str, Any]]] = []  # the board's columns of groups (display.okr.columns)
    counts: list[dict[str, str]] = []
    today: str = ""
    load_error: str = ""
    loaded: bool = False

    def _requested_by(self) -> str:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(str(self.router.url)).query)
        return "tag" if query.get("by", ["owner"])[0] == "tag" else "owner"

    def _apply(self, view: dict[str, Any] | None) -> None:
        self.loaded = True
        if view is None:
            self.load_error = "Cannot read the targets right now; showing what was last read."
            return
        for name in ("columns", "counts", "today"):
            if getattr(self, name) != view[name]:  # an unchanged board sends nothing
                setattr(self, name, view[name])
        self.load_error = ""

    async def _reload(self) -> None:
        self._apply(await _read_or_none(self.by))

    @rx.event
    async def load(self):
        self.by = self._requested_by()
        await self._reload()

    @rx.event(background=True, supersedes=True)
    async def keep_fresh(self):
        """Re-read the board every REFRESH_SECONDS while this tab is connected."""
        async with self:
            token = self.router.session.client_token
        while await _still_connected(token, REFRESH_SECONDS):
            async with self:
                by = self.by
            view = await _read_or_none(by)  # outside the state lock: the tab stays responsive
            async with self:
                self._apply(view)

    @rx.event
    async def group_by(self, by: str | list[str]):
        chosen = by if isinstance(by, str) else (by[0] if by else "owner")
        self.by = "tag" if chosen == "tag" else "owner"
        await self._reload()
