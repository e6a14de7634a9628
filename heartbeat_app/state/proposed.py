"""The /metrics/proposed page's state: the ranked proposals and their figures, read in a worker thread."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from engine import runtime
from engine.read import proposals
from heartbeat_app.display import proposed as display

log = logging.getLogger(__name__)


def _read() -> dict[str, Any]:
    return display.page(proposals.load(runtime.get().settings.metrics_dir))


class ProposedState(rx.State):
    cards: list[dict[str, str]] = []
    figures: dict[str, dict[str, Any]] = {}
    generated: str = ""
    problem: str = ""
    loaded: bool = False

    @rx.event
    async def load(self):
        try:
            data = await asyncio.to_thread(_read)
        except Exception:
            log.exception("reading the proposed metrics failed")
            self.problem = "Cannot read the proposed metrics right now."
            return
        self.cards, self.figures = data["cards"], data["figures"]
        self.generated, self.problem = data["generated"], data["problem"]
        self.loaded = True
