"""Collateral ledger: every card-collateral invoice still unpaid, per company and month."""

from engine.audit.windows import days

META = {
    "page": "clients",
    "title": "Unpaid card collateral, per company and month",
    "order": 10,
    "kind": "table",
    "metrics": ["collateral_covered_by_company", "clients_in_collateral_arrears_60d",
                "collateral_paid_on_time_rate_30d"],
    "sources": ["webbank.core"],
    "windows": ["180d", "365d"],
    "window_default": "180d",
    "owner": "credit-risk@satchel.example",
    "prose_before": (
        "Every business client pays a monthly **card collateral** invoice, due on the 15th. When it is not "
        "paid, we cover it from our own funds — lending without a credit decision. Each row below is one "
        "unpaid month of one company, oldest first; the company at the top is the one to call."
    ),
    "prose_after": (
        "*Covered by us* is the amount we advanced. A company with several unpaid months in a row has "
        "stopped paying, not paid late: freeze its cards and decide on collection."
    ),
}

COLUMNS = ["Company", "Month", "Amount due (EUR)", "Covered by us (EUR)", "Due date", "Days overdue",
           "Unpaid months of company"]


def compute(conn, *, window: str) -> dict:
    # Ordered by the company's total exposure first, so the top rows are what an alert quotes.
    rows = conn.rows(f"""
        WITH unpaid AS (
            SELECT coalesce(cp.company_name, 'client ' || cp.id) AS company, i.period, i.amount_due,
                   i.covered_amount, i.due_date,
                   (now() AT TIME ZONE 'UTC')::date - i.due_date AS days_overdue,
                   count(*) OVER (PARTITION BY cp.id) AS months,
                   sum(i.covered_amount) OVER (PARTITION BY cp.id) AS exposure
            FROM webbank_core.card_collateral_invoice AS i
            JOIN webbank_core.client_profile AS cp ON cp.id = i.client_profile_id
            WHERE i.paid_at IS NULL
              AND i.due_date < (now() AT TIME ZONE 'UTC')::date
              AND i.due_date >= (now() AT TIME ZONE 'UTC')::date - {days(window)}
        )
        SELECT company, to_char(period, 'YYYY-MM'), amount_due, covered_amount, due_date, days_overdue, months
        FROM unpaid
        ORDER BY exposure DESC, company, period
        LIMIT 200
    """)
    companies = len({r[0] for r in rows})
    total = sum(float(r[3]) for r in rows)
    return {
        "kind": "table",
        "columns": COLUMNS,
        "rows": [list(r) for r in rows],
        "highlight": "Company",
        "headline": f"{len(rows)} unpaid month(s) at {companies} compan{'y' if companies == 1 else 'ies'}, "
                    f"{total:,.0f} EUR covered by us",
    }
