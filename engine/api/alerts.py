"""REST routes of alerting: what fires and what was delivered (read), silences and acknowledgements (operator)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.alerts import silences
from engine.api.deps import Json, MetricIdField, require_operator, require_reader, runtime_of
from engine.api.schemas.alerts import Acknowledged, AlertsOverview, Silence
from engine.api.schemas.errors import WRITE, errors

router = APIRouter(prefix="/api", dependencies=[Depends(require_reader)])



def _in_hours(hours: int) -> str:
    # Request examples must stay valid (a future time within 30 days) whenever the reference is read.
    at = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class SilenceBody(BaseModel):
    """Silence one metric or every metric with a tag, until a time, for a reason."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"metric_id": "payment_approval_rate_24h", "ends_at": _in_hours(3),
         "reason": "processor maintenance, about three hours"}]})

    metric_id: Annotated[MetricIdField | None, Field(
        description="the metric to silence (send this or tag, not both)")] = None
    tag: Annotated[Annotated[str, Field(min_length=1, max_length=64)] | None, Field(
        description="silence every metric with this tag, one an active metric has (or send metric_id)")] = None
    ends_at: Annotated[datetime, Field(
        description="when it ends: an ISO time with a zone, in the future, within 30 days")]
    reason: Annotated[str, Field(
        min_length=1, max_length=500, description="why, shown while the silence lasts")]

    @model_validator(mode="after")
    def one_target(self) -> "SilenceBody":
        if (self.metric_id is None) == (self.tag is None):
            raise ValueError("give exactly one of metric_id or tag")
        return self


class AckBody(BaseModel):
    """Who acknowledges, why, and until when reminders stay quiet."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"by": "Dana (payments)", "comment": "processor incident, on it", "until": _in_hours(2)}]})

    by: Annotated[str, Field(min_length=1, max_length=200, description="who acknowledges: a name or a team")]
    comment: Annotated[str, Field(max_length=1000, description="what is being done about it (optional)")] = ""
    until: Annotated[datetime, Field(
        description="no reminders until then: an ISO time with a zone, in the future, within 30 days")]


@router.get("/alerts", response_class=Json, response_model=AlertsOverview, responses=errors(401, 503), tags=["alerts"],
            summary="Firing, pending, silenced and acknowledged alerts; recent deliveries per channel; dead letters")
def get_alerts(request: Request) -> Json:
    """`marks` says, per metric id, what its tile shows beside its colour (firing and pending alert ids,
    `acknowledged`, `silenced`); `channels` name the environment variables holding their secrets, never the
    values; `config_error` says why `alerts.yaml` is invalid. See [alerts](/docs/alerts).
    """
    rt = runtime_of(request)
    body = silences.overview_for_display(rt.db.engine(), rt.settings.alerts_file)
    body["marks"] = silences.marks(rt.db.engine())
    return Json(body)


@router.post("/alerts/silences", status_code=201, response_class=Json, response_model=Silence,
             responses=errors(404, *WRITE, why={404: "Unknown or retired metric"}), tags=["alerts"],
             summary="Silence a metric or a tag until a time, with a reason (operator token)")
def post_silence(request: Request, body: SilenceBody, actor: str = Depends(require_operator)) -> Json:
    """Alerts of the metric (or of the tag's metrics) still change state but send nothing until `ends_at`; then the
    channels get one "silence expired" reminder.
    """
    # FieldRejected answers 422 naming the field, NotFound 404 (engine.api.app).
    silence = silences.add_silence(runtime_of(request).db.engine(), metric_id=body.metric_id, tag=body.tag,
                                   ends_at=body.ends_at, reason=body.reason, created_by=actor)
    return Json(silence, status_code=201)


@router.post("/alerts/{alert_id}/ack", response_class=Json, response_model=Acknowledged,
             responses=errors(404, *WRITE, why={404: "No firing or pending alert by that id"}), tags=["alerts"],
             summary="Acknowledge a firing or pending alert: who, comment, until (operator token)")
def post_ack(request: Request, alert_id: Annotated[int, Path(
        ge=1, le=2**62, description="the alert's id, as GET /api/alerts lists it under firing or pending")], body: AckBody,
             actor: str = Depends(require_operator)) -> Json:
    """Only a firing or pending alert (`404` otherwise): no reminders until `until` or until it resolves."""
    # FieldRejected answers 422 naming the field, NotFound 404 (engine.api.app).
    row = silences.acknowledge(runtime_of(request).db.engine(), alert_id, by=body.by, comment=body.comment,
                               until=body.until)
    return Json(row)
