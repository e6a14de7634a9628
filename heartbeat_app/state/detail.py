"""State of a metric's page (`/metrics/<id>`) and of operator mode.

Reads go through the engine's read model; writes go through
``engine.metrics.edits`` — the same validation and change trail as the REST
API. The operator token lives only in the browser (localStorage); every write
event carries it (``BROWSER_TOKEN``, read when the operator acts) and is
checked here, on the server: the "unlocked" flag only decides which controls
are drawn, it never authorises anything, and the server keeps no copy.
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from engine import runtime
from engine.audit import read as audit_read
from engine.contract import METRIC_ID_PATTERN
from engine.core.errors import FieldRejected
from engine.metrics import edits
from engine.read.cards import metric_cards, metric_changes, metric_computations, metric_profile
from heartbeat_app.display import audit as audit_display
from heartbeat_app.display import chart, detail
from heartbeat_app.state.operator import OperatorState

log = logging.getLogger(__name__)

HISTORY_DAYS = 180
COMPUTATIONS_SHOWN = 14
CHANGES_SHOWN = 50
ACTOR = "operator (app)"  # who the change trail names for an edit made in the app
METRIC_ID = re.compile(METRIC_ID_PATTERN)


def _zone() -> ZoneInfo:
    return ZoneInfo(getattr(runtime.get().settings, "timezone", None) or "UTC")


def _read(metric_id: str) -> dict[str, Any] | None:
    """Everything the page shows, from the read model (None: no such active metric). Runs in a thread."""
    engine = runtime.get().db.engine()
    now = datetime.now(timezone.utc)
    cards = metric_cards(engine, now, history_days=HISTORY_DAYS, ids=[metric_id])
    profile = metric_profile(engine, metric_id)
    if not cards or profile is None:
        return None
    card = cards[0]
    tz = _zone()
    return {
        "header": detail.header(card, profile, tz, now),
        "how_to_read": card.how_to_read,
        "methodology": profile.methodology,
        "sources": profile.sources,
        "facts": detail.facts(card, profile, tz),
        "computations": [detail.computation_row(r, card, tz)
                         for r in metric_computations(engine, metric_id, COMPUTATIONS_SHOWN)],
        "changes": [detail.change_row(r, card, tz) for r in metric_changes(engine, metric_id, CHANGES_SHOWN)],
        "figure": chart.figure(card, now.date(), profile.definition_since),
        "inputs": detail.inputs(card),
        "cuts": [audit_display.metric_cut_row(c, now, tz) for c in audit_read.cuts_for_metric(engine, metric_id)],
        "current": {field: getattr(card, field)
                    for field in ("owner", "norm_value", "alert_value", "target_value", "target_due_date")},
    }


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, FieldRejected):
        return detail.problem_text(exc.field, exc.reason)
    if isinstance(exc, edits.MetricNotFound):
        return "This metric no longer exists (it was retired or removed). Nothing was changed."
    return "The edit failed on the server; nothing was changed. See the app log."


class DetailState(OperatorState):
    """One metric's page: header, chart, definition, computations, change trail and the edit forms."""

    loaded: bool = False
    found: bool = False
    requested_id: str = ""
    load_error: str = ""
    header: dict[str, str] = {}
    how_to_read: str = ""
    methodology: str = ""
    sources: str = ""
    facts: list[dict[str, str]] = []
    computations: list[dict[str, str]] = []
    changes: list[dict[str, str]] = []
    figure: dict[str, Any] = {}
    inputs: dict[str, str] = {}
    cuts: list[dict[str, str]] = []  # the audit cuts that explain this metric, first = the one tiles offer
    # Bumped after every successful reload so the (uncontrolled) edit inputs re-read the stored values.
    version: int = 0
    owner_message: str = ""
    verification_message: str = ""
    thresholds_message: str = ""
    saved_message: str = ""
    _current: dict[str, Any] = {}

    def _metric_id(self) -> str:
        path = urllib.parse.urlsplit(str(self.router.url)).path.rstrip("/")
        return urllib.parse.unquote(path.rsplit("/", 1)[-1]) if "/metrics/" in path else ""

    async def _reload(self) -> None:
        metric_id = self._metric_id()
        self.requested_id = metric_id
        if not METRIC_ID.match(metric_id):
            self.found, self.loaded, self.load_error = False, True, ""
            return
        try:
            data = await asyncio.to_thread(_read, metric_id)
        except Exception:
            log.exception("reading metric %s failed", metric_id)
            self.load_error = "Cannot read the metric registry right now; showing what was last read."
            self.loaded = True
            return
        self.load_error = ""
        self.loaded = True
        if data is None:
            self.found = False
            return
        self.found = True
        for name in ("header", "how_to_read", "methodology", "sources", "facts", "computations", "changes",
                     "figure", "inputs", "cuts"):
            setattr(self, name, data[name])
        self._current = data["current"]
        self.version += 1

    def _clear_messages(self) -> None:
        # The edit messages belong to the metric shown; operator_message is about this browser's token and
        # is set by the page-load check, which may answer before a second on_load (a reconnect) runs this.
        self.owner_message = self.verification_message = self.thresholds_message = self.saved_message = ""

    @rx.event
    async def load(self):
        if self.requested_id != self._metric_id():  # another metric: never show the last one's numbers
            self.found = False
            self.loaded = False
        self._clear_messages()
        await self._reload()

    def _authorized(self, kind: str, presented: str) -> bool:
        """The server-side check every write event starts with: the token in this very event, API's rule."""
        self._clear_messages()
        problem = self._token_problem(presented)
        if not problem:
            return True
        # Debug only: wrong tokens are counted in one aggregated line a minute (operator.ATTEMPT_LOG).
        log.debug("operator write refused in the app (%s): %s", kind, problem.split(":")[0])
        # Said where the token is entered (the edit controls go away with the right to use them).
        self.operator_message = problem
        self.operator = False
        return False

    async def _write(self, kind: str, edit) -> None:
        """Run one engine edit in a thread, report inline, then re-read the page."""
        metric_id = self._metric_id()
        try:
            result = await asyncio.to_thread(edit, runtime.get().db.engine(), metric_id)
        except (FieldRejected, edits.MetricNotFound) as exc:
            setattr(self, f"{kind}_message", _problem_text(exc))
            return
        except Exception as exc:
            log.exception("operator edit of %s failed", metric_id)
            setattr(self, f"{kind}_message", _problem_text(exc))
            return
        if result.changed:
            self.saved_message = ("Saved: " + ", ".join(detail.FIELD_LABEL.get(f, f).lower() for f in result.changed)
                                  + ".")
        await self._reload()

    @rx.event
    async def save_owner(self, value: str, token: str = ""):
        """Auto-save on blur; an unchanged box writes nothing."""
        new = (value or "").strip() if isinstance(value, str) else ""
        if new == (self._current.get("owner") or ""):
            self.owner_message = ""
            return
        if not self._authorized("owner", token):
            return
        await self._write("owner", lambda engine, mid: edits.set_verification(
            engine, mid, actor=ACTOR, owner=new or None))

    @rx.event
    async def save_verification(self, value: str | list[str], token: str = ""):
        state = value if isinstance(value, str) else (value[0] if value else "")
        if not self._authorized("verification", token):
            return
        await self._write("verification", lambda engine, mid: edits.set_verification(
            engine, mid, actor=ACTOR, verification_state=state))

    @rx.event
    async def save_thresholds(self, form_data: dict[str, Any], token: str = ""):
        if not self._authorized("thresholds", token):
            return
        values, problem = detail.parse_thresholds(form_data, self._current)
        if problem:
            self.thresholds_message = problem
            return
        if not values:
            self.saved_message = "Nothing to save: the lines are as they were."
            return
        today = datetime.now(timezone.utc).date()
        await self._write("thresholds", lambda engine, mid: edits.set_thresholds(
            engine, mid, actor=ACTOR, today=today, **values))
