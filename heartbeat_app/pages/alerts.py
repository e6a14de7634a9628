"""The alerts page (/alerts): what fires, what waits, what is silenced, and every delivery's outcome.

A new user running the demo with no Slack sees here what would have been sent and why it was not.
"""

from __future__ import annotations

import reflex as rx

from heartbeat_app.components.shell import app_shell
from heartbeat_app.pages.route import page
from heartbeat_app.state.alerts import AlertsState
from heartbeat_app.state.shell import ShellState

STATE_COLOR = {"firing": "red", "pending": "amber"}
STATUS_COLOR = {"sent": "grass", "pending": "amber", "retrying": "amber", "dead": "red", "skipped": "gray"}


def _alert(item) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(item["state"], color_scheme=rx.match(item["state"], *STATE_COLOR.items(), "gray"))),
        rx.table.cell(item["kind"]),
        rx.table.cell(rx.cond(item["link"] != "", rx.link(item["title"], href=item["link"]), rx.text(item["title"]))),
        rx.table.cell(item["since"]),
        rx.table.cell(item["ack"]),
        class_name="alert-row",
        data_state=item["state"],
    )


def _alerts_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in ("state", "kind", "what", "since", "")))),
        rx.table.body(rx.foreach(AlertsState.firing, _alert), rx.foreach(AlertsState.pending, _alert)),
        width="100%",
        size="3",
    )


def _delivery(item) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item["channel"]),
        rx.table.cell(item["when"]),
        rx.table.cell(item["title"]),
        rx.table.cell(item["transition"]),
        rx.table.cell(rx.badge(item["status"], color_scheme=rx.match(item["status"], *STATUS_COLOR.items(), "gray"))),
        rx.table.cell(item["attempts"]),
        rx.table.cell(rx.text(item["error"], size="1", color_scheme="gray")),
        class_name="delivery-row",
    )


@page(route="/alerts", title="Heartbeat — alerts", on_load=[ShellState.load_shell, AlertsState.load])
def alerts() -> rx.Component:
    return app_shell(
        rx.vstack(
            rx.heading("Alerts", size="8"),
            rx.cond(AlertsState.config_error != "",
                    rx.callout(AlertsState.config_error, icon="triangle-alert", color_scheme="amber")),
            rx.cond(AlertsState.load_error != "",
                    rx.callout(AlertsState.load_error, icon="triangle-alert", color_scheme="amber")),
            rx.heading("Firing and pending", size="5"),
            rx.cond(
                (AlertsState.firing.length() + AlertsState.pending.length()) > 0,
                _alerts_table(),
                rx.text("Nothing is firing.", size="4", color_scheme="gray", id="nothing-firing"),
            ),
            rx.heading("Silences", size="5"),
            rx.cond(
                AlertsState.silences.length() > 0,
                rx.foreach(AlertsState.silences, lambda s: rx.text(
                    s["what"], " — until ", s["until"], ": ", s["reason"], " (", s["by"], ")", size="3")),
                rx.text("No active silence.", size="3", color_scheme="gray"),
            ),
            rx.heading("Channels", size="5"),
            rx.foreach(AlertsState.channels, lambda c: rx.text(
                rx.el.b(c["name"]), " (", c["type"], "): ", c["configured"], size="3", class_name="channel-row")),
            rx.heading("Recent deliveries", size="5"),
            rx.text("dead letters: ", AlertsState.dead, size="3"),
            rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in (
                    "channel", "when", "what", "transition", "outcome", "attempts", "last error")))),
                rx.table.body(rx.foreach(AlertsState.deliveries, _delivery)),
                width="100%",
            ),
            spacing="4",
            width="100%",
            id="alerts-page",
        )
    )
