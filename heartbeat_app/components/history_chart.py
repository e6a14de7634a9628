"""The history chart of a metric's page: the value over time with the lines that judge it.

``figure`` turns a read-model card into a plotly figure (a JSON-ready dict,
pure, no I/O); ``history_chart`` draws it, dark-friendly: template "none",
transparent background, axis colours that follow the colour mode.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from engine.core import formatting
from engine.read.cards import MetricCard

HEIGHT = 520
# A due date at most this far after today widens the time axis to show it;
# further away it is named at the right edge instead of squashing the history.
DUE_DATE_REACH = timedelta(days=120)

VALUE = "#a5b4fc"
RED = "#ff5a5f"
AMBER = "#ffb224"
GREEN = "#3dd68c"
GRAY = "#8b8d98"
PURPLE = "#b18cff"
BAND = "rgba(129, 140, 248, 0.18)"
STATUS_COLOUR = {"red": RED, "amber": AMBER, "green": GREEN, "no_data": GRAY, "error": PURPLE}

_AXIS_DARK = {"color": "#d6dae3", "gridcolor": "rgba(255,255,255,0.09)", "linecolor": "rgba(255,255,255,0.25)",
              "zerolinecolor": "rgba(255,255,255,0.18)"}
_AXIS_LIGHT = {"color": "#1c2024", "gridcolor": "rgba(0,0,0,0.08)", "linecolor": "rgba(0,0,0,0.3)",
               "zerolinecolor": "rgba(0,0,0,0.15)"}
DARK_LAYOUT = {"font": {"color": "#e8eaf0"}, "xaxis": _AXIS_DARK, "yaxis": _AXIS_DARK,
               "legend": {"font": {"color": "#e8eaf0"}}}
LIGHT_LAYOUT = {"font": {"color": "#1c2024"}, "xaxis": _AXIS_LIGHT, "yaxis": _AXIS_LIGHT,
                "legend": {"font": {"color": "#1c2024"}}}

CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False, "doubleClick": False}


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


# Tick steps of a duration axis: whole seconds, minutes, hours, days.
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
               172800, 604800)


def _nice_ticks(low: float, high: float, count: int = 6, *, durations: bool = False) -> list[float]:
    """Round tick values covering [low, high]: 1, 2, 2.5, 5 × 10ⁿ steps (or clock steps for durations)."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if durations and raw >= 1:
        step = next((s for s in _TIME_STEPS if s >= raw), step)
    first = math.ceil(low / step) * step
    ticks, tick = [], first
    while tick <= high + step * 1e-9:
        ticks.append(round(tick, 12))
        tick += step
    return ticks


def _hline(x0: date, x1: date, y: float, colour: str, name: str, dash: str, width: float = 3) -> go.Scatter:
    return go.Scatter(
        x=[x0.isoformat(), x1.isoformat()], y=[y, y], mode="lines", name=name,
        line={"color": colour, "width": width, "dash": dash}, hoverinfo="skip",
    )


def figure(card: MetricCard, today: date) -> dict[str, Any]:
    """The figure of ``card.history``: value line, μ ± σ band, norm/alert lines, target and due date."""
    unit, currency = card.unit, card.currency

    def text(v: float | None) -> str:
        return formatting.value(v, unit, currency)

    days = [day for day, _ in card.history]
    start = min([*days, today - timedelta(days=179)])
    end = today
    due = card.target_due_date
    if due is not None and today < due <= today + DUE_DATE_REACH:
        end = due + timedelta(days=3)
    xs = [day.isoformat() for day in days]
    ys = [v if _finite(v) else None for _, v in card.history]

    traces: list[go.Scatter] = []
    annotations: list[dict[str, Any]] = []
    mean, sigma = card.benchmark_mean, card.benchmark_stddev
    if _finite(mean) and _finite(sigma) and sigma and sigma > 0:
        x_band = [start.isoformat(), end.isoformat()]
        traces.append(go.Scatter(x=x_band, y=[mean + sigma] * 2, mode="lines", line={"width": 0},
                                 hoverinfo="skip", showlegend=False))
        traces.append(go.Scatter(x=x_band, y=[mean - sigma] * 2, mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor=BAND, name=f"typical {text(mean)} ± {text(sigma)}",
                                 hoverinfo="skip"))
        traces.append(_hline(start, end, mean, "rgba(165,180,252,0.55)", "μ", "dot", 1.5))
        traces[-1].showlegend = False
    lines = (("alert", card.alert_value, RED, "solid"), ("norm", card.norm_value, AMBER, "dash"))
    for label, line, colour, dash in lines:
        if _finite(line):
            traces.append(_hline(start, end, line, colour, f"{label} {text(line)}", dash))
            annotations.append({"x": 1, "xref": "paper", "xanchor": "left", "y": line, "yref": "y",
                                "text": f" {label} {text(line)}", "showarrow": False,
                                "font": {"color": colour, "size": 18}})
    target = card.target_value
    if _finite(target):
        label = f"target {text(target)}" + (f" by {due:%d %b %Y}" if due else "")
        traces.append(_hline(start, end, target, GREEN, label, "dot", 2.5))
        annotations.append({"x": 1, "xref": "paper", "xanchor": "left", "y": target, "yref": "y",
                            "text": f" target {text(target)}", "showarrow": False,
                            "font": {"color": GREEN, "size": 18}})
        if due is not None and start <= due <= end:
            traces.append(go.Scatter(
                x=[due.isoformat()], y=[target], mode="markers", name=f"due {due:%d %b %Y}",
                marker={"symbol": "star", "size": 22, "color": GREEN, "line": {"color": "#0b0d12", "width": 1.5}},
                hovertemplate=f"target {text(target)} due {due:%d %b %Y}<extra></extra>", showlegend=False,
            ))
        elif due is not None and due > end:
            annotations.append({"x": 1, "xref": "paper", "xanchor": "right", "y": 1.0, "yref": "paper",
                                "yanchor": "bottom", "text": f"target due {due:%d %b %Y} →", "showarrow": False,
                                "font": {"color": GREEN, "size": 16}})
    traces.append(go.Scatter(
        x=xs, y=ys, mode="lines", name="value", connectgaps=False,
        line={"color": VALUE, "width": 3.5, "shape": "linear"},
        customdata=[text(v) for v in ys],
        hovertemplate="%{x|%d %b %Y}: %{customdata}<extra></extra>",
    ))
    last = next(((x, y) for x, y in zip(reversed(xs), reversed(ys)) if y is not None), None)
    if last is not None:
        traces.append(go.Scatter(
            x=[last[0]], y=[last[1]], mode="markers", showlegend=False, hoverinfo="skip",
            marker={"size": 16, "color": STATUS_COLOUR.get(card.status.value, GRAY),
                    "line": {"color": "#0b0d12", "width": 2}},
        ))

    values = [v for v in ys if v is not None]
    extent = values + [v for v in (card.norm_value, card.alert_value, target) if _finite(v)]
    if _finite(mean) and _finite(sigma) and sigma:
        extent += [mean - sigma, mean + sigma]
    yaxis: dict[str, Any] = {"automargin": True, "tickfont": {"size": 18}, "showgrid": True, "zeroline": False}
    if extent:
        low, high = min(extent), max(extent)
        pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
        # A metric that never goes below zero gets no negative axis.
        low, high = (low - pad if low - pad >= 0 or low < 0 else 0.0), high + pad
        ticks = _nice_ticks(low, high, durations=unit == "seconds")
        yaxis.update(range=[low, high], tickvals=ticks, ticktext=[text(t) for t in ticks])
    shapes: list[dict[str, Any]] = []
    if end > today:  # the axis runs on to a due date: mark where the data stops
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": today.isoformat(),
                       "x1": today.isoformat(), "y0": 0, "y1": 1,
                       "line": {"color": "rgba(139,141,152,0.7)", "width": 1.5, "dash": "dot"}})
        annotations.append({"x": today.isoformat(), "xref": "x", "xanchor": "left", "y": 0, "yref": "paper",
                            "yanchor": "bottom", "text": " today", "showarrow": False,
                            "font": {"color": GRAY, "size": 15}})
    layout = {
        "template": "none",
        "height": HEIGHT,
        "autosize": True,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 20, "r": 190, "t": 40, "b": 50},
        "font": {"family": "Inter, system-ui, sans-serif", "size": 18},
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 16},
                   "bgcolor": "rgba(0,0,0,0)"},
        "hovermode": "x",
        "dragmode": False,
        "xaxis": {"type": "date", "range": [start.isoformat(), end.isoformat()], "tickfont": {"size": 18},
                  "showgrid": True, "tickformat": "%d %b", "automargin": True},
        "yaxis": yaxis,
        "annotations": annotations,
        "shapes": shapes,
    }
    if not values:
        layout["annotations"] = [*annotations, {
            "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper", "showarrow": False,
            "text": "no values in the last 180 days", "font": {"size": 24, "color": GRAY},
        }]
    fig = go.Figure(data=traces, layout=layout)
    return json.loads(fig.to_json())


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
