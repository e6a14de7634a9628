"""The alerts page's rows: alerts, silences, deliveries and channels as text, from the alerting overview."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.read.streaks import since_text
from heartbeat_app.display.text import SHORT, when

DELIVERIES_PER_CHANNEL = 8
ERROR_CHARS = 160


def alert_row(a: dict[str, Any], tz: ZoneInfo, now: datetime) -> dict[str, str]:
    acked = a["acked_until"] is not None and a["acked_until"] > now
    return {
        "id": str(a["id"]), "kind": a["kind"], "subject": a["subject"], "state": a["state"],
        "title": a["title"] or a["subject"], "since": since_text(a, now),
        "ack": f"acknowledged by {a['acked_by']} until {when(a['acked_until'], tz, SHORT)}" if acked else "",
        "link": a["link"] or "",
    }


def delivery_rows(deliveries: dict[str, list[dict[str, Any]]], tz: ZoneInfo) -> list[dict[str, str]]:
    """The latest deliveries of each channel, channels by name; errors come masked from the engine, cut short."""
    return [
        {
            "channel": channel, "title": row["title"] or row["alert_key"], "transition": row["transition"],
            "status": row["status"], "attempts": str(row["attempts"]),
            "when": when(row["sent_at"] or row["created_at"], tz, SHORT),
            "error": (row["last_error"] or "")[:ERROR_CHARS],
        }
        for channel, rows in sorted(deliveries.items())
        for row in rows[:DELIVERIES_PER_CHANNEL]
    ]


def channel_row(c: dict[str, Any]) -> dict[str, str]:
    configured = "configured" if c["configured"] else "not configured: set " + ", ".join(c.get("missing_env", []))
    return {"name": c["name"], "type": c["type"], "configured": configured}


def page(view: dict[str, Any], tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Every value of the alerts page, from ``silences.overview_for_display``."""
    return {
        "firing": [alert_row(a, tz, now) for a in view["firing"]],
        "pending": [alert_row(a, tz, now) for a in view["pending"]],
        "silences": [{"what": s["metric_id"] or f"tag {s['tag']}", "reason": s["reason"],
                      "until": when(s["ends_at"], tz, SHORT), "by": s["created_by"] or ""} for s in view["silenced"]],
        "deliveries": delivery_rows(view["deliveries"], tz),
        "channels": [channel_row(c) for c in view["channels"]],
        "dead": str(len(view["dead_letters"])),
        "config_error": view.get("config_error") or "",
    }
