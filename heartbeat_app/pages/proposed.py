"""Proposed metrics (/metrics/proposed): what `heartbeat discover` found, ranked, each with its 90 days and backtest.

Never part of the wall: a proposal becomes a metric only through `heartbeat discover promote`.
"""

from __future__ import annotations

import reflex as rx

from heartbeat_app.components.cut_chart import cut_chart
from heartbeat_app.components.shell import app_shell
from heartbeat_app.pages.route import page
from heartbeat_app.state.proposed import ProposedState
from heartbeat_app.state.shell import ShellState


def _proposal(item) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge("#", item["rank"], size="3", color_scheme="gray"),
                rx.heading(item["name"], size="6"),
                rx.cond(item["caught_any"] != "", rx.badge("caught an incident", size="3", color_scheme="grass")),
                rx.cond(item["duplicate"] != "", rx.badge("near-duplicate", size="3", color_scheme="amber")),
                align="center", spacing="3", wrap="wrap",
            ),
            rx.text(item["where"], size="3", color_scheme="gray"),
            rx.text(item["how_to_read"], size="4"),
            cut_chart(ProposedState.figures[item["id"].to(str)], "320px", item["id"].to(str)),
            rx.text(rx.el.b("Backtest: "), item["caught"], ". ", item["false_alarms"], ".", size="4",
                    class_name="proposal-backtest"),
            rx.text(item["judge"], " · now ", item["value"], " · usefulness ", item["usefulness"], size="3",
                    color_scheme="gray"),
            rx.cond(item["duplicate"] != "", rx.text(item["duplicate"], size="3", color_scheme="amber")),
            rx.code(item["promote"], size="3"),
            spacing="2", width="100%",
        ),
        width="100%", class_name="proposal-card", data_proposal=item["id"],
    )


@page(route="/metrics/proposed", title="Heartbeat — proposed metrics",
      on_load=[ShellState.load_shell, ProposedState.load])
def proposed() -> rx.Component:
    return app_shell(
        rx.vstack(
            rx.heading("Proposed metrics", size="8"),
            rx.text("Found by ", rx.code("heartbeat discover"), " in the landed data and backtested over its "
                    "history. None of them is on the wall, in alerts or in MCP until someone promotes it with ",
                    rx.code("heartbeat discover promote <id>"), ".", size="4", color_scheme="gray"),
            rx.text(ProposedState.generated, size="3", color_scheme="gray"),
            rx.cond(ProposedState.problem != "",
                    rx.callout(ProposedState.problem, icon="info", color_scheme="gray", id="no-proposals")),
            rx.foreach(ProposedState.cards, _proposal),
            spacing="4", width="100%", max_width="1400px",
        )
    )
