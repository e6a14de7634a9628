"""The Reflex app object: the REST API mounted in front, start-up work. It imports no page and no state."""

from __future__ import annotations

import contextlib

import reflex as rx

from engine import api
from engine.runtime import services
from heartbeat_app import sessions


@contextlib.asynccontextmanager
async def _services():
    """Migrate, then run the scheduler for as long as this worker lives."""
    running = services.start()
    try:
        yield
    finally:
        running.stop()


_api = api.create_api()
app = rx.App(
    api_transformer=_api,
    html_lang="en",
    stylesheets=["/heartbeat.css"],
)
# No connection toasts on a TV: nobody is there to dismiss them; the cockpit
# shows its own "connection lost" banner and dims the last values instead.
app.app_wraps[(5, "Overlay")] = lambda stateful: None
app.register_lifespan_task(_services)
# A closed tab's state is released seconds after its websocket goes (not an hour later).
app.register_lifespan_task(sessions.lifespan)
# The MCP endpoint's session manager (/mcp): the mounted API's own lifespan never runs under Reflex.
app.register_lifespan_task(_api.state.mcp.lifespan)
