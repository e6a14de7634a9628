"""How busy a stream of rows is, hour by hour: growth, weekly and daily rhythm, day-to-day noise.

A generator asks for a temporary table of hourly buckets (t0, t1, n,
first_id) and expands it with ``generate_series(1, n)``. Ids run in time
order, like a serial key, and the counts are seeded, so a build and the live
mode that continues it draw from the same curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from engine.demo.plan import WINDOW, Plan
from engine.demo.random_sql import Rand, literal


@dataclass(frozen=True)
class Shape:
    """Relative volume by hour of day (UTC, 24 values) and ISO weekday (Monday first, 7 values)."""

    hourly: tuple[float, ...]
    weekly: tuple[float, ...]
    growth: float  # volume at the end of the window relative to its start
    daily_noise: float  # standard deviation of the day-to-day factor

    def __post_init__(self) -> None:
        if len(self.hourly) != 24 or len(self.weekly) != 7:
            raise ValueError("a shape needs 24 hourly and 7 weekly weights")


_OFFICE_HOURS = (
    0.12, 0.08, 0.06, 0.06, 0.08, 0.15, 0.35, 0.65, 0.9, 1.0, 1.0, 1.0,
    0.95, 1.0, 1.0, 0.95, 0.9, 0.8, 0.65, 0.55, 0.45, 0.35, 0.25, 0.18,
)
_SPENDING_HOURS = (
    0.15, 0.08, 0.05, 0.04, 0.05, 0.1, 0.25, 0.5, 0.7, 0.8, 0.85, 0.95,
    1.0, 0.95, 0.85, 0.85, 0.9, 0.95, 1.0, 0.95, 0.8, 0.6, 0.4, 0.25,
)

# A business-banking client base: weekends are clearly quieter.
PAYMENTS = Shape(_OFFICE_HOURS, (1.0, 1.02, 1.0, 0.98, 0.95, 0.5, 0.42), growth=1.6, daily_noise=0.05)
ONBOARDING = Shape(_OFFICE_HOURS, (1.0, 1.0, 1.0, 1.0, 0.9, 0.45, 0.4), growth=1.5, daily_noise=0.08)
AML_CHECKS = Shape(_OFFICE_HOURS, (1.0, 1.0, 1.0, 1.0, 0.95, 0.55, 0.5), growth=1.6, daily_noise=0.05)
CARD_SPEND = Shape(_SPENDING_HOURS, (0.95, 1.0, 1.0, 1.02, 1.08, 0.72, 0.6), growth=1.5, daily_noise=0.05)


def _weight_sql(shape: Shape, plan: Plan, stream: str, t: str) -> str:
    """Relative volume at time ``t`` (an SQL expression); growth continues past the window end."""
    hourly = ", ".join(repr(x) for x in shape.hourly)
    weekly = ", ".join(repr(x) for x in shape.weekly)
    day = f"floor(extract(epoch FROM {t}) / 86400)::bigint"
    noise = f"greatest(0.3, 1.0 + {shape.daily_noise!r} * {plan.rand.normal(day, stream + '.day')})"
    growth = (
        f"exp(ln({shape.growth!r}) * extract(epoch FROM {t} - {literal(plan.start)})"
        f" / {WINDOW.total_seconds()!r})"
    )
    return (
        f"((ARRAY[{hourly}])[extract(hour FROM {t})::int + 1]"
        f" * (ARRAY[{weekly}])[extract(isodow FROM {t})::int] * {growth} * {noise})"
    )


def _hours_sql(start: datetime, end: datetime) -> str:
    """Hour slices [t0, t1) covering [start, end), partial at both ends."""
    return (
        f"SELECT greatest(h, {literal(start)}) AS t0,"
        f" least(h + interval '1 hour', {literal(end)}) AS t1"
        f" FROM generate_series(date_trunc('hour', {literal(start)}), {literal(end)}, interval '1 hour') AS h"
    )


_rates: dict[tuple, float] = {}


def rate_per_hour(conn: psycopg.Connection, plan: Plan, shape: Shape, stream: str, total: int) -> float:
    """Rows per hour at relative weight 1, so that the whole window holds ``total`` rows."""
    key = (plan, shape, stream, total)
    if key not in _rates:  # live mode asks every tick; the answer never changes
        weight = _weight_sql(shape, plan, stream, "t0")
        row = conn.execute(
            f"SELECT sum({weight} * extract(epoch FROM t1 - t0) / 3600.0)"
            f" FROM ({_hours_sql(plan.start, plan.now)}) AS hours WHERE t1 > t0"
        ).fetchone()
        _rates[key] = total / float(row[0])
    return _rates[key]


def create_buckets(
    conn: psycopg.Connection,
    table: str,
    *,
    plan: Plan,
    shape: Shape,
    stream: str,
    rate: float,
    start: datetime,
    end: datetime,
    first_id: int,
) -> int:
    """Create temp table ``table`` (t0, t1, n, first_id) for rows created in [start, end); return the row total."""
    weight = _weight_sql(shape, plan, stream, "t0")
    # Rounding draws are keyed by the slice start, so minute-long live slices
    # inside one hour do not all round the same way.
    rounding = plan.rand.u("extract(epoch FROM t0)::bigint", stream + ".round")
    conn.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
    conn.execute(
        f"""
        CREATE TEMP TABLE {table} AS
        WITH counted AS (
            SELECT t0, t1, floor({rate!r} * {weight} * extract(epoch FROM t1 - t0) / 3600.0 + {rounding})::bigint AS n
            FROM ({_hours_sql(start, end)}) AS hours
            WHERE t1 > t0
        )
        SELECT t0, t1, n, ({int(first_id)} + sum(n) OVER (ORDER BY t0) - n)::bigint AS first_id
        FROM counted WHERE n > 0
        """
    )
    row = conn.execute(f"SELECT coalesce(sum(n), 0) FROM {table}").fetchone()
    return int(row[0])


def expand(table: str, rand: Rand, stream: str, extra: tuple[str, ...] = ()) -> str:
    """A subquery of rows (id, created, *extra) from bucket table ``table``, created at seeded times."""
    carried = "".join(f", x.{column}" for column in extra)
    bucket_columns = "".join(f", b.{column}" for column in extra)
    return (
        f"(SELECT x.id, x.t0 + (x.t1 - x.t0) * {rand.u('x.id', stream)} AS created{carried}"
        f" FROM (SELECT b.first_id + s.k - 1 AS id, b.t0, b.t1{bucket_columns}"
        f" FROM {table} AS b CROSS JOIN LATERAL generate_series(1, b.n) AS s(k)) AS x)"
    )


def add_population(conn: psycopg.Connection, buckets: str, population: str, since_column: str) -> None:
    """Add column ``m`` to ``buckets``: how many rows of ``population`` exist at each bucket start.

    The population (a ranked temp table) is ordered by ``since_column``, so ranks
    1..m are exactly the members a row of that bucket may pick from.
    """
    conn.execute(f"ALTER TABLE {buckets} ADD COLUMN m bigint")
    # The last rank before t0 is the count, found by one index probe (count(*) would scan).
    conn.execute(
        f"UPDATE {buckets} AS b SET m = coalesce((SELECT rank FROM {population}"
        f" WHERE {since_column} < b.t0 ORDER BY {since_column} DESC LIMIT 1), 0)"
    )
