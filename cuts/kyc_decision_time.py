"""KYC decision time: how long applicants wait from documents submitted to a decision."""

from engine.audit.windows import days

META = {
    "page": "clients",
    "title": "KYC decision time",
    "order": 60,
    "kind": "histogram",
    "metrics": ["kyc_decision_time_p50_7d"],
    "sources": ["webbank.core"],
    "windows": ["7d", "30d", "90d"],
    "window_default": "30d",
    "owner": "compliance@satchel.example",
    "prose_before": "Decisions made in the window, by the time from *kyc_pending* to approved or rejected.",
    "prose_after": "A tail past two days means applications wait for a manual review nobody picked up.",
}

BUCKETS = ["< 1 h", "1–4 h", "4–12 h", "12–24 h", "1–2 d", "2–7 d", "> 7 d"]


def compute(conn, *, window: str) -> dict:
    rows = dict(conn.rows(f"""
        WITH decisions AS (
            SELECT l.client_profile_id,
                   max(l."timestamp") FILTER (WHERE l.profile_state = 'kyc_pending') AS submitted_at,
                   max(l."timestamp") FILTER (WHERE l.profile_state IN ('approved', 'rejected')) AS decided_at
            FROM webbank_core.client_profile_state_log AS l
            WHERE l.profile_state IN ('kyc_pending', 'approved', 'rejected')
              AND l."timestamp" >= now() - interval '{days(window) + 30} days'
            GROUP BY 1
        ), waits AS (
            SELECT extract(epoch FROM decided_at - submitted_at) / 3600 AS hours FROM decisions
            WHERE decided_at >= now() - interval '{days(window)} days' AND submitted_at IS NOT NULL
        )
        SELECT CASE WHEN hours < 1 THEN '< 1 h' WHEN hours < 4 THEN '1–4 h' WHEN hours < 12 THEN '4–12 h'
                    WHEN hours < 24 THEN '12–24 h' WHEN hours < 48 THEN '1–2 d' WHEN hours < 168 THEN '2–7 d'
                    ELSE '> 7 d' END, count(*)
        FROM waits GROUP BY 1
    """))
    return {"kind": "histogram", "bins": [{"label": b, "count": int(rows.get(b, 0))} for b in BUCKETS],
            "unit": "decisions"}
