"""The /metrics/proposed page, shaped: one card per proposal (its backtest in words) and its 90-day figure.

Pure: evidence dicts in (``engine.read.proposals``), strings and plotly figure dicts out.
"""

from __future__ import annotations

import json
import math
from typing import Any

import plotly.graph_objects as go

from engine.core import formatting
from engine.read.proposals import ProposedView
from heartbeat_app.display.chart import value_axis

VALUE = "#a5b4fc"
RED = "#ff5a5f"
AMBER = "#ffb224"
GRAY = "#8b8d98"
BAND = "rgba(129, 140, 248, 0.18)"
HEIGHT = 320


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _late(days: int | None) -> str:
    return "the day it started" if days == 0 else f"{days} day{'s' if days != 1 else ''} after it started"


def _caught(item: dict[str, Any]) -> str:
    caught = [c for c in item.get("catches", []) if c.get("days_late") is not None and c["days_late"] <= 2]
    if caught:
        return "Would have caught " + "; ".join(f"{c['incident']} ({_late(c['days_late'])})" for c in caught)
    touched = [c["incident"] for c in item.get("catches", [])]
    return ("Would not have caught " + ", ".join(touched) + " in time") if touched else "No known incident on its table"


def _judge(item: dict[str, Any]) -> str:
    unit, currency = item.get("unit", "count"), item.get("currency")
    lines = [f"{name} {formatting.value(item[key], unit, currency)}" for name, key in (("amber", "norm"),
             ("red", "alert")) if _finite(item.get(key))]
    if lines:
        return "Lines " + ", ".join(lines)
    bench = item.get("benchmark") or {}
    return f"Band {bench.get('kind', 'none')} over {bench.get('window_days', '?')} days" if bench else "No band"


def card(item: dict[str, Any]) -> dict[str, str]:
    duplicate = item.get("duplicate_of")
    return {
        "id": item["id"], "rank": str(item.get("rank", "")), "name": item.get("name", item["id"]),
        "where": f"{item.get('rule', '')} · {item.get('table', '')} · {item.get('period', '')}",
        "how_to_read": item.get("how_to_read", ""),
        "caught": _caught(item),
        "caught_any": "yes" if any((c.get("days_late") is not None and c["days_late"] <= 2)
                                   for c in item.get("catches", [])) else "",
        "false_alarms": (f"{item.get('false_reds_per_month', 0):.2f} false reds a month, "
                         f"{item.get('false_ambers_per_week', 0):.2f} false ambers a week over "
                         f"{item.get('normal_days', 0)} normal days"),
        "judge": _judge(item),
        "duplicate": f"Same as {duplicate} (rank correlation {item.get('correlation')})" if duplicate else "",
        "value": formatting.value(item.get("value"), item.get("unit", "count"), item.get("currency")),
        "usefulness": f"{item.get('usefulness', 0):.1f}",
        "promote": f"heartbeat discover promote {item['id']}",
    }


def figure(item: dict[str, Any], incidents: list[dict[str, Any]]) -> dict[str, Any]:
    """Its last 90 days: the value, the band it would have had (μ ± 2σ), its lines, red/amber days marked."""
    points = item.get("points", [])
    days = [p["day"] for p in points]
    values = [p["value"] for p in points]
    unit, currency = item.get("unit", "count"), item.get("currency")

    def text(v: Any) -> str:
        return formatting.value(v, unit, currency) if _finite(v) else "no value"

    traces: list[go.Scatter] = []
    if any(_finite(p.get("mean")) and _finite(p.get("stddev")) for p in points):
        upper = [p["mean"] + 2 * p["stddev"] if _finite(p.get("mean")) and _finite(p.get("stddev")) else None
                 for p in points]
        lower = [p["mean"] - 2 * p["stddev"] if _finite(p.get("mean")) and _finite(p.get("stddev")) else None
                 for p in points]
        traces.append(go.Scatter(x=days, y=upper, mode="lines", line={"width": 0}, showlegend=False,
                                 hoverinfo="skip"))
        traces.append(go.Scatter(x=days, y=lower, mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=BAND, name="band μ ± 2σ", hoverinfo="skip"))
    for key, colour, dash in (("alert", RED, "solid"), ("norm", AMBER, "dash")):
        if _finite(item.get(key)) and days:
            traces.append(go.Scatter(x=[days[0], days[-1]], y=[item[key]] * 2, mode="lines",
                                     line={"color": colour, "width": 2, "dash": dash},
                                     name="red line" if key == "alert" else "amber line", hoverinfo="skip"))
    # Hover and axis speak the unit as the rest of the app does (a lag as "2h 5m", not 7500).
    hover = "%{x|%d %b %Y}: %{customdata}<extra></extra>"
    traces.append(go.Scatter(x=days, y=values, mode="lines", line={"color": VALUE, "width": 3}, name="value",
                             customdata=[text(v) for v in values], hovertemplate=hover))
    for status, colour in (("red", RED), ("amber", AMBER)):
        marked = [(p["day"], p["value"]) for p in points if p["status"] == status]
        if marked:
            traces.append(go.Scatter(x=[d for d, _ in marked], y=[v for _, v in marked], mode="markers",
                                     marker={"color": colour, "size": 8}, name=status,
                                     customdata=[text(v) for _, v in marked], hovertemplate=hover))
    shapes, annotations = [], []
    touched = {c["incident"] for c in item.get("catches", [])}
    for incident in incidents:
        start = str(incident.get("start", ""))[:10]
        if incident.get("id") in touched and days and days[0] <= start <= days[-1]:
            shapes.append({"type": "line", "x0": start, "x1": start, "yref": "paper", "y0": 0, "y1": 1,
                           "line": {"color": GRAY, "width": 2, "dash": "dot"}})
            annotations.append({"x": start, "y": 1, "yref": "paper", "text": incident["id"], "showarrow": False,
                                "xanchor": "left", "font": {"color": GRAY, "size": 14}})
    # The values and lines, and the band to one σ (as the metric page's axis): a wide 2σ band is clipped.
    extent = values + [item.get("alert"), item.get("norm")]
    extent += [p["mean"] + sign * p["stddev"] for p in points for sign in (-1, 1)
               if _finite(p.get("mean")) and _finite(p.get("stddev"))]
    fig = go.Figure(traces)
    fig.update_layout(template="none", height=HEIGHT, margin={"l": 70, "r": 20, "t": 20, "b": 40},
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", font={"size": 14},
                      legend={"orientation": "h", "y": -0.2}, shapes=shapes, annotations=annotations,
                      showlegend=True, yaxis=value_axis(extent, unit, currency))
    return json.loads(fig.to_json())


def page(view: ProposedView) -> dict[str, Any]:
    return {
        "cards": [card(item) for item in view.proposals],
        "figures": {item["id"]: figure(item, view.incidents) for item in view.proposals},
        "generated": f"Discovered {view.generated_at[:16].replace('T', ' ')} UTC" if view.generated_at else "",
        "problem": view.problem or "",
    }
