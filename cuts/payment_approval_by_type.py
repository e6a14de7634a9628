"""Payment approval rate per day and payment type."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "journeys",
    "title": "Payment approval rate per day and type",
    "order": 20,
    "kind": "timeseries",
    "metrics": ["payment_approval_rate_24h", "payments_24h"],
    "sources": ["webbank.core"],
    "windows": ["7d", "30d", "90d"],
    "window_default": "30d",
    "owner": "payments@satchel.example",
    "prose_before": (
        "Share of finished payments (approved or declined) that were approved, per UTC day and payment type. "
        "Outgoing payments normally clear about 97 %."
    ),
    "prose_after": (
        "One type dipping while the others hold is a rail or partner problem for that type, not a fraud "
        "wave: ask the payments team which rail declines."
    ),
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        SELECT (p.create_time AT TIME ZONE 'UTC')::date, t.code,
               round(100.0 * avg((s.code = 'approved')::int), 2)
        FROM webbank_core.payment AS p
        JOIN webbank_core.payment_type AS t ON t.id = p.type_id
        JOIN webbank_core.payment_state AS s ON s.id = p.state_id
        WHERE s.code IN ('approved', 'declined') AND p.create_time >= now() - interval '{days(window)} days'
        GROUP BY 1, 2 ORDER BY 1
    """)
    x, series = shapes.pivot(rows, names=["outgoing", "incoming", "card_topup", "fee"], fill=None)
    return {"kind": "timeseries", "x": x, "series": series, "unit": "%", "y_title": "approved %"}
