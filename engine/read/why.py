"""The one sentence a CEO reads about a metric in trouble: what it is, which line it crossed, which way it moves.

Pure: cards and daily values in, English out. The triage (``engine.read.triage``) quotes these sentences on
every surface (MCP, ``heartbeat today``).
"""

from __future__ import annotations

import math
from datetime import date, datetime

from engine import contract
from engine.core import formatting

LINE_NAMES = {"alert": "red line", "norm": "amber line"}
ERROR_CHARS = 120  # an error quoted in a sentence: its first line, cut here


def _side(value: float, line: float) -> str:
    return "above" if value >= line else "below"


def span_text(days: int) -> str:
    """31 → 'a month'; 77 → '3 months'; 20 → '3 weeks'; 5 → '5 days' (as a person rounds it)."""
    if days >= 45:
        months = round(days / 30.4)
        return f"{months} months"
    if days >= 28:
        return "a month"
    if days >= 14:
        return f"{round(days / 7)} weeks"
    return "a day" if days == 1 else f"{days} days"


def trend(series: list[tuple[date, float | None]]) -> str:
    """'rising for 3 months' / 'falling for 5 days' from daily values (oldest first); '' when it does not move.

    The run is the longest stretch up to the latest value that never turned back (flat days belong to it);
    it starts at the last day it was at its first level, so a long flat start does not count as rising.
    """
    values = [(d, v) for d, v in series if v is not None and math.isfinite(v)]
    if len(values) < 2:
        return ""
    last_day, last = values[-1]
    for word, sign in (("rising", 1), ("falling", -1)):
        start = len(values) - 1
        while start > 0 and sign * (values[start][1] - values[start - 1][1]) >= 0:
            start -= 1
        first_level = values[start][1]
        if sign * (last - first_level) <= 0:
            continue
        while start + 1 < len(values) and values[start + 1][1] == first_level:
            start += 1
        days = (last_day - values[start][0]).days
        if days >= 2:
            return f"{word} for {span_text(days)}"
    return ""


def value_sentence(card, series: list[tuple[date, float | None]]) -> str:
    """'Card collateral covered by us (unpaid) is €100k, €90k above the €10k red line, rising for 3 months.'"""
    shown = formatting.value(card.value, card.unit, card.currency)
    crossing = card.crossing
    moving = trend(series)
    if crossing is None:
        text = f"{card.name} is {shown}"
    elif crossing.line == "band":
        mean, stddev = card.benchmark_mean, card.benchmark_stddev
        z = contract.z_score(card.value, mean, stddev) or 0.0
        typical = formatting.value(mean, card.unit, card.currency)
        text = (f"{card.name} is {shown}, {abs(z):.1f}σ {'above' if z > 0 else 'below'} its typical {typical} "
                f"(± {formatting.value(stddev, card.unit, card.currency)})")
    else:
        line = formatting.value(crossing.line_value, card.unit, card.currency)
        name = LINE_NAMES[crossing.line]
        if crossing.by == 0:
            text = f"{card.name} is {shown}, right on the {line} {name}"
        else:
            # A gap between two percentages is in points: "4.3 points below the 90.0% red line".
            by = (f"{crossing.by:.1f} points" if card.unit == "percent"
                  else formatting.value(crossing.by, card.unit, card.currency))
            text = f"{card.name} is {shown}, {by} {_side(card.value, crossing.line_value)} the {line} {name}"
    return f"{text}, {moving}." if moving else f"{text}."


def error_sentence(card, failures: int | None) -> str:
    """'Payments in 24h could not be computed (3 times in a row): <error>; the last good value was 333.'"""
    first = (card.error or "unknown error").strip().splitlines()[0] if (card.error or "").strip() else "unknown error"
    if len(first) > ERROR_CHARS:
        first = first[:ERROR_CHARS - 1] + "…"
    times = f" ({failures} times in a row)" if failures and failures > 1 else ""
    last = (f"; the last good value was {formatting.value(card.value, card.unit, card.currency)}"
            if card.value is not None else "")
    return f"{card.name} could not be computed{times}: {first}{last}."


def stale_sentence(source: str, as_of: datetime | None, limit_hours: float, names: list[str], now: datetime) -> str:
    """'No new data from card_management.cards for 2d (limit 48 h); its metrics show old values, not judged: …'"""
    age = formatting.duration((now - as_of).total_seconds()) if as_of else None
    head = f"No new data from {source} for {age}" if age else f"{source} has never delivered data"
    shown = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
    return f"{head} (limit {limit_hours:g} h); its metrics show old values, not judged: {shown}."


def stale_metric_sentence(card, now: datetime) -> str:
    """A metric whose own data is stale while none of its sources is: its value is old, not bad."""
    age = formatting.age(card.source_as_of, now)
    return f"{card.name} shows data from {age}, too old to judge; it is reported as stale, not as its colour."
