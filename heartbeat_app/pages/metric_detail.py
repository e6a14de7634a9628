"""A metric's page (`/metrics/<id>`): value, history, definition, computations, change trail, operator edits."""

from __future__ import annotations

import reflex as rx

from heartbeat_app.components.empty_state import empty_state
from heartbeat_app.components.history_chart import history_chart
from heartbeat_app.components.operator_panel import lines_card, operator_card
from heartbeat_app.components.shell import app_shell
from heartbeat_app.pages.route import page
from heartbeat_app.state.detail import DetailState
from heartbeat_app.state.shell import ShellState
from heartbeat_app.state.stars import StarState

STATUS_SCHEME = {"red": "red", "amber": "amber", "green": "grass", "no_data": "gray", "error": "purple"}
# Freshness has its own scale and its own look (the cockpit's chip, with a clock), so a stale
# value never reads as a bad value.
FRESHNESS_ICON = {"fresh": "clock", "late": "clock-alert", "stale": "clock-alert", "unknown": "circle-help"}


def _scheme(value, mapping: dict[str, str], default: str = "gray") -> rx.Var:
    return rx.match(value, *mapping.items(), default)


H = DetailState.header


# ── header ──────────────────────────────────────────────────────────────────────────────

def _status_badge() -> rx.Component:
    return rx.badge(
        H["status_label"],
        color_scheme=_scheme(H["status"], STATUS_SCHEME),
        variant="solid",
        size="3",
        font_size="1.5rem",
        padding_x="0.9rem",
        padding_y="0.35rem",
        font_weight="700",
        id="detail-status",
        data_status=H["status"],
    )


def _freshness_chip() -> rx.Component:
    """The cockpit's freshness chip (class ``hb-fresh``: grey, yellow, hatched orange), larger."""
    return rx.el.span(
        rx.match(
            H["freshness"],
            *((name, rx.icon(icon, size=20)) for name, icon in FRESHNESS_ICON.items()),
            rx.icon("clock", size=20),
        ),
        rx.el.b(H["freshness"]),
        rx.el.span(H["freshness_text"]),
        class_name="hb-fresh",
        data_freshness=H["freshness"],
        id="detail-freshness",
        display="inline-flex",
        align_items="center",
        gap="0.5rem",
        font_size="1.15rem",
        padding="0.3rem 0.8rem",
        border=f"1px solid {rx.color('gray', 7)}",
    )


def _meta(icon: str, *children, **props) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=22, color=rx.color("gray", 11)),
        rx.text(*children, size="5", color_scheme="gray", high_contrast=True),
        align="center",
        spacing="2",
        **props,
    )


def _star_button() -> rx.Component:
    """Star this metric into this browser's own list (``/?watchlist=starred``); nothing goes to the server."""
    starred = StarState.starred_list.contains(DetailState.requested_id)
    return rx.button(
        rx.cond(starred, rx.icon("star", size=20, fill="currentColor"), rx.icon("star", size=20)),
        rx.cond(starred, "starred", "star"),
        on_click=StarState.toggle_star(DetailState.requested_id),
        variant=rx.cond(starred, "solid", "soft"), color_scheme="amber", size="3", id="star-button",
        data_starred=rx.cond(starred, "yes", "no"),
    )


def _identity() -> rx.Component:
    """Left of the header: the way back, the name, status, freshness and verification, who and when."""
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=20), rx.text("Cockpit"), align="center", spacing="1"),
                href="/", size="4", color_scheme="gray", id="back-to-cockpit"),
        rx.heading(H["name"], size="9", weight="bold", id="detail-name", line_height="1.05"),
        rx.hstack(
            _status_badge(),
            _freshness_chip(),
            rx.cond(
                H["verification_state"] == "verified",
                rx.badge(rx.icon("badge-check", size=20), H["verification"], color_scheme="grass",
                         variant="soft", size="3", font_size="1.15rem", id="detail-verification"),
                rx.badge(rx.icon("shield-question", size=20), "unverified", color_scheme="orange",
                         variant="soft", size="3", font_size="1.15rem", id="detail-verification"),
            ),
            _star_button(),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.hstack(
            _meta("user", H["owner"], id="detail-owner"),
            _meta("calendar-range", H["period"], " · ", H["direction"]),
            _meta("cpu", "computed ", H["computed_age"], title=H["computed_at"]),
            spacing="6",
            wrap="wrap",
        ),
        spacing="3",
        align="start",
    )


def _value() -> rx.Component:
    """Right of the header: the value, large, in its status colour, and what judges it."""
    return rx.vstack(
        rx.text(
            H["value"],
            font_size="6.5rem",
            font_weight="800",
            line_height="1",
            letter_spacing="-0.02em",
            color=rx.match(
                H["status"],
                ("red", rx.color("red", 10)),
                ("amber", rx.color("amber", 10)),
                rx.color("gray", 12),
            ),
            id="detail-value",
        ),
        rx.cond(
            H["crossed"] != "",
            rx.text(H["crossed"], size="6", weight="medium",
                    color=rx.cond(H["status"] == "red", rx.color("red", 11), rx.color("amber", 11)),
                    id="detail-crossed", text_align="right"),
        ),
        rx.cond(H["target"] != "", rx.text(H["target"], size="5", color=rx.color("grass", 11))),
        rx.cond(
            H["error"] != "",
            rx.text("last computation failed: ", H["error"], size="4", color=rx.color("purple", 11),
                    max_width="40rem", text_align="right", id="detail-error"),
        ),
        align="end",
        spacing="2",
    )


def header() -> rx.Component:
    return rx.hstack(_identity(), rx.spacer(), _value(), width="100%", align="start", spacing="6")


# ── definition, computations, change trail ──────────────────────────────────────────────

def _prose(title: str, body, element_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="5"),
            rx.cond(
                body != "",
                rx.text(body, size="4", white_space="pre-wrap", line_height="1.5"),
                rx.text("Not written yet — add it to the metric's file.", size="4", color_scheme="gray"),
            ),
            spacing="2",
        ),
        size="3",
        height="100%",
        id=element_id,
    )


def facts_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Definition", size="5"),
            rx.foreach(
                DetailState.facts,
                lambda fact: rx.hstack(
                    rx.text(fact["label"], size="3", color_scheme="gray", min_width="9rem"),
                    rx.text(fact["value"], size="3"),
                    align="start",
                ),
            ),
            spacing="2",
        ),
        size="3",
        width="100%",
        id="detail-facts",
    )


def _table(title: str, columns: list[str], rows, cells, element_id: str, empty: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="5"),
            rx.cond(
                rows.length() > 0,
                rx.table.root(
                    rx.table.header(rx.table.row(*(rx.table.column_header_cell(c) for c in columns))),
                    rx.table.body(rx.foreach(rows, lambda row: rx.table.row(*cells(row)))),
                    size="2",
                    width="100%",
                ),
                rx.text(empty, size="3", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
        id=element_id,
    )


def computations_card() -> rx.Component:
    return _table(
        "Last computations",
        ["Day", "Value", "Status", "Computed", "Took", "Error"],
        DetailState.computations,
        lambda row: (
            rx.table.cell(row["day"], white_space="nowrap"),
            rx.table.cell(row["value"], white_space="nowrap"),
            rx.table.cell(row["status"], color=rx.match(
                row["status"], ("red", rx.color("red", 11)), ("amber", rx.color("amber", 11)),
                ("error", rx.color("purple", 11)), rx.color("gray", 11))),
            rx.table.cell(row["computed_at"], white_space="nowrap"),
            rx.table.cell(row["duration"]),
            rx.table.cell(row["error"], color=rx.color("purple", 11)),
        ),
        "detail-computations",
        "Not computed yet.",
    )


def changes_card() -> rx.Component:
    return _table(
        "Change history",
        ["Field", "Old → new", "Who", "When", "Note"],
        DetailState.changes,
        lambda row: (
            rx.table.cell(row["field"], weight="medium"),
            rx.table.cell(row["old"], " → ", row["new"]),
            rx.table.cell(row["who"]),
            rx.table.cell(row["when"], white_space="nowrap"),
            rx.table.cell(row["note"], color_scheme="gray"),
        ),
        "detail-changes",
        "No changes recorded.",
    )


def cuts_card() -> rx.Component:
    """The audit cuts that explain this metric: the way from "what" to "why"."""
    return rx.card(
        rx.vstack(
            rx.heading("Explained by", size="5"),
            rx.cond(
                DetailState.cuts.length() > 0,
                rx.foreach(DetailState.cuts, lambda c: rx.vstack(
                    rx.link(rx.hstack(rx.icon("chart-no-axes-combined", size=20), rx.text(c["title"], size="4",
                                                                                           weight="medium"),
                                      align="center", spacing="2"),
                            href=c["href"], class_name="metric-cut-link", data_cut=c["id"]),
                    rx.text("audit · ", c["page"], " · ", c["freshness_text"], size="2", color_scheme="gray"),
                    spacing="1",
                )),
                rx.text("No audit cut explains this metric yet.", size="3", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
        id="detail-cuts",
    )


# ── the page ────────────────────────────────────────────────────────────────────────────

def detail() -> rx.Component:
    return rx.vstack(
        header(),
        rx.grid(
            rx.vstack(
                rx.card(history_chart(DetailState.figure), size="2", width="100%"),
                rx.grid(
                    _prose("How to read", DetailState.how_to_read, "detail-how-to-read"),
                    _prose("Methodology", DetailState.methodology, "detail-methodology"),
                    _prose("Sources", DetailState.sources, "detail-sources"),
                    columns="3",
                    spacing="4",
                    width="100%",
                ),
                changes_card(),
                computations_card(),
                spacing="4",
                width="100%",
            ),
            rx.vstack(lines_card(), cuts_card(), operator_card(), facts_card(), spacing="4", width="100%"),
            columns="minmax(0, 3fr) minmax(24rem, 1fr)",
            spacing="4",
            align_items="start",
            width="100%",
        ),
        spacing="5",
        width="100%",
        id="metric-detail",
        data_metric=H["id"],
    )


def not_found() -> rx.Component:
    return empty_state(
        "search-x", "No such metric",
        "There is no active metric “", DetailState.requested_id, "”. It may have been retired, renamed, or never existed.",
        link=("← Back to the cockpit", "/"),
        element_id="not-found",
        link_id="not-found-back",
        large=True,
    )


@page(route="/metrics/[metric_id]", title="Heartbeat — metric",
         on_load=[DetailState.load, DetailState.probe_operator, ShellState.load_shell])
def metric_detail() -> rx.Component:
    return app_shell(
        rx.cond(
            DetailState.load_error != "",
            rx.callout(DetailState.load_error, icon="triangle-alert", color_scheme="amber", size="2",
                       margin_bottom="1rem", id="detail-load-error"),
        ),
        rx.cond(
            DetailState.loaded,
            rx.cond(DetailState.found, detail(), not_found()),
            rx.center(rx.spinner(size="3"), padding_top="20vh", width="100%"),
        ),
    )
