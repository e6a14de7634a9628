"""The typed answers of the MCP tools (their output schemas); ``whats_wrong_today`` answers ``engine.read.triage``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from engine.read.shapes import PaceFields, RunningJob
from engine.read.triage import CutLink


class Lines(BaseModel):
    """The metric contract: its lines, typical band and target (null: not set)."""

    direction: str = Field(description="higher_is_better or lower_is_better")
    amber_line: float | None = Field(None, description="norm_value: crossing it is amber")
    red_line: float | None = Field(None, description="alert_value: crossing it is red")
    typical_mean: float | None = None
    typical_stddev: float | None = None
    target: float | None = None
    target_due: date | None = None


class Pace(PaceFields):
    """OKR pace of a target with a due date (docs/okr.md): a scale of its own, never the red/amber status."""

    target: float
    due: date


class MetricNow(BaseModel):
    """The metric's value now, judged by the contract now."""

    value: float | None
    value_text: str
    status: str = Field(description="red, amber, green, no_data or error")
    freshness: str = Field(description="fresh, late, stale or unknown (how old the source data is)")
    crossed: str | None = Field(None, description="which line decided red/amber: alert, norm or band")
    crossed_by: float | None = Field(None, description="how far past that line, in the metric's unit")
    target_hit: bool = False
    computed_at: datetime | None = None
    data_as_of: datetime | None = None
    last_error: str | None = None


class MetricDetail(BaseModel):
    """One metric: its definition, its contract, its state now, who owns and vouches for it, its cuts."""

    id: str
    name: str
    how_to_read: str
    methodology: str
    sources: list[str]
    period: str
    unit: str
    currency: str | None
    lines: Lines
    now: MetricNow
    pace: Pace | None = Field(None, description="OKR pace when the metric has a target and a due date")
    owner: str | None
    verification_state: str
    verified_by: str | None = None
    tags: list[str]
    link: str
    cuts: list[CutLink] = Field(default_factory=list, description="audit charts that explain it, first first")


class HistoryPoint(BaseModel):
    day: date
    value: float | None
    status: str = Field(description="the status when it was computed")


class MetricHistory(BaseModel):
    """Daily values of one metric, oldest first (days without a computation are absent)."""

    id: str
    name: str
    unit: str
    currency: str | None
    days: int
    points: list[HistoryPoint]


class MetricSummary(BaseModel):
    id: str
    name: str
    status: str
    freshness: str
    value_text: str
    owner: str | None
    verified: bool
    tags: list[str]


class MetricList(BaseModel):
    """Active metrics matching the filters, red first."""

    count: int
    metrics: list[MetricSummary]


class CutAnswer(BaseModel):
    """One audit chart's snapshot for one window (a large payload is summarised: lists cut, totals kept)."""

    id: str
    title: str
    page: str
    window: str
    windows: list[str]
    metrics: list[str] = Field(description="the metrics it explains")
    link: str
    computed_at: datetime | None = None
    data_as_of: datetime | None = None
    error: str | None = None
    summarised: bool = Field(False, description="true when lists in the payload were shortened")
    payload: dict[str, Any] | None = Field(None, description="the chart's data: kind, headline, and its series "
                                                             "or table")


class SourceState(BaseModel):
    source: str = Field(description="source.schema")
    last_status: str | None
    last_run_at: datetime | None
    data_as_of: datetime | None = Field(None, description="how current its newest good data is")
    age: str
    last_error: str | None = None


class RefreshStatus(BaseModel):
    """Is data moving: the job running now, the last good refresh, and every source's freshness."""

    active_job: RunningJob | None
    last_successful_refresh: datetime | None
    sources: list[SourceState]


class AlertRow(BaseModel):
    key: str = Field(description="value:<metric>, error:<metric> or stale:<source.schema>")
    kind: str
    subject: str
    state: str
    severity: str | None = None
    since: datetime | None = None
    fired_at: datetime | None = None
    notified_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_until: datetime | None = None
    held_back_by: str | None = None


class SilenceRow(BaseModel):
    target: str = Field(description="metric:<id> or tag:<tag>")
    reason: str
    by: str
    ends_at: datetime


class AlertList(BaseModel):
    """Alert states (by default every one that is not ok) and the silences in force."""

    alerts: list[AlertRow]
    silences: list[SilenceRow]


class DocHit(BaseModel):
    page: str
    title: str
    section: str
    link: str
    excerpt: str


class DocSearch(BaseModel):
    """The documentation sections that best match the query, best first."""

    query: str
    hits: list[DocHit]
