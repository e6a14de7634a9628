"""Polling for something a real process will do soon: a server answering, a leader elected, a row written."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, every: float = 0.25) -> T | None:
    """``predicate()``'s first truthy value within ``timeout`` seconds, asked every ``every`` seconds; else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    return None
