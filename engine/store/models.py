"""The tables of schema ``heartbeat``, declared for the migrations (alembic autogenerate) and their test.

Runtime code does not query through these classes: each package owns the SQL
of its tables (``metrics/registry.py``, ``refresh/ledger.py``,
``ingest/ledger.py``, ``alerts/``, ``read/``). Plain SQLModel tables
(``rx.Model`` is deprecated); a test checks the migrations and these agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

SCHEMA = "heartbeat"

# Every table of ours lives in one schema, so marts and sources in the same
# database can never collide with it.
metadata = MetaData(schema=SCHEMA)


class HeartbeatTable(SQLModel):
    metadata = metadata


PERIODS = ("snapshot", "24h", "7d", "30d", "funnel")
DIRECTIONS = ("higher_is_better", "lower_is_better")
UNITS = ("count", "money", "percent", "seconds", "ratio")
VERIFICATION_STATES = ("unverified", "verified")
BENCHMARK_KINDS = ("none", "rolling_stat")


def one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def timestamp(**kwargs: Any) -> Column:
    return Column(DateTime(timezone=True), **kwargs)


def jsonb(**kwargs: Any) -> Column:
    return Column(JSONB, **kwargs)


# Columns only the metric sync may write (the write guard enforces it in the
# database); everything else in metric_registry is operator or runtime state.
CONFIG_COLUMNS = (
    "id", "name", "how_to_read", "methodology", "sources", "source_schemas",
    "value_sql", "history_sql", "period", "unit", "currency", "direction",
    "benchmark_kind", "benchmark_window_days", "tags", "related_cuts",
    "file_thresholds", "config_hash", "definition_hash", "synced_at", "retired_at",
)


class MetricRegistry(HeartbeatTable, table=True):
    """One row per metric: config from ``metrics/<id>.sql`` plus operator-tuned state."""

    __tablename__ = "metric_registry"
    __table_args__ = (
        CheckConstraint(one_of("period", PERIODS), name="metric_registry_period"),
        CheckConstraint(one_of("direction", DIRECTIONS), name="metric_registry_direction"),
        CheckConstraint(one_of("unit", UNITS), name="metric_registry_unit"),
        CheckConstraint(one_of("benchmark_kind", BENCHMARK_KINDS), name="metric_registry_benchmark_kind"),
        CheckConstraint(one_of("verification_state", VERIFICATION_STATES), name="metric_registry_verification"),
    )

    id: str = Field(sa_column=Column(Text, primary_key=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    how_to_read: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    methodology: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    sources: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    source_schemas: list[str] = Field(default_factory=list, sa_column=jsonb(nullable=False, server_default="[]"))
    value_sql: str = Field(sa_column=Column(Text, nullable=False))
    history_sql: str | None = Field(default=None, sa_column=Column(Text))
    period: str = Field(sa_column=Column(Text, nullable=False))
    unit: str = Field(default="count", sa_column=Column(Text, nullable=False, server_default="count"))
    currency: str | None = Field(default=None, sa_column=Column(Text))
    direction: str = Field(sa_column=Column(Text, nullable=False))
    benchmark_kind: str = Field(default="none", sa_column=Column(Text, nullable=False, server_default="none"))
    benchmark_window_days: int | None = Field(default=None, sa_column=Column(Integer))
    tags: list[str] = Field(default_factory=list, sa_column=jsonb(nullable=False, server_default="[]"))
    related_cuts: list[str] = Field(default_factory=list, sa_column=jsonb(nullable=False, server_default="[]"))
    # The thresholds as the file last stated them: an operator edit wins until
    # the file's value changes again.
    file_thresholds: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb(nullable=False, server_default="{}"))

    norm_value: float | None = Field(default=None, sa_column=Column(Float))
    alert_value: float | None = Field(default=None, sa_column=Column(Float))
    target_value: float | None = Field(default=None, sa_column=Column(Float))
    target_due_date: date | None = Field(default=None, sa_column=Column(Date))
    threshold_set_by: dict[str, str] = Field(default_factory=dict, sa_column=jsonb(nullable=False, server_default="{}"))

    benchmark_mean: float | None = Field(default=None, sa_column=Column(Float))
    benchmark_stddev: float | None = Field(default=None, sa_column=Column(Float))
    benchmark_computed_at: datetime | None = Field(default=None, sa_column=timestamp())

    owner: str | None = Field(default=None, sa_column=Column(Text))
    verification_state: str = Field(
        default="unverified", sa_column=Column(Text, nullable=False, server_default="unverified")
    )
    verified_by: str | None = Field(default=None, sa_column=Column(Text))
    verified_at: datetime | None = Field(default=None, sa_column=timestamp())
    verified_hash: str | None = Field(default=None, sa_column=Column(Text))

    config_hash: str = Field(sa_column=Column(Text, nullable=False))
    definition_hash: str = Field(sa_column=Column(Text, nullable=False))
    synced_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=False, server_default=func.now()))
    retired_at: datetime | None = Field(default=None, sa_column=timestamp())


class MetricHistory(HeartbeatTable, table=True):
    """One value per metric and day; the latest computation of the day wins."""

    __tablename__ = "metric_history"
    # Sparklines read a day range across all metrics.
    __table_args__ = (Index("metric_history_day", "day"),)

    metric_id: str = Field(
        sa_column=Column(Text, ForeignKey("metric_registry.id", ondelete="CASCADE"), primary_key=True)
    )
    day: date = Field(sa_column=Column(Date, primary_key=True))
    value: float | None = Field(default=None, sa_column=Column(Float))
    status: str = Field(sa_column=Column(Text, nullable=False))
    computed_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    source_as_of: datetime | None = Field(default=None, sa_column=timestamp())
    duration_ms: int | None = Field(default=None, sa_column=Column(Integer))
    error: str | None = Field(default=None, sa_column=Column(Text))
    job_id: int | None = Field(default=None, sa_column=Column(BigInteger))


class AuditCutRegistry(HeartbeatTable, table=True):
    """One row per audit chart module ``cuts/<id>.py``."""

    __tablename__ = "audit_cut_registry"
    __table_args__ = (
        CheckConstraint(one_of("verification_state", VERIFICATION_STATES), name="audit_cut_registry_verification"),
    )

    id: str = Field(sa_column=Column(Text, primary_key=True))
    page: str = Field(sa_column=Column(Text, nullable=False))
    title: str = Field(sa_column=Column(Text, nullable=False))
    window_default: str = Field(default="30d", sa_column=Column(Text, nullable=False, server_default="30d"))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    kind: str = Field(default="table", sa_column=Column(Text, nullable=False, server_default="table"))
    prose_before: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    prose_after: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    windows: list[str] = Field(default_factory=list, sa_column=jsonb(nullable=False, server_default="[]"))
    metrics: list[str] = Field(default_factory=list, sa_column=jsonb(nullable=False, server_default="[]"))
    source_schemas: list[str] = Field(default_factory=list, sa_column=jsonb(nullable=False, server_default="[]"))
    # The owner the file last stated: an operator's owner wins until the file changes it again.
    file_owner: str | None = Field(default=None, sa_column=Column(Text))
    module: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    owner: str | None = Field(default=None, sa_column=Column(Text))
    verification_state: str = Field(
        default="unverified", sa_column=Column(Text, nullable=False, server_default="unverified")
    )
    verified_by: str | None = Field(default=None, sa_column=Column(Text))
    verified_at: datetime | None = Field(default=None, sa_column=timestamp())
    config_hash: str = Field(sa_column=Column(Text, nullable=False))
    synced_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=False, server_default=func.now()))
    retired_at: datetime | None = Field(default=None, sa_column=timestamp())


class AuditCutSnapshot(HeartbeatTable, table=True):
    """The cached payload of one cut for one window."""

    __tablename__ = "audit_cut_snapshot"

    cut_id: str = Field(
        sa_column=Column(Text, ForeignKey("audit_cut_registry.id", ondelete="CASCADE"), primary_key=True)
    )
    window_key: str = Field(sa_column=Column(Text, primary_key=True))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb(nullable=False))
    computed_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    source_as_of: datetime | None = Field(default=None, sa_column=timestamp())
    duration_ms: int | None = Field(default=None, sa_column=Column(Integer))
    error: str | None = Field(default=None, sa_column=Column(Text))


CLIENT_SEGMENTS = ("new", "active", "high-value", "dormant", "in arrears")


class ClientSegmentDay(HeartbeatTable, table=True):
    """Clients per segment at the end of a day (engine/audit/segments.py defines the segments)."""

    __tablename__ = "client_segment_day"
    __table_args__ = (CheckConstraint(one_of("segment", CLIENT_SEGMENTS), name="client_segment_day_segment"),)

    day: date = Field(sa_column=Column(Date, primary_key=True))
    segment: str = Field(sa_column=Column(Text, primary_key=True))
    clients: int = Field(sa_column=Column(Integer, nullable=False))
    computed_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))


JOB_STATES = ("running", "succeeded", "partial", "failed", "abandoned")


class RefreshJob(HeartbeatTable, table=True):
    """The persisted ledger of refresh jobs: what ran, when, and what failed."""

    __tablename__ = "refresh_job"
    __table_args__ = (
        CheckConstraint(one_of("status", JOB_STATES), name="refresh_job_status"),
        Index("refresh_job_started_at", "started_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    trigger: str = Field(sa_column=Column(Text, nullable=False))
    requested: list[str] | str = Field(default="all", sa_column=jsonb(nullable=False))
    status: str = Field(default="running", sa_column=Column(Text, nullable=False, server_default="running"))
    phase: str = Field(default="queued", sa_column=Column(Text, nullable=False, server_default="queued"))
    step: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    total: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    current_item: str | None = Field(default=None, sa_column=Column(Text))
    source_outcomes: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb(nullable=False, server_default="{}"))
    metric_outcomes: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb(nullable=False, server_default="{}"))
    started_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    heartbeat_at: datetime | None = Field(default=None, sa_column=timestamp())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp())
    error: str | None = Field(default=None, sa_column=Column(Text))
    pid: int | None = Field(default=None, sa_column=Column(Integer))
    host: str | None = Field(default=None, sa_column=Column(Text))


class RegistryChange(HeartbeatTable, table=True):
    """Audit trail: every operator edit and every sync change of a registry row."""

    __tablename__ = "registry_change"
    __table_args__ = (Index("registry_change_entity", "entity", "entity_id", "changed_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    entity: str = Field(default="metric", sa_column=Column(Text, nullable=False, server_default="metric"))
    entity_id: str = Field(sa_column=Column(Text, nullable=False))
    field_name: str = Field(sa_column=Column("field", Text, nullable=False))
    old_value: Any = Field(default=None, sa_column=jsonb())
    new_value: Any = Field(default=None, sa_column=jsonb())
    changed_by: str = Field(sa_column=Column(Text, nullable=False))
    changed_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    note: str | None = Field(default=None, sa_column=Column(Text))


SYNC_STATES = ("running", "succeeded", "failed")


class SourceSync(HeartbeatTable, table=True):
    """The sync ledger: one row per (source, schema) ingest run.

    ``source_as_of`` of a schema is the start of its last successful sync —
    a sync that found no new rows still counts (dlt records nothing then).
    """

    __tablename__ = "source_sync"
    __table_args__ = (
        CheckConstraint(one_of("status", SYNC_STATES), name="source_sync_status"),
        Index("source_sync_latest", "source", "schema_name", "started_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    source: str = Field(sa_column=Column(Text, nullable=False))
    schema_name: str = Field(sa_column=Column(Text, nullable=False))
    dataset: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="running", sa_column=Column(Text, nullable=False, server_default="running"))
    started_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    finished_at: datetime | None = Field(default=None, sa_column=timestamp())
    duration_ms: int | None = Field(default=None, sa_column=Column(Integer))
    # {table: {"rows": n, "disposition": "merge|append|replace"}}
    tables: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb(nullable=False, server_default="{}"))
    rows_total: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    error: str | None = Field(default=None, sa_column=Column(Text))
    job_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    pid: int | None = Field(default=None, sa_column=Column(Integer))
    # For feeds (sources.FRESHNESS_FROM_DATA): the newest row landed. A feed that stopped
    # delivering still syncs successfully; its data says how current it really is.
    data_as_of: datetime | None = Field(default=None, sa_column=timestamp())


class SchedulerLeader(HeartbeatTable, table=True):
    """Which process leads the scheduler now (one row); its heartbeat says it is alive."""

    __tablename__ = "scheduler_leader"

    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True))
    pid: int = Field(sa_column=Column(Integer, nullable=False))
    host: str = Field(sa_column=Column(Text, nullable=False))
    since: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    heartbeat_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))


class SchedulerRun(HeartbeatTable, table=True):
    """One run of a scheduled job: when, and how it ended."""

    __tablename__ = "scheduler_run"
    __table_args__ = (Index("scheduler_run_latest", "job", "started_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    job: str = Field(sa_column=Column(Text, nullable=False))
    started_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    finished_at: datetime | None = Field(default=None, sa_column=timestamp())
    outcome: str | None = Field(default=None, sa_column=Column(Text))
    detail: str | None = Field(default=None, sa_column=Column(Text))


class Screen(HeartbeatTable, table=True):
    """A browser tab showing the cockpit; its heartbeat says the TV is alive."""

    __tablename__ = "screen"

    id: str = Field(sa_column=Column(Text, primary_key=True))
    path: str = Field(default="/", sa_column=Column(Text, nullable=False, server_default="/"))
    kiosk: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    user_agent: str | None = Field(default=None, sa_column=Column(Text))
    first_seen: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    last_seen: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    watchlist: str | None = Field(default=None, sa_column=Column(Text))  # the watchlist it shows, if any


class Watchlist(HeartbeatTable, table=True):
    """A team's screen: the metrics it shows, by id, tag or owner (surface state, not the registry)."""

    __tablename__ = "watchlist"

    name: str = Field(sa_column=Column(Text, primary_key=True))
    title: str | None = Field(default=None, sa_column=Column(Text))
    metrics: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"))
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"))
    owners: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"))
    updated_by: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))
    updated_at: datetime = Field(sa_column=timestamp(nullable=False, server_default=func.now()))


class ReadModelVersion(HeartbeatTable, table=True):
    """A counter bumped by triggers whenever registry, history or the job ledger change.

    Readers cache what they built from those tables and rebuild only when it moves.
    """

    __tablename__ = "read_model_version"

    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True))
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
