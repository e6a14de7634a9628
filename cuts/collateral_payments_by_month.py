"""Collateral invoices per due month: paid on time, paid late, still unpaid."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "clients",
    "title": "Collateral invoices per month: on time, late, unpaid",
    "order": 20,
    "kind": "bars",
    "metrics": ["collateral_paid_on_time_rate_30d", "collateral_covered_by_company"],
    "sources": ["webbank.core"],
    "windows": ["180d", "365d"],
    "window_default": "180d",
    "owner": "credit-risk@satchel.example",
    "prose_before": "How the monthly collateral invoices were settled, by the month they fell due.",
    "prose_after": "About 5 % paid a few days late is normal. Any *unpaid* in a closed month is an arrears case "
                   "(see the ledger above).",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        SELECT to_char(date_trunc('month', i.due_date), 'YYYY-MM') AS month,
               CASE WHEN i.paid_at IS NULL THEN 'unpaid'
                    WHEN (i.paid_at AT TIME ZONE 'UTC')::date <= i.due_date THEN 'on time'
                    ELSE 'late' END AS outcome,
               count(*)
        FROM webbank_core.card_collateral_invoice AS i
        WHERE i.due_date < (now() AT TIME ZONE 'UTC')::date
          AND i.due_date >= (now() AT TIME ZONE 'UTC')::date - {days(window)}
        GROUP BY 1, 2 ORDER BY 1
    """)
    x, series = shapes.pivot(rows, names=["on time", "late", "unpaid"])
    return {"kind": "bars", "x": x, "series": series, "stacked": True, "unit": "invoices"}
