"""The OKR board's state (/okr): every target's pace, grouped by owner or by tag (``?by=tag``)."""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from datetime import datetime, timezone
from typing import Any

import reflex as rx

from engine import runtime
from engine.read.cards import metric_cards
from heartbeat_app.display import okr

log = logging.getLogger(__name__)


def _read(by: okr.GroupBy) -> dict[str, Any]:
    """The board from the read model; runs in a worker thread."""
    now = datetime.now(timezone.utc)
    cards = [card for card in metric_cards(runtime.get().db.engine(), now) if card.pace is not None]
    return {"groups": okr.board(cards, by), "counts": okr.summary(cards), "today": f"{now:%d %b %Y}"}


class OkrState(rx.State):
    by: str = "owner"
    groups: list[dict[str, Any]] = []
    counts: list[dict[str, str]] = []
    today: str = ""
    load_error: str = ""
    loaded: bool = False

    def _requested_by(self) -> str:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(str(self.router.url)).query)
        return "tag" if query.get("by", ["owner"])[0] == "tag" else "owner"

    async def _reload(self) -> None:
        try:
            view = await asyncio.to_thread(_read, self.by)  # type: ignore[arg-type]
        except Exception:
            log.exception("reading the OKR board failed")
            self.load_error = "Cannot read the targets right now; showing what was last read."
            self.loaded = True
            return
        self.groups, self.counts, self.today = view["groups"], view["counts"], view["today"]
        self.load_error = ""
        self.loaded = True

    @rx.event
    async def load(self):
        self.by = self._requested_by()
        await self._reload()

    @rx.event
    async def group_by(self, by: str | list[str]):
        chosen = by if isinstance(by, str) else (by[0] if by else "owner")
        self.by = "tag" if chosen == "tag" else "owner"
        await self._reload()
