"""Clients per segment, day by day, from the daily segment snapshot (segments defined in engine/audit/segments.py)."""

from engine.audit import segments, shapes
from engine.audit.windows import days

META = {
    "page": "clients",
    "title": "Clients per segment, day by day",
    "order": 30,
    "kind": "bars",
    "metrics": ["active_clients_30d", "new_clients_onboarded_7d", "revenue_per_active_client_30d"],
    "sources": ["webbank.core"],
    # A read of heartbeat.client_segment_day (filled at 04:30 UTC), not a pass over the payments.
    "windows": ["30d", "90d"],
    "window_default": "90d",
    "owner": "growth@satchel.example",
    "prose_before": (
        "Each approved client at the end of each day falls in one segment: **in arrears** (a collateral "
        "invoice unpaid past due), **new** (approved in the last 30 days), **high-value** (≥ 10 000 EUR "
        "approved payments in the last 30 days), **active** (any approved payment in the last 30 days), "
        "**dormant** (none). Counted daily at 04:30 UTC; the first count also filled one point per week "
        "of the quarter before it."
    ),
    "prose_after": "A growing dormant band with a flat active one means clients sign up and then leave.",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.segment_history(days(window))
    x, series = shapes.pivot(rows, names=list(segments.SEGMENTS))
    return {"kind": "bars", "x": x, "series": series, "stacked": True, "unit": "clients"}
