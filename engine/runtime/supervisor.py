"""Supervision of the embedded PostgreSQL by the process that started it (``heartbeat serve`` / ``demo``).

A thread looks at the postmaster's pid every second. When it is gone (an OOM
kill, a ``kill -9``, a crash), it restarts the server with backoff — one log
line per attempt — and gives up with an error line after a bound. The app
process (the Reflex child) never starts or stops the server: it only notices
the outage (connections fail, the wall shows its last values) and reconnects
by itself once the server is back (``pool_pre_ping``).
"""

from __future__ import annotations

import logging
import threading
import time

from engine.core.embedded import EmbeddedServer, log_tail

log = logging.getLogger(__name__)

CHECK_EVERY = 1.0
MAX_DELAY = 30.0


class Supervisor:
    """Watch one embedded server; restart it when it dies. ``stop()`` ends the watch (not the server)."""

    def __init__(self, server: EmbeddedServer, *, delay: float = 1.0, attempts: int = 8,
                 check_every: float = CHECK_EVERY) -> None:
        self.server = server
        self.delay = delay
        self.attempts = attempts
        self.check_every = check_every
        self.restarts = 0
        self.gave_up = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-supervisor", daemon=True)

    def start(self) -> "Supervisor":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stop.wait(self.check_every):
            try:
                if self.server.alive():
                    continue
            except Exception:  # looking must never kill the watch
                log.warning("embedded PostgreSQL supervisor: cannot read the server's state", exc_info=True)
                continue
            if not self._recover():
                return

    def _recover(self) -> bool:
        """Restart the dead server; False when the watch should end (stopped, or gave up)."""
        dead = self.server.pid
        log.warning("embedded PostgreSQL in %s is down (postmaster %s gone); restarting it", self.server.pgdata, dead)
        delay = self.delay
        for attempt in range(1, self.attempts + 1):
            if self._stop.wait(delay):
                return False
            started = time.monotonic()
            try:
                pid = self.server.restart()
            except Exception as exc:
                reason = (str(exc).strip().splitlines() or [""])[0][:200]
                delay = min(delay * 2, MAX_DELAY)
                then = f"next in {delay:.0f}s" if attempt < self.attempts else "no attempts left"
                log.warning("embedded PostgreSQL restart attempt %s/%s failed (%s: %s | server log: %s); %s",
                            attempt, self.attempts, type(exc).__name__, reason, log_tail(self.server.pgdata, 2), then)
                continue
            self.restarts += 1
            log.warning("embedded PostgreSQL restart attempt %s/%s succeeded: postmaster %s ready in %.1fs",
                        attempt, self.attempts, pid, time.monotonic() - started)
            return True
        self.gave_up = True
        log.error("embedded PostgreSQL in %s did not restart after %s attempts; giving up. The app keeps "
                  "showing the last values. See %s, then restart Heartbeat.",
                  self.server.pgdata, self.attempts, self.server.pgdata / "log")
        return False
