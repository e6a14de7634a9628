"""The incidents planted in the demo sources, each with the query that proves it and its known answer.

Queries are written against a source schema (``{schema}``) and take the
build's ``now`` (``%(now)s``), so they prove the incident on the source
databases and, with the landed schema name, on the marts as well. Every
query is time-zone independent and returns a small, scale-free answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Sequence

import psycopg

from engine.core.db import Database
from engine.demo import aml, cards, webbank
from engine.demo.plan import ARREARS_COMPANY, ARREARS_MONTHLY_COLLATERAL, ARREARS_MONTHS

SOURCE_SCHEMAS = {webbank.DATABASE: webbank.SCHEMA, aml.DATABASE: aml.SCHEMA, cards.DATABASE: cards.SCHEMA}


@dataclass(frozen=True)
class Between:
    """An expected number within [low, high] (shares and ratios vary a little with seed and now)."""

    low: float
    high: float

    def matches(self, value: Any) -> bool:
        return value is not None and self.low <= float(value) <= self.high

    def __str__(self) -> str:
        return f"between {self.low} and {self.high}"


@dataclass(frozen=True)
class Incident:
    id: str
    title: str
    description: str
    database: str  # the source database (without prefix) the query runs on
    sql: str  # ``{schema}``: the source schema or its landed name; ``%(now)s``: the build's now
    columns: tuple[str, ...]
    expected: tuple[tuple[Any, ...], ...]  # rows; a cell is an exact value or a Between

    def query(self, schema: str | None = None) -> str:
        """The proving SQL for ``schema`` (default: the schema in the source database)."""
        return self.sql.format(schema=schema or SOURCE_SCHEMAS[self.database])

    def mismatches(self, rows: Sequence[Sequence[Any]]) -> list[str]:
        """What differs between ``rows`` and the known answer (empty: the incident is there)."""
        if len(rows) != len(self.expected):
            return [f"{self.id}: expected {len(self.expected)} row(s), got {len(rows)}: {list(rows)!r}"]
        problems = []
        for row, expected in zip(rows, self.expected):
            for column, value, want in zip(self.columns, row, expected):
                ok = want.matches(value) if isinstance(want, Between) else value == want
                if not ok:
                    problems.append(f"{self.id}.{column}: expected {want}, got {value!r}")
        return problems


_NOW = "(SELECT %(now)s::timestamptz AS at)"

INCIDENTS: tuple[Incident, ...] = (
    Incident(
        id="collateral_arrears",
        title="A company has not paid its card collateral for four months",
        description=(
            f"{ARREARS_COMPANY}, a business client with {cards.ARREARS_CARDS} cards and steady card spend, "
            f"left its last {ARREARS_MONTHS} monthly card collateral invoices ({ARREARS_MONTHLY_COLLATERAL:,} EUR "
            "each, due on the 15th) unpaid; on each due date the company covered the collateral from its own "
            "funds (covered_by_company). Every other client pays, about 5 % of invoices a few days late. "
            "The query lists clients with an invoice unpaid for more than 60 days."
        ),
        database=webbank.DATABASE,
        sql="""
            SELECT cp.company_name, count(*) AS overdue_invoices, sum(i.covered_amount) AS covered_amount,
                   bool_and(i.covered_by_company) AS all_covered,
                   (n.at AT TIME ZONE 'UTC')::date - min(i.due_date) AS days_overdue
            FROM {schema}.card_collateral_invoice AS i
            JOIN {schema}.client_profile AS cp ON cp.id = i.client_profile_id
            CROSS JOIN """ + _NOW + """ AS n
            WHERE i.paid_at IS NULL AND i.due_date < (n.at AT TIME ZONE 'UTC')
            GROUP BY cp.id, cp.company_name, n.at
            HAVING min(i.due_date) < (n.at AT TIME ZONE 'UTC') - interval '60 days'
        """,
        columns=("company_name", "overdue_invoices", "covered_amount", "all_covered", "days_overdue"),
        expected=((ARREARS_COMPANY, ARREARS_MONTHS, Decimal(ARREARS_MONTHS * ARREARS_MONTHLY_COLLATERAL),
                   True, Between(89, 125)),),
    ),
    Incident(
        id="aml_backlog",
        title="The AML retrospective backlog has grown for two weeks",
        description=(
            "Open + in-review retrospective checks were flat for months (each check closes a few days after "
            "it is created). For the last 14 days analysts closed only about 55 % of the checks that fell due, "
            "so the backlog grows every week. The query reconstructs the backlog at now - 28 d, - 14 d, - 7 d "
            "and now from create_at / closed_at, and compares closings in the last 14 days with the 14 before."
        ),
        database=aml.DATABASE,
        sql="""
            WITH backlog AS (
                SELECT
                    count(*) FILTER (WHERE r.create_at <= n.at - interval '28 days'
                        AND (r.closed_at IS NULL OR r.closed_at > n.at - interval '28 days')) AS d28,
                    count(*) FILTER (WHERE r.create_at <= n.at - interval '14 days'
                        AND (r.closed_at IS NULL OR r.closed_at > n.at - interval '14 days')) AS d14,
                    count(*) FILTER (WHERE r.create_at <= n.at - interval '7 days'
                        AND (r.closed_at IS NULL OR r.closed_at > n.at - interval '7 days')) AS d7,
                    count(*) FILTER (WHERE r.create_at <= n.at AND (r.closed_at IS NULL OR r.closed_at > n.at)) AS d0,
                    count(*) FILTER (WHERE r.closed_at > n.at - interval '14 days' AND r.closed_at <= n.at) AS closed_recent,
                    count(*) FILTER (WHERE r.closed_at > n.at - interval '28 days'
                        AND r.closed_at <= n.at - interval '14 days') AS closed_before
                FROM {schema}.aml_retrospective AS r CROSS JOIN """ + _NOW + """ AS n
            )
            SELECT round(d14::numeric / nullif(d28, 0), 2) AS flat_before,
                   round(d7::numeric / nullif(d14, 0), 2) AS growth_first_week,
                   round(d0::numeric / nullif(d7, 0), 2) AS growth_second_week,
                   round(closed_recent::numeric / nullif(closed_before, 0), 2) AS closing_ratio
            FROM backlog
        """,
        columns=("flat_before", "growth_first_week", "growth_second_week", "closing_ratio"),
        expected=((Between(0.8, 1.25), Between(1.3, 4.0), Between(1.2, 3.0), Between(0.4, 0.75)),),
    ),
    Incident(
        id="approval_dip",
        title="Outgoing payment approval rate dipped in the last 24 hours",
        description=(
            "Outgoing payments are normally declined about 3 % of the time; since now - 24 h a rail problem "
            "declines about 15 %. Other payment types, volumes and processing times are normal. The query "
            "compares the approval rate of finished outgoing payments in the last 24 h with the 7 days before."
        ),
        database=webbank.DATABASE,
        sql="""
            SELECT round(avg((s.code = 'approved')::int) FILTER (WHERE p.create_time >= n.at - interval '24 hours'), 3)
                       AS approval_last_24h,
                   round(avg((s.code = 'approved')::int) FILTER (WHERE p.create_time < n.at - interval '24 hours'), 3)
                       AS approval_previous_7d
            FROM {schema}.payment AS p
            JOIN {schema}.payment_type AS t ON t.id = p.type_id
            JOIN {schema}.payment_state AS s ON s.id = p.state_id
            CROSS JOIN """ + _NOW + """ AS n
            WHERE t.code = 'outgoing' AND s.code IN ('approved', 'declined')
              AND p.create_time >= n.at - interval '8 days' AND p.create_time < n.at
        """,
        columns=("approval_last_24h", "approval_previous_7d"),
        expected=((Between(0.78, 0.90), Between(0.955, 0.985)),),
    ),
    Incident(
        id="stale_feed",
        title="The card transaction feed stopped two days ago",
        description=(
            "card_management.card_transaction has no new or updated row since now - 48 h: the processor "
            "feed stopped, while cards, payments, AML and the rates API stay current. The CSV drop folder of "
            "currency rates stopped at the same time: its newest file is for the day two days before now "
            "(and its modification time is that day, 00:05 UTC). Stale, not bad: the rows that are there are "
            "fine. The query counts card transactions created and updated in the last 48 h and before."
        ),
        database=cards.DATABASE,
        sql="""
            SELECT count(*) FILTER (WHERE t.created_at > n.at - interval '48 hours') AS created_last_48h,
                   count(*) FILTER (WHERE t.update_time > n.at - interval '48 hours') AS updated_last_48h,
                   count(*) FILTER (WHERE t.created_at > n.at - interval '96 hours'
                       AND t.created_at <= n.at - interval '48 hours') > 0 AS delivered_before,
                   round(extract(epoch FROM n.at - max(t.created_at)) / 3600) AS hours_since_last
            FROM {schema}.card_transaction AS t CROSS JOIN """ + _NOW + """ AS n
            GROUP BY n.at
        """,
        columns=("created_last_48h", "updated_last_48h", "delivered_before", "hours_since_last"),
        expected=((0, 0, True, Between(48, 60)),),
    ),
    Incident(
        id="onboarding_rejections",
        title="KYC rejections spiked in the last 7 days",
        description=(
            "About 8 % of onboarding decisions are rejections; for the last 7 days about 30 % are (a KYC "
            "vendor rule change), while onboarding volume is normal. The query compares the rejected share "
            "of decisions (approved / rejected state-log rows) in the last 7 days with the 28 days before."
        ),
        database=webbank.DATABASE,
        sql="""
            SELECT round(avg((l.profile_state = 'rejected')::int)
                       FILTER (WHERE l."timestamp" >= n.at - interval '7 days'), 3) AS rejected_last_7d,
                   round(avg((l.profile_state = 'rejected')::int)
                       FILTER (WHERE l."timestamp" < n.at - interval '7 days'), 3) AS rejected_previous_28d
            FROM {schema}.client_profile_state_log AS l CROSS JOIN """ + _NOW + """ AS n
            WHERE l.profile_state IN ('approved', 'rejected')
              AND l."timestamp" >= n.at - interval '35 days' AND l."timestamp" < n.at
        """,
        columns=("rejected_last_7d", "rejected_previous_28d"),
        expected=((Between(0.2, 0.42), Between(0.05, 0.11)),),
    ),
)


def by_id(incident_id: str) -> Incident:
    for incident in INCIDENTS:
        if incident.id == incident_id:
            return incident
    raise KeyError(f"no planted incident {incident_id!r}; known: {', '.join(i.id for i in INCIDENTS)}")


def prove(db: Database, incident: Incident, *, now: datetime, prefix: str = "") -> list[tuple[Any, ...]]:
    """Run the incident's query on its source database; returns the rows."""
    with psycopg.connect(db.sources.dsn(prefix + incident.database), connect_timeout=10) as conn:
        return [tuple(row) for row in conn.execute(incident.query(), {"now": now})]


def verify(db: Database, *, now: datetime, prefix: str = "") -> dict[str, list[str]]:
    """Every incident's mismatches on the built sources (all lists empty: every incident is planted)."""
    return {incident.id: incident.mismatches(prove(db, incident, now=now, prefix=prefix)) for incident in INCIDENTS}
