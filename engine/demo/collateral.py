"""Card collateral invoices and their payments (webbank ``core``), with the planted arrears.

Business clients with cards post monthly collateral for their card spend: an
invoice on the 1st, due on the 15th. Everyone pays, a few of them some days
late; one company stopped paying four months ago and the company has covered
each missed invoice from its own funds since.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from engine.demo.plan import ARREARS_MONTHLY_COLLATERAL, Plan
from engine.demo.random_sql import literal

LATE_SHARE = 0.05
LATE_DAYS_MAX = 12
EARLY_DAYS_MAX = 10
TYPICAL_COLLATERAL = 1500.0  # EUR per month, median over clients


def _terms(plan: Plan, rows: str) -> str:
    """Subquery: invoice ``rows`` (client_profile_id, period, due_date, created) with amount and payment time."""
    r, arrears = plan.rand, plan.arrears_client_id
    key = "(i.client_profile_id * 100000 + extract(year FROM i.period)::int * 12 + extract(month FROM i.period)::int)"
    base = f"round({r.lognormal('i.client_profile_id', 'collateral.base', TYPICAL_COLLATERAL, 0.8)}::numeric, -1)"
    in_arrears = f"(i.client_profile_id = {arrears} AND i.due_date >= {literal(plan.arrears_from)})"
    pays_at = (
        f"CASE WHEN {in_arrears} THEN NULL"
        f" WHEN {r.u(key, 'collateral.late')} < {LATE_SHARE}"
        f" THEN i.due_date::timestamptz + (1 + {r.u(key, 'collateral.days')} * {LATE_DAYS_MAX - 1}) * interval '1 day'"
        f" ELSE i.due_date::timestamptz - {r.u(key, 'collateral.days')} * {EARLY_DAYS_MAX} * interval '1 day'"
        f" + interval '10 hours' END"
    )
    return f"""(
        SELECT i.*,
            CASE WHEN i.client_profile_id = {arrears} THEN {ARREARS_MONTHLY_COLLATERAL}::numeric
                 ELSE round({base} * (0.9 + 0.2 * {r.u(key, 'collateral.month')})::numeric, 2) END AS amount_due,
            {in_arrears} AS in_arrears,
            {pays_at} AS pays_at
        FROM {rows} AS i OFFSET 0
    )"""


def _issued(plan: Plan, holders: str, until: datetime, after: datetime | None = None) -> str:
    """Invoice rows issued in (after, until] to ``holders`` (client_profile_id, first_period): one a month."""
    lower = "" if after is None else f" AND created > {literal(after)}"
    return f"""(
        SELECT * FROM (
            SELECT h.client_profile_id, p::date AS period, (p + interval '14 days')::date AS due_date,
                   p + interval '6 hours' AS created
            FROM {holders} AS h
            CROSS JOIN LATERAL generate_series(
                greatest(h.first_period, date_trunc('month', {literal(plan.start)})::date),
                date_trunc('month', {literal(until)}), interval '1 month') AS p
        ) AS issued
        WHERE created <= {literal(until)}{lower}
    )"""


def _insert_invoices(
    conn: psycopg.Connection, plan: Plan, holders: str, until: datetime, after: datetime | None = None
) -> None:
    t = literal(until)
    covered = f"(i.in_arrears AND i.due_date < {t})"
    conn.execute(
        f"""
        INSERT INTO core.card_collateral_invoice (client_profile_id, period, amount_due, currency, due_date,
            paid_at, covered_by_company, covered_amount, create_time, update_time)
        SELECT i.client_profile_id, i.period, i.amount_due, 'EUR', i.due_date,
            CASE WHEN i.pays_at <= {t} THEN i.pays_at END,
            {covered}, CASE WHEN {covered} THEN i.amount_due ELSE 0 END,
            i.created,
            CASE WHEN i.pays_at <= {t} THEN i.pays_at WHEN {covered} THEN i.due_date::timestamptz ELSE i.created END
        FROM {_terms(plan, _issued(plan, holders, until, after))} AS i
        ORDER BY i.period, i.client_profile_id
        ON CONFLICT (client_profile_id, period) DO NOTHING
        """
    )


def build(conn: psycopg.Connection, plan: Plan, card_holders: list[tuple[int, datetime]]) -> None:
    """Invoices for business card holders ((client id, first card issued) pairs), as of ``plan.now``."""
    conn.execute("CREATE TEMP TABLE card_holders (client_profile_id bigint PRIMARY KEY, first_card_at timestamptz)")
    with conn.cursor().copy("COPY card_holders (client_profile_id, first_card_at) FROM STDIN") as copy:
        for holder in card_holders:
            copy.write_row(holder)
    holders = (
        "(SELECT client_profile_id,"
        " (date_trunc('month', first_card_at) + interval '1 month')::date AS first_period FROM card_holders)"
    )
    _insert_invoices(conn, plan, holders, plan.now)
    conn.execute(
        """
        INSERT INTO core.collateral_payment (invoice_id, client_profile_id, amount, currency, paid_at, create_time)
        SELECT id, client_profile_id, amount_due, currency, paid_at, paid_at
        FROM core.card_collateral_invoice WHERE paid_at IS NOT NULL ORDER BY paid_at, id
        """
    )
    conn.execute("DROP TABLE card_holders")


def live(conn: psycopg.Connection, plan: Plan, *, after: datetime, until: datetime) -> None:
    """Issue the invoices of a new month, book payments that came in, cover the arrears when due."""
    t = literal(until)
    holders = (
        "(SELECT client_profile_id, min(period) AS first_period"
        " FROM core.card_collateral_invoice GROUP BY client_profile_id)"
    )
    _insert_invoices(conn, plan, holders, until, after)
    unpaid = (
        "(SELECT client_profile_id, period, due_date, create_time AS created"
        " FROM core.card_collateral_invoice WHERE paid_at IS NULL)"
    )
    conn.execute(
        f"""
        WITH paid AS (
            UPDATE core.card_collateral_invoice AS c SET paid_at = i.pays_at, update_time = {t}
            FROM {_terms(plan, unpaid)} AS i
            WHERE i.client_profile_id = c.client_profile_id AND i.period = c.period
              AND c.paid_at IS NULL AND i.pays_at <= {t}
            RETURNING c.id, c.client_profile_id, c.amount_due, c.currency, c.paid_at
        )
        INSERT INTO core.collateral_payment (invoice_id, client_profile_id, amount, currency, paid_at, create_time)
        SELECT id, client_profile_id, amount_due, currency, paid_at, {t} FROM paid ORDER BY paid_at, id
        """
    )
    conn.execute(
        f"""
        UPDATE core.card_collateral_invoice
        SET covered_by_company = true, covered_amount = amount_due, update_time = {t}
        WHERE client_profile_id = {plan.arrears_client_id} AND paid_at IS NULL AND NOT covered_by_company
          AND due_date >= {literal(plan.arrears_from)} AND due_date < {t}
        """
    )
