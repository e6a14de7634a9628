"""The last good wall of this app, in memory and in the data folder (``cockpit-last.json``).

Kept after every successful read (written to disk when it changed, at most
once per refresh interval), so a tab opened during a database outage — a TV
rebooted, or the app itself restarted — shows the last values, dimmed, under
the "database unreachable" banner instead of an empty wall.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from heartbeat_app.display import last_wall, tiles

log = logging.getLogger(__name__)

FILE_NAME = "cockpit-last.json"

_lock = threading.Lock()
_memory: dict[str, Any] | None = None
_written: str = ""
_kept_at: float = 0.0
_down_since: datetime | None = None


def path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def keep(data_dir: Path, boards: Callable[[], list[tiles.Board]], last_refresh: datetime | None, now: datetime,
         every: float) -> None:
    """Keep the wall just read (``boards`` renders every page; called at most once per ``every`` seconds)."""
    global _memory, _written, _kept_at, _down_since
    with _lock:
        _down_since = None
        if _memory is not None and time.monotonic() - _kept_at < every:
            return
        _kept_at = time.monotonic()
    saved = last_wall.record(boards(), last_refresh, now)
    text = json.dumps({k: v for k, v in saved.items() if k != "saved_at"}, sort_keys=True, default=str)
    with _lock:
        _memory = saved
        if text == _written:
            return
        _written = text
    try:
        target = path(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(saved, default=str))
        os.replace(scratch, target)
    except OSError as exc:  # the wall in memory still serves this process
        log.warning("cannot keep the last wall in %s: %s", data_dir, exc)


def recall(data_dir: Path) -> dict[str, Any] | None:
    """The last good wall: this process's, else the data folder's (None when there is none)."""
    global _memory
    with _lock:
        if _memory is not None:
            return _memory
    try:
        saved = json.loads(path(data_dir).read_text())
    except (OSError, ValueError):
        return None
    if not last_wall.valid(saved):
        return None
    with _lock:
        _memory = _memory or saved
    return saved


def down_since(now: datetime) -> datetime:
    """When this app first failed to read since its last good read (the same for every tab, fresh or open)."""
    global _down_since
    with _lock:
        if _down_since is None:
            _down_since = now
        return _down_since
