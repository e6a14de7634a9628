"""Run analyst-written SQL on the marts: read-only, with a statement timeout, errors in plain words.

Metric SQL can never write (READ ONLY transaction) nor hog the server
(``statement_timeout``); it runs through psycopg as written, with no
placeholder parsing, so ``'12:30'`` or ``%`` in the SQL mean what they say.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors as pg_errors

from engine.core.errors import HeartbeatError


class MetricSqlError(HeartbeatError):
    """The metric's SQL failed or returned something that is not one number."""


def run_readonly(conn: psycopg.Connection, sql: str, timeout_seconds: float) -> list[tuple[Any, ...]]:
    """All rows of ``sql`` in a READ ONLY transaction that is always rolled back."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute(f"SET LOCAL statement_timeout = {int(timeout_seconds * 1000)}")
            cursor = conn.execute(sql)
            if cursor.description is None:
                raise MetricSqlError("the SQL returned no result set: write one SELECT")
            return cursor.fetchall()
    except pg_errors.QueryCanceled as exc:
        raise MetricSqlError(
            f"timed out after {timeout_seconds:g}s (HEARTBEAT_METRIC_STATEMENT_TIMEOUT): check the query plan "
            "with `heartbeat metric validate` before raising the timeout"
        ) from exc
    except pg_errors.ReadOnlySqlTransaction as exc:
        raise MetricSqlError("metric SQL must not write: it runs in a READ ONLY transaction") from exc
    except psycopg.Error as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise MetricSqlError(f"SQL error: {first_line}") from exc


def scalar(rows: list[tuple[Any, ...]]) -> float | None:
    """The single number of a value query; None for SQL NULL (no data)."""
    if len(rows) != 1 or len(rows[0]) != 1:
        shape = f"{len(rows)} row(s) × {len(rows[0]) if rows else 0} column(s)"
        raise MetricSqlError(f"value SQL must return exactly one row with one column; got {shape}")
    value = rows[0][0]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "as_tuple"):
        raise MetricSqlError(f"value SQL must return a number; got {type(value).__name__} {str(value)[:40]!r}")
    return float(value)
