"""UI state. Handlers call the engine's read model; they do no I/O of their own."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import reflex as rx

from engine import formatting, read_model, runtime

log = logging.getLogger(__name__)


def _tile(card: read_model.MetricCard) -> dict[str, str]:
    return {
        "id": card.id,
        "name": card.name,
        "value": formatting.value(card.value, card.unit, card.currency),
        "period": card.period,
        "status": card.status.value,
        "freshness": card.freshness.value,
        "as_of": formatting.age(card.source_as_of),
        "owner": card.owner or "no owner",
        "verified": card.verification_state,
    }


class ShellState(rx.State):
    """The header: when data last moved forward."""

    last_refresh: str = "…"

    @rx.event
    def load_shell(self):
        try:
            moment = read_model.last_successful_refresh(runtime.get().db.engine())
        except Exception:
            log.exception("reading the last refresh failed")
            self.last_refresh = "unknown"
            return
        self.last_refresh = formatting.age(moment, datetime.now(timezone.utc))


class CockpitState(rx.State):
    """The tiles of the cockpit, red first."""

    tiles: list[dict[str, str]] = []
    loaded: bool = False
    load_error: str = ""

    @rx.event
    def load(self):
        try:
            cards = read_model.metric_cards(runtime.get().db.engine())
        except Exception:
            log.exception("reading the cockpit failed")
            # Keep what the screen already shows; say why it did not move.
            self.load_error = "Cannot read the metric registry right now; showing the last values."
            return
        self.tiles = [_tile(card) for card in cards]
        self.load_error = ""
        self.loaded = True
