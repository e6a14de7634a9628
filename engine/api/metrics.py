"""REST routes of the metrics: the cockpit read model, one metric, and operator edits."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from engine.api.deps import Json, MetricId, require_operator, require_reader, runtime_of
from engine.api.schemas.errors import READ, WRITE, errors
from engine.api.schemas.metrics import Cockpit, MetricDetail, MetricEdited, MetricList
from engine.core import formatting
from engine.core.errors import FieldRejected
from engine.metrics import edits
from engine.read import jobs
from engine.read.cache import RenderCache
from engine.read.cards import MetricCard, metric_cards, metric_changes, metric_computations

router = APIRouter(prefix="/api", dependencies=[Depends(require_reader)])

# strict: `true` or "5" for a number is refused (422), never stored as 1.0 or 5.0.
Finite = Annotated[float, Field(allow_inf_nan=False, strict=True)]


def card_json(card: MetricCard) -> dict[str, Any]:
    """One metric as every API client sees it (the same fields the cockpit tiles use)."""
    crossing = card.crossing
    return {
        "id": card.id,
        "name": card.name,
        "how_to_read": card.how_to_read,
        "period": card.period,
        "unit": card.unit,
        "currency": card.currency,
        "direction": card.direction,
        "value": card.value,
        "value_text": formatting.value(card.value, card.unit, card.currency),
        "status": card.status.value,
        "freshness": card.freshness.value,
        "crossed": None if crossing is None else {
            "line": crossing.line, "line_value": crossing.line_value, "by": crossing.by,
        },
        "target_hit": card.target_hit,
        "norm_value": card.norm_value,
        "alert_value": card.alert_value,
        "target_value": card.target_value,
        "target_due_date": card.target_due_date,
        "pace": pace_json(card),
        "typical": None if card.benchmark_mean is None else {
            "mean": card.benchmark_mean, "stddev": card.benchmark_stddev,
        },
        "computed_at": card.computed_at,
        "source_as_of": card.source_as_of,
        "last_error": card.error,
        "owner": card.owner,
        "verification_state": card.verification_state,
        "tags": list(card.tags),
        "history": history_json(card.history),
    }


def pace_json(card: MetricCard) -> dict[str, Any] | None:
    """A target's pace (docs/okr.md): its state beside the status, the pace line's ends and the projection."""
    pace = card.pace
    if pace is None:
        return None

    def rounded(x: float | None) -> float | None:
        return None if x is None else float(f"{x:.6g}")
    return {
        "state": pace.state.value,
        "label": pace.label,
        "start_day": pace.start_day,
        "start_value": rounded(pace.start_value),
        "expected_now": rounded(pace.expected_now),
        "projected": rounded(pace.projected),
        "projected_text": formatting.value(pace.projected, card.unit, card.currency),
        "slope_per_day": rounded(pace.slope_per_day),
        "trend_points": pace.trend_points,
        "progress": rounded(pace.progress),
        "expected_progress": rounded(pace.expected_progress),
        "days_left": pace.days_left,
        "reaches_on": pace.reaches_on,
    }


def history_json(history: tuple[tuple[date, float | None], ...]) -> dict[str, Any] | None:
    """Daily values as {"from": first day, "values": [...]}, one per consecutive day (null for a gap).

    Compact on purpose: the cockpit carries a sparkline for every metric.
    """
    if not history:
        return None
    first = history[0][0]
    by_day = {day: value for day, value in history}
    span = (history[-1][0] - first).days + 1
    values = []
    for offset in range(span):
        value = by_day.get(first + timedelta(days=offset))
        values.append(None if value is None else float(f"{value:.6g}"))
    return {"from": first, "values": values}



_COCKPIT = RenderCache()


def _render_cockpit(engine) -> bytes:
    now = datetime.now(timezone.utc)
    cards = metric_cards(engine, now)
    return Json({
        "generated_at": now,
        "last_successful_refresh": jobs.last_successful_refresh(engine),
        "active_job": jobs.active_job(engine),
        "metrics": [card_json(card) for card in cards],
    }).body


@router.get("/cockpit", response_class=Json, response_model=Cockpit, responses=errors(401, 503), tags=["read model"],
            summary="Every active metric, red first, with 30 days of history")
def get_cockpit(request: Request) -> Response:
    """Ordered red → amber → error → no data → green, then stale first, then by size of breach; a target's `pace`
    is explained in [OKR pace](/docs/okr). Reads the registry and history only, never the marts: built once per
    change (a trigger-maintained version) and every 30 s, then served as prepared bytes (gzip when asked).
    """
    engine = runtime_of(request).db.engine()
    # Built once per change of registry/history/ledger (and every 30 s for freshness), then served as bytes.
    rendered = _COCKPIT.get(engine, lambda: _render_cockpit(engine))
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(rendered.gzipped, media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(rendered.body, media_type="application/json", headers={"Vary": "Accept-Encoding"})


@router.get("/metrics", response_class=Json, response_model=MetricList,
            responses=errors(*READ), tags=["metrics"], summary="List metrics, with filters")
def list_metrics(
    request: Request,
    status: Annotated[list[Literal["red", "amber", "green", "no_data", "error"]] | None, Query(
        description="only metrics with this status; repeat for several (?status=red&status=amber)")] = None,
    tag: Annotated[str | None, Query(max_length=100, description="only metrics carrying this tag, e.g. aml")] = None,
    owner: Annotated[str | None, Query(max_length=254,
                                       description="only metrics owned by this email address")] = None,
    verification_state: Annotated[Literal["verified", "unverified"] | None, Query(
        description="only verified metrics, or only those nobody has verified yet")] = None,
) -> Json:
    """The cockpit's fields without history. Filters combine: a metric is listed when it passes every one sent."""
    cards = metric_cards(runtime_of(request).db.engine(), history_days=0)
    selected = [
        card for card in cards
        if (not status or card.status.value in status)
        and (tag is None or tag in card.tags)
        and (owner is None or card.owner == owner)
        and (verification_state is None or card.verification_state == verification_state)
    ]
    return Json({"metrics": [card_json(card) for card in selected]})


@router.get("/metrics/{metric_id}", response_class=Json, response_model=MetricDetail,
            responses=errors(404, *READ, why={404: "No active metric by that id"}), tags=["metrics"],
            summary="One metric with its history, computations and change trail")
def get_metric(
    request: Request, metric_id: MetricId, days: Annotated[int, Query(
        ge=1, le=3650, description="days of daily history to include, counting back from the latest")] = 90
) -> Json:
    """`days` of daily history (default 90), its latest computations (value or error, duration, job) and its change
    trail.
    """
    engine = runtime_of(request).db.engine()
    cards = metric_cards(engine, history_days=days, ids=[metric_id])
    if not cards:
        raise HTTPException(404, f"no active metric {metric_id!r}")
    return Json({
        **card_json(cards[0]),
        "computations": metric_computations(engine, metric_id),
        "changes": metric_changes(engine, metric_id),
    })


class VerificationEdit(BaseModel):
    """Set the verification state and/or the owner; either may be sent alone."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"verification_state": "verified", "owner": "payments@example.com"}]})

    verification_state: Annotated[Literal["verified", "unverified"] | None, Field(
        description="verified records who, when and the definition hash vouched for; unverified withdraws it")] = None
    owner: Annotated[str | None, Field(
        max_length=254, description="the owner's email address (null: no owner)")] = None


class ThresholdEdit(BaseModel):
    """Any of the operator-tunable lines; a field sent as null clears it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"norm_value": 95, "alert_value": 88, "target_value": 98, "target_due_date": "2027-06-30"}]})

    norm_value: Annotated[Finite | None, Field(
        description="the amber line, in the metric's unit (as its value); null removes it")] = None
    alert_value: Annotated[Finite | None, Field(
        description="the red line, in the metric's unit; amber must sit on the good side of red")] = None
    target_value: Annotated[Finite | None, Field(
        description="the value to reach, in the metric's unit; null removes the target")] = None
    target_due_date: Annotated[date | None, Field(
        description="when the target is due: YYYY-MM-DD, not in the past, needs a target_value")] = None


def _card_after_edit(request: Request, metric_id: str, result: edits.EditResult) -> Json:
    [card] = metric_cards(runtime_of(request).db.engine(), history_days=0, ids=[metric_id])
    return Json({
        "changed": {field: {"old": old, "new": new} for field, (old, new) in result.changed.items()},
        "metric": card_json(card),
    })


@router.patch("/metrics/{metric_id}/verification", response_class=Json, response_model=MetricEdited,
              responses=errors(404, *WRITE, why={404: "No active metric by that id"}), tags=["metrics"],
              summary="Verify a metric and/or set its owner (operator token)")
def patch_verification(
    request: Request, metric_id: MetricId, edit: VerificationEdit, actor: str = Depends(require_operator)
) -> Json:
    """Either field may be sent alone (the app saves the owner on blur); the owner must be an email. Verifying
    records who, when and the definition hash verified. Lands in the change trail.
    """
    sent = edit.model_fields_set
    if not sent:
        # FieldRejected, not a bare 422: every 422 names a field (found by tests/security/test_api_fuzz.py, body {}).
        raise FieldRejected("body", "send verification_state and/or owner")
    result = edits.set_verification(
        runtime_of(request).db.engine(), metric_id, actor=actor,
        verification_state=edit.verification_state if "verification_state" in sent else edits.UNSET,
        owner=edit.owner if "owner" in sent else edits.UNSET,
    )
    return _card_after_edit(request, metric_id, result)


@router.patch("/metrics/{metric_id}/thresholds", response_class=Json, response_model=MetricEdited,
              responses=errors(404, *WRITE, why={404: "No active metric by that id"}), tags=["metrics"],
              summary="Tune norm/alert/target/due date (operator token)")
def patch_thresholds(
    request: Request, metric_id: MetricId, edit: ThresholdEdit, actor: str = Depends(require_operator)
) -> Json:
    """Send any of the four fields; one sent as null clears it. The lines must stay in order for the metric's
    direction (amber on the good side of red), else `422` naming the field. The tile recolours at once. An
    operator value wins over the metric's file until the file's value for that field changes.
    """
    values = {field: getattr(edit, field) for field in edit.model_fields_set}
    if not values:
        raise FieldRejected("body", f"send at least one of {', '.join(edits.THRESHOLD_FIELDS)}")
    result = edits.set_thresholds(
        runtime_of(request).db.engine(), metric_id, actor=actor, today=datetime.now(timezone.utc).date(), **values
    )
    return _card_after_edit(request, metric_id, result)
