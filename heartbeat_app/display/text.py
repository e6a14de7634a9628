"""The small texts several screens share: when something happened, a unit, the line a value crossed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.core import formatting
from engine.read.cards import MetricCard

FULL = "%Y-%m-%d %H:%M %Z"  # a page with room: the year and the zone leave no doubt
SHORT = "%d %b %H:%M"  # a table row or a list: day and time are enough
LINE_NAME = {"alert": "red line (alert", "norm": "amber line (norm"}


def when(moment: datetime | None, tz: ZoneInfo, pattern: str = FULL) -> str:
    """A moment in the screen's time zone; "—" when there is none."""
    return "—" if moment is None else moment.astimezone(tz).strftime(pattern)


def unit_text(unit: str, currency: str | None) -> str:
    """The unit as a reader needs it: money always says which currency (or that it has none)."""
    return unit if unit != "money" else f"money ({currency or 'no currency'})"


def crossed_text(card: MetricCard, *, short: bool = False) -> str:
    """The line behind a red or amber status, and by how much ("" when no line was crossed).

    One rule, two lengths: the wall's tile has room for "8.1% below alert 90.0%"; the metric's page
    spells out "crossed the red line (alert 90.0%) by 8.1%".
    """
    hit = card.crossing
    if hit is None or card.value is None:
        return ""
    by = formatting.value(hit.by, card.unit, card.currency)
    line = formatting.value(hit.line_value, card.unit, card.currency)
    side = "below" if card.value < hit.line_value else "above"
    if hit.line == "band":
        return f"{by} {side} the typical range" + ("" if short else f" (edge {line})")
    if short:
        return f"on the {hit.line} line {line}" if hit.by == 0 else f"{by} {side} {hit.line} {line}"
    name = LINE_NAME.get(hit.line, f"{hit.line} line ({hit.line}")
    return f"on the {name} {line})" if hit.by == 0 else f"crossed the {name} {line}) by {by}"
