"""One cockpit snapshot shared by every open tab, instead of one database read and one board per tab.

Every tab's refresh loop asked the database for the whole wall and built its own tiles: 200 tabs meant 200
reads per interval and 200 copies of the same board held in memory (~40 KB each). Tabs tick together on the
wall clock (``heartbeat_app.state.cockpit.next_tick_in``) and those ticking within a few seconds of each other
get the same snapshot object (their states then hold references to the same tile lists, with the memory state
manager). A failed read is never cached.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Hashable


class SnapshotCache:
    """``get(page, max_age)``: the snapshot of ``page`` computed less than ``max_age`` seconds ago, or a new one."""

    def __init__(self, compute: Callable[[Hashable], dict], clock: Callable[[], float] = time.monotonic,
                 reuse: Callable[[dict, dict], dict] | None = None) -> None:
        self.compute = compute
        self.clock = clock
        # reuse(new, previous) → the new snapshot holding the previous one's objects where equal: tabs keep
        # what they were given, so an unchanged wall must not become a new copy per read.
        self.reuse = reuse
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._cached: dict[Hashable, tuple[float, dict]] = {}

    def get(self, page: Hashable, max_age: float) -> dict:
        with self._lock:
            key_lock = self._key_locks.setdefault(page, threading.Lock())
        with key_lock:  # one read per page at a time: the other tabs wait for it and share it
            hit = self._cached.get(page)
            if hit is not None and self.clock() - hit[0] < max_age:
                return hit[1]
            snap = self.compute(page)
            if hit is not None and self.reuse is not None:
                snap = self.reuse(snap, hit[1])
            with self._lock:
                self._cached[page] = (self.clock(), snap)
                if max_age > 0:  # a fresh read (max_age 0) says nothing about how old the others may be
                    for stale in [p for p, (at, _) in self._cached.items() if self.clock() - at >= 10 * max_age]:
                        del self._cached[stale]
            return snap
