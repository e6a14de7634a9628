"""The history chart of a metric's page: display/chart.py's figure drawn by plotly, axes after the colour mode."""

from __future__ import annotations

import plotly.graph_objects as go
import reflex as rx

from heartbeat_app.display.chart import HEIGHT

_AXIS_DARK = {"color": "#d6dae3", "gridcolor": "rgba(255,255,255,0.09)", "linecolor": "rgba(255,255,255,0.25)",
              "zerolinecolor": "rgba(255,255,255,0.18)"}
_AXIS_LIGHT = {"color": "#1c2024", "gridcolor": "rgba(0,0,0,0.08)", "linecolor": "rgba(0,0,0,0.3)",
               "zerolinecolor": "rgba(0,0,0,0.15)"}
DARK_LAYOUT = {"font": {"color": "#e8eaf0"}, "xaxis": _AXIS_DARK, "yaxis": _AXIS_DARK,
               "legend": {"font": {"color": "#e8eaf0"}}}
LIGHT_LAYOUT = {"font": {"color": "#1c2024"}, "xaxis": _AXIS_LIGHT, "yaxis": _AXIS_LIGHT,
                "legend": {"font": {"color": "#1c2024"}}}

CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False, "doubleClick": False}


def history_chart(fig: rx.Var) -> rx.Component:
    """The chart, sized for a 1920×1080 screen, axis colours following the colour mode."""
    return rx.box(
        rx.plotly.basic(
            data=fig.to(go.Figure),
            layout=rx.color_mode_cond(light=LIGHT_LAYOUT, dark=DARK_LAYOUT),
            config=CONFIG,
            template=None,
            use_resize_handler=True,
            style={"width": "100%", "height": f"{HEIGHT}px"},
        ),
        id="history-chart",
        width="100%",
        min_height=f"{HEIGHT}px",
    )
