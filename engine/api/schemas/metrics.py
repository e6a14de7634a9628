"""The answers of the metric routes: the cockpit read model, the metric list, one metric, an edit."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from engine import contract
from engine.api.schemas.base import Answer, FieldChange, NotedChange, example
from engine.api.schemas.jobs import RefreshJob
from engine.read.shapes import PaceFields


class Crossed(Answer):
    """Which line decided red or amber, and how far past it the value is."""

    line: str = Field(description="alert (red line), norm (amber line) or band (the typical band)")
    line_value: float = Field(description="the line's value, in the metric's unit")
    by: float = Field(description="how far past the line, in the metric's unit (band: in σ past the edge)")


class Typical(Answer):
    """The typical band learned from clean history: mean and standard deviation."""

    mean: float
    stddev: float | None


class History(Answer):
    """Daily values, one per consecutive day from ``from`` (null for a day without a value)."""

    from_: date = Field(alias="from", description="the first day")
    values: list[float | None]


class MetricPace(PaceFields, Answer):
    """A target's OKR pace (docs/okr.md): its state beside the status, the pace line's ends, the projection."""

    projected_text: str = Field(description="the projection as the tile prints it (unit, currency)")
    slope_per_day: float | None = Field(None, description="the trend's change per day")
    trend_points: int = Field(description="how many daily values the trend was drawn through")
    progress: float | None = Field(None, description="share of the way from start value to target covered today")
    expected_progress: float | None = Field(None, description="share the pace line expects by today")


ACTIVE_CARDS = {
    "id": "active_cards", "name": "Active cards",
    "how_to_read": "Cards that are activated and usable right now (not frozen, blocked or waiting for "
                   "activation). …",
    "period": "snapshot", "unit": "count", "currency": None, "direction": "higher_is_better",
    "value": 3412.0, "value_text": "3,412", "status": "green", "freshness": "fresh", "crossed": None,
    "target_hit": False, "norm_value": None, "alert_value": None, "target_value": 5000.0,
    "target_due_date": "2027-06-30",
    "pace": {"state": "on_pace", "label": "on pace", "start_day": "2026-10-01", "start_value": 3105.0,
             "expected_now": 3398.2, "projected": 5121.0, "projected_text": "5,121", "slope_per_day": 8.43,
             "trend_points": 28, "progress": 0.1624, "expected_progress": 0.1551, "days_left": 212,
             "reaches_on": "2027-06-16"},
    "typical": {"mean": 3380.5, "stddev": 21.7},
    "computed_at": "2026-11-30T08:00:04.512000+00:00", "source_as_of": "2026-11-30T07:59:12+00:00",
    "last_error": None, "owner": "cards@satchel.example", "verification_state": "verified",
    "tags": ["cards", "growth"],
    "history": {"from": "2026-11-28", "values": [3391.0, 3402.0, 3412.0]},
}
COLLATERAL = {
    "id": "collateral_covered_by_company", "name": "Card collateral covered by us (unpaid)",
    "how_to_read": "Card collateral that business clients did not pay and that we covered from our own funds, "
                   "still unrecovered, in EUR. …",
    "period": "snapshot", "unit": "money", "currency": "EUR", "direction": "lower_is_better",
    "value": 18250.0, "value_text": "€18,250", "status": "red", "freshness": "fresh",
    "crossed": {"line": "alert", "line_value": 10000.0, "by": 8250.0},
    "target_hit": False, "norm_value": 1.0, "alert_value": 10000.0, "target_value": None,
    "target_due_date": None, "pace": None, "typical": None,
    "computed_at": "2026-11-30T08:00:04.498000+00:00", "source_as_of": "2026-11-30T07:58:40+00:00",
    "last_error": None, "owner": "credit-risk@satchel.example", "verification_state": "unverified",
    "tags": ["collateral", "credit-risk", "money", "incident-watch"],
    "history": {"from": "2026-11-28", "values": [0.0, 6400.0, 18250.0]},
}


def _no_history(card: dict) -> dict:
    return {**card, "history": None}


class Metric(Answer):
    """One metric as every API client sees it: the fields the cockpit tiles use."""

    model_config = example(ACTIVE_CARDS)

    id: str = Field(description="the metric id (its file name in metrics/)")
    name: str
    how_to_read: str = Field(description="what the number means and what to do when it is off")
    period: str = Field(description="snapshot, 24h, 7d, 30d or funnel")
    unit: str = Field(description="count, percent, ratio, money, seconds, …")
    currency: str | None = Field(description="ISO code when unit is money")
    direction: contract.Direction
    value: float | None = Field(description="the latest value (a failed computation keeps the last good one)")
    value_text: str = Field(description="the value as the tile prints it (unit, currency)")
    status: contract.Status = Field(description="decided now by the contract against the current lines")
    freshness: contract.Freshness = Field(description="how old the source data behind the value is")
    crossed: Crossed | None = Field(description="which line made it red or amber (null when green)")
    target_hit: bool
    norm_value: float | None = Field(description="the amber line")
    alert_value: float | None = Field(description="the red line")
    target_value: float | None
    target_due_date: date | None
    pace: MetricPace | None = Field(description="the target's pace, when it has a target and a due date")
    typical: Typical | None = Field(description="the typical band, when one is learned")
    computed_at: datetime | None
    source_as_of: datetime | None = Field(description="how current the source data behind the value is")
    last_error: str | None = Field(description="the error of the last computation, if it failed")
    owner: str | None
    verification_state: str = Field(description="verified or unverified")
    tags: list[str]
    history: History | None = Field(description="daily values (30 days on the cockpit; null in lists)")


class Cockpit(Answer):
    """Every active metric, red first, with 30 days of history: the read model of every surface."""

    model_config = example({"generated_at": "2026-11-30T08:00:30.120000+00:00",
                            "last_successful_refresh": "2026-11-30T08:00:05.031000+00:00", "active_job": None,
                            "metrics": [COLLATERAL]})

    generated_at: datetime = Field(description="when this answer was built (it is cached up to 30 s)")
    last_successful_refresh: datetime | None = Field(description="when the last refresh job that moved data "
                                                                 "finished")
    active_job: RefreshJob | None = Field(description="the refresh job running now (null when idle)")
    metrics: list[Metric] = Field(description="red → amber → error → no data → green, stale first, then by "
                                              "size of breach")


class MetricList(Answer):
    """The active metrics matching the filters, red first, without history."""

    model_config = example({"metrics": [_no_history(COLLATERAL)]})

    metrics: list[Metric]


class Computation(Answer):
    """One day's computation: its value, or the error that kept it from one."""

    day: date
    value: float | None
    status: str | None = Field(description="the status when it was computed")
    computed_at: datetime | None
    source_as_of: datetime | None
    duration_ms: int | None
    error: str | None
    job_id: int | None = Field(description="the refresh job that computed it")


class MetricDetail(Metric):
    """One metric with its history, its latest computations and its change trail."""

    model_config = example({
        **ACTIVE_CARDS,
        "computations": [{"day": "2026-11-30", "value": 3412.0, "status": "green",
                          "computed_at": "2026-11-30T08:00:04.512000+00:00",
                          "source_as_of": "2026-11-30T07:59:12+00:00", "duration_ms": 41, "error": None,
                          "job_id": 118}],
        "changes": [{"field": "verification_state", "old_value": "unverified", "new_value": "verified",
                     "changed_by": "operator", "changed_at": "2026-11-27T14:02:11.804000+00:00", "note": None}],
    })

    computations: list[Computation] = Field(description="the latest 10, newest first")
    changes: list[NotedChange] = Field(description="the change trail, newest first")


class MetricEdited(Answer):
    """What an operator edit changed, and the metric as it is now."""

    model_config = example({"changed": {"alert_value": {"old": 10000.0, "new": 12000.0}},
                            "metric": _no_history(COLLATERAL) | {"alert_value": 12000.0}})

    changed: dict[str, FieldChange] = Field(description="per field: old and new (empty: nothing changed)")
    metric: Metric
