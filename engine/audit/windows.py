"""The time windows a cut can be looked at through: a key and its number of days."""

from __future__ import annotations

import re

# Days-based keys keep the SQL of a cut one integer away from the window.
WINDOW_PATTERN = re.compile(r"^([1-9][0-9]{0,2})d$")
DEFAULT_WINDOWS = ("7d", "30d", "90d")


def is_window(key: object) -> bool:
    return isinstance(key, str) and WINDOW_PATTERN.match(key) is not None


def days(window: str) -> int:
    """The number of days of ``window`` ('30d' → 30); ValueError for anything else."""
    match = WINDOW_PATTERN.match(window) if isinstance(window, str) else None
    if match is None:
        raise ValueError(f"window must look like '30d' (1–999 days), got {window!r}")
    return int(match.group(1))
