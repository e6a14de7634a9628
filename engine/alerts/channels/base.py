"""What every channel shares: the one way a send fails."""

from __future__ import annotations

from engine.core.errors import HeartbeatError


class SendFailed(HeartbeatError):
    """A send did not succeed; the message never contains a secret (the caller masks it again anyway)."""
