"""Processing time of outgoing payments: from submission to decision."""

from engine.audit.windows import days

META = {
    "page": "journeys",
    "title": "Outgoing payment processing time",
    "order": 30,
    "kind": "histogram",
    "metrics": ["payment_processing_time_p50_24h", "payment_processing_time_p95_24h",
                "payments_in_flight_over_1h"],
    "sources": ["webbank.core"],
    "windows": ["1d", "7d", "30d"],
    "window_default": "7d",
    "owner": "payments@satchel.example",
    "prose_before": "Outgoing payments decided in the window, by the time from creation to approval or decline.",
    "prose_after": "The p50 tile is the middle of this shape, the p95 tile its right tail.",
}

BUCKETS = ["< 10 s", "10–30 s", "30–60 s", "1–5 min", "5–30 min", "30–60 min", "> 1 h"]


def compute(conn, *, window: str) -> dict:
    rows = dict(conn.rows(f"""
        WITH waits AS (
            SELECT extract(epoch FROM l."timestamp" - p.create_time) AS s
            FROM webbank_core.payment AS p
            JOIN webbank_core.payment_state_log AS l ON l.payment_id = p.id
            WHERE p.type_id = (SELECT t.id FROM webbank_core.payment_type AS t WHERE t.code = 'outgoing')
              AND l.state_id IN (SELECT s.id FROM webbank_core.payment_state AS s
                                 WHERE s.code IN ('approved', 'declined'))
              AND p.create_time >= now() - interval '{days(window)} days'
              AND l."timestamp" >= now() - interval '{days(window)} days'
        )
        SELECT CASE WHEN s < 10 THEN '< 10 s' WHEN s < 30 THEN '10–30 s' WHEN s < 60 THEN '30–60 s'
                    WHEN s < 300 THEN '1–5 min' WHEN s < 1800 THEN '5–30 min' WHEN s < 3600 THEN '30–60 min'
                    ELSE '> 1 h' END, count(*)
        FROM waits GROUP BY 1
    """))
    return {"kind": "histogram", "bins": [{"label": b, "count": int(rows.get(b, 0))} for b in BUCKETS],
            "unit": "payments"}
