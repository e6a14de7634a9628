"""The cockpit's header: the shared one plus what moves on a wall — job progress, recompute, the clock."""

from __future__ import annotations

import reflex as rx

from heartbeat_app.components.shell import header
from heartbeat_app.state.cockpit import CockpitState
from heartbeat_app.state.operator import BROWSER_TOKEN, OperatorState


def job_progress() -> rx.Component:
    """The running refresh, whoever started it (cron, CLI, a click)."""
    return rx.cond(
        CockpitState.job.contains("phase"),
        rx.hstack(
            rx.text("refreshing · ", CockpitState.job["phase"], " ", CockpitState.job["progress"],
                    " (", CockpitState.job["trigger"], ")", size="3"),
            rx.progress(value=CockpitState.job["percent"].to(int), width="10rem"),
            align="center",
            spacing="2",
            id="job-progress",
        ),
    )


def recompute_button() -> rx.Component:
    """Operator only (token unlocked in this browser); the server checks the token again on click."""
    return rx.cond(
        OperatorState.operator,
        rx.hstack(
            rx.button(rx.icon("play", size=16), "Recompute", on_click=OperatorState.recompute_all(BROWSER_TOKEN), size="2",
                      variant="soft", id="recompute-button"),
            rx.cond(OperatorState.recompute_message != "",
                    rx.text(OperatorState.recompute_message, size="2", color_scheme="gray")),
            align="center",
            spacing="2",
        ),
    )


def live_header() -> rx.Component:
    return header(
        before_chip=(job_progress(), recompute_button()),
        after_chip=(rx.el.span(CockpitState.clock, class_name="hb-clock", id="clock"),),
    )
