"""The OKR board (/okr): each target's pace to its due date, grouped by owner (or by tag), readable across a room.

Pace is its own scale, in its own colours and words: a green tile can be off track, a red one on pace.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from heartbeat_app.components.empty_state import empty_state
from heartbeat_app.components.shell import app_shell
from heartbeat_app.pages.route import page
from heartbeat_app.state.okr import OkrState
from heartbeat_app.state.shell import ShellState


def progress_bar(item) -> rx.Component:
    """Filled to the share of the way covered; a tick where the pace line says it should be today."""
    return rx.el.div(
        rx.el.div(class_name="hb-okr-fill", style={"width": item["progress"] + "%"}),
        rx.cond(item["expected_progress"] != "",
                rx.el.div(class_name="hb-okr-tick", style={"left": item["expected_progress"] + "%"})),
        class_name="hb-okr-bar",
        role="progressbar",
        aria_valuenow=item["progress"],
        aria_valuemin="0",
        aria_valuemax="100",
        aria_label=item["progress"] + "% of the way to the target",
    )


def target_card(item) -> rx.Component:
    return rx.link(
        rx.el.div(
            rx.el.div(
                rx.el.span(item["name"], class_name="hb-okr-name"),
                rx.el.span(item["label"], class_name="hb-okr-state okr-state"),
                class_name="hb-okr-top",
            ),
            rx.el.div(
                rx.el.span(item["value"], class_name="hb-okr-value"),
                rx.el.span(" → ", item["target"], class_name="hb-okr-target"),
                rx.el.span(item["progress"], "%", class_name="hb-okr-pct"),
                class_name="hb-okr-numbers",
            ),
            progress_bar(item),
            rx.cond(item["projection"] != "", rx.el.div(item["projection"], class_name="hb-okr-line okr-projection")),
            rx.el.div(
                rx.el.span(item["due"], class_name="okr-due"), " · ", item["days"],
                rx.cond(item["start"] != "", rx.el.span(" · ", item["start"])),
                class_name="hb-okr-line hb-okr-quiet",
            ),
            class_name="hb-okr-card okr-target",
            data_pace=item["state"],
            data_metric=item["id"],
        ),
        href=item["href"],
        underline="none",
        color="inherit",
    )


def group(item) -> rx.Component:
    return rx.el.section(
        rx.el.h2(item["name"], rx.el.span(item["count"], class_name="hb-okr-count"), class_name="hb-okr-group-name"),
        rx.foreach(item["items"].to(list[dict[str, str]]), target_card),
        class_name="hb-okr-group okr-group",
        data_group=item["name"],
    )


def heading() -> rx.Component:
    return rx.hstack(
        rx.heading("Targets", size="8"),
        rx.text(OkrState.today, size="5", color_scheme="gray", id="okr-today"),
        rx.hstack(rx.foreach(OkrState.counts, lambda c: rx.el.span(c["text"], class_name="hb-okr-chip",
                                                                   data_pace=c["state"])),
                  spacing="3", id="okr-counts"),
        rx.spacer(),
        rx.segmented_control.root(
            rx.segmented_control.item("by owner", value="owner"),
            rx.segmented_control.item("by tag", value="tag"),
            value=OkrState.by,
            on_change=OkrState.group_by,
            size="3",
            id="okr-group-by",
        ),
        align="center",
        spacing="5",
        width="100%",
    )


@page(route="/okr", title="Heartbeat — targets", on_load=[ShellState.load_shell, OkrState.load, OkrState.keep_fresh])
def okr() -> rx.Component:
    return app_shell(
        rx.vstack(
            heading(),
            rx.cond(OkrState.load_error != "",
                    rx.callout(OkrState.load_error, icon="triangle-alert", color_scheme="amber")),
            rx.cond(
                OkrState.columns.length() > 0,
                rx.el.div(
                    rx.foreach(OkrState.columns, lambda column: rx.el.div(
                        rx.foreach(column.to(list[dict[str, Any]]), group), class_name="hb-okr-column")),
                    class_name="hb-okr-board",
                    id="okr-board",
                ),
                rx.cond(
                    OkrState.loaded,
                    empty_state(
                        "target", "No targets yet",
                        "Give a metric a target and a due date (target: and target_due_date: in its file, or "
                        "in operator mode on its page) and its pace shows here.",
                        link=("How pace is judged →", "/docs/okr"),
                        element_id="okr-empty",
                    ),
                    rx.spinner(size="3"),
                ),
            ),
            spacing="4",
            width="100%",
            id="okr-page",
        )
    )
