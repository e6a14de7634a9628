"""Build an expensive read once per change: keyed by the read-model version and a time bucket.

The version is a counter that database triggers bump on every write to the
registry, the history or the job ledger; the time bucket re-judges what
depends on "now" (freshness, ages). A TV wall or a thousand API reads per
minute then cost one build.
"""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine, text

TIME_BUCKET_SECONDS = 30
# Ask the database for the version at most this often: a burst of reads is served from memory.
VERSION_CHECK_SECONDS = 0.5


def current_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM heartbeat.read_model_version WHERE id = 1")).scalar() or 0)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    gzipped: bytes


class RenderCache:
    """One cached rendering (bytes and their gzip) per key; concurrent misses build it once."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._value: Rendered | None = None
        self._lock = threading.Lock()
        self._checked: dict[int, tuple[float, int]] = {}  # engine id -> (when checked, version)

    def _version(self, engine: Engine) -> int:
        now = time.monotonic()
        checked = self._checked.get(id(engine))
        if checked is not None and now - checked[0] < VERSION_CHECK_SECONDS:
            return checked[1]
        version = current_version(engine)
        self._checked[id(engine)] = (now, version)
        return version

    def get(self, engine: Engine, build: Callable[[], bytes]) -> Rendered:
        key = (id(engine), self._version(engine), int(time.time() // TIME_BUCKET_SECONDS))
        value = self._value
        if self._key == key and value is not None:
            return value
        with self._lock:
            if self._key != key or self._value is None:
                body = build()
                self._value = Rendered(body, gzip.compress(body, compresslevel=5))
                self._key = key
            return self._value
