"""Dormancy: approved clients by days since their last approved payment."""

META = {
    "page": "clients",
    "title": "Days since each client's last payment",
    "order": 40,
    "kind": "histogram",
    "metrics": ["active_clients_30d"],
    "sources": ["webbank.core"],
    "windows": ["180d"],
    "window_default": "180d",
    "owner": "growth@satchel.example",
    "prose_before": "Every approved client, by how long ago it last sent an approved payment.",
    "prose_after": "Clients past 30 days drop out of *active clients*; past 90 days they are worth a call.",
}

BUCKETS = ["0–7 d", "8–30 d", "31–60 d", "61–90 d", "91–180 d", "never"]


def compute(conn, *, window: str) -> dict:
    rows = dict(conn.rows("""
        WITH clients AS (
            SELECT DISTINCT client_profile_id AS id FROM webbank_core.client_profile_state_log
            WHERE profile_state = 'approved'
        ), last_paid AS (
            SELECT p.sender_profile_id AS id, max(p.create_time) AS at
            FROM webbank_core.payment AS p
            WHERE p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
            GROUP BY 1
        )
        SELECT CASE WHEN lp.at IS NULL THEN 'never'
                    WHEN lp.at >= now() - interval '7 days' THEN '0–7 d'
                    WHEN lp.at >= now() - interval '30 days' THEN '8–30 d'
                    WHEN lp.at >= now() - interval '60 days' THEN '31–60 d'
                    WHEN lp.at >= now() - interval '90 days' THEN '61–90 d'
                    ELSE '91–180 d' END, count(*)
        FROM clients AS c LEFT JOIN last_paid AS lp ON lp.id = c.id
        GROUP BY 1
    """))
    return {"kind": "histogram", "bins": [{"label": b, "count": int(rows.get(b, 0))} for b in BUCKETS],
            "unit": "clients"}
