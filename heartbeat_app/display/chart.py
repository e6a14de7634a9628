"""The history figure of a metric's page: the value over time with the lines that judge it.

``figure`` turns a read-model card into a plotly figure (a JSON-ready dict, pure, no I/O):
template "none" and a transparent background, so components/history_chart.py can colour
the axes after the colour mode.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go

from engine.core import formatting
from engine.read.cards import MetricCard
from engine.read.pace import TREND_DAYS

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


@dataclass
class _Frame:
    """What every part of the figure needs: the card, the time axis and the unit's text."""

    card: MetricCard
    start: date
    end: date
    today: date

    def text(self, v: float | None) -> str:
        return formatting.value(v, self.card.unit, self.card.currency)


def _frame(card: MetricCard, today: date) -> _Frame:
    """The time axis: the last 180 days, run on to a due date that is near enough to show."""
    start = min([*(day for day, _ in card.history), today - timedelta(days=179)])
    end = today
    due = card.target_due_date
    if due is not None and today < due <= today + DUE_DATE_REACH:
        end = due + timedelta(days=3)
    return _Frame(card, start, end, today)


def _label(x: Any, y: float, text: str, colour: str, size: int = 18, **extra: Any) -> dict[str, Any]:
    """An annotation at the right edge (or at ``x``) naming a line."""
    return {"x": x, "xref": "paper" if x == 1 else "x", "xanchor": "left", "y": y, "yref": "y", "text": text,
            "showarrow": False, "font": {"color": colour, "size": size}, **extra}


def _band(f: _Frame) -> list[go.Scatter]:
    """The μ ± σ band (two invisible edges filled between) and its mean, when the card has one."""
    mean, sigma = f.card.benchmark_mean, f.card.benchmark_stddev
    if not (_finite(mean) and _finite(sigma) and sigma and sigma > 0):
        return []
    x_band = [f.start.isoformat(), f.end.isoformat()]
    mu = _hline(f.start, f.end, mean, "rgba(165,180,252,0.55)", "μ", "dot", 1.5)
    mu.showlegend = False
    return [
        go.Scatter(x=x_band, y=[mean + sigma] * 2, mode="lines", line={"width": 0}, hoverinfo="skip",
                   showlegend=False),
        go.Scatter(x=x_band, y=[mean - sigma] * 2, mode="lines", line={"width": 0}, fill="tonexty",
                   fillcolor=BAND, name=f"typical {f.text(mean)} ± {f.text(sigma)}", hoverinfo="skip"),
        mu,
    ]


def _lines(f: _Frame) -> tuple[list[go.Scatter], list[dict[str, Any]]]:
    """The alert (red, solid) and norm (amber, dashed) lines, each named at the right edge."""
    traces, annotations = [], []
    for label, line, colour, dash in (("alert", f.card.alert_value, RED, "solid"),
                                      ("norm", f.card.norm_value, AMBER, "dash")):
        if _finite(line):
            traces.append(_hline(f.start, f.end, line, colour, f"{label} {f.text(line)}", dash))
            annotations.append(_label(1, line, f" {label} {f.text(line)}", colour))
    return traces, annotations


def _target(f: _Frame) -> tuple[list[go.Scatter], list[dict[str, Any]]]:
    """The target line; its due date as a star on the axis, or named at the top right when it lies beyond."""
    target, due = f.card.target_value, f.card.target_due_date
    if not _finite(target):
        return [], []
    label = f"target {f.text(target)}" + (f" by {due:%d %b %Y}" if due else "")
    traces = [_hline(f.start, f.end, target, GREEN, label, "dot", 2.5)]
    annotations = [_label(1, target, f" target {f.text(target)}", GREEN)]
    if due is not None and f.start <= due <= f.end:
        traces.append(go.Scatter(
            x=[due.isoformat()], y=[target], mode="markers", name=f"due {due:%d %b %Y}",
            marker={"symbol": "star", "size": 22, "color": GREEN, "line": {"color": "#0b0d12", "width": 1.5}},
            hovertemplate=f"target {f.text(target)} due {due:%d %b %Y}<extra></extra>", showlegend=False,
        ))
    elif due is not None and due > f.end:
        annotations.append(_label(1, 1.0, f"target due {due:%d %b %Y} →", GREEN, 16, xanchor="right",
                                  yref="paper", yanchor="bottom"))
    return traces, annotations


# The trend's colour says the pace state (the pace line itself is the target's green, dashed).
PACE_COLOUR = {"achieved": GREEN, "on_pace": "#22d3ee", "behind": "#ff8b3e", "off_track": "#ff6b8a",
               "missed": "#d19dff", "no_data": GRAY}


def _pace(f: _Frame) -> list[go.Scatter]:
    """The pace line (start of the target period → target on the due date) and the trend projected to the due date."""
    pace = f.card.pace
    if pace is None:
        return []
    traces = []
    if pace.start_day is not None and pace.start_value is not None:
        traces.append(go.Scatter(
            x=[pace.start_day.isoformat(), pace.due.isoformat()], y=[pace.start_value, pace.target], mode="lines",
            name=f"pace line from {pace.start_day:%d %b}", line={"color": GREEN, "width": 2.5, "dash": "dash"},
            hoverinfo="skip",
        ))
    if pace.projected is not None and pace.trend_now is not None and pace.slope_per_day is not None \
            and pace.days_left >= 0:
        # Drawn over the days it was fitted on and on to the due date: its slope shows even when the due
        # date lies far beyond the axis (the last leg bends where a projection stops at zero).
        fitted_from = f.today - timedelta(days=TREND_DAYS - 1)
        trend_then = pace.trend_now - pace.slope_per_day * (TREND_DAYS - 1)
        traces.append(go.Scatter(
            x=[fitted_from.isoformat(), f.today.isoformat(), pace.due.isoformat()],
            y=[trend_then, pace.trend_now, pace.projected], mode="lines",
            name=f"trend → {f.text(pace.projected)} ({pace.label})",
            line={"color": PACE_COLOUR.get(pace.state.value, GRAY), "width": 3, "dash": "dot"},
            hovertemplate=f"trend → {f.text(pace.projected)} by {pace.due:%d %b %Y}<extra></extra>",
        ))
    return traces


def _pace_extent(card: MetricCard, f: _Frame) -> list[float]:
    """The pace values inside the visible time axis (a far due date's projection would squash the history)."""
    pace = card.pace
    if pace is None:
        return []
    values = [pace.start_value] if pace.start_day is not None and pace.start_day >= f.start else []
    if pace.due <= f.end:
        values.append(pace.projected)
    return [v for v in values if _finite(v)]


def _values(f: _Frame) -> tuple[list[go.Scatter], list[float | None]]:
    """The value line (gaps stay gaps) and a dot in the status colour on the last value."""
    xs = [day.isoformat() for day, _ in f.card.history]
    ys = [v if _finite(v) else None for _, v in f.card.history]
    traces = [go.Scatter(
        x=xs, y=ys, mode="lines", name="value", connectgaps=False,
        line={"color": VALUE, "width": 3.5, "shape": "linear"},
        customdata=[f.text(v) for v in ys],
        hovertemplate="%{x|%d %b %Y}: %{customdata}<extra></extra>",
    )]
    last = next(((x, y) for x, y in zip(reversed(xs), reversed(ys)) if y is not None), None)
    if last is not None:
        traces.append(go.Scatter(
            x=[last[0]], y=[last[1]], mode="markers", showlegend=False, hoverinfo="skip",
            marker={"size": 16, "color": STATUS_COLOUR.get(f.card.status.value, GRAY),
                    "line": {"color": "#0b0d12", "width": 2}},
        ))
    return traces, ys


def _y_axis(f: _Frame, values: list[float]) -> dict[str, Any]:
    """A range that holds every value and line, with round ticks in the metric's unit."""
    card = f.card
    extent = values + [v for v in (card.norm_value, card.alert_value, card.target_value) if _finite(v)]
    extent += _pace_extent(card, f)
    mean, sigma = card.benchmark_mean, card.benchmark_stddev
    if _finite(mean) and _finite(sigma) and sigma:
        extent += [mean - sigma, mean + sigma]
    return value_axis(extent, card.unit, card.currency)


def value_axis(extent: list[float], unit: str, currency: str | None = None) -> dict[str, Any]:
    """A y axis holding every number of ``extent``, with round ticks written in the unit — a duration in
    seconds, minutes, hours or days by its size (clock steps: 30m, 1h, 2d), money with its sign."""
    yaxis: dict[str, Any] = {"automargin": True, "tickfont": {"size": 18}, "showgrid": True, "zeroline": False}
    extent = [v for v in extent if _finite(v)]
    if extent:
        low, high = min(extent), max(extent)
        pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
        # A metric that never goes below zero gets no negative axis.
        low, high = (low - pad if low - pad >= 0 or low < 0 else 0.0), high + pad
        ticks = _nice_ticks(low, high, durations=unit == "seconds")
        yaxis.update(range=[low, high], tickvals=ticks, ticktext=[formatting.value(t, unit, currency) for t in ticks])
    return yaxis


def _today_mark(f: _Frame) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """When the axis runs on to a due date, a dotted line where the data stops."""
    if f.end <= f.today:
        return [], []
    today = f.today.isoformat()
    shape = {"type": "line", "xref": "x", "yref": "paper", "x0": today, "x1": today, "y0": 0, "y1": 1,
             "line": {"color": "rgba(139,141,152,0.7)", "width": 1.5, "dash": "dot"}}
    label = _label(today, 0, " today", GRAY, 15, yref="paper", yanchor="bottom")
    return [shape], [label]


def _layout(f: _Frame, yaxis: dict[str, Any], annotations: list[dict[str, Any]],
            shapes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
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
        "xaxis": {"type": "date", "range": [f.start.isoformat(), f.end.isoformat()], "tickfont": {"size": 18},
                  "showgrid": True, "tickformat": "%d %b", "automargin": True},
        "yaxis": yaxis,
        "annotations": annotations,
        "shapes": shapes,
    }


def _definition_mark(f: _Frame, since: date | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A thin dashed line where the current definition's history starts (older days meant something else)."""
    if since is None or not (f.start <= since <= f.end):
        return [], []
    day = since.isoformat()
    shape = {"type": "line", "xref": "x", "yref": "paper", "x0": day, "x1": day, "y0": 0, "y1": 1,
             "line": {"color": "rgba(139,141,152,0.7)", "width": 1.5, "dash": "dash"}}
    return [shape], [_label(day, 1, " new definition", GRAY, 15, yref="paper", yanchor="top")]


def figure(card: MetricCard, today: date, definition_since: date | None = None) -> dict[str, Any]:
    """The figure of ``card.history``: value line, μ ± σ band, norm/alert lines, target, due date and pace,
    and where the current definition starts."""
    f = _frame(card, today)
    line_traces, line_notes = _lines(f)
    target_traces, target_notes = _target(f)
    value_traces, ys = _values(f)
    shapes, today_notes = _today_mark(f)
    definition_shapes, definition_notes = _definition_mark(f, definition_since)
    shapes, today_notes = shapes + definition_shapes, today_notes + definition_notes
    values = [v for v in ys if v is not None]
    annotations = line_notes + target_notes + today_notes
    if not values:
        annotations.append({"x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper", "showarrow": False,
                            "text": "no values in the last 180 days", "font": {"size": 24, "color": GRAY}})
    layout = _layout(f, _y_axis(f, values), annotations, shapes)
    fig = go.Figure(data=_band(f) + line_traces + target_traces + _pace(f) + value_traces, layout=layout)
    return json.loads(fig.to_json())
