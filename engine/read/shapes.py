"""The JSON shapes of the read model that more than one surface answers with, declared once.

The REST API (``engine.api.schemas``) and the MCP tools (``engine.mcp.models``) each build their own
answer, but where they say the same thing — a target's pace, the refresh job running now — they say it
with these fields, names and meanings, so the two references cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

PACE_STATES = "achieved, on_pace, behind, off_track, missed or no_data (too few values)"


class PaceFields(BaseModel):
    """OKR pace of a target with a due date (docs/okr.md): a scale of its own, never the red/amber status."""

    state: str = Field(description=PACE_STATES)
    label: str = Field(description="the state in words, as the /okr board says it")
    start_day: date | None = Field(None, description="first day of the target period (quarter start or last "
                                                     "target change)")
    start_value: float | None = None
    expected_now: float | None = Field(None, description="where the pace line says the metric should be today")
    projected: float | None = Field(None, description="the trend of the last 28 daily values (least squares) "
                                                      "carried to the due date")
    days_left: int
    reaches_on: date | None = Field(None, description="on pace: the day the trend meets the target")


class RunningJob(BaseModel):
    """A refresh job as a progress line shows it: who started it, which phase, how far."""

    id: int
    trigger: str = Field(description="who started it: ui, cron, cli or api")
    phase: str | None = Field(description="queued, sync, ingest, compute, alerts or done")
    step: int | None = Field(description="items done in this phase")
    total: int | None = Field(description="items in this phase")
    current_item: str | None = Field(description="the source schema or metric being worked on")
    started_at: datetime | None
