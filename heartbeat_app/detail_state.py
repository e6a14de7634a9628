"""State of a metric's page (`/metrics/<id>`) and of operator mode.

Reads go through the engine's read model; writes go through
``engine.metrics.edits`` — the same validation and change trail as the REST
API. The operator token lives in the browser (localStorage) and is checked
here, on the server, on every write event: the "unlocked" flag only decides
which controls are drawn, it never authorises anything.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import urllib.parse
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from engine import runtime
from engine.contract import Crossing
from engine.core import formatting
from engine.metrics import edits
from engine.read.cards import (
    MetricCard,
    MetricProfile,
    metric_cards,
    metric_changes,
    metric_computations,
    metric_profile,
)
from heartbeat_app.components import history_chart
from heartbeat_app.operator_state import NO_TOKEN, WRITES_DISABLED, WRONG_TOKEN, OperatorState, token_problem  # noqa: F401

log = logging.getLogger(__name__)

HISTORY_DAYS = 180
COMPUTATIONS_SHOWN = 14
CHANGES_SHOWN = 50
ACTOR = "operator (app)"  # who the change trail names for an edit made in the app
METRIC_ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")  # the API's rule for a metric id


STATUS_LABEL = {"red": "RED", "amber": "AMBER", "green": "OK", "no_data": "NO DATA", "error": "ERROR"}
FIELD_LABEL = {
    "owner": "Owner", "verification_state": "Verification", "norm_value": "Norm (amber line)",
    "alert_value": "Alert (red line)", "target_value": "Target", "target_due_date": "Target due date",
}
DIRECTION_LABEL = {"higher_is_better": "higher is better", "lower_is_better": "lower is better"}


def _zone() -> ZoneInfo:
    return ZoneInfo(getattr(runtime.get().settings, "timezone", None) or "UTC")


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _number_text(value: float | None) -> str:
    """A threshold as typed into an input: plain, no grouping, no unit."""
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:g}" if abs(value) < 1e15 else repr(value)


def crossed_text(card: MetricCard) -> str:
    """'crossed the red line (alert 90.0%) by 4.2%' — the line behind a red or amber status."""
    hit: Crossing | None = card.crossing
    if hit is None or card.value is None:
        return ""
    by = formatting.value(hit.by, card.unit, card.currency)
    line = formatting.value(hit.line_value, card.unit, card.currency)
    side = "below" if card.value < hit.line_value else "above"
    if hit.line == "band":
        return f"{by} {side} the typical range (edge {line})"
    name = "red line (alert" if hit.line == "alert" else "amber line (norm"
    return f"crossed the {name} {line}) by {by}"


def _header(card: MetricCard, profile: MetricProfile, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    unit = card.unit if card.unit != "money" else f"money ({card.currency or 'no currency'})"
    if card.source_as_of is None:
        freshness = "no source sync yet"
    else:
        freshness = f"as of {_when(card.source_as_of, tz)} · {formatting.age(card.source_as_of, now)}"
    if card.verification_state == "verified":
        verification = "verified"
        if profile.verified_by:
            verification += f" by {profile.verified_by}"
        if profile.verified_at:
            verification += f" on {profile.verified_at.astimezone(tz):%Y-%m-%d}"
        if profile.verified_hash and profile.verified_hash != profile.definition_hash:
            verification += " (the definition changed since)"
    else:
        verification = "unverified"
    target = ""
    if card.target_value is not None:
        target = f"target {formatting.value(card.target_value, card.unit, card.currency)}"
        if card.target_due_date is not None:
            target += f" by {card.target_due_date:%d %b %Y}"
        if card.target_hit:
            target += " · hit"
    target_line = ""
    if card.target_value is not None:
        target_line = formatting.value(card.target_value, card.unit, card.currency)
        if card.target_due_date is not None:
            target_line += f" by {card.target_due_date:%d %b %Y}"
    typical = ""
    if card.benchmark_mean is not None and card.benchmark_stddev:
        typical = (f"{formatting.value(card.benchmark_mean, card.unit, card.currency)} "
                   f"± {formatting.value(card.benchmark_stddev, card.unit, card.currency)}")
    return {
        "id": card.id,
        "name": card.name,
        "value": formatting.value(card.value, card.unit, card.currency),
        "status": card.status.value,
        "status_label": STATUS_LABEL.get(card.status.value, card.status.value),
        "freshness": card.freshness.value,
        "freshness_text": freshness,
        "crossed": crossed_text(card),
        "owner": card.owner or "no owner",
        "verification": verification,
        "verification_state": card.verification_state,
        "period": card.period,
        "unit": unit,
        "direction": DIRECTION_LABEL.get(card.direction, card.direction),
        "target": target,
        "target_line": target_line,
        "typical": typical,
        "computed_at": _when(card.computed_at, tz),
        "computed_age": formatting.age(card.computed_at, now) if card.computed_at else "never",
        "error": card.error or "",
        "norm": formatting.value(card.norm_value, card.unit, card.currency),
        "alert": formatting.value(card.alert_value, card.unit, card.currency),
    }


def _facts(card: MetricCard, profile: MetricProfile, tz: ZoneInfo) -> list[dict[str, str]]:
    benchmark = "none"
    if profile.benchmark_kind == "rolling_stat":
        benchmark = f"rolling μ ± σ over {profile.benchmark_window_days or '?'} days"
        if profile.benchmark_computed_at:
            benchmark += f" (computed {_when(profile.benchmark_computed_at, tz)})"
    set_by = profile.threshold_set_by
    operator_set = sorted(FIELD_LABEL.get(f, f).lower() for f, who in set_by.items() if who == "operator")
    rows = [
        ("Period", card.period),
        ("Unit", card.unit if card.unit != "money" else f"money ({card.currency or 'no currency'})"),
        ("Direction", DIRECTION_LABEL.get(card.direction, card.direction)),
        ("Benchmark", benchmark),
        ("Source schemas", ", ".join(profile.source_schemas) or "—"),
        ("Tags", ", ".join(card.tags) or "—"),
        ("Set by an operator", ", ".join(operator_set) or "nothing (all from the metric file)"),
        ("Definition", f"{profile.definition_hash[:12]} · synced {_when(profile.synced_at, tz)}"),
    ]
    return [{"label": label, "value": value} for label, value in rows]


def _computation_row(row: dict[str, Any], card: MetricCard, tz: ZoneInfo) -> dict[str, str]:
    ms = row.get("duration_ms")
    return {
        "day": row["day"].isoformat() if row.get("day") else "—",
        "value": formatting.value(row.get("value"), card.unit, card.currency),
        "status": row.get("status") or "",
        "computed_at": _when(row.get("computed_at"), tz),
        "duration": formatting.duration(ms / 1000) if ms is not None else "—",
        "error": (row.get("error") or "")[:300],
    }


def _change_value(field: str, value: Any, card: MetricCard) -> str:
    if value is None:
        return "—"
    if field in ("norm_value", "alert_value", "target_value") and isinstance(value, (int, float)):
        return formatting.value(float(value), card.unit, card.currency)
    if isinstance(value, (list, dict)):
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return str(value)


def _change_row(row: dict[str, Any], card: MetricCard, tz: ZoneInfo) -> dict[str, str]:
    field = row["field"]
    return {
        "field": FIELD_LABEL.get(field, field),
        "old": _change_value(field, row.get("old_value"), card),
        "new": _change_value(field, row.get("new_value"), card),
        "who": row.get("changed_by") or "",
        "when": _when(row.get("changed_at"), tz),
        "note": row.get("note") or "",
    }


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
        "header": _header(card, profile, tz, now),
        "how_to_read": card.how_to_read,
        "methodology": profile.methodology,
        "sources": profile.sources,
        "facts": _facts(card, profile, tz),
        "computations": [_computation_row(r, card, tz)
                         for r in metric_computations(engine, metric_id, COMPUTATIONS_SHOWN)],
        "changes": [_change_row(r, card, tz) for r in metric_changes(engine, metric_id, CHANGES_SHOWN)],
        "figure": history_chart.figure(card, now.date()),
        "inputs": {
            "owner": card.owner or "",
            "norm_value": _number_text(card.norm_value),
            "alert_value": _number_text(card.alert_value),
            "target_value": _number_text(card.target_value),
            "target_due_date": card.target_due_date.isoformat() if card.target_due_date else "",
        },
        "current": {
            "owner": card.owner,
            "norm_value": card.norm_value,
            "alert_value": card.alert_value,
            "target_value": card.target_value,
            "target_due_date": card.target_due_date,
        },
    }


def _parse_thresholds(form: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The fields the operator changed, typed; an empty box clears the line. Raises EditRejected."""
    changed: dict[str, Any] = {}
    for field in ("norm_value", "alert_value", "target_value"):
        raw = str(form.get(field, "")).strip().replace(",", "")
        if raw == "":
            value = None
        else:
            try:
                value = float(raw)
            except ValueError:
                raise edits.EditRejected(field, f"{raw[:40]!r} is not a number") from None
            if not math.isfinite(value):
                raise edits.EditRejected(field, "must be a finite number")
        if value != current.get(field):
            changed[field] = value
    raw = str(form.get("target_due_date", "")).strip()
    if raw == "":
        due = None
    else:
        try:
            due = date.fromisoformat(raw)
        except ValueError:
            raise edits.EditRejected("target_due_date", "must be a date (YYYY-MM-DD)") from None
    if due != current.get("target_due_date"):
        changed["target_due_date"] = due
    return changed


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, edits.EditRejected):
        return f"{FIELD_LABEL.get(exc.field, exc.field)}: {exc.reason}. Nothing was changed."
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
                     "figure", "inputs"):
            setattr(self, name, data[name])
        self._current = data["current"]
        self.version += 1

    def _clear_messages(self) -> None:
        self.owner_message = self.verification_message = self.thresholds_message = self.saved_message = ""
        self.operator_message = ""

    @rx.event
    async def load(self):
        if self.requested_id != self._metric_id():  # another metric: never show the last one's numbers
            self.found = False
            self.loaded = False
        self._clear_messages()
        await self._reload()

    def _authorized(self, kind: str) -> bool:
        """The server-side check every write event starts with: the API's token rule, constant time."""
        self._clear_messages()
        problem = token_problem(self.operator_token)
        if not problem:
            return True
        log.warning("operator write refused in the app (%s): %s", kind, problem)
        # Said where the token is entered (the edit controls go away with the right to use them).
        self.operator_message = problem
        self.operator = False
        self.operator_token = ""  # a refused token is of no further use; ask for it again
        return False

    async def _write(self, kind: str, edit) -> None:
        """Run one engine edit in a thread, report inline, then re-read the page."""
        metric_id = self._metric_id()
        try:
            result = await asyncio.to_thread(edit, runtime.get().db.engine(), metric_id)
        except (edits.EditRejected, edits.MetricNotFound) as exc:
            setattr(self, f"{kind}_message", _problem_text(exc))
            return
        except Exception as exc:
            log.exception("operator edit of %s failed", metric_id)
            setattr(self, f"{kind}_message", _problem_text(exc))
            return
        if result.changed:
            self.saved_message = "Saved: " + ", ".join(FIELD_LABEL.get(f, f).lower() for f in result.changed) + "."
        await self._reload()

    @rx.event
    async def save_owner(self, value: str):
        """Auto-save on blur; an unchanged box writes nothing."""
        new = (value or "").strip()
        if new == (self._current.get("owner") or ""):
            self.owner_message = ""
            return
        if not self._authorized("owner"):
            return
        await self._write("owner", lambda engine, mid: edits.set_verification(
            engine, mid, actor=ACTOR, owner=new or None))

    @rx.event
    async def save_verification(self, value: str | list[str]):
        state = value if isinstance(value, str) else (value[0] if value else "")
        if not self._authorized("verification"):
            return
        await self._write("verification", lambda engine, mid: edits.set_verification(
            engine, mid, actor=ACTOR, verification_state=state))

    @rx.event
    async def save_thresholds(self, form_data: dict[str, Any]):
        if not self._authorized("thresholds"):
            return
        try:
            values = _parse_thresholds(form_data, self._current)
        except edits.EditRejected as exc:
            self.thresholds_message = _problem_text(exc)
            return
        if not values:
            self.saved_message = "Nothing to save: the lines are as they were."
            return
        today = datetime.now(timezone.utc).date()
        await self._write("thresholds", lambda engine, mid: edits.set_thresholds(
            engine, mid, actor=ACTOR, today=today, **values))
