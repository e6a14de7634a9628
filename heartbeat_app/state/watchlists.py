"""The watchlists page: every team's screen, and an operator's edits of them (token proven in each event)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from engine import runtime
from engine.core.errors import FieldRejected
from engine.read import watchlists
from engine.read.cards import metric_cards
from heartbeat_app.state.operator import OperatorState

log = logging.getLogger(__name__)

EMPTY_FORM = {"name": "", "title": "", "metrics": "", "tags": "", "owners": ""}


def _entries(text: Any) -> list[str]:
    """A box of comma- or line-separated entries as a list (the API takes JSON lists)."""
    return [part.strip() for part in str(text or "").replace("\n", ",").split(",") if part.strip()]


def _row(w: watchlists.Watchlist) -> dict[str, str]:
    return {"name": w.name, "title": w.title or "", "metrics": ", ".join(w.metrics), "tags": ", ".join(w.tags),
            "owners": ", ".join(w.owners), "screen": f"/?watchlist={w.name}&kiosk=1",
            "updated": f"{w.updated_by or '?'}, {w.updated_at:%Y-%m-%d %H:%M} UTC" if w.updated_at else ""}


def _read() -> dict[str, Any]:
    engine = runtime.get().db.engine()
    return {"rows": [_row(w) for w in watchlists.listed(engine)],
            "metrics": [{"id": c.id, "name": c.name} for c in
                        sorted(metric_cards(engine, history_days=0), key=lambda c: c.name.lower())]}


class WatchlistState(OperatorState):
    rows: list[dict[str, str]] = []
    metrics: list[dict[str, str]] = []
    form: dict[str, str] = dict(EMPTY_FORM)
    form_version: int = 0
    message: str = ""
    saved: str = ""
    load_error: str = ""

    async def _reload(self) -> None:
        try:
            data = await asyncio.to_thread(_read)
        except Exception:
            log.exception("reading the watchlists failed")
            self.load_error = "Cannot read the watchlists right now."
            return
        self.load_error = ""
        self.rows, self.metrics = data["rows"], data["metrics"]

    @rx.event
    async def load(self):
        self.message = self.saved = ""
        await self._reload()

    @rx.event
    def edit(self, name: str):
        """Fill the form with a watchlist to change it (drawing only; saving proves the token)."""
        for row in self.rows:
            if row["name"] == name:
                self.form = {k: row[k] for k in EMPTY_FORM}
                self.form_version += 1
                self.message = self.saved = ""

    def _refused(self, presented: str) -> bool:
        problem = self._token_problem(presented)
        if problem:
            self.operator = False
            self.operator_message = problem
            self.message = problem
        return bool(problem)

    @rx.event
    async def save(self, form_data: dict, presented: str = ""):
        self.message = self.saved = ""
        if self._refused(presented):
            return
        name = str(form_data.get("name", "")).strip().lower()
        try:
            checked = watchlists.checked(name, title=str(form_data.get("title", "")),
                                         metrics=_entries(form_data.get("metrics")),
                                         tags=_entries(form_data.get("tags")),
                                         owners=_entries(form_data.get("owners")))
            _, created = await asyncio.to_thread(watchlists.save, runtime.get().db.engine(), checked,
                                                 actor="operator (app)")
        except FieldRejected as exc:
            self.message = f"{exc.field.capitalize()}: {exc.reason}. Nothing was changed."
            self.form = {k: str(form_data.get(k, "")) for k in EMPTY_FORM}
            return
        except Exception:
            log.exception("saving watchlist %s failed", name)
            self.message = "Saving failed on the server; nothing was changed. See the app log."
            return
        self.saved = f"{'Created' if created else 'Saved'} watchlist {name}: its screen is /?watchlist={name}&kiosk=1"
        self.form = dict(EMPTY_FORM)
        self.form_version += 1
        await self._reload()

    @rx.event
    async def delete(self, name: str, presented: str = ""):
        self.message = self.saved = ""
        if self._refused(presented):
            return
        try:
            await asyncio.to_thread(watchlists.delete, runtime.get().db.engine(), str(name), actor="operator (app)")
        except watchlists.WatchlistNotFound:
            self.message = f"No watchlist {str(name)[:64]!r}: nothing was deleted."
        except Exception:
            log.exception("deleting watchlist %s failed", name)
            self.message = "Deleting failed on the server; nothing was changed. See the app log."
        else:
            self.saved = f"Deleted watchlist {name}; its screens now show the whole wall."
        await self._reload()
