"""Fee revenue per day, in EUR, by payment type of the fee (approved vs declined charges)."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "overview",
    "title": "Fee revenue per day",
    "order": 20,
    "kind": "bars",
    "metrics": ["fee_revenue_30d", "revenue_per_active_client_30d"],
    "sources": ["webbank.core"],
    "windows": ["30d", "90d", "180d"],
    "window_default": "90d",
    "owner": "finance@satchel.example",
    "prose_before": "Fee charges per UTC day: collected (approved) and failed (declined) — declined fees are not "
                    "revenue.",
    "prose_after": "A growing failed band means clients without funds at fee time: a collection problem, "
                   "not a pricing one.",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        SELECT (p.create_time AT TIME ZONE 'UTC')::date,
               CASE s.code WHEN 'approved' THEN 'collected' ELSE 'failed' END, round(sum(p.amount), 2)
        FROM webbank_core.payment AS p
        JOIN webbank_core.payment_state AS s ON s.id = p.state_id
        WHERE p.type_id = (SELECT t.id FROM webbank_core.payment_type AS t WHERE t.code = 'fee')
          AND s.code IN ('approved', 'declined') AND p.create_time >= now() - interval '{days(window)} days'
        GROUP BY 1, 2 ORDER BY 1
    """)
    x, series = shapes.pivot(rows, names=["collected", "failed"])
    return {"kind": "bars", "x": x, "series": series, "stacked": True, "unit": "EUR"}
