"""The AppShell shared by every page: primary nav, clock, freshness chip, job progress, theme toggle."""

from __future__ import annotations

import reflex as rx

from heartbeat_app.cockpit_state import CockpitState
from heartbeat_app.operator_state import OperatorState
from heartbeat_app.state import ShellState

NAV = (("Cockpit", "/"), ("Alerts", "/alerts"), ("Audit", "/audit"), ("Docs", "/docs"))


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="5", weight="medium", color_scheme="gray", high_contrast=True)


def freshness_chip(live: bool) -> rx.Component:
    last = CockpitState.last_refresh if live else ShellState.last_refresh
    return rx.badge(
        rx.icon("refresh-cw", size=16),
        rx.text("last refresh ", last),
        size="3",
        variant="soft",
        color_scheme="gray",
        id="freshness-chip",
    )


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
            rx.button(rx.icon("play", size=16), "Recompute", on_click=OperatorState.recompute_all, size="2",
                      variant="soft", id="recompute-button"),
            rx.cond(OperatorState.recompute_message != "",
                    rx.text(OperatorState.recompute_message, size="2", color_scheme="gray")),
            align="center",
            spacing="2",
        ),
    )


def header(live: bool = False) -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.icon("activity", size=28, color=rx.color("red", 9)),
            rx.heading("Heartbeat", size="7", weight="bold"),
            align="center",
            spacing="2",
        ),
        rx.hstack(*(_nav_link(label, href) for label, href in NAV), spacing="6", id="primary-nav"),
        rx.spacer(),
        *([job_progress(), recompute_button()] if live else []),
        freshness_chip(live),
        *([rx.el.span(CockpitState.clock, class_name="hb-clock", id="clock")] if live else []),
        rx.color_mode.button(size="3", id="theme-toggle"),
        align="center",
        spacing="6",
        padding_x="2rem",
        padding_y="0.75rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
    )


def app_shell(*children: rx.Component) -> rx.Component:
    """Wrap a page's content in the shared header."""
    return rx.vstack(
        header(),
        rx.box(*children, padding="2rem", width="100%"),
        spacing="0",
        min_height="100vh",
        width="100%",
    )
