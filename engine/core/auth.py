"""The token rule every surface shares: a bearer token compared in constant time."""

from __future__ import annotations

import hmac


def token_matches(presented: str | None, expected: str | None) -> bool:
    """True when both are set and equal; constant-time, so a wrong token reveals nothing of the right one."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())
