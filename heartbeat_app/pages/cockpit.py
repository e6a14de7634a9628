"""The cockpit: every active metric, red first."""

from __future__ import annotations

import reflex as rx

from heartbeat_app.components.shell import app_shell
from heartbeat_app.state import CockpitState, ShellState

STATUS_COLOR = {"red": "red", "amber": "amber", "green": "grass", "no_data": "gray", "error": "purple"}


def _status_color(status) -> rx.Var:
    return rx.match(status, *STATUS_COLOR.items(), "gray")


def tile(item) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(item["name"], size="5", weight="medium"),
                rx.spacer(),
                rx.badge(item["status"], color_scheme=_status_color(item["status"]), size="2"),
                width="100%",
            ),
            rx.text(item["value"], size="9", weight="bold"),
            rx.hstack(
                rx.text(item["period"], size="3", color_scheme="gray"),
                rx.text("as of ", item["as_of"], size="3", color_scheme="gray"),
                rx.text(item["owner"], size="3", color_scheme="gray"),
                spacing="4",
            ),
            spacing="2",
        ),
        class_name="metric-tile",
        data_status=item["status"],
        size="3",
    )


def empty_state() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("gauge", size=64, color=rx.color("gray", 9)),
            rx.heading("No metrics yet", size="8"),
            rx.text(
                "Add a metric: write one file metrics/<metric_id>.sql (a config header and the SQL), "
                "then run `heartbeat metrics sync`.",
                size="5",
                align="center",
            ),
            rx.link("How to add a metric →", href="/docs/metrics", size="5"),
            align="center",
            spacing="4",
            max_width="48rem",
        ),
        id="empty-state",
        padding_top="20vh",
        width="100%",
    )


def cockpit() -> rx.Component:
    return app_shell(
        rx.cond(
            CockpitState.load_error != "",
            rx.callout(CockpitState.load_error, icon="triangle-alert", color_scheme="amber", size="2"),
        ),
        rx.cond(
            CockpitState.tiles.length() > 0,
            rx.grid(
                rx.foreach(CockpitState.tiles, tile),
                columns="4",
                spacing="4",
                width="100%",
                id="tiles",
            ),
            rx.cond(CockpitState.loaded, empty_state(), rx.spinner(size="3")),
        ),
    )


ON_LOAD = [CockpitState.load, ShellState.load_shell]
