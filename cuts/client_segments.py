"""Clients per segment, week by week (segments defined in engine/audit/segments.py terms)."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "clients",
    "title": "Clients per segment, week by week",
    "order": 30,
    "kind": "bars",
    "metrics": ["active_clients_30d", "new_clients_onboarded_7d", "revenue_per_active_client_30d"],
    "sources": ["webbank.core"],
    # One window: the weekly classification of every client is the heaviest cut (~3-5 s at scale 1).
    "windows": ["90d"],
    "window_default": "90d",
    "owner": "growth@satchel.example",
    "prose_before": (
        "Each approved client at the end of each week falls in one segment: **new** (approved in the last 30 "
        "days), **high-value** (≥ 10 000 EUR approved payments in the last 4 weeks), **active** (any approved "
        "payment in the last 4 weeks), **dormant** (none), **in arrears** (a collateral invoice unpaid past due)."
    ),
    "prose_after": "A growing dormant band with a flat active one means clients sign up and then leave.",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        WITH weeks AS (
            SELECT w::date AS week_end
            FROM generate_series(date_trunc('week', now() AT TIME ZONE 'UTC') - interval '{days(window)} days',
                                 date_trunc('week', now() AT TIME ZONE 'UTC'), interval '7 days') AS w
        ), approved AS (
            SELECT client_profile_id, min("timestamp") AS at
            FROM webbank_core.client_profile_state_log WHERE profile_state = 'approved' GROUP BY 1
        ), paid_weekly AS (  -- one pass over the payments: per client and week
            SELECT p.sender_profile_id AS client, date_trunc('week', p.create_time AT TIME ZONE 'UTC')::date AS week,
                   sum(p.amount) AS amount
            FROM webbank_core.payment AS p
            WHERE p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
              AND p.create_time >= now() - interval '{days(window) + 35} days'
            GROUP BY 1, 2
        ), paid AS (  -- each week counts towards the four week ends after it: "the last 4 weeks"
            SELECT (pw.week + 7 * (k + 1))::date AS week_end, pw.client, sum(pw.amount) AS amount
            FROM paid_weekly AS pw CROSS JOIN generate_series(0, 3) AS k
            GROUP BY 1, 2
        ), arrears AS (
            SELECT w.week_end, i.client_profile_id AS client
            FROM weeks AS w JOIN webbank_core.card_collateral_invoice AS i
              ON i.due_date < w.week_end AND (i.paid_at IS NULL OR i.paid_at >= w.week_end::timestamptz)
            GROUP BY 1, 2
        )
        SELECT w.week_end,
               CASE WHEN ar.client IS NOT NULL THEN 'in arrears'
                    WHEN a.at >= w.week_end::timestamptz - interval '30 days' THEN 'new'
                    WHEN pd.amount >= 10000 THEN 'high-value'
                    WHEN pd.client IS NOT NULL THEN 'active'
                    ELSE 'dormant' END AS segment,
               count(*)
        FROM weeks AS w
        JOIN approved AS a ON a.at < w.week_end::timestamptz
        LEFT JOIN paid AS pd ON pd.week_end = w.week_end AND pd.client = a.client_profile_id
        LEFT JOIN arrears AS ar ON ar.week_end = w.week_end AND ar.client = a.client_profile_id
        GROUP BY 1, 2 ORDER BY 1
    """)
    x, series = shapes.pivot(rows, names=["new", "active", "high-value", "dormant", "in arrears"])
    return {"kind": "bars", "x": x, "series": series, "stacked": True, "unit": "clients"}
