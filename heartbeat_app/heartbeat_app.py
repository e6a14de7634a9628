"""The Heartbeat app: pages, the REST API mounted in front, start-up work."""

from __future__ import annotations

import contextlib
import logging

import reflex as rx

from engine import api
from engine.runtime import services
from heartbeat_app.pages import alerts, audit, cockpit, docs, metric_detail
from heartbeat_app.state import ShellState

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def _services():
    """Migrate, then run the scheduler for as long as this worker lives."""
    running = services.start()
    try:
        yield
    finally:
        running.stop()


app = rx.App(
    api_transformer=api.create_api(),
    html_lang="en",
    stylesheets=["/heartbeat.css"],
)
# No connection toasts on a TV: nobody is there to dismiss them; the cockpit
# shows its own "connection lost" banner and dims the last values instead.
app.app_wraps[(5, "Overlay")] = lambda stateful: None
app.register_lifespan_task(_services)

app.add_page(cockpit.cockpit, route="/", title="Heartbeat — cockpit", on_load=cockpit.ON_LOAD)
app.add_page(alerts.alerts, route="/alerts", title="Heartbeat — alerts",
             on_load=[ShellState.load_shell, alerts.AlertsState.load])
app.add_page(audit.audit, route="/audit", title="Heartbeat — audit", on_load=ShellState.load_shell)
app.add_page(
    metric_detail.metric_detail, route=metric_detail.ROUTE, title="Heartbeat — metric", on_load=metric_detail.ON_LOAD
)

_DOCS = docs.load_docs()
for _page in _DOCS:
    app.add_page(
        lambda page=_page: docs.doc_view(page, _DOCS),
        route=f"/docs/{_page.slug}",
        title=f"Heartbeat docs — {_page.title}",
        on_load=ShellState.load_shell,
    )
if _DOCS:
    app.add_page(
        lambda: docs.doc_view(_DOCS[0], _DOCS),
        route="/docs",
        title="Heartbeat docs",
        on_load=ShellState.load_shell,
    )
