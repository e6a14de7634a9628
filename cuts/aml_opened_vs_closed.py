"""AML retrospective checks opened vs closed per day."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "journeys",
    "title": "AML checks opened vs closed per day",
    "order": 70,
    "kind": "timeseries",
    "metrics": ["aml_backlog_checks", "aml_throughput_ratio_7d", "aml_checks_opened_24h",
                "aml_escalation_rate_30d", "aml_case_resolution_time_p50_30d", "aml_open_cases"],
    "sources": ["aml.aml"],
    "windows": ["30d", "90d"],
    "window_default": "30d",
    "owner": "compliance@satchel.example",
    "prose_before": "Checks created and checks closed, per UTC day. The two lines travel together when the "
                    "team keeps up.",
    "prose_after": "Closed under opened day after day is the backlog growing; ask compliance for analyst "
                   "capacity before it becomes a regulatory finding.",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        WITH d AS (SELECT generate_series((now() AT TIME ZONE 'UTC')::date - {days(window)},
                                          (now() AT TIME ZONE 'UTC')::date, interval '1 day')::date AS day),
        opened AS (SELECT (create_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM aml_aml.aml_retrospective
                   WHERE create_at >= now() - interval '{days(window) + 1} days' GROUP BY 1),
        closed AS (SELECT (closed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM aml_aml.aml_retrospective
                   WHERE closed_at >= now() - interval '{days(window) + 1} days' GROUP BY 1)
        SELECT d.day, coalesce(o.n, 0), coalesce(c.n, 0)
        FROM d LEFT JOIN opened AS o USING (day) LEFT JOIN closed AS c USING (day) ORDER BY d.day
    """)
    x, series = shapes.columns(rows, "opened", "closed")
    return {"kind": "timeseries", "x": x, "series": series, "unit": "checks"}
