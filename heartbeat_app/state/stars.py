"""Starred metrics: a personal list kept in this browser (localStorage), never on the server.

Anyone may star a metric on its page; ``/?watchlist=starred`` shows the starred metrics as a wall (plus the
reds elsewhere, as every watchlist screen does). Other tabs of the same browser follow (``sync``).
"""

from __future__ import annotations

import re

import reflex as rx

from engine.contract import METRIC_ID_PATTERN

STORAGE_KEY = "heartbeat_starred"
MAX_STARS = 200
_ID = re.compile(METRIC_ID_PATTERN)


def starred_ids(stored: str) -> tuple[str, ...]:
    """The ids kept in the browser (comma-separated); anything that is not a metric id is dropped."""
    out: list[str] = []
    for part in (stored or "").split(","):
        part = part.strip()
        if _ID.match(part) and part not in out:
            out.append(part)
    return tuple(out[:MAX_STARS])


def toggled(stored: str, metric_id: str) -> str:
    ids = list(starred_ids(stored))
    if metric_id in ids:
        ids.remove(metric_id)
    elif _ID.match(metric_id):
        ids.append(metric_id)
    return ",".join(ids[:MAX_STARS])


class StarState(rx.State):
    """This browser's starred metric ids."""

    starred: str = rx.LocalStorage("", name=STORAGE_KEY, sync=True)

    @rx.var
    def starred_list(self) -> list[str]:
        return list(starred_ids(self.starred))

    @rx.event
    def toggle_star(self, metric_id: str):
        self.starred = toggled(self.starred, str(metric_id))
