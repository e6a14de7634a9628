"""Card transactions per hour, as landed from the processor feed."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "journeys",
    "title": "Card transactions per hour (processor feed)",
    "order": 50,
    "kind": "timeseries",
    "metrics": ["card_feed_lag", "card_spend_30d", "card_decline_rate_7d"],
    "sources": ["card_management.cards"],
    "windows": ["7d", "30d"],
    "window_default": "7d",
    "owner": "cards@satchel.example",
    "prose_before": (
        "Card transactions created per hour, with the hours that delivered nothing shown as zero. Spend has a "
        "daily rhythm; a flat line at zero up to now is a stopped feed, not a quiet night."
    ),
    "prose_after": (
        "When the line stops, the rows that are there are fine — the processor stopped sending. Ask the card "
        "processor to re-deliver; the card spend tiles undercount until it does."
    ),
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        WITH hours AS (
            SELECT h FROM generate_series(date_trunc('hour', now()) - interval '{days(window)} days',
                                          date_trunc('hour', now()), interval '1 hour') AS h
        ), counted AS (
            SELECT date_trunc('hour', t.created_at) AS h, count(*) AS n,
                   count(*) FILTER (WHERE t.state = 'declined') AS declined
            FROM card_management_cards.card_transaction AS t
            WHERE t.created_at >= now() - interval '{days(window)} days' GROUP BY 1
        )
        SELECT to_char(hours.h AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00'), coalesce(c.n, 0),
               coalesce(c.declined, 0)
        FROM hours LEFT JOIN counted AS c USING (h) ORDER BY hours.h
    """)
    x, series = shapes.columns(rows, "transactions", "declined")
    last = next((x[i] for i in range(len(x) - 1, -1, -1) if series[0]["values"][i]), None)
    return {"kind": "timeseries", "x": x, "series": series, "unit": "transactions",
            "headline": f"last transaction in hour {last} UTC" if last else "no transactions in the window"}
