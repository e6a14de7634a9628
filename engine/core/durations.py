"""Durations as people write them: ``500ms``, ``30s``, ``90min``, ``2h``, ``3d`` (a bare number is seconds)."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)?\s*$", re.IGNORECASE)
_FACTORS = {"ms": 0.001, "s": 1.0, None: 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(raw: object) -> float:
    """Seconds in ``raw``; ValueError (saying what to write) when it is not a positive duration."""
    match = _DURATION.match(str(raw))
    value = float(match.group(1)) * _FACTORS[match.group(2) and match.group(2).lower()] if match else math.nan
    if not value > 0 or math.isinf(value):
        raise ValueError("must be a positive duration such as 30s, 5min or 1h")
    return value
