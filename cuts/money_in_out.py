"""Money in and out per day, in EUR."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "overview",
    "title": "Money in and out per day",
    "order": 10,
    "kind": "bars",
    "metrics": ["money_in_7d", "money_out_7d", "net_inflow_30d"],
    "sources": ["webbank.core", "currency_rate.rates"],
    "windows": ["7d", "30d", "90d"],
    "window_default": "30d",
    "owner": "finance@satchel.example",
    "prose_before": "Approved incoming and outgoing payments per UTC day, converted to EUR at the latest API rate.",
    "prose_after": "Weekends are quieter. Out above in for a week is worth a look at who is leaving.",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        WITH fx AS (
            SELECT 'EUR' AS currency, 1.0::float8 AS rate
            UNION ALL
            (SELECT DISTINCT ON (r.quote) r.quote, r.rate FROM currency_rate_rates.rates AS r
             WHERE r.base = 'EUR' ORDER BY r.quote, r.date DESC, r.updated_at DESC)
        )
        SELECT (p.create_time AT TIME ZONE 'UTC')::date,
               CASE t.code WHEN 'incoming' THEN 'money in' ELSE 'money out' END, round(sum(p.amount / fx.rate))
        FROM webbank_core.payment AS p
        JOIN webbank_core.payment_type AS t ON t.id = p.type_id
        JOIN fx ON fx.currency = p.currency
        WHERE t.code IN ('incoming', 'outgoing')
          AND p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
          AND p.create_time >= now() - interval '{days(window)} days'
        GROUP BY 1, 2 ORDER BY 1
    """)
    x, series = shapes.pivot(rows, names=["money in", "money out"])
    return {"kind": "bars", "x": x, "series": series, "stacked": False, "unit": "EUR"}
