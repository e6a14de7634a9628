"""AML backlog ageing: open and in-review retrospective checks by age."""

from engine.audit import shapes

META = {
    "page": "journeys",
    "title": "AML backlog by age",
    "order": 60,
    "kind": "bars",
    "metrics": ["aml_backlog_checks", "aml_throughput_ratio_7d", "aml_review_pickup_time_p50_24h"],
    "sources": ["aml.aml"],
    "windows": ["90d"],
    "window_default": "90d",
    "owner": "compliance@satchel.example",
    "prose_before": (
        "Every retrospective check not closed yet, by how long ago it was created. Checks normally close "
        "within a few days, so the old buckets should be nearly empty."
    ),
    "prose_after": "Growth in the 7–14 and 14–30 day buckets is the backlog: checks fall due faster than "
                   "analysts close them.",
}

BUCKETS = ["< 1 d", "1–3 d", "3–7 d", "7–14 d", "14–30 d", "> 30 d"]


def compute(conn, *, window: str) -> dict:
    rows = conn.rows("""
        SELECT CASE WHEN age < interval '1 day' THEN '< 1 d' WHEN age < interval '3 days' THEN '1–3 d'
                    WHEN age < interval '7 days' THEN '3–7 d' WHEN age < interval '14 days' THEN '7–14 d'
                    WHEN age < interval '30 days' THEN '14–30 d' ELSE '> 30 d' END, status, count(*)
        FROM (SELECT now() - r.create_at AS age, r.status FROM aml_aml.aml_retrospective AS r
              WHERE r.status IN ('open', 'in_review')) AS open_checks
        GROUP BY 1, 2
    """)
    x, series = shapes.pivot(rows, names=["open", "in_review"], x=BUCKETS)
    return {"kind": "bars", "x": x, "series": series, "stacked": True, "unit": "checks"}
