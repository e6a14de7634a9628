"""The screens showing the cockpit: each tab beats while its refresh loop runs.

A TV that crashed, froze or lost its network stops beating; operations (and
later the alerts) see it in ``GET /api/screens``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, text

# A screen whose last beat is older than this many refresh intervals is "silent".
SILENT_AFTER_INTERVALS = 3


def beat(engine: Engine, screen_id: str, *, path: str, kiosk: bool, user_agent: str | None) -> None:
    """Record that ``screen_id`` is alive now."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO heartbeat.screen (id, path, kiosk, user_agent) VALUES (:id, :path, :kiosk, :ua) "
                "ON CONFLICT (id) DO UPDATE SET last_seen = now(), path = EXCLUDED.path, kiosk = EXCLUDED.kiosk, "
                "user_agent = coalesce(EXCLUDED.user_agent, heartbeat.screen.user_agent)"
            ),
            {"id": screen_id[:64], "path": path[:200], "kiosk": kiosk, "ua": (user_agent or "")[:300] or None},
        )


def listed(engine: Engine, refresh_seconds: float, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every screen seen in the last 7 days, newest beat first, each marked alive or silent."""
    now = now or datetime.now(timezone.utc)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, path, kiosk, user_agent, first_seen, last_seen FROM heartbeat.screen "
                "WHERE last_seen > now() - interval '7 days' ORDER BY last_seen DESC"
            )
        ).mappings().all()
    limit = refresh_seconds * SILENT_AFTER_INTERVALS
    return [
        {**row, "alive": (now - row["last_seen"]).total_seconds() <= limit,
         "seconds_since_seen": round((now - row["last_seen"]).total_seconds(), 1)}
        for row in rows
    ]
