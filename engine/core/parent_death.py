"""A child process that dies with its parent (Linux ``prctl(PR_SET_PDEATHSIG)``); elsewhere nothing.

Used by the web server ``serve`` starts (SIGTERM, between fork and exec) and by a refresh job's ingest
child (SIGKILL: an orphan must not keep writing the marts while the next job lands the same tables).
"""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


# Loaded now, not in the child: code between fork and exec must not take Python locks (an import does).
_LIBC = _libc() if sys.platform.startswith("linux") else None
SUPPORTED = _LIBC is not None


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """In the child: be sent ``sig`` when the parent dies. A foreign call only, safe after fork."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
