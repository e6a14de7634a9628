"""The cockpit's texts around the tiles: clock, freshness, the frozen and outage banners, night dim, job progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.core import formatting
from heartbeat_app.display import tiles


def frozen_text(last: datetime | None, now: datetime, tz: ZoneInfo, frozen_after: float) -> str:
    """The banner of a wall whose data stopped moving ("" while refreshes succeed in time)."""
    if last is None or (now - last).total_seconds() <= frozen_after:
        return ""
    return (f"Frozen since {tiles.clock_text(last, tz, now)}: no refresh has succeeded for "
            f"{formatting.duration((now - last).total_seconds())}")


def unreachable_text(now: datetime, tz: ZoneInfo) -> str:
    return f"Database unreachable since {now.astimezone(tz):%H:%M} — showing the last values"


def night_dim(now: datetime, tz: ZoneInfo, night: tuple[int, int] | None) -> bool:
    """Whether ``now`` falls in the night window (minutes after local midnight; it may wrap past midnight)."""
    if not night:
        return False
    local = now.astimezone(tz)
    minutes = local.hour * 60 + local.minute
    start, end = night[0], night[1]
    return start <= minutes < end if start < end else minutes >= start or minutes < end


def job_progress(job: dict[str, Any] | None) -> dict[str, str]:
    """The running refresh as the header shows it ({} when none runs)."""
    if job is None:
        return {}
    total = job["total"]
    return {
        "phase": job["phase"], "trigger": job["trigger"],
        "progress": f"{job['step']}/{total}" if total else "",
        "percent": str(round(100 * job["step"] / total)) if total else "0",
        "item": job["current_item"] or "",
    }


def snapshot(board: tiles.Board, last: datetime | None, job: dict[str, Any] | None, now: datetime, tz: ZoneInfo,
             *, frozen_after: float, night: tuple[int, int] | None, interval: float) -> dict[str, Any]:
    """Everything one tick of the wall shows, from what the read model returned."""
    return {
        "board": board,
        "clock": now.astimezone(tz).strftime("%H:%M"),
        "updated_at": now.astimezone(tz).strftime("%H:%M:%S"),
        "last_refresh": formatting.age(last, now),
        "frozen": frozen_text(last, now, tz, frozen_after),
        "dim": night_dim(now, tz, night),
        "job": job_progress(job),
        "interval": interval,
    }
