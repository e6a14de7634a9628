"""Ledger health per day: entries booked, still pending, and payments whose legs do not balance."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "overview",
    "title": "Ledger health per day",
    "order": 30,
    "kind": "timeseries",
    "metrics": ["ledger_entries_pending_over_6h", "ledger_unbalanced_payments_7d"],
    "sources": ["webbank.core"],
    "windows": ["7d", "30d"],
    "window_default": "7d",
    "owner": "finance@satchel.example",
    "prose_before": "Ledger entries created per UTC day that are still *pending*, and payments whose legs do "
                    "not balance (not one debit and one credit of the same amount).",
    "prose_after": "Both lines sit at zero on a healthy ledger, except pending entries of the last hours.",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        WITH legs AS (
            SELECT e.payment_id, min(e.create_time) AS at, count(*) AS legs,
                   count(*) FILTER (WHERE e.direction = 'debit') AS debits,
                   count(*) FILTER (WHERE e.entry_state_id = (SELECT es.id FROM webbank_core.entry_state AS es
                                                               WHERE es.code = 'pending')) AS pending,
                   sum(CASE WHEN e.direction = 'debit' THEN e.amount ELSE -e.amount END::float8) AS imbalance
            FROM webbank_core.entry AS e
            WHERE e.create_time >= now() - interval '{days(window)} days'
            GROUP BY 1
        )
        SELECT (at AT TIME ZONE 'UTC')::date, sum(pending),
               count(*) FILTER (WHERE legs <> 2 OR debits <> 1 OR abs(imbalance) >= 0.005)
        FROM legs GROUP BY 1 ORDER BY 1
    """)
    x, series = shapes.columns(rows, "pending entries", "unbalanced payments")
    return {"kind": "timeseries", "x": x, "series": series, "unit": "count"}
