"""The header state every page shares: when data last moved forward."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import reflex as rx

from engine import runtime
from engine.core import formatting
from engine.read import jobs

log = logging.getLogger(__name__)


def _last_refresh() -> datetime | None:
    return jobs.last_successful_refresh(runtime.get().db.engine())


class ShellState(rx.State):
    """The header: when data last moved forward (the cockpit's loop moves it on every tick)."""

    last_refresh: str = "…"
    feedback_url: str = ""

    @rx.event
    async def load_shell(self):
        self.feedback_url = runtime.get().settings.feedback_url or ""
        try:
            moment = await asyncio.to_thread(_last_refresh)
        except Exception:
            log.exception("reading the last refresh failed")
            self.last_refresh = "unknown"
            return
        self.last_refresh = formatting.age(moment, datetime.now(timezone.utc))
