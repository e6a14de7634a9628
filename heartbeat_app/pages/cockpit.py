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


def mark_icon(kind) -> rx.Component:
    """The alert mark's glyph from the icon set: emoji need fonts a TV's browser may not have."""
    return rx.match(
        kind,
        ("firing", rx.icon("bell-ring", size=16)),
        ("silenced", rx.icon("bell-off", size=16)),
        ("acknowledged", rx.icon("check", size=16)),
        ("pending", rx.icon("hourglass", size=16)),
        rx.fragment(),
    )


def _meta(item) -> rx.Component:
    return rx.el.div(
        rx.cond(item["mark"] != "", rx.el.span(mark_icon(item["mark_kind"]), item["mark"], class_name="hb-mark",
                                               data_mark=item["mark_kind"])),
        rx.el.span(item["period"]),
        freshness_chip(item),
        rx.cond(item["unverified"] != "",
                rx.el.span(rx.icon("circle-dashed", size=14), "unverified", class_name="hb-unverified")),
        rx.el.span(item["owner"], class_name="hb-owner"),
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
    return rx.el.div(
        rx.badge(CockpitState.green_count.to_string() + " OK", color_scheme="grass", size="3"),
        rx.el.div(rx.foreach(CockpitState.green, lambda item: rx.el.span(item["name"], " · ")),
                  class_name="hb-strip-names"),
        id="green-strip",
        class_name="hb-strip hb-green-strip",
    )


def elsewhere_strip() -> rx.Component:
    """On a watchlist screen: every red outside the watchlist, compact, so a team screen never hides one."""
    return rx.el.div(
        rx.badge(rx.icon("triangle-alert", size=16), "Elsewhere: " + CockpitState.elsewhere.length().to_string()
                 + " red", color_scheme="red", size="3", variant="solid"),
        rx.el.div(
            rx.foreach(CockpitState.elsewhere, lambda item: rx.link(
                rx.el.span(item["name"], class_name="hb-elsewhere-name"), " ",
                rx.el.span(item["value"], class_name="hb-elsewhere-value"),
                href="/metrics/" + item["id"], underline="none", color="inherit",
                class_name="hb-elsewhere-tile", data_metric=item["id"], data_status=item["status"])),
            class_name="hb-strip-names",
        ),
        id="elsewhere-strip",
        class_name="hb-strip hb-elsewhere",
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


def page_marker() -> rx.Component:
    return rx.cond(CockpitState.pages > 1,
                   rx.el.span("page ", (CockpitState.shown_page + 1).to_string(), " of ", CockpitState.pages.to_string(),
                              id="page-marker", class_name="hb-page-marker"))


def screen_title() -> rx.Component:
    """A watchlist screen says whose wall it is."""
    return rx.cond(CockpitState.title != "",
                   rx.el.div(rx.icon("list-checks", size=28), rx.el.span(CockpitState.title),
                             id="screen-title", class_name="hb-screen-title"))


def wall() -> rx.Component:
    """Everything fits one screen: the grids share the tile area by rows (display/fit.py); greens recede below."""
    return rx.fragment(
        rx.cond((CockpitState.title != "") | (CockpitState.pages > 1),
                rx.el.div(screen_title(), page_marker(), class_name="hb-wall-top")),
        rx.cond(
            (CockpitState.red.length() + CockpitState.attention.length()) > 0,
            rx.el.div(
                rx.cond(CockpitState.red.length() > 0,
                        rx.el.div(rx.foreach(CockpitState.red, lambda item: attention_tile(item, big=True)),
                                  class_name="hb-grid hb-grid-red " + CockpitState.red_grid, id="red-tiles")),
                rx.cond(CockpitState.attention.length() > 0,
                        rx.el.div(rx.foreach(CockpitState.attention, lambda item: attention_tile(item)),
                                  class_name="hb-grid hb-grid-attention " + CockpitState.attention_grid,
                                  id="attention-tiles")),
                class_name=CockpitState.tiles_layout,
                id="attention-area",
            ),
        ),
        rx.cond(CockpitState.elsewhere.length() > 0, elsewhere_strip()),
        rx.cond(
            CockpitState.green_strip,
            green_strip(),
            rx.el.div(rx.foreach(CockpitState.green, lambda item: green_tile(item)), class_name="hb-grid-green",
                      id="green-tiles"),
        ),
    )


@page(route="/", title="Heartbeat — cockpit",
         on_load=[CockpitState.open_page, OperatorState.probe_operator, CockpitState.run_loop])
def cockpit() -> rx.Component:
    """One screen, never scrolled: header, banners, then the wall takes what is left of the viewport."""
    return rx.el.div(
        rx.cond(~CockpitState.kiosk, live_header()),
        rx.box(banners(), padding="0.75rem 2rem 0 2rem", width="100%", flex="none"),
        rx.cond(CockpitState.watchlist_problem != "",
                rx.box(rx.callout(CockpitState.watchlist_problem, icon="info", color_scheme="gray", size="1"),
                       padding="0.5rem 2rem 0 2rem", width="100%", flex="none", id="watchlist-problem")),
        rx.el.div(
            rx.cond(
                (CockpitState.total > 0) | (CockpitState.title != ""),
                wall(),
                rx.cond(CockpitState.loaded, no_metrics(), rx.spinner(size="3")),
            ),
            class_name=rx.cond(
                has_connection_errors | (CockpitState.db_error != ""),
                "hb-wall hb-stale-wall",
                rx.cond(CockpitState.dim, "hb-wall hb-dim", "hb-wall"),
            )
            + " hb-shift-" + CockpitState.shift.to_string(),
            id="wall",
        ),
        class_name="hb-screen",
    )
