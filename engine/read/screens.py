"""The screens showing the cockpit: each tab beats while its refresh loop runs.

A TV that crashed, froze or lost its network stops beating; operations (and
later the alerts) see it in ``GET /api/screens``. A screen not seen for
``HEARTBEAT_SCREEN_EXPIRY`` is deleted; what a client sends (path, user agent)
is stripped of markup and control characters and cut short before it is kept.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, text

from engine.core.text import tame_text

# A screen whose last beat is older than this many refresh intervals is "silent".
SILENT_AFTER_INTERVALS = 3
MAX_PATH = 200
MAX_USER_AGENT = 200
MAX_WATCHLIST = 64
PRUNE_EVERY_SECONDS = 60.0  # expired rows are deleted at most this often per process

_pruned_at = 0.0
_prune_lock = threading.Lock()


def beat(engine: Engine, screen_id: str, *, path: str, kiosk: bool, user_agent: str | None,
         expire_after: float | None = None, watchlist: str | None = None) -> None:
    """Record that ``screen_id`` is alive now, and which watchlist it shows (None: the whole wall); its text is
    made harmless and short (clients choose it)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO heartbeat.screen (id, path, kiosk, user_agent, watchlist) "
                "VALUES (:id, :path, :kiosk, :ua, :watchlist) "
                "ON CONFLICT (id) DO UPDATE SET last_seen = now(), path = EXCLUDED.path, kiosk = EXCLUDED.kiosk, "
                "user_agent = coalesce(EXCLUDED.user_agent, heartbeat.screen.user_agent), "
                "watchlist = EXCLUDED.watchlist"
            ),
            {"id": screen_id[:64], "path": tame_text(path, max_length=MAX_PATH) or "/", "kiosk": kiosk,
             "ua": tame_text(user_agent, max_length=MAX_USER_AGENT),
             "watchlist": tame_text(watchlist, max_length=MAX_WATCHLIST) or None},
        )
    if expire_after is not None:
        prune(engine, expire_after)


def prune(engine: Engine, expire_after: float, *, force: bool = False) -> int:
    """Delete screens not seen for ``expire_after`` seconds (at most once a minute unless ``force``)."""
    global _pruned_at
    with _prune_lock:
        if not force and time.monotonic() - _pruned_at < PRUNE_EVERY_SECONDS:
            return 0
        _pruned_at = time.monotonic()
    with engine.begin() as conn:
        return conn.execute(
            text("DELETE FROM heartbeat.screen WHERE last_seen < now() - make_interval(secs => :secs)"),
            {"secs": float(expire_after)},
        ).rowcount


def listed(engine: Engine, refresh_seconds: float, now: datetime | None = None,
           expire_after: float = 7 * 86400) -> list[dict[str, Any]]:
    """Every screen seen within ``expire_after`` seconds, newest beat first, each marked alive or silent."""
    now = now or datetime.now(timezone.utc)
    prune(engine, expire_after)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, path, kiosk, user_agent, watchlist, first_seen, last_seen FROM heartbeat.screen "
                "WHERE last_seen > now() - make_interval(secs => :secs) ORDER BY last_seen DESC LIMIT 1000"
            ),
            {"secs": float(expire_after)},
        ).mappings().all()
    limit = refresh_seconds * SILENT_AFTER_INTERVALS
    return [
        {**row, "alive": (now - row["last_seen"]).total_seconds() <= limit,
         "seconds_since_seen": round((now - row["last_seen"]).total_seconds(), 1)}
        for row in rows
    ]
