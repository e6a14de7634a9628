"""Numbers and times as a person reads them on a wall or in a message.

Shared by the cockpit, the metric pages, the CLI and alert messages, so a value
or a time reads the same everywhere.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone, tzinfo

_CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}


def _compact(number: float) -> str:
    """1234 → 1,234; 1234567 → 1.23M — short enough to read from across a room."""
    magnitude = abs(number)
    # Abbreviated from 10,000 on (1,234 stays exact), counted in thousands: 12,345 → 12.3k;
    # a value that rounds up to the next unit takes it (999,999 → 1M, not 1,000k).
    if magnitude >= 1e4:
        for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if magnitude >= scale * 0.9995 or suffix == "k":
                scaled = number / scale
                return f"{scaled:.3g}{suffix}" if abs(scaled) < 999.5 else f"{scaled:,.0f}{suffix}"
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.2f}" if magnitude < 100 else f"{number:,.0f}"


def duration(seconds: float) -> str:
    """90 → '1m 30s'; 7200 → '2h'; 200000 → '2d 7h'."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 or seconds == int(seconds) else f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def value(number: float | None, unit: str, currency: str | None = None) -> str:
    """A metric value with its unit: '€1.23M', '97.4%', '2h 5m', '1,234'; '—' when missing."""
    if number is None or not math.isfinite(number):
        return "—"
    if unit == "percent":
        return f"{number:.1f}%"
    if unit == "seconds":
        return duration(number)
    if unit == "money":
        sign = _CURRENCY_SIGNS.get(currency or "", "")
        text = _compact(number)
        if sign:
            return f"-{sign}{text[1:]}" if text.startswith("-") else f"{sign}{text}"
        return f"{text} {currency}" if currency else text
    if unit == "ratio":
        return f"{number:.4g}" if abs(number) < 100 else f"{number:,.2f}"
    return _compact(number)


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago: '5m ago', '3h ago', '2d 4h ago'; 'never' when there is no time."""
    if moment is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    return f"{duration(seconds)} ago"


def when(moment: datetime | None, tz: tzinfo = timezone.utc, *, empty: str = "never") -> str:
    """A point in time as a wall or a message shows it: '2026-11-30 09:00 UTC' in ``tz``; ``empty`` for none."""
    if moment is None:
        return empty
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
