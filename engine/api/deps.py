"""What every router shares, declared once: the runtime, the metric-id type, the token rules, JSON.

Who may call what: operator writes need the operator token; reads are open unless a read token is set.
"""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any

import orjson
from fastapi import HTTPException, Path, Request, status
from pydantic import Field
from starlette.responses import JSONResponse

from engine import contract
from engine.api.readers import reader_allowed
from engine.core.auth import AttemptLimiter, AttemptLog, token_matches
from engine.runtime import Runtime

log = logging.getLogger(__name__)

# A metric id in a path, and in a request body.
MetricId = Annotated[str, Path(pattern=contract.METRIC_ID_PATTERN, description="metric id (its file name)")]
MetricIdField = Annotated[str, Field(pattern=contract.METRIC_ID_PATTERN)]
# A cut id (its file name in cuts/) follows the metric id rules.
CutId = Annotated[str, Path(pattern=contract.METRIC_ID_PATTERN, description="cut id (its file name in cuts/)")]


class Json(JSONResponse):
    """JSON rendered by orjson: datetimes and dates as ISO strings, fast for the large read model.

    A JSONResponse, so the OpenAPI document shows a route's ``response_model`` as its body schema; FastAPI
    neither validates nor re-serialises a Response a handler returns, so the models cost nothing here.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def runtime_of(request: Request) -> Runtime:
    """The runtime the app was created with (``create_api(get_runtime)``)."""
    return request.app.state.runtime()


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def operator_attempts() -> tuple[AttemptLimiter, AttemptLog]:
    """The wrong-token limit of one API app: the app's rule (5 wrong tokens a minute from an address, then
    5 minutes refused), and its aggregated log line. One per ``create_api``, so each app counts its own."""
    return (AttemptLimiter(limit=5, window=60.0, lockout=300.0),
            AttemptLog(log, "operator token on the REST API", interval=60.0))


def _client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def require_operator(request: Request) -> str:
    """Dependency of every write route; returns the actor recorded in the change trail.

    Wrong tokens are counted per client address: after 5 within a minute, every token from that address —
    the right one too — is answered 429 with Retry-After for 5 minutes (a guessing script learns nothing more).
    """
    rt = runtime_of(request)
    expected = rt.settings.operator_token
    if not expected:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "operator writes are disabled on this server: set HEARTBEAT_OPERATOR_TOKEN and restart",
        )
    presented = _presented(request)
    if presented is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "operator token required: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    limiter, attempt_log = request.app.state.operator_attempts
    address = _client_address(request)
    keys = [f"address:{address}"]
    wait = limiter.retry_after(keys)
    if wait > 0:
        attempt_log.note(address, refused=True)
        seconds = max(1, math.ceil(wait))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many wrong operator tokens from this address: try again in {max(1, round(seconds / 60))} min",
            headers={"Retry-After": str(seconds)},
        )
    if not token_matches(presented, expected):
        attempt_log.note(address, locked_out=limiter.failed(keys))
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong operator token")
    return "operator"


def require_reader(request: Request) -> None:
    """Dependency of every read route: open unless HEARTBEAT_READ_TOKEN is set.

    The read token may come as ``?token=`` (TV players cannot set headers); the operator token opens reads
    only as a Bearer header, never from a query string (URLs end up in logs, history and Referer headers).
    """
    rt = runtime_of(request)
    expected = rt.settings.read_token
    if not expected:
        return
    bearer = _presented(request)
    if token_matches(bearer, expected) or token_matches(bearer, rt.settings.operator_token):
        return
    if token_matches(request.query_params.get("token"), expected):
        return
    if reader_allowed(rt.settings, {k.lower(): v for k, v in request.headers.items()}):  # the TV's cookie
        return
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED, "read token required: send Authorization: Bearer <token> or ?token=",
        headers={"WWW-Authenticate": "Bearer"},
    )
