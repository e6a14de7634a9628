"""The watchlists page (/watchlists): each team's screen and what it shows; operators create and edit them;
anyone sees the metrics starred in this browser."""

from __future__ import annotations

import reflex as rx

from heartbeat_app.components.shell import app_shell
from heartbeat_app.pages.route import page
from heartbeat_app.state.operator import BROWSER_TOKEN
from heartbeat_app.state.shell import ShellState
from heartbeat_app.state.stars import StarState
from heartbeat_app.state.watchlists import WatchlistState as W


def _row(item) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(item["name"], weight="bold"), rx.text(item["title"], size="2", color_scheme="gray")),
        rx.table.cell(item["metrics"]),
        rx.table.cell(item["tags"]),
        rx.table.cell(item["owners"]),
        rx.table.cell(rx.link(rx.hstack(rx.icon("tv", size=16), rx.text("open screen"), align="center", spacing="1"),
                              href=item["screen"], class_name="watchlist-open")),
        rx.table.cell(rx.text(item["updated"], size="2", color_scheme="gray")),
        rx.table.cell(rx.cond(W.operator, rx.hstack(
            rx.button(rx.icon("pencil", size=14), "Edit", size="1", variant="soft", on_click=W.edit(item["name"]),
                      class_name="watchlist-edit"),
            rx.button(rx.icon("trash-2", size=14), "Delete", size="1", variant="soft", color_scheme="red",
                      on_click=W.delete(item["name"], BROWSER_TOKEN), class_name="watchlist-delete"),
            spacing="2"))),
        class_name="watchlist-row",
        data_name=item["name"],
    )


def _table() -> rx.Component:
    return rx.cond(
        W.rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in (
                "watchlist", "metrics", "tags", "owners", "screen", "last change", "")))),
            rx.table.body(rx.foreach(W.rows, _row)),
            width="100%", size="3", id="watchlist-table",
        ),
        rx.text("No watchlist yet. Every screen shows the whole wall.", size="4", color_scheme="gray",
                id="no-watchlists"),
    )


def _box(name: str, label: str, placeholder: str, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="3", weight="medium", color_scheme="gray"),
        rx.input(name=name, default_value=W.form[name], key=W.form_version.to_string() + name,
                 placeholder=placeholder, size="3", id=f"watchlist-{name}", width="100%"),
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        spacing="1", width="100%",
    )


def _editor() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Create or change a watchlist", size="5"),
                rx.grid(
                    _box("name", "Name (in the screen's address)", "aml-team"),
                    _box("title", "Title on the screen (optional)", "AML team"),
                    _box("metrics", "Metrics (ids, comma-separated)", "aml_backlog_checks, aml_throughput_ratio_7d"),
                    _box("tags", "Tags (every metric carrying one)", "aml"),
                    _box("owners", "Owners (every metric they look after)", "aml@example.com"),
                    columns="2", spacing="4", width="100%",
                ),
                rx.text("A metric is on the watchlist when it is listed, carries one of the tags or one of the "
                        "owners looks after it. Saving a name that exists replaces it.", size="2",
                        color_scheme="gray"),
                rx.button(rx.icon("save", size=16), "Save watchlist", type="submit", size="3", id="watchlist-save"),
                spacing="3", width="100%",
            ),
            on_submit=lambda data: W.save(data, BROWSER_TOKEN),
            width="100%",
        ),
        size="3", width="100%",
    )


def _unlock() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.icon("lock", size=20),
            rx.text("Operators create and edit watchlists:", size="3"),
            rx.input(name="token", type="password", placeholder="operator token", size="2", auto_complete="off",
                     id="operator-token"),
            rx.button("Unlock", type="submit", size="2", id="operator-unlock"),
            align="center", spacing="3",
        ),
        on_submit=W.unlock, reset_on_submit=True,
    )


def _starred() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.icon("star", size=22), rx.heading("Starred in this browser", size="5"), align="center",
                  spacing="2"),
        rx.cond(
            StarState.starred_list.length() > 0,
            rx.vstack(
                rx.hstack(rx.foreach(StarState.starred_list, lambda mid: rx.badge(
                    rx.link(mid, href="/metrics/" + mid), size="3", variant="soft", class_name="starred-metric")),
                    wrap="wrap", spacing="2"),
                rx.link(rx.hstack(rx.icon("tv", size=16), rx.text("open the starred screen"), align="center",
                                  spacing="1"), href="/?watchlist=starred", id="starred-screen"),
                spacing="2",
            ),
            rx.text("Nothing starred yet: star a metric on its page. Stars stay in this browser only.",
                    size="3", color_scheme="gray", id="no-stars"),
        ),
        spacing="2", width="100%",
    )


@page(route="/watchlists", title="Heartbeat — watchlists",
      on_load=[ShellState.load_shell, W.probe_operator, W.load])
def watchlists_page() -> rx.Component:
    return app_shell(
        rx.vstack(
            rx.heading("Watchlists", size="8"),
            rx.text("Each team's screen shows its watchlist, plus every red metric elsewhere in a strip. "
                    "Open a screen on a TV with ", rx.code("/?watchlist=<name>&kiosk=1"), ".", size="4"),
            rx.cond(W.load_error != "", rx.callout(W.load_error, icon="triangle-alert", color_scheme="amber")),
            _table(),
            rx.cond(W.message != "", rx.callout(W.message, icon="triangle-alert", color_scheme="red",
                                                id="watchlist-message")),
            rx.cond(W.saved != "", rx.callout(W.saved, icon="check", color_scheme="grass", id="watchlist-saved")),
            rx.cond(W.operator, _editor(), _unlock()),
            rx.cond(~W.operator & (W.operator_message != ""), rx.text(W.operator_message, color_scheme="red")),
            _starred(),
            spacing="5", width="100%", id="watchlists-page",
        )
    )
