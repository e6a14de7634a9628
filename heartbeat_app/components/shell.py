"""The AppShell shared by every page: primary nav, freshness chip, theme toggle; the cockpit adds its live parts."""

from __future__ import annotations

import reflex as rx

from heartbeat_app.state.shell import ShellState

NAV = (("Cockpit", "/"), ("Watchlists", "/watchlists"), ("Targets", "/okr"), ("Alerts", "/alerts"), ("Audit", "/audit"),
       ("Docs", "/docs"))


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="5", weight="medium", color_scheme="gray", high_contrast=True)


def freshness_chip() -> rx.Component:
    return rx.badge(
        rx.icon("refresh-cw", size=16),
        rx.text("last refresh ", ShellState.last_refresh),
        size="3",
        variant="soft",
        color_scheme="gray",
        id="freshness-chip",
    )


def feedback_link() -> rx.Component:
    """The seed's Feedback icon: to HEARTBEAT_FEEDBACK_URL, absent when it is unset."""
    return rx.cond(
        ShellState.feedback_url != "",
        rx.link(rx.hstack(rx.icon("message-square", size=20), rx.text("Feedback"), align="center", spacing="1"),
                href=ShellState.feedback_url, is_external=True, size="4", color_scheme="gray",
                high_contrast=True, id="feedback-link"),
    )


def header(before_chip: tuple[rx.Component, ...] = (), after_chip: tuple[rx.Component, ...] = ()) -> rx.Component:
    """The top bar; a page may put its own parts on either side of the freshness chip."""
    return rx.hstack(
        rx.hstack(
            rx.icon("activity", size=28, color=rx.color("red", 9)),
            rx.heading("Heartbeat", size="7", weight="bold"),
            align="center",
            spacing="2",
        ),
        rx.hstack(*(_nav_link(label, href) for label, href in NAV), spacing="6", id="primary-nav"),
        rx.spacer(),
        *before_chip,
        freshness_chip(),
        *after_chip,
        feedback_link(),
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
