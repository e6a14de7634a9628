"""The last good wall, kept for an outage: what a tab shows when the database cannot be read.

Pure: turns boards into a JSON-able record and back into a tick's snapshot;
``heartbeat_app/state/last_wall.py`` keeps it in memory and in the data folder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from heartbeat_app.display import cockpit, tiles

VERSION = 1


def record(boards: list[tiles.Board], last_refresh: datetime | None, now: datetime) -> dict[str, Any]:
    """What is kept: every page of the wall as shown at ``now``, and the last successful refresh."""
    return {
        "version": VERSION,
        "saved_at": now.isoformat(),
        "last_refresh_at": None if last_refresh is None else last_refresh.isoformat(),
        "boards": [{"red": b.red, "attention": b.attention, "green": b.green, "pages": b.pages} for b in boards],
    }


def valid(saved: Any) -> bool:
    return (isinstance(saved, dict) and saved.get("version") == VERSION and isinstance(saved.get("boards"), list)
            and bool(saved["boards"]) and isinstance(saved.get("saved_at"), str))


def snapshot(saved: dict[str, Any], page: int, now: datetime, tz: ZoneInfo, *, frozen_after: float,
             night: tuple[int, int] | None, interval: float) -> dict[str, Any]:
    """A tick's snapshot from the kept wall: its tiles, stamped with when they were read (not now)."""
    boards = saved["boards"]
    raw = boards[page % len(boards)]
    # A wall kept before tiles offered their cut or drew their mark as an icon has no such keys.
    board = tiles.Board(**{k: [{"cut_href": "", "cut_title": "", "mark_kind": "", **t} for t in raw[k]]
                           for k in ("red", "attention", "green")}, pages=raw["pages"],
                        page=page % len(boards))
    saved_at = datetime.fromisoformat(saved["saved_at"])
    last = saved.get("last_refresh_at")
    last_refresh = None if last is None else datetime.fromisoformat(last)
    snap = cockpit.snapshot(board, last_refresh, None, now, tz, frozen_after=frozen_after, night=night,
                            interval=interval)
    snap["updated_at"] = saved_at.astimezone(tz).strftime("%H:%M:%S")
    return snap
