"""What every response model shares: no field it does not declare, examples in its schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    """A JSON object the API answers with; a field the model does not declare is a mismatch (tests catch it)."""

    model_config = ConfigDict(extra="forbid")


def example(body: dict[str, Any]) -> ConfigDict:
    """The model config of an answer with ``body`` as its example (shown by /docs/api and /api/docs)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [body]})


class FieldChange(Answer):
    """One field an edit changed."""

    old: Any = Field(description="the value before the edit (null: unset)")
    new: Any = Field(description="the value after it")


class Change(Answer):
    """One entry of a change trail (``registry_change``), newest first."""

    field: str
    old_value: Any = Field(description="the value before (JSON; null: unset)")
    new_value: Any = Field(description="the value after (JSON; null: unset or deleted)")
    changed_by: str = Field(description="operator, sync, or who made the change")
    changed_at: datetime


class NotedChange(Change):
    """A change trail entry of a metric or a cut: a sync adds why it changed the field."""

    note: str | None = Field(description="why, when the change came from a sync")
