"""Who may call what: operator writes need the operator token; reads are open unless a read token is set."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status

from engine.runtime import Runtime


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _matches(presented: str, expected: str) -> bool:
    # Constant-time: a wrong token must not reveal how much of it was right.
    return hmac.compare_digest(presented.encode(), expected.encode())


def require_operator(request: Request) -> str:
    """Dependency of every write route; returns the actor recorded in the change trail."""
    rt: Runtime = request.app.state.runtime()
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
    if not _matches(presented, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong operator token")
    return "operator"


def require_reader(request: Request) -> None:
    """Dependency of every read route: open unless HEARTBEAT_READ_TOKEN is set."""
    rt: Runtime = request.app.state.runtime()
    expected = rt.settings.read_token
    if not expected:
        return
    presented = _presented(request) or request.query_params.get("token")
    operator = rt.settings.operator_token
    if presented and (_matches(presented, expected) or (operator and _matches(presented, operator))):
        return
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED, "read token required: send Authorization: Bearer <token> or ?token=",
        headers={"WWW-Authenticate": "Bearer"},
    )
