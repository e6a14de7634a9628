"""What every response model shares: no field it does not declare, examples in its schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    """A JSON object the API answers with; a field the model does not declare is a mismatch (tests catch it).

    Every field is in every answer (null when unset) unless its model says otherwise: the schema marks a
    field with a default as required too (``json_schema_serialization_defaults_required``).
    """

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


def example(body: dict[str, Any]) -> ConfigDict:
    """The model config of an answer with ``body`` as its example (shown by /docs/api and /api/docs)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [body]})


def answers() -> dict[str, type[Answer]]:
    """Every answer model by class name (the name of its schema in the OpenAPI document)."""
    found: dict[str, type[Answer]] = {}
    pending: list[type[Answer]] = [Answer]
    while pending:
        for sub in pending.pop().__subclasses__():
            found[sub.__name__] = sub
            pending.append(sub)
    return found


def _api_models() -> dict[str, type[BaseModel]]:
    """Every model of the API by class name: the answers and the request bodies (``engine.api.*``)."""
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub.__module__.startswith("engine.api."):
                found[sub.__name__] = sub
            pending.append(sub)
    return found


def keep_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Put the models' examples back into ``document`` as declared: FastAPI drops every null from the
    document (``exclude_none``) and pydantic sorts their keys, and an example without its nulls says a
    field may be missing when it is always there (``"active_job": null``)."""
    models = _api_models()
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        extra = models[name].model_config.get("json_schema_extra") if name in models else None
        if isinstance(extra, dict) and "examples" in extra:
            schema["examples"] = extra["examples"]
    return document


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
