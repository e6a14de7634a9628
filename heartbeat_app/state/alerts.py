"""The alerts page's state: what is firing, pending, silenced or acknowledged, and what was sent where."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from engine import runtime
from engine.alerts import silences
from heartbeat_app.display import alerts as alert_rows

log = logging.getLogger(__name__)


def _read() -> dict[str, Any]:
    """Read alerts.yaml and the alerting tables; runs in a worker thread."""
    rt = runtime.get()
    now = datetime.now(timezone.utc)
    view = silences.overview_for_display(rt.db.engine(), rt.settings.alerts_file, now=now)
    return alert_rows.page(view, ZoneInfo(rt.settings.timezone), now)


class AlertsState(rx.State):
    firing: list[dict[str, str]] = []
    pending: list[dict[str, str]] = []
    silences: list[dict[str, str]] = []
    deliveries: list[dict[str, str]] = []
    channels: list[dict[str, str]] = []
    dead: str = "0"
    config_error: str = ""
    load_error: str = ""
    loaded: bool = False

    @rx.event
    async def load(self):
        try:
            view = await asyncio.to_thread(_read)
        except Exception:
            log.exception("reading the alerts failed")
            self.load_error = "Cannot read the alerts right now."
            return
        for name, value in view.items():
            setattr(self, name, value)
        self.load_error = ""
        self.loaded = True
