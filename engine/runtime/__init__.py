"""The process context: settings read once, and the database they name.

Entry points (CLI, Reflex app, API) call ``get()``; everything below them
receives the ``Runtime`` (or its parts) as arguments.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from engine.core.db import Database, open_database
from engine.core.settings import Settings, load_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database


_current: Runtime | None = None
_lock = threading.Lock()


def get() -> Runtime:
    """The runtime of this process, created from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            settings = load_settings()
            _current = Runtime(settings=settings, db=open_database(settings))
        return _current


def reset() -> None:
    """Forget the current runtime and close its connections (tests, shutdown)."""
    global _current
    with _lock:
        if _current is not None:
            _current.db.dispose()
        _current = None
