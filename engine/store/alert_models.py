"""The alerting tables of schema ``heartbeat`` (states, outbox, silences), declared for the migrations.

Apart from ``models.py`` only to keep each module readable; ``engine.store`` imports both, so
``models.metadata`` always holds every table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Integer, Text, func
from sqlmodel import Field

from engine.store.models import HeartbeatTable, jsonb, one_of, timestamp

ALERT_KINDS = ("value", "error", "stale")
ALERT_STATES = ("ok", "pending", "firing", "resolved")
OUTBOX_STATES = ("pending", "sent", "dead", "skipped")


class AlertState(HeartbeatTable, table=True):
    """One row per alert subject: a metric's value, a metric's errors, or a (source, schema)'s staleness.

    Written by the evaluation after each refresh, in the same transaction as
    the outbox rows its transitions produce.
    """

    __tablename__ = "alert_state"
    __table_args__ = (
        CheckConstraint(one_of("kind", ALERT_KINDS), name="alert_state_kind"),
        CheckConstraint(one_of("state", ALERT_STATES), name="alert_state_state"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    key: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="ok", sa_column=Column(Text, nullable=False, server_default="ok"))
    severity: str | None = Field(default=None, sa_column=Column(Text))
    bad_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    good_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    episode: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    reminders: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    since: datetime | None = Field(default=None, sa_column=timestamp())
    fired_at: datetime | None = Field(default=None, sa_column=timestamp())
    resolved_at: datetime | None = Field(default=None, sa_column=timestamp())
    last_notified_at: datetime | None = Field(default=None, sa_column=timestamp())
    suppressed_by: str | None = Field(default=None, sa_column=Column(Text))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb(nullable=False, server_default="{}"))
    acked_by: str | None = Field(default=None, sa_column=Column(Text))
    ack_comment: str | None = Field(default=None, sa_column=Column(Text))
    acked_until: datetime | None = Field(default=None, sa_column=timestamp())
    updated_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))


class AlertOutbox(HeartbeatTable, table=True):
    """One notification for one channel; the dispatcher sends it (at least once) or dead-letters it."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        CheckConstraint(one_of("status", OUTBOX_STATES), name="alert_outbox_status"),
        Index("alert_outbox_idempotency", "idempotency_key", "channel", unique=True),
        Index("alert_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    idempotency_key: str = Field(sa_column=Column(Text, nullable=False))
    alert_key: str | None = Field(default=None, sa_column=Column(Text))
    transition: str = Field(sa_column=Column(Text, nullable=False))
    channel: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb(nullable=False))
    status: str = Field(default="pending", sa_column=Column(Text, nullable=False, server_default="pending"))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    next_attempt_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    sent_at: datetime | None = Field(default=None, sa_column=timestamp())


class AlertSilence(HeartbeatTable, table=True):
    """A silence of a metric or of every metric with a tag, until ``ends_at`` (never open-ended)."""

    __tablename__ = "alert_silence"
    __table_args__ = (
        CheckConstraint("(metric_id IS NULL) <> (tag IS NULL)", name="alert_silence_one_target"),
        CheckConstraint("ends_at > created_at", name="alert_silence_ends_after_start"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    metric_id: str | None = Field(default=None, sa_column=Column(Text))
    tag: str | None = Field(default=None, sa_column=Column(Text))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    ends_at: datetime = Field(sa_column=timestamp(nullable=False))
    expiry_notified_at: datetime | None = Field(default=None, sa_column=timestamp())
