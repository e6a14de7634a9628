"""State of the audit pages (`/audit`, `/audit/clients`, `/audit/journeys`) and of their operator edits.

Reads snapshots only, through ``engine.audit.read`` — never the marts — so a
page costs a few indexed reads whatever the size of the data. Writes go
through ``engine.audit.edits`` (the API's validation and change trail); like
a metric's page, every write event carries the operator token from the
browser (``BROWSER_TOKEN``) and is checked here; the server keeps no copy.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from engine import runtime
from engine.audit import edits, read
from engine.core.errors import FieldRejected, NotFound
from engine.read.cards import metric_cards
from heartbeat_app.display import audit as display
from heartbeat_app.display.tiles import tile
from heartbeat_app.state.operator import OperatorState

log = logging.getLogger(__name__)

ACTOR = "operator (app)"


def _page_name(url: str) -> str:
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    tail = path.rsplit("/", 1)[-1]
    return tail if tail in read.PAGES and tail != "overview" else "overview"


def _read(name: str, chosen: dict[str, str]) -> dict[str, Any]:
    """Everything the page shows: the cuts with their snapshots and the live tiles they explain. In a thread."""
    rt = runtime.get()
    engine = rt.db.engine()
    tz = ZoneInfo(rt.settings.timezone or "UTC")
    now = datetime.now(timezone.utc)
    cuts = read.page(engine, name)
    cards, figures = display.page(cuts, chosen, now, tz)
    metric_ids = sorted({m for c in cuts for m in (c["metrics"] or [])})
    live = {c.id: tile(c, tz, now) for c in metric_cards(engine, now, history_days=1, ids=metric_ids)}
    for cut, cut_card in zip(cuts, cards):
        cut_card["tiles"] = [  # type: ignore[typeddict-unknown-key]
            {"id": m, "name": live[m]["name"], "value": live[m]["value"], "status": live[m]["status"],
             "href": f"/metrics/{m}"} for m in cut["metrics"] if m in live]
    owners = {c["id"]: c.get("owner") or "" for c in cuts}
    return {"cards": cards, "figures": figures, "owners": owners}


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, FieldRejected):
        return f"{exc.field}: {exc.reason}. Nothing was changed."
    if isinstance(exc, NotFound):
        return "This cut no longer exists (its file was removed). Nothing was changed."
    return "The edit failed on the server; nothing was changed. See the app log."


def _chart(figure: dict[str, Any] | None) -> dict[str, Any]:
    """What plotly draws (a table is drawn by the page from the card, not by plotly)."""
    return {} if not figure or "table" in figure else figure


class AuditState(OperatorState):
    """One audit page: its cuts in order, each in its chosen window, and the inline edits."""

    page_name: str = "overview"
    loaded: bool = False
    load_error: str = ""
    cuts: list[dict[str, Any]] = []
    figures: dict[str, dict[str, Any]] = {}  # cut id → the figure of the window shown
    version: int = 0  # bumped on reload so the (uncontrolled) owner boxes re-read the stored value
    messages: dict[str, str] = {}  # cut id → what the last edit said
    _all_figures: dict[str, dict[str, dict[str, Any]]] = {}
    _chosen: dict[str, str] = {}
    _owners: dict[str, str] = {}

    async def _reload(self) -> None:
        name = _page_name(str(self.router.url))
        if name != self.page_name:
            self.cuts, self.figures, self._chosen, self.loaded = [], {}, {}, False
        self.page_name = name
        try:
            data = await asyncio.to_thread(_read, name, dict(self._chosen))
        except Exception:
            log.exception("reading audit page %s failed", name)
            self.load_error = "Cannot read the audit snapshots right now; showing what was last read."
            self.loaded = True
            return
        self.load_error = ""
        self.cuts = data["cards"]
        self._all_figures = data["figures"]
        self._owners = data["owners"]
        self.figures = {c["id"]: _chart(data["figures"][c["id"]].get(c["window"])) for c in data["cards"]}
        self.loaded = True
        self.version += 1

    @rx.event
    async def load(self):
        self.messages = {}
        await self._reload()

    @rx.event
    def set_window(self, cut_id: str, window: str):
        """Switch one cut's window: the figure was read with the page, nothing is re-read."""
        figures = self._all_figures.get(cut_id)
        if figures is None or window not in figures:
            return
        self._chosen[cut_id] = window
        self.figures = {**self.figures, cut_id: _chart(figures[window])}
        # Re-shape the card for the window (headline, freshness): cheap, from what the page already holds.
        self.cuts = [c if c["id"] != cut_id else {**c, "window": window} for c in self.cuts]
        return AuditState.load

    def _refused(self, cut_id: str, presented: str) -> bool:
        problem = self._token_problem(presented)
        if not problem:
            return False
        log.debug("operator write refused on the audit page: %s", problem.split(":")[0])
        self.messages = {cut_id: problem}
        self.operator_message = problem
        self.operator = False
        return True

    async def _write(self, cut_id: str, **change: Any) -> None:
        try:
            result = await asyncio.to_thread(edits.set_verification, runtime.get().db.engine(), cut_id,
                                             actor=ACTOR, **change)
        except (FieldRejected, NotFound) as exc:
            self.messages = {cut_id: _problem_text(exc)}
            return
        except Exception as exc:
            log.exception("operator edit of cut %s failed", cut_id)
            self.messages = {cut_id: _problem_text(exc)}
            return
        self.messages = {cut_id: ("Saved: " + ", ".join(f.replace("_state", "") for f in result.changed) + "."
                                  if result.changed else "")}
        await self._reload()

    @rx.event
    async def save_owner(self, cut_id: str, value: str, token: str = ""):
        """Auto-save on blur; an unchanged box writes nothing."""
        new = value.strip() if isinstance(value, str) else ""
        if new == self._owners.get(cut_id, ""):
            return
        if self._refused(cut_id, token):
            return
        await self._write(cut_id, owner=new or None)

    @rx.event
    async def save_verification(self, cut_id: str, value: str | list[str], token: str = ""):
        state = value if isinstance(value, str) else (value[0] if value else "")
        if self._refused(cut_id, token):
            return
        await self._write(cut_id, verification_state=state)
