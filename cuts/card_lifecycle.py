"""Card lifecycle: state changes per week (issued, activated, frozen, blocked)."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "journeys",
    "title": "Card lifecycle: state changes per week",
    "order": 40,
    "kind": "bars",
    "metrics": ["active_cards", "card_activation_rate_funnel"],
    "sources": ["card_management.cards"],
    "windows": ["90d", "180d"],
    "window_default": "90d",
    "owner": "cards@satchel.example",
    "prose_before": "Every card state change, by the week it happened.",
    "prose_after": "Issued cards that never turn *active* are the gap the activation-rate tile measures.",
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        SELECT (date_trunc('week', l."timestamp" AT TIME ZONE 'UTC'))::date, l.status, count(*)
        FROM card_management_cards.card_state_log AS l
        WHERE l."timestamp" >= now() - interval '{days(window)} days'
        GROUP BY 1, 2 ORDER BY 1
    """)
    x, series = shapes.pivot(rows, names=["issued", "active", "frozen", "blocked"])
    return {"kind": "bars", "x": x, "series": series, "stacked": False, "unit": "cards"}
