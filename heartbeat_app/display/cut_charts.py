"""Cut payload → plotly figure: one renderer per payload kind (``engine/audit/kinds.py``). Pure, no I/O.

``RENDERERS[kind](payload)`` returns a JSON-ready figure dict with template
"none" and a transparent background, like the metric history
(``display/chart.py``); ``components/cut_chart.py`` colours the axes after the
colour mode and draws it static (``staticPlot``), sized for a 1920×1080 wall.
A new kind is one entry in ``engine.audit.kinds.KINDS`` and one renderer here.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import plotly.graph_objects as go

from engine.audit.kinds import KINDS

HEIGHT = 460
TABLE_ROWS_SHOWN = 14  # a table taller than this is cut, and says how many rows it left off
FONT = {"family": "Inter, system-ui, sans-serif", "size": 17}
# Distinct on a dark background, in the order series come.
PALETTE = ["#a5b4fc", "#3dd68c", "#ffb224", "#ff5a5f", "#b18cff", "#5ec8f2", "#f28fd0", "#c9d36a", "#8b8d98"]
NUMBER_ALIGN = "right"


def _layout(payload: dict[str, Any], height: int = HEIGHT, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "height": height,
        "autosize": True,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 20, "r": 30, "t": 50, "b": 50},
        "font": FONT,
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 16},
                   "bgcolor": "rgba(0,0,0,0)"},
        "xaxis": {"automargin": True, "tickfont": {"size": 16}, "showgrid": False,
                  "title": {"text": payload.get("x_title", "")}},
        "yaxis": {"automargin": True, "tickfont": {"size": 16}, "showgrid": True, "zeroline": False,
                  "rangemode": "tozero",
                  "title": {"text": payload.get("y_title") or payload.get("unit", "")}},
    }
    layout.update(extra)
    return layout


def _figure(data: list, layout: dict[str, Any]) -> dict[str, Any]:
    return json.loads(go.Figure(data=data, layout=layout).to_json())


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def timeseries(payload: dict[str, Any]) -> dict[str, Any]:
    data = [go.Scatter(x=payload["x"], y=s["values"], mode="lines+markers" if len(payload["x"]) < 40 else "lines",
                       name=s["name"], connectgaps=False, line={"color": _colour(i), "width": 3},
                       marker={"size": 7})
            for i, s in enumerate(payload["series"])]
    return _figure(data, _layout(payload, showlegend=len(data) > 1))


def bars(payload: dict[str, Any]) -> dict[str, Any]:
    data = [go.Bar(x=payload["x"], y=s["values"], name=s["name"], marker={"color": _colour(i)})
            for i, s in enumerate(payload["series"])]
    return _figure(data, _layout(payload, barmode="stack" if payload.get("stacked") else "group",
                                 showlegend=len(data) > 1, bargap=0.15))


def funnel(payload: dict[str, Any]) -> dict[str, Any]:
    """Stages as horizontal bars, top to bottom, each labelled with its count and its share of the first."""
    stages = payload["stages"]
    first = stages[0]["value"] or 0
    text = [f"{s['value']:,.0f}" + (f"  ·  {s['value'] / first:.0%}" if first else "") for s in stages]
    data = [go.Bar(y=[s["label"] for s in stages], x=[s["value"] for s in stages], orientation="h",
                   text=text, textposition="auto", textfont={"size": 20}, insidetextanchor="middle",
                   marker={"color": [_colour(i) for i in range(len(stages))]}, name="clients")]
    layout = _layout(payload, showlegend=False, bargap=0.2)
    layout["yaxis"] = {"automargin": True, "tickfont": {"size": 19}, "autorange": "reversed"}
    layout["xaxis"].update(showgrid=True)
    return _figure(data, layout)


def histogram(payload: dict[str, Any]) -> dict[str, Any]:
    bins = payload["bins"]
    data = [go.Bar(x=[b["label"] for b in bins], y=[b["count"] for b in bins], marker={"color": PALETTE[0]},
                   text=[b["count"] for b in bins], textposition="outside", textfont={"size": 15}, name="count")]
    return _figure(data, _layout(payload, showlegend=False, bargap=0.08))


def cell(value: Any) -> str:
    """A table cell as text: thousands separated, two decimals below 1000, "—" for null."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(payload: dict[str, Any]) -> dict[str, Any]:
    """A table is drawn as an HTML table (the app ships plotly's basic bundle, which has no table trace):
    ``{"table": {...}}`` with the cells as text, numeric columns flagged, the highlighted column named."""
    columns, rows = payload["columns"], payload["rows"]
    shown = rows[:TABLE_ROWS_SHOWN]
    numeric = [bool(shown) and all(isinstance(r[c], (int, float)) and not isinstance(r[c], bool) or r[c] is None
                                   for r in shown) for c in range(len(columns))]
    return {"table": {
        "columns": [{"name": c, "align": "right" if n else "left", "highlight": c == payload.get("highlight")}
                    for c, n in zip(columns, numeric)],
        "rows": [[{"text": cell(v), "align": "right" if n else "left"} for v, n in zip(r, numeric)] for r in shown],
        "more": f"… and {len(rows) - len(shown)} more rows (GET /api/audit/cuts/<id>)" if len(rows) > len(shown)
                else "",
    }}


def heatmap(payload: dict[str, Any]) -> dict[str, Any]:
    """A grid of squares coloured by value (scatter markers: the basic plotly bundle has no heatmap trace)."""
    xs, ys, zs = [], [], []
    for y, row in zip(payload["y"], payload["z"]):
        for x, z in zip(payload["x"], row):
            if z is not None:
                xs.append(str(x))
                ys.append(str(y))
                zs.append(z)
    size = max(10, min(36, int(1400 / max(len(payload["x"]), 1) * 0.8)))
    data = [go.Scatter(x=xs, y=ys, mode="markers", name="", marker={
        "symbol": "square", "size": size, "color": zs, "colorscale": "Viridis", "showscale": True,
        "colorbar": {"tickfont": {"size": 15}, "thickness": 18}})]
    rows = max(len(payload["y"]), 1)
    layout = _layout(payload, height=max(260, min(HEIGHT, 90 + rows * (size + 8))), showlegend=False)
    layout["xaxis"].update(type="category", categoryorder="array", categoryarray=[str(x) for x in payload["x"]])
    layout["yaxis"] = {"type": "category", "automargin": True, "tickfont": {"size": 16}, "autorange": "reversed",
                       "categoryorder": "array", "categoryarray": [str(y) for y in payload["y"]]}
    return _figure(data, layout)


RENDERERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "timeseries": timeseries,
    "bars": bars,
    "funnel": funnel,
    "histogram": histogram,
    "table": table,
    "heatmap": heatmap,
}
assert set(RENDERERS) == set(KINDS), "every payload kind needs a renderer (and only those)"


def figure(payload: dict[str, Any] | None) -> dict[str, Any]:
    """The figure of one snapshot payload; an empty dict when there is nothing to draw."""
    if not payload or payload.get("kind") not in RENDERERS:
        return {}
    return RENDERERS[payload["kind"]](payload)


def height(fig: dict[str, Any]) -> int:
    return int((fig.get("layout") or {}).get("height") or HEIGHT)


def is_table(fig: dict[str, Any]) -> bool:
    return "table" in fig
