"""Run analyst-written SQL on the marts: as a read-only role, one statement, a timeout, errors in plain words.

This module is the one door for SQL that people outside the code base write
(metric value and history SQL today, audit cut SQL later):

- it connects as the compute role (``engine.store.roles``), which may only
  read the landed schemas and starts every transaction read-only;
- the statement is sent over the extended protocol, which the server refuses
  to run for more than one statement, so ``SELECT 1; COMMIT; DELETE …`` fails
  as a whole instead of writing after the commit;
- the timeout is ``SET LOCAL`` by us before the statement: a single statement
  cannot also be a ``SET``, and a ``set_config`` inside the query neither
  re-arms the running statement's timer nor survives the rollback that ends
  every execution.

The SQL runs as written, with no placeholder parsing, so ``'12:30'`` or
``%`` in it mean what they say.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import psycopg
from psycopg import errors as pg_errors

from engine.core.db import Database
from engine.core.errors import HeartbeatError
from engine.store.roles import LOGINS, ComputeRoleError


class MetricSqlError(HeartbeatError):
    """The metric's SQL failed or returned something that is not one number."""


def connect_readonly(db: Database, marts: str, compute_url: str | None = None, *,
                     sync_grants: bool = True) -> psycopg.Connection:
    """A new connection to ``marts`` as the compute role; the caller closes it.

    Raises MetricSqlError with a one-line fix when no safe role is available
    (Heartbeat refuses to run analyst SQL as a superuser).
    """
    try:
        dsn = LOGINS.dsn(db, marts, compute_url, sync_grants=sync_grants)
    except ComputeRoleError as exc:
        raise MetricSqlError(str(exc)) from exc
    except psycopg.OperationalError:
        raise  # the caller reports an unreachable marts database in its own words
    except psycopg.Error as exc:
        raise MetricSqlError(f"could not prepare the metric SQL role: {_first_line(exc)}") from exc
    return psycopg.connect(dsn, autocommit=True, connect_timeout=10)


@contextmanager
def readonly_connection(db: Database, marts: str, compute_url: str | None = None) -> Iterator[psycopg.Connection]:
    """``connect_readonly`` as a context manager, for one-off runs such as audit cuts."""
    conn = connect_readonly(db, marts, compute_url)
    try:
        yield conn
    finally:
        conn.close()


def run_readonly(conn: psycopg.Connection, sql: str, timeout_seconds: float,
                 source: str = "the SQL") -> list[tuple[Any, ...]]:
    """All rows of the single statement ``sql``, in a READ ONLY transaction that is always rolled back.

    ``source`` names where the SQL comes from (``metrics/<id>.sql``) in the multi-statement error.
    """
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute(f"SET LOCAL statement_timeout = {int(timeout_seconds * 1000)}")
            # binary=True makes psycopg use PQexecParams (extended protocol) even
            # without parameters: the server then refuses several statements.
            cursor = conn.execute(sql, binary=True)
            if cursor.description is None:
                raise MetricSqlError("the SQL returned no result set: write one SELECT")
            return cursor.fetchall()
    except pg_errors.QueryCanceled as exc:
        raise MetricSqlError(
            f"timed out after {timeout_seconds:g}s (HEARTBEAT_METRIC_STATEMENT_TIMEOUT): check the query "
            "plan with `heartbeat metric validate` before raising the timeout"
        ) from exc
    except pg_errors.ReadOnlySqlTransaction as exc:
        raise MetricSqlError("metric SQL must not write: it runs in a READ ONLY transaction") from exc
    except pg_errors.SyntaxError as exc:
        if "multiple commands" in str(exc):
            raise MetricSqlError(
                f"{source}: metric SQL must be exactly one statement (found more than one, separated by ';')"
            ) from exc
        raise MetricSqlError(f"SQL error: {_first_line(exc)}") from exc
    except pg_errors.InsufficientPrivilege as exc:
        raise MetricSqlError(f"SQL error: {_first_line(exc)} (metric SQL may only read the landed schemas)") from exc
    except psycopg.Error as exc:
        raise MetricSqlError(f"SQL error: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    """Only the first line of a server error: DETAIL/CONTEXT lines can quote data or file contents."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


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
