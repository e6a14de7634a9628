"""What every router shares, declared once: the runtime, the metric-id type, the token rules, JSON.

Who may call what: operator writes need the operator token; reads are open unless a read token is set.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import HTTPException, Path, Request, status
from pydantic import Field
from starlette.responses import Response

from engine import contract
from engine.api.readers import reader_allowed
from engine.core.auth import token_matches
from engine.runtime import Runtime

# A metric id in a path, and in a request body.
MetricId = Annotated[str, Path(pattern=contract.METRIC_ID_PATTERN, description="metric id (its file name)")]
MetricIdField = Annotated[str, Field(pattern=contract.METRIC_ID_PATTERN)]
# A cut id (its file name in cuts/) follows the metric id rules.
CutId = Annotated[str, Path(pattern=contract.METRIC_ID_PATTERN, description="cut id (its file name in cuts/)")]


class Json(Response):
    """JSON rendered by orjson: datetimes and dates as ISO strings, fast for the large read model."""

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


def require_operator(request: Request) -> str:
    """Dependency of every write route; returns the actor recorded in the change trail."""
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
    if not token_matches(presented, expected):
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
