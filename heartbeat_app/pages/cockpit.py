"""The cockpit: the wall. Red first and largest, then amber, errors and no-data; green fades."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors

from heartbeat_app.components.banner import banner
from heartbeat_app.components.empty_state import empty_state
from heartbeat_app.components.live_header import live_header
from heartbeat_app.pages.route import page
from heartbeat_app.state.cockpit import CockpitState
from heartbeat_app.state.operator import OperatorState

KIOSK_HINT = "/?kiosk=1"


def sparkline(item) -> rx.Component:
    return rx.el.svg(
        rx.el.svg.path(d=item["alert_line"], class_name="alert"),
        rx.el.svg.path(d=item["norm_line"], class_name="norm"),
        rx.el.svg.path(d=item["spark"], class_name="line"),
        view_box="0 0 100 30",
        preserve_aspect_ratio="none",
        class_name="hb-spark",
    )


def freshness_chip(item) -> rx.Component:
    return rx.el.span(item["freshness_text"], class_name="hb-fresh", data_freshness=item["freshness"])


def _meta(item) -> rx.Component:
    return rx.el.div(
        rx.cond(item["mark"] != "", rx.el.span(item["mark"], class_name="hb-mark")),
        rx.el.span(item["period"]),
        freshness_chip(item),
        rx.cond(item["unverified"] != "", rx.el.span("◌ unverified")),
        rx.el.span(item["owner"]),
        class_name="hb-meta",
    )


def cut_link(item) -> rx.Component:
    """The first audit cut that explains a red or amber tile: one click to the why (not on a kiosk TV)."""
    return rx.cond(
        (item["cut_href"] != "") & ~CockpitState.kiosk,
        rx.link(rx.icon("chart-no-axes-combined", size=18), "Why? ", item["cut_title"], href=item["cut_href"],
                class_name="hb-cut-link tile-cut-link", data_metric=item["id"], color_scheme="gray",
                high_contrast=True),
    )


def attention_tile(item, big: bool = False) -> rx.Component:
    """A tile that wants attention: value, the line crossed and by how much, 30-day sparkline; its cut below."""
    return rx.el.div(_tile_body(item, big), cut_link(item), class_name="hb-tile-wrap")


def _tile_body(item, big: bool) -> rx.Component:
    return rx.link(
        rx.el.div(
            rx.el.div(item["name"], class_name="hb-name"),
            rx.el.div(item["value"], class_name="hb-value"),
            rx.cond(item["crossed"] != "", rx.el.div(item["crossed"], class_name="hb-crossed")),
            rx.cond(item["error"] != "", rx.el.div("computation failed: ", item["error"], class_name="hb-error")),
            sparkline(item),
            _meta(item),
            class_name="hb-tile metric-tile" + (" hb-big" if big else ""),
            data_status=item["status"],
            data_metric=item["id"],
        ),
        href="/metrics/" + item["id"],
        underline="none",
        color="inherit",
    )


def green_tile(item) -> rx.Component:
    """A quiet tile: name and value, faded; freshness still shows when it is not fresh."""
    return rx.link(
        rx.el.div(
            rx.el.div(item["name"], class_name="hb-name"),
            rx.hstack(
                rx.el.div(item["value"], class_name="hb-value"),
                rx.cond(item["target_hit"] != "", rx.badge("target hit", color_scheme="grass", size="1")),
                align="center",
                spacing="2",
            ),
            rx.cond(item["freshness"] != "fresh", rx.el.div(freshness_chip(item))),
            class_name="hb-tile metric-tile",
            data_status=item["status"],
            data_metric=item["id"],
            data_target_hit=item["target_hit"],
        ),
        href="/metrics/" + item["id"],
        underline="none",
        color="inherit",
    )


def green_strip() -> rx.Component:
    return rx.hstack(
        rx.badge(CockpitState.green_count.to_string() + " OK", color_scheme="grass", size="3"),
        rx.text(rx.foreach(CockpitState.green, lambda item: rx.el.span(item["name"], " · ")),
                size="2", color_scheme="gray", trim="both"),
        id="green-strip",
        align="center",
        spacing="3",
        opacity="0.6",
    )


def banners() -> rx.Component:
    return rx.vstack(
        banner(has_connection_errors, "Connection lost — showing the values of ", CockpitState.updated_at,
               "; reconnecting by itself", element_id="connection-lost"),
        banner(CockpitState.db_error != "", CockpitState.db_error, element_id="db-error"),
        banner(CockpitState.frozen != "", CockpitState.frozen, element_id="frozen-banner", tone="frozen"),
        width="100%",
        spacing="2",
    )


def no_metrics() -> rx.Component:
    return empty_state(
        "gauge", "No metrics yet",
        "Add a metric: write one file metrics/<metric_id>.sql (a config header and the SQL), "
        "then run `heartbeat metrics sync`.",
        link=("How to add a metric →", "/docs/metrics"),
        element_id="empty-state",
    )


def wall() -> rx.Component:
    return rx.vstack(
        rx.cond(CockpitState.red.length() > 0,
                rx.el.div(rx.foreach(CockpitState.red, lambda item: attention_tile(item, big=True)),
                          class_name="hb-grid-red", id="red-tiles")),
        rx.cond(CockpitState.attention.length() > 0,
                rx.el.div(rx.foreach(CockpitState.attention, lambda item: attention_tile(item)),
                          class_name="hb-grid-attention", id="attention-tiles")),
        rx.cond(CockpitState.pages > 1,
                rx.text("page ", (CockpitState.page + 1).to_string(), " of ", CockpitState.pages.to_string(),
                        size="2", color_scheme="gray")),
        rx.cond(
            CockpitState.green_strip,
            green_strip(),
            rx.el.div(rx.foreach(CockpitState.green, lambda item: green_tile(item)), class_name="hb-grid-green", id="green-tiles"),
        ),
        spacing="4",
        width="100%",
    )


@page(route="/", title="Heartbeat — cockpit",
         on_load=[CockpitState.open_page, OperatorState.probe_operator, CockpitState.run_loop])
def cockpit() -> rx.Component:
    return rx.vstack(
        rx.cond(~CockpitState.kiosk, live_header()),
        rx.box(banners(), padding="0.75rem 2rem 0 2rem", width="100%"),
        rx.box(
            rx.cond(
                CockpitState.total > 0,
                wall(),
                rx.cond(CockpitState.loaded, no_metrics(), rx.spinner(size="3")),
            ),
            class_name=rx.cond(
                has_connection_errors | (CockpitState.db_error != ""),
                "hb-wall hb-stale-wall",
                rx.cond(CockpitState.dim, "hb-wall hb-dim", "hb-wall"),
            )
            + " hb-shift-" + CockpitState.shift.to_string(),
            padding="1.25rem 2rem",
            width="100%",
            id="wall",
        ),
        spacing="0",
        min_height="100vh",
        width="100%",
    )
