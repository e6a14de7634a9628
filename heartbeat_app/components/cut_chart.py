"""A cut's chart: display/cut_charts.py's figure drawn static by plotly, axes after the colour mode."""

from __future__ import annotations

import plotly.graph_objects as go
import reflex as rx

from heartbeat_app.components.history_chart import DARK_LAYOUT, LIGHT_LAYOUT

# A wall chart: nothing to hover, zoom or drag, so it reads the same on a TV and a laptop.
CONFIG = {"staticPlot": True, "displayModeBar": False, "responsive": True}


def cut_chart(fig: rx.Var, height: rx.Var, cut_id: rx.Var) -> rx.Component:
    return rx.box(
        rx.plotly.basic(
            data=fig.to(go.Figure),
            layout=rx.color_mode_cond(light=LIGHT_LAYOUT, dark=DARK_LAYOUT),
            config=CONFIG,
            template=None,
            use_resize_handler=True,
            style={"width": "100%", "height": height},
        ),
        class_name="hb-cut-chart",
        data_cut=cut_id,
        width="100%",
        min_height=height,
    )
