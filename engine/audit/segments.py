"""Client segmentation: how many approved clients fall in each segment, one row per segment and day.

A client is *approved* from its first ``profile_state = 'approved'`` event in
``webbank_core.client_profile_state_log``. At the end of a day D (for today: now)
every approved client is in exactly one segment, the first that applies:

1. **in arrears** — a ``card_collateral_invoice`` of the client is past its
   ``due_date`` and was not paid by then (``paid_at`` null or later): we are
   covering its card collateral, whatever else it does;
2. **new** — approved in the 30 days up to D;
3. **high-value** — ≥ 10 000 EUR of approved payments (``webbank_core.payment``
   with state ``approved``, by ``sender_profile_id``) in the 30 days up to D;
4. **active** — at least one approved payment in those 30 days;
5. **dormant** — none.

The order is deliberate: arrears is what a credit owner must see even for a
busy client, and a new client has had no time to become dormant.

``snapshot`` stores the counts in ``heartbeat.client_segment_day`` (the history
the ``client_segments`` cut draws); the ``30 4 * * *`` job runs it daily. The
first run, on an empty table, also fills one point per week of the last
``SEED_WEEKS`` weeks, so the chart has a trend from day one. Each day's SQL
runs read-only on the marts through ``engine.metrics.sql``, like cut SQL, with
the metric statement timeout; one day is one 30-day slice of the payments, so
the daily job stays well under a second at scale 1.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from engine.metrics.compute import ComputeContext
from engine.metrics.sql import run_readonly

log = logging.getLogger(__name__)

SEGMENTS = ("new", "active", "high-value", "dormant", "in arrears")
HIGH_VALUE_EUR = 10000
ACTIVE_DAYS = 30
SEED_WEEKS = 13

# {at} is a timestamptz literal built here from a date, never from input.
_COUNTS = """
    WITH approved AS (
        SELECT client_profile_id AS client, min("timestamp") AS at
        FROM webbank_core.client_profile_state_log WHERE profile_state = 'approved' GROUP BY 1
    ), paid AS (
        SELECT p.sender_profile_id AS client, sum(p.amount) AS amount
        FROM webbank_core.payment AS p
        WHERE p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
          AND p.create_time >= {at} - interval '{active} days' AND p.create_time < {at}
        GROUP BY 1
    ), arrears AS (
        SELECT DISTINCT i.client_profile_id AS client FROM webbank_core.card_collateral_invoice AS i
        WHERE i.due_date < ({at} AT TIME ZONE 'UTC')::date AND (i.paid_at IS NULL OR i.paid_at >= {at})
    )
    SELECT CASE WHEN ar.client IS NOT NULL THEN 'in arrears'
                WHEN a.at >= {at} - interval '{active} days' THEN 'new'
                WHEN pd.amount >= {high} THEN 'high-value'
                WHEN pd.client IS NOT NULL THEN 'active'
                ELSE 'dormant' END, count(*)
    FROM approved AS a
    LEFT JOIN paid AS pd ON pd.client = a.client
    LEFT JOIN arrears AS ar ON ar.client = a.client
    WHERE a.at < {at}
    GROUP BY 1
"""

_STORE = text(
    """
    INSERT INTO heartbeat.client_segment_day (day, segment, clients, computed_at)
    VALUES (:day, :segment, :clients, now())
    ON CONFLICT (day, segment) DO UPDATE SET clients = EXCLUDED.clients, computed_at = now()
    """
)


def _instant(day: date, today: date) -> str:
    """The end of ``day`` as SQL: now() for today (the day is not over), else the next midnight UTC."""
    if day >= today:
        return "now()"
    return f"TIMESTAMPTZ '{(day + timedelta(days=1)).isoformat()} 00:00:00+00'"


def counts(conn, day: date, timeout: float, *, today: date) -> dict[str, int]:
    """Clients per segment at the end of ``day`` (every segment present, 0 when empty)."""
    sql = _COUNTS.format(at=_instant(day, today), active=ACTIVE_DAYS, high=HIGH_VALUE_EUR)
    found = dict(run_readonly(conn, sql, timeout, "engine/audit/segments.py"))
    return {s: int(found.get(s, 0)) for s in SEGMENTS}


def _days_to_compute(engine: Engine, today: date) -> list[date]:
    with engine.connect() as db:
        empty = db.execute(text("SELECT NOT EXISTS (SELECT 1 FROM heartbeat.client_segment_day)")).scalar()
    if not empty:
        return [today]
    return [today - timedelta(weeks=w) for w in range(SEED_WEEKS, 0, -1)] + [today]


def snapshot(ctx: ComputeContext, *, today: date | None = None) -> list[date]:
    """Store today's counts (and, on an empty table, the weekly seed); returns the days written."""
    today = today or datetime.now(timezone.utc).date()
    engine = ctx.db.engine()
    days = _days_to_compute(engine, today)
    with ctx.connect() as conn:
        for day in days:
            found = counts(conn, day, ctx.statement_timeout, today=today)
            # One transaction per day: a later failure keeps the days already counted.
            with engine.begin() as db:
                db.execute(_STORE, [{"day": day, "segment": s, "clients": n} for s, n in found.items()])
    log.info("client segments: %s day(s) written, up to %s", len(days), today)
    return days


def history(engine: Engine, since_days: int) -> list[tuple[Any, str, int]]:
    """(day, segment, clients) of the last ``since_days`` days, oldest first — what the cut draws."""
    with engine.connect() as db:
        return [tuple(r) for r in db.execute(text(
            """
            SELECT day, segment, clients FROM heartbeat.client_segment_day
            WHERE day > (now() AT TIME ZONE 'UTC')::date - CAST(:days AS integer)
            ORDER BY day, segment
            """), {"days": since_days})]
