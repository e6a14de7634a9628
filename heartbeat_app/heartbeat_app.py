"""The Reflex entry point (rxconfig's app_name): the app, and every page registered beside its code."""

from __future__ import annotations

from heartbeat_app import pages  # noqa: F401  (importing the pages registers their routes)
from heartbeat_app.app import app

__all__ = ["app"]
