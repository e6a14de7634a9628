"""The header state of the non-cockpit pages. Handlers call the engine's read model; no I/O of their own."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import reflex as rx

from engine import runtime
from engine.core import formatting
from engine.read import jobs

log = logging.getLogger(__name__)


class ShellState(rx.State):
    """The header: when data last moved forward."""

    last_refresh: str = "…"

    @rx.event
    def load_shell(self):
        try:
            moment = jobs.last_successful_refresh(runtime.get().db.engine())
        except Exception:
            log.exception("reading the last refresh failed")
            self.last_refresh = "unknown"
            return
        self.last_refresh = formatting.age(moment, datetime.now(timezone.utc))
