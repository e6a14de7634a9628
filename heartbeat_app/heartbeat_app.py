"""The Reflex entry point (rxconfig's app_name): the app, with every page its module declared, added once."""

from __future__ import annotations

from heartbeat_app import pages
from heartbeat_app.app import app

for render, declared in pages.DECLARED:
    app.add_page(render, **declared)

__all__ = ["app"]
