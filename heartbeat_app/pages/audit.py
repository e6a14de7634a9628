"""The audit pages: charts with prose between them (filled by the audit issue)."""

from __future__ import annotations

import reflex as rx

from heartbeat_app.components.shell import app_shell
from heartbeat_app.state.shell import ShellState


@rx.page(route="/audit", title="Heartbeat — audit", on_load=ShellState.load_shell)
def audit() -> rx.Component:
    return app_shell(
        rx.vstack(
            rx.heading("Audit", size="8"),
            rx.text(
                "Audit cuts — charts that let you check a metric against the data behind it — "
                "appear here once cut modules exist in cuts/.",
                size="5",
                color_scheme="gray",
            ),
            spacing="3",
        )
    )
