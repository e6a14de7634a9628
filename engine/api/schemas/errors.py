"""The error bodies of the API, and the ``responses=`` declarations of the routes that can answer them.

Every 4xx is JSON with a readable ``error``; a 400 or 422 also names each field and why (``problems``);
a database outage is 503 with ``Retry-After`` (``engine.api.outage``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from engine.api.schemas.base import Answer, example


class ErrorBody(Answer):
    """What went wrong, in a sentence."""

    model_config = example({"error": "no active metric 'payment_approval_rate_7d'"})

    error: str = Field(description="what was wrong and, where there is one, what to do")


class Problem(Answer):
    field: str = Field(description="the field, e.g. norm_value, path.metric_id, query.days or body")
    reason: str = Field(description="why it was refused")


class InvalidRequest(Answer):
    """Bad input: every field at fault, with the reason (the input itself is never echoed back)."""

    model_config = example({"error": "invalid request", "problems": [
        {"field": "norm_value", "reason": "the amber line (norm 80.0) must sit above the red line (alert 90.0) "
                                          "for a higher is better metric"}]})

    error: str = Field(description='always "invalid request"')
    problems: list[Problem]


class Unavailable(Answer):
    """The database cannot be reached right now; the answer carries ``Retry-After`` (seconds)."""

    model_config = example({"error": "database unreachable", "status": "unavailable",
                            "detail": "the database cannot be reached right now; try again shortly"})

    error: str
    status: str = Field(description='always "unavailable"')
    detail: str


# Why each status is answered, as every route says it unless it says more (``errors(..., why={})``).
WHY: dict[int, tuple[type[Answer], str]] = {
    400: (InvalidRequest, "The body cannot be decoded (not UTF-8 or not JSON)"),
    401: (ErrorBody, "No token: the read token when HEARTBEAT_READ_TOKEN is set; the operator token on writes"),
    403: (ErrorBody, "Wrong operator token, operator writes disabled on this server (no HEARTBEAT_OPERATOR_TOKEN), "
                     "or a foreign Origin"),
    404: (ErrorBody, "Not found: the error names what"),
    409: (ErrorBody, "Conflict: the error names it and the fix"),
    413: (ErrorBody, "Request body over 16 KiB"),
    422: (InvalidRequest, "Invalid input: each field at fault and why"),
    429: (ErrorBody, "Too many wrong operator tokens from this address: refused for 5 minutes (Retry-After)"),
    503: (Unavailable, "Database unreachable (Retry-After)"),
}


def errors(*statuses: int, why: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each status with its body model and why it is answered."""
    why = why or {}
    return {status: {"model": WHY[status][0], "description": why.get(status, WHY[status][1])} for status in statuses}


# A read route: the read token (when one is set), its input, the database.
READ = (401, 422, 503)
# A write route: the operator token and its limit, the body, the database.
WRITE = (400, 401, 403, 413, 422, 429, 503)
