"""What operators do with alerts: silence, acknowledge, and see what fired and what was delivered."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from engine.alerts.config import AlertConfig, AlertConfigError
from engine.alerts.config import load as load_config
from engine.core.errors import FieldRejected, NotFound
from engine.core.text import clean_text
from engine.read.streaks import alert_streaks

# "Never forever": a silence longer than this is refused; renew it instead (and say why again).
MAX_SILENCE = timedelta(days=30)


class AlertNotFound(NotFound):
    """No alert (or no firing/pending one) with that id."""


def _check_end(field: str, end: datetime, now: datetime, why: str = "") -> None:
    """An end time must be zoned, in the future, and within MAX_SILENCE of now."""
    if end.tzinfo is None:
        raise FieldRejected(field, "must carry a time zone, e.g. 2026-12-01T09:00:00Z")
    if end <= now:
        raise FieldRejected(field, "must be in the future")
    if end - now > MAX_SILENCE:
        raise FieldRejected(field, f"must be within {MAX_SILENCE.days} days{why}")


def _check_tag(conn: Connection, tag: str) -> None:
    """A silence of a tag no active metric has would silence nothing, so it is refused, naming the tags in use."""
    tags = sorted(set(conn.execute(text(
        "SELECT DISTINCT jsonb_array_elements_text(tags::jsonb) FROM heartbeat.metric_registry "
        "WHERE retired_at IS NULL")).scalars()))
    if tag not in tags:
        raise FieldRejected("tag", f"no active metric has the tag {tag!r}; tags in use: {', '.join(tags) or 'none'}")


def add_silence(engine: Engine, *, metric_id: str | None, tag: str | None, ends_at: datetime, reason: str,
                created_by: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(timezone.utc)
    if (metric_id is None) == (tag is None):
        raise FieldRejected("metric_id", "give exactly one of metric_id or tag")
    _check_end("ends_at", ends_at, now, ": silences never last forever")
    reason = clean_text("reason", reason, max_length=500, multiline=True)
    created_by = clean_text("created_by", created_by, max_length=200)
    if not reason:
        raise FieldRejected("reason", "must say why (it is shown while the silence lasts)")
    with engine.begin() as conn:
        if metric_id is not None and conn.execute(text(
                "SELECT 1 FROM heartbeat.metric_registry WHERE id = :id AND retired_at IS NULL"),
                {"id": metric_id}).first() is None:
            raise AlertNotFound(f"unknown or retired metric {metric_id}")
        if tag is not None:
            tag = clean_text("tag", tag, max_length=64)
            _check_tag(conn, tag)
        row = conn.execute(text(
            "INSERT INTO heartbeat.alert_silence (metric_id, tag, reason, created_by, created_at, ends_at) "
            "VALUES (:metric_id, :tag, :reason, :by, :now, :ends_at) "
            "RETURNING id, metric_id, tag, reason, created_by, created_at, ends_at"),
            {"metric_id": metric_id, "tag": tag, "reason": reason.strip(), "by": created_by, "now": now,
             "ends_at": ends_at}).mappings().one()
    return dict(row)


def acknowledge(engine: Engine, alert_id: int, *, by: str, comment: str, until: datetime,
                now: datetime | None = None) -> dict[str, Any]:
    """Stop reminders of one firing or pending alert until ``until`` (or until it resolves)."""
    now = now or datetime.now(timezone.utc)
    by = clean_text("by", by, max_length=200)
    comment = clean_text("comment", comment, max_length=1000, multiline=True)
    if not by:
        raise FieldRejected("by", "must name who acknowledges")
    _check_end("until", until, now)
    with engine.begin() as conn:
        row = conn.execute(text(
            "UPDATE heartbeat.alert_state SET acked_by = :by, ack_comment = :comment, acked_until = :until "
            "WHERE id = :id AND state IN ('firing', 'pending') RETURNING id, key, state, acked_by, ack_comment, "
            "acked_until"), {"id": alert_id, "by": by.strip(), "comment": comment.strip(), "until": until}
        ).mappings().first()
    if row is None:
        raise AlertNotFound(f"no firing or pending alert {alert_id}")
    return dict(row)


def overview(engine: Engine, config: AlertConfig | None, *, now: datetime | None = None,
             deliveries_per_channel: int = 20) -> dict[str, Any]:
    """Firing, pending, silenced and acknowledged alerts, recent deliveries per channel, dead letters."""
    now = now or datetime.now(timezone.utc)
    with engine.connect() as conn:
        alerts = [dict(r) for r in conn.execute(text(
            "SELECT id, key, kind, subject, state, severity, bad_count, episode, since, fired_at, "
            "last_notified_at, suppressed_by, acked_by, ack_comment, acked_until, "
            "detail->>'title' AS title, detail->>'link' AS link FROM heartbeat.alert_state "
            "WHERE state IN ('firing', 'pending') ORDER BY state, fired_at NULLS LAST, key")).mappings()]
        silences = [dict(r) for r in conn.execute(text(
            "SELECT id, metric_id, tag, reason, created_by, created_at, ends_at FROM heartbeat.alert_silence "
            "WHERE created_at <= :now AND ends_at > :now ORDER BY ends_at"), {"now": now}).mappings()]
        recent = [dict(r) for r in conn.execute(text(
            """
            SELECT id, channel, alert_key, transition, status, attempts, last_error, created_at, sent_at,
                   payload->>'title' AS title
            FROM (SELECT *, row_number() OVER (PARTITION BY channel ORDER BY id DESC) AS n
                  FROM heartbeat.alert_outbox) o
            WHERE n <= :limit ORDER BY channel, id DESC
            """), {"limit": deliveries_per_channel}).mappings()]
        dead = [dict(r) for r in conn.execute(text(
            "SELECT id, channel, alert_key, transition, attempts, last_error, created_at, "
            "payload->>'title' AS title FROM heartbeat.alert_outbox WHERE status = 'dead' "
            "ORDER BY id DESC LIMIT 100")).mappings()]
    # "Since when" is the history's answer, as the alert messages give it, not the moment the alert fired.
    runs = alert_streaks(engine, alerts, now)
    for a in alerts:
        a["bad_since"] = runs[a["key"]].as_dict() if a["key"] in runs else None
    acked = [a for a in alerts if a["acked_until"] and a["acked_until"] > now]
    deliveries: dict[str, list[dict[str, Any]]] = {}
    for row in recent:
        deliveries.setdefault(row.pop("channel"), []).append(row)
    return {
        "firing": [a for a in alerts if a["state"] == "firing"],
        "pending": [a for a in alerts if a["state"] == "pending"],
        "silenced": silences,
        "acknowledged": acked,
        "deliveries": deliveries,
        "dead_letters": dead,
        "channels": [c.describe() for c in config.channels.values()] if config else [],
    }


def overview_for_display(engine: Engine, alerts_file: Path, *, now: datetime | None = None,
                         deliveries_per_channel: int = 20) -> dict[str, Any]:
    """The overview as every surface shows it: the routing file read now — a broken one is reported as
    ``config_error``, never raised — and delivery errors masked again, in case a secret changed since."""
    try:
        config, problem = load_config(alerts_file), None
    except AlertConfigError as exc:
        config, problem = None, str(exc)
    view = overview(engine, config, now=now, deliveries_per_channel=deliveries_per_channel)
    if config is not None:
        for row in [r for rows in view["deliveries"].values() for r in rows] + view["dead_letters"]:
            row["last_error"] = row["last_error"] and config.mask(row["last_error"])
    view["config_error"] = problem
    return view


def marks(engine: Engine, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Per metric id, what a tile should show beside its colour: firing/pending alert kinds, an
    acknowledgement (who, until), a silence (until, reason). Metrics with nothing to mark are absent."""
    now = now or datetime.now(timezone.utc)
    found: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(text(
                "SELECT id, kind, subject, state, acked_by, acked_until FROM heartbeat.alert_state "
                "WHERE state IN ('firing', 'pending') AND kind IN ('value', 'error')")).mappings():
            mark = found.setdefault(row["subject"], {})
            mark.setdefault(row["state"], []).append({"id": row["id"], "kind": row["kind"]})
            if row["acked_until"] and row["acked_until"] > now:
                mark["acknowledged"] = {"by": row["acked_by"], "until": row["acked_until"]}
        silences = conn.execute(text(
            "SELECT s.ends_at, s.reason, r.id FROM heartbeat.alert_silence s JOIN heartbeat.metric_registry r "
            "ON r.retired_at IS NULL AND (r.id = s.metric_id OR r.tags ? s.tag) "
            "WHERE s.created_at <= :now AND s.ends_at > :now ORDER BY s.ends_at DESC"), {"now": now}).mappings()
        for row in silences:
            found.setdefault(row["id"], {})["silenced"] = {"until": row["ends_at"], "reason": row["reason"]}
    return found
