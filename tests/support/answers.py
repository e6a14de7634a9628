"""The response model each API route declares, and whether a real answer conforms to it."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from engine.docs.api_ref import api_routes


def declared_models(api: FastAPI) -> dict[str, type[BaseModel]]:
    """``"GET /api/metrics/{metric_id}"`` → the model its success answer is documented with."""
    return {f"{method} {route.path}": route.response_model
            for route in api_routes(api.routes) if route.response_model is not None
            for method in sorted(route.methods)}


def declared_errors(api: FastAPI) -> dict[str, dict[int, type[BaseModel]]]:
    """``"GET /api/metrics/{metric_id}"`` → each error status it documents, with the model of its body."""
    return {f"{method} {route.path}": {int(status): answer["model"] for status, answer in route.responses.items()
                                       if int(status) >= 400 and "model" in answer}
            for route in api_routes(api.routes) for method in sorted(route.methods)}


def mismatch(model: type[BaseModel], response: httpx.Response) -> str | None:
    """None when the body of ``response`` conforms to ``model``, else each field at fault and why."""
    try:
        model.model_validate_json(response.content)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:10])
    return None
