"""The audit pages: `/audit` (overview), `/audit/clients`, `/audit/journeys` — one component, three routes.

Each cut is a section with an anchor (``/audit/clients#collateral_arrears``):
prose, the chart of the chosen window, prose, its freshness, verification and
owner, and the live tiles of the metrics it explains.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from heartbeat_app.components.cut_chart import cut_chart
from heartbeat_app.components.empty_state import empty_state
from heartbeat_app.components.shell import app_shell
from heartbeat_app.display.audit import PAGE_INTROS, PAGE_ROUTES, PAGE_TITLES
from heartbeat_app.pages.route import page
from heartbeat_app.state.audit import AuditState
from heartbeat_app.state.operator import BROWSER_TOKEN
from heartbeat_app.state.shell import ShellState

PAGE_LABELS = {"overview": "Overview", "clients": "Clients", "journeys": "Journeys"}
FRESH_SCHEME = {"fresh": "gray", "stale": "amber", "never": "red"}


def _page_tabs() -> rx.Component:
    return rx.hstack(
        *(rx.link(label, href=PAGE_ROUTES[name], size="5", weight="bold",
                  color_scheme=rx.cond(AuditState.page_name == name, "iris", "gray"),
                  underline=rx.cond(AuditState.page_name == name, "always", "hover"),
                  id=f"audit-tab-{name}")
          for name, label in PAGE_LABELS.items()),
        spacing="6",
    )


def _metric_tile(t) -> rx.Component:
    return rx.link(
        rx.el.div(
            rx.el.span(t["name"], class_name="hb-cut-tile-name"),
            rx.el.span(t["value"], class_name="hb-cut-tile-value"),
            class_name="hb-tile hb-cut-tile",
            data_status=t["status"],
            data_metric=t["id"],
        ),
        href=t["href"],
        underline="none",
        color="inherit",
    )


def _marks(item) -> rx.Component:
    return rx.hstack(
        rx.badge(rx.icon("clock", size=16), item["freshness_text"].to(str), size="3", variant="soft",
                 color_scheme=rx.match(item["freshness"].to(str), *FRESH_SCHEME.items(), "gray"),
                 class_name="cut-freshness", data_freshness=item["freshness"].to(str)),
        rx.badge(rx.cond(item["verification_state"].to(str) == "verified", rx.icon("badge-check", size=16),
                         rx.icon("circle-dashed", size=16)),
                 item["verification"].to(str), size="3", variant="soft",
                 color_scheme=rx.cond(item["verification_state"].to(str) == "verified", "grass", "gray"),
                 class_name="cut-verification", data_state=item["verification_state"].to(str)),
        rx.badge(rx.icon("user", size=16), rx.cond(item["owner"].to(str) != "", item["owner"].to(str), "no owner"), size="3",
                 variant="soft", color_scheme="gray", class_name="cut-owner"),
        spacing="2",
        wrap="wrap",
    )


def _window_switcher(item) -> rx.Component:
    return rx.segmented_control.root(
        rx.foreach(item["windows"].to(list[str]), lambda w: rx.segmented_control.item(w, value=w)),
        value=item["window"].to(str),
        on_change=lambda value: AuditState.set_window(item["id"].to(str), value),
        size="3",
        class_name="cut-windows",
    )


def _operator_edits(item) -> rx.Component:
    return rx.hstack(
        rx.text("Owner", size="3", color_scheme="gray"),
        rx.input(
            default_value=item["owner"].to(str),
            key=AuditState.version.to_string() + item["id"].to(str),
            on_blur=lambda value: AuditState.save_owner(item["id"].to(str), value, BROWSER_TOKEN),
            placeholder="owner@example.com",
            type="email",
            size="3",
            class_name="cut-edit-owner",
            width="22rem",
        ),
        rx.segmented_control.root(
            rx.segmented_control.item("Verified", value="verified"),
            rx.segmented_control.item("Unverified", value="unverified"),
            value=item["verification_state"].to(str),
            on_change=lambda value: AuditState.save_verification(item["id"].to(str), value, BROWSER_TOKEN),
            size="3",
            class_name="cut-edit-verification",
        ),
        rx.cond(AuditState.messages[item["id"].to(str)].to(str) != "",
                rx.text(AuditState.messages[item["id"].to(str)].to(str), size="3", class_name="cut-message")),
        align="center",
        spacing="3",
        wrap="wrap",
    )


def _cut_table(item) -> rx.Component:
    """A table cut: large, the highlighted column (the one to act on) bold."""
    table = item["table"].to(dict)
    columns = table["columns"].to(list[dict[str, Any]])
    return rx.vstack(
        rx.table.root(
            rx.table.header(rx.table.row(rx.foreach(columns, lambda c: rx.table.column_header_cell(
                c["name"].to(str), text_align=c["align"].to(str), font_size="1.1rem")))),
            rx.table.body(rx.foreach(table["rows"].to(list[list[dict[str, str]]]), lambda row: rx.table.row(
                rx.foreach(row, lambda cell, i: rx.table.cell(
                    cell["text"], text_align=cell["align"], font_size="1.2rem",
                    font_weight=rx.cond(columns[i]["highlight"].to(bool), "700", "400")))))),
            size="2",
            variant="surface",
            width="100%",
            class_name="cut-table",
        ),
        rx.cond(table["more"].to(str) != "", rx.text(table["more"].to(str), size="3", color_scheme="gray")),
        spacing="2",
        width="100%",
        class_name="hb-cut-chart",
        data_cut=item["id"].to(str),
    )


def cut_section(item) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(rx.heading(item["title"].to(str), size="7"), href=item["href"].to(str), color="inherit", underline="hover"),
                rx.spacer(),
                _window_switcher(item),
                align="center",
                width="100%",
            ),
            _marks(item),
            rx.box(rx.markdown(item["prose_before"].to(str)), class_name="hb-prose"),
            rx.cond(item["headline"].to(str) != "", rx.text(item["headline"].to(str), size="6", weight="bold",
                                                    class_name="cut-headline")),
            rx.cond(item["error"].to(str) != "",
                    rx.callout("Last computation failed: " + item["error"].to(str), icon="triangle-alert",
                               color_scheme="purple", size="1", class_name="cut-error")),
            rx.cond(item["empty"].to(str) == "",
                    rx.cond(item["table"].to(dict).length() > 0, _cut_table(item),
                            cut_chart(AuditState.figures[item["id"].to(str)], item["chart_height"].to(str),
                                      item["id"].to(str))),
                    rx.text(item["empty"].to(str), size="5", color_scheme="gray")),
            rx.box(rx.markdown(item["prose_after"].to(str)), class_name="hb-prose"),
            rx.cond(item["tiles"].to(list).length() > 0,
                    rx.vstack(
                        rx.text("Explains", size="3", color_scheme="gray", weight="medium"),
                        rx.el.div(rx.foreach(item["tiles"].to(list[dict[str, str]]), _metric_tile),
                                  class_name="hb-cut-tiles"),
                        spacing="1",
                        width="100%",
                    )),
            rx.cond(AuditState.operator, _operator_edits(item)),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
        id=item["id"].to(str),
        class_name="audit-cut",
        data_cut=item["id"].to(str),
    )


def _unlock() -> rx.Component:
    return rx.cond(
        AuditState.operator,
        rx.hstack(rx.icon("lock-open", size=20, color=rx.color("grass", 10)),
                  rx.text("Operator mode: owner and verification are editable below each cut.", size="3"),
                  rx.button("Lock", on_click=AuditState.lock, variant="soft", color_scheme="gray", size="2",
                            id="operator-lock"),
                  align="center", spacing="3", id="operator-controls"),
        rx.form(
            rx.hstack(
                rx.icon("lock", size=20),
                rx.input(name="token", type="password", placeholder="operator token", size="2",
                         auto_complete="off", id="operator-token", width="16rem"),
                rx.button("Unlock edits", type="submit", size="2", id="operator-unlock", variant="soft"),
                rx.cond(AuditState.operator_message != "",
                        rx.text(AuditState.operator_message, color_scheme="red", size="2", id="operator-message")),
                align="center",
                spacing="2",
            ),
            on_submit=AuditState.unlock,
            reset_on_submit=True,
        ),
    )


def _contents() -> rx.Component:
    return rx.cond(
        AuditState.cuts.length() > 0,
        rx.vstack(rx.foreach(AuditState.cuts, cut_section), spacing="6", width="100%", id="audit-cuts"),
        rx.cond(
            AuditState.loaded,
            empty_state("chart-no-axes-combined", "No cuts on this page yet",
                        "Add a cut: one file cuts/<cut_id>.py (META and compute), then run "
                        "`heartbeat cuts sync` and `heartbeat cuts refresh`.",
                        link=("How to add a cut →", "/docs/audit"), element_id="audit-empty"),
            rx.center(rx.spinner(size="3"), padding_top="20vh", width="100%"),
        ),
    )


def audit_page() -> rx.Component:
    """The one component of the three pages; the state knows which page from the address."""
    return app_shell(
        rx.vstack(
            rx.hstack(
                rx.heading(rx.match(AuditState.page_name, *PAGE_TITLES.items(), "Audit"), size="8", white_space="nowrap"),
                rx.spacer(),
                _unlock(),
                align="center",
                width="100%",
            ),
            rx.hstack(_page_tabs(), rx.text(rx.match(AuditState.page_name, *PAGE_INTROS.items(), ""), size="4",
                                            color_scheme="gray"), spacing="6", align="center"),
            rx.cond(AuditState.load_error != "",
                    rx.callout(AuditState.load_error, icon="triangle-alert", color_scheme="amber", size="2",
                               id="audit-load-error")),
            _contents(),
            spacing="5",
            width="100%",
            max_width="1800px",
            margin_x="auto",
            id="audit-page",
            data_page=AuditState.page_name,
        )
    )


_ON_LOAD = [AuditState.load, AuditState.probe_operator, ShellState.load_shell]



@page(route=PAGE_ROUTES["overview"], title="Heartbeat — audit", on_load=_ON_LOAD)
def audit() -> rx.Component:
    return audit_page()


@page(route=PAGE_ROUTES["clients"], title="Heartbeat — audit: clients", on_load=_ON_LOAD)
def audit_clients() -> rx.Component:
    return audit_page()


@page(route=PAGE_ROUTES["journeys"], title="Heartbeat — audit: journeys", on_load=_ON_LOAD)
def audit_journeys() -> rx.Component:
    return audit_page()
