"""The alerts page: what is firing, pending, silenced or acknowledged, and what was sent where."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import reflex as rx

from engine import runtime
from engine.alerts import config as alert_config
from engine.alerts import silences
from engine.core import formatting

log = logging.getLogger(__name__)


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return "—" if moment is None else moment.astimezone(tz).strftime("%d %b %H:%M")


def _read() -> dict:
    rt = runtime.get()
    tz = ZoneInfo(rt.settings.timezone)
    now = datetime.now(timezone.utc)
    try:
        config, problem = alert_config.load(rt.settings.alerts_file), ""
    except alert_config.AlertConfigError as exc:
        config, problem = None, str(exc)
    view = silences.overview(rt.db.engine(), config, now=now)
    mask = config.mask if config else (lambda text: text)

    def alert_row(a: dict) -> dict[str, str]:
        return {
            "id": str(a["id"]), "kind": a["kind"], "subject": a["subject"], "state": a["state"],
            "title": a["title"] or a["subject"], "since": formatting.age(a["fired_at"] or a["since"], now),
            "ack": f"acknowledged by {a['acked_by']} until {_when(a['acked_until'], tz)}"
            if a["acked_until"] and a["acked_until"] > now else "",
            "link": a["link"] or "",
        }

    deliveries = []
    for channel, rows in sorted(view["deliveries"].items()):
        for row in rows[:8]:
            deliveries.append({
                "channel": channel, "title": row["title"] or row["alert_key"], "transition": row["transition"],
                "status": row["status"], "attempts": str(row["attempts"]),
                "when": _when(row["sent_at"] or row["created_at"], tz),
                "error": mask(row["last_error"] or "")[:160],
            })
    return {
        "firing": [alert_row(a) for a in view["firing"]],
        "pending": [alert_row(a) for a in view["pending"]],
        "silences": [{"what": s["metric_id"] or f"tag {s['tag']}", "reason": s["reason"],
                      "until": _when(s["ends_at"], tz), "by": s["created_by"] or ""} for s in view["silenced"]],
        "deliveries": deliveries,
        "channels": [{"name": c["name"], "type": c["type"],
                      "configured": "configured" if c["configured"]
                      else "not configured: set " + ", ".join(c.get("missing_env", []))}
                     for c in view["channels"]],
        "dead": str(len(view["dead_letters"])),
        "config_error": problem,
    }


class AlertsState(rx.State):
    firing: list[dict[str, str]] = []
    pending: list[dict[str, str]] = []
    silences: list[dict[str, str]] = []
    deliveries: list[dict[str, str]] = []
    channels: list[dict[str, str]] = []
    dead: str = "0"
    config_error: str = ""
    load_error: str = ""
    loaded: bool = False

    @rx.event
    def load(self):
        try:
            view = _read()
        except Exception:
            log.exception("reading the alerts failed")
            self.load_error = "Cannot read the alerts right now."
            return
        for name, value in view.items():
            setattr(self, name, value)
        self.load_error = ""
        self.loaded = True
