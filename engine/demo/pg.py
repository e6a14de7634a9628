"""Connections to the demo source databases and the finishing touches of a bulk-loaded table."""

from __future__ import annotations

import psycopg
from psycopg import sql

from engine.core.db import Database
from engine.demo.plan import DemoError


def connect(db: Database, database: str) -> psycopg.Connection:
    """A transaction-mode connection to ``database`` in UTC (weekday and hour shapes are UTC)."""
    try:
        conn = psycopg.connect(db.sources.dsn(database), connect_timeout=10)
    except psycopg.OperationalError as exc:
        # The message of an OperationalError names host and database, never the password.
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DemoError(f"cannot connect to demo source database {database!r}: {first}") from exc
    conn.execute("SET TIME ZONE 'UTC'")
    # Demo rows can always be rebuilt, so a lost commit after a crash costs nothing.
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET work_mem = '64MB'")
    conn.execute("SET maintenance_work_mem = '256MB'")
    return conn


def finish_table(conn: psycopg.Connection, table: str, *, indexes: tuple[str, ...] = ()) -> None:
    """Add the primary key after the bulk load (faster than maintaining it), sync the id sequence, index."""
    schema, name = table.split(".")
    ident = sql.Identifier(schema, name)
    conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(ident))
    conn.execute(
        sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM {}").format(
            sql.Literal(table), ident
        )
    )
    for index in indexes:
        conn.execute(index)
    conn.execute(sql.SQL("ANALYZE {}").format(ident))


def count_rows(conn: psycopg.Connection, table: str) -> int:
    schema, name = table.split(".")
    return int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))).fetchone()[0])


def max_id(conn: psycopg.Connection, table: str) -> int:
    schema, name = table.split(".")
    row = conn.execute(sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(sql.Identifier(schema, name))).fetchone()
    return int(row[0])
