"""The token rule every surface shares: a bearer token compared in constant time."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import Counter, deque
from typing import Callable, Iterable


def token_matches(presented: str | None, expected: str | None) -> bool:
    """True when both are set and equal; constant-time, so a wrong token reveals nothing of the right one."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


class AttemptLimiter:
    """Wrong tokens per key (a connection, a client address): ``limit`` within ``window`` seconds, then every
    attempt from that key, right or wrong, is refused for ``lockout`` seconds."""

    def __init__(self, limit: int = 5, window: float = 60.0, lockout: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.lockout, self.clock = limit, window, lockout, clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Iterable[str]) -> float:
        """Seconds until these keys may try again (0: they may try now)."""
        now = self.clock()
        with self._lock:
            return max([self._locked_until.get(k, 0.0) - now for k in keys] + [0.0])

    def failed(self, keys: Iterable[str]) -> bool:
        """Count one wrong token for every key; True when this attempt locked one of them out."""
        now = self.clock()
        locked = False
        with self._lock:
            if len(self._failures) > 10_000:  # a flood of connections: forget the quiet ones
                self._forget(now)
            for key in keys:
                recent = self._failures.setdefault(key, deque())
                recent.append(now)
                while recent and recent[0] <= now - self.window:
                    recent.popleft()
                if len(recent) >= self.limit:
                    self._locked_until[key] = now + self.lockout
                    recent.clear()
                    locked = True
        return locked

    def _forget(self, now: float) -> None:
        for key in [k for k, q in self._failures.items() if not q or q[-1] <= now - self.window]:
            del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]


class AttemptLog:
    """Wrong and refused token attempts, logged as one aggregated line per ``interval`` (never a token)."""

    def __init__(self, logger: logging.Logger, what: str, interval: float = 60.0) -> None:
        self.logger, self.what, self.interval = logger, what, interval
        self._lock = threading.Lock()
        self._wrong = 0
        self._refused = 0
        self._lockouts = 0
        self._addresses: Counter[str] = Counter()
        self._timer: threading.Timer | None = None

    def note(self, address: str, *, refused: bool = False, locked_out: bool = False) -> None:
        with self._lock:
            if refused:
                self._refused += 1
            else:
                self._wrong += 1
            self._lockouts += int(locked_out)
            self._addresses[address or "unknown"] += 1
            if self._timer is None:
                self._timer = threading.Timer(self.interval, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            self._timer = None
            if not self._addresses:
                return
            wrong, refused, lockouts, addresses = self._wrong, self._refused, self._lockouts, self._addresses
            self._wrong = self._refused = self._lockouts = 0
            self._addresses = Counter()
        shown = ", ".join(f"{a[:60]} x{n}" for a, n in addresses.most_common(5))
        more = f" and {len(addresses) - 5} more" if len(addresses) > 5 else ""
        self.logger.warning(
            "%s: %d wrong and %d refused (rate-limited) attempts in the last %.0f s from %d address(es) "
            "(%s%s); %d lockout(s) started", self.what, wrong, refused, self.interval, len(addresses), shown, more,
            lockouts)
