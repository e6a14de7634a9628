"""The answers of the alert routes: the overview, a silence, an acknowledgement."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from engine.api.schemas.base import Answer, example

FIRING = {
    "id": 57, "key": "value:collateral_covered_by_company", "kind": "value",
    "subject": "collateral_covered_by_company", "state": "firing", "severity": "red", "bad_count": 3,
    "episode": 2, "since": "2026-11-30T07:40:03.118000+00:00", "fired_at": "2026-11-30T07:50:04.227000+00:00",
    "last_notified_at": "2026-11-30T07:50:05.002000+00:00", "suppressed_by": None, "acked_by": None,
    "ack_comment": None, "acked_until": None,
    "title": "Card collateral covered by us (unpaid) is red: €18,250 (red line €10,000)",
    "link": "/metrics/collateral_covered_by_company",
    "bad_since": {"status": "red", "day": "2026-09-01", "days": 91, "text": "Red since 2026-09-01 (91 days)"},
}
SILENCE = {"id": 12, "metric_id": "payment_approval_rate_24h", "tag": None,
           "reason": "processor maintenance until 18:00", "created_by": "operator",
           "created_at": "2026-12-01T09:12:44.310000+00:00", "ends_at": "2026-12-01T18:00:00+00:00"}


class BadSince(Answer):
    """Since when the metric has been bad, from its history (not from when the alert fired)."""

    status: str = Field(description="red or error: the least status every day of the streak had")
    day: str = Field(description="the first day of the current streak (ISO date)")
    days: int = Field(description="calendar days from that day to the latest, both counted")
    text: str = Field(description='as the messages say it, e.g. "Red since 2026-09-01 (91 days)"')


class AlertState(Answer):
    """One firing or pending alert."""

    id: int
    key: str = Field(description="value:<metric>, error:<metric> or stale:<source.schema>")
    kind: str = Field(description="value, error or stale")
    subject: str = Field(description="the metric id, or the source.schema")
    state: str = Field(description="firing or pending")
    severity: str | None = Field(description="red, error or stale")
    bad_count: int = Field(description="consecutive bad computations")
    episode: int
    since: datetime | None = Field(description="when it went bad")
    fired_at: datetime | None
    last_notified_at: datetime | None
    suppressed_by: str | None = Field(description="what holds its notifications back (a silence, a parent alert)")
    acked_by: str | None
    ack_comment: str | None
    acked_until: datetime | None
    title: str | None
    link: str | None = Field(description="the page to open")
    bad_since: BadSince | None = Field(default=None, description="value and error alerts: the streak in the "
                                       "history; null for a stale source or a metric without one")


class Silence(Answer):
    """A silence of one metric or of every metric with a tag, until a time."""

    model_config = example(SILENCE)

    id: int
    metric_id: str | None = Field(description="the metric silenced (null: a tag's metrics)")
    tag: str | None = Field(description="every metric with this tag is silenced (null: one metric)")
    reason: str = Field(description="why, shown while it lasts")
    created_by: str = Field(description="who set it (operator for the REST API)")
    created_at: datetime
    ends_at: datetime = Field(description="nothing is sent until then; then one \"silence expired\" reminder")


class Delivery(Answer):
    """One notification to one channel."""

    id: int
    alert_key: str | None
    transition: str = Field(description="fired, resolved, reminder, silence_expired, …")
    status: str = Field(description="pending, sent, skipped or dead")
    attempts: int
    last_error: str | None = Field(description="the last delivery error (secrets masked)")
    created_at: datetime
    sent_at: datetime | None
    title: str | None


class DeadLetter(Answer):
    """A notification given up on after its retries."""

    id: int
    channel: str
    alert_key: str | None
    transition: str
    attempts: int
    last_error: str | None
    created_at: datetime
    title: str | None


class ChannelInfo(Answer):
    """A channel of alerts.yaml: never a secret, only the names of the variables holding them."""

    name: str
    type: str = Field(description="slack, telegram, email or webhook")
    configured: bool = Field(description="every variable it needs is set")
    env: dict[str, str] = Field(description="role → environment variable name")
    missing_env: list[str] = Field(description="the variables not set")


class AlertRef(Answer):
    id: int
    kind: str = Field(description="value or error")


class MarkAck(Answer):
    by: str | None
    until: datetime


class MarkSilence(Answer):
    until: datetime
    reason: str


class Mark(Answer):
    """What a metric's tile shows beside its colour; a key is absent when there is nothing to show."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    firing: list[AlertRef] = Field(default_factory=list)
    pending: list[AlertRef] = Field(default_factory=list)
    acknowledged: MarkAck = None  # absent, never null
    silenced: MarkSilence = None


class AlertsOverview(Answer):
    """Firing, pending, silenced and acknowledged alerts; recent deliveries per channel; dead letters."""

    model_config = example({
        "firing": [FIRING], "pending": [], "silenced": [SILENCE], "acknowledged": [],
        "deliveries": {"slack-risk": [{"id": 311, "alert_key": "value:collateral_covered_by_company",
                                       "transition": "fired", "status": "sent", "attempts": 1, "last_error": None,
                                       "created_at": "2026-11-30T07:50:04.240000+00:00",
                                       "sent_at": "2026-11-30T07:50:05.002000+00:00", "title": FIRING["title"]}]},
        "dead_letters": [],
        "channels": [{"name": "slack-risk", "type": "slack", "configured": True,
                      "env": {"url": "HEARTBEAT_SLACK_WEBHOOK_URL"}, "missing_env": []}],
        "config_error": None,
        "marks": {"collateral_covered_by_company": {"firing": [{"id": 57, "kind": "value"}]},
                  "payment_approval_rate_24h": {"silenced": {"until": "2026-12-01T18:00:00+00:00",
                                                             "reason": "processor maintenance until 18:00"}}},
    })

    firing: list[AlertState]
    pending: list[AlertState]
    silenced: list[Silence] = Field(description="silences in force")
    acknowledged: list[AlertState] = Field(description="firing or pending alerts acknowledged until a later time")
    deliveries: dict[str, list[Delivery]] = Field(description="per channel, the latest 20, newest first")
    dead_letters: list[DeadLetter]
    channels: list[ChannelInfo]
    config_error: str | None = Field(description="why alerts.yaml cannot be read (null: it is fine)")
    marks: dict[str, Mark] = Field(description="per metric id; metrics with nothing to mark are absent")


class Acknowledged(Answer):
    """The alert as acknowledged."""

    model_config = example({"id": 57, "key": "value:collateral_covered_by_company", "state": "firing",
                            "acked_by": "Dana (credit risk)", "ack_comment": "calling the client now",
                            "acked_until": "2026-12-01T12:00:00+00:00"})

    id: int
    key: str = Field(description="value:<metric>, error:<metric> or stale:<source.schema>")
    state: str = Field(description="firing or pending")
    acked_by: str = Field(description="who acknowledged it")
    ack_comment: str = Field(description="what is being done (empty: no comment)")
    acked_until: datetime = Field(description="no reminders until then, or until it resolves")
