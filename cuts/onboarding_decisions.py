"""KYC decisions per day: approved vs rejected."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "clients",
    "title": "Onboarding decisions per day: approved vs rejected",
    "order": 50,
    "kind": "bars",
    "metrics": ["onboarding_rejection_rate_7d", "onboarding_approval_rate_funnel", "new_clients_onboarded_7d"],
    "sources": ["webbank.core"],
    "windows": ["30d", "90d"],
    "window_default": "30d",
    "owner": "compliance@satchel.example",
    "prose_before": (
        "Every KYC decision, by day. About 8 % of decisions are rejections; a sudden taller red band with a "
        "normal total is a rule change at the KYC vendor, not worse applicants."
    ),
    "prose_after": "Compare the last 7 days with the weeks before: that is what the rejection-rate tile measures.",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        SELECT (l."timestamp" AT TIME ZONE 'UTC')::date, l.profile_state, count(*)
        FROM webbank_core.client_profile_state_log AS l
        WHERE l.profile_state IN ('approved', 'rejected')
          AND l."timestamp" >= now() - interval '{days(window)} days'
        GROUP BY 1, 2 ORDER BY 1
    """)
    x, series = shapes.pivot(rows, names=["approved", "rejected"])
    return {"kind": "bars", "x": x, "series": series, "stacked": True, "unit": "decisions"}
