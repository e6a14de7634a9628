"""Profile every landed table: what a data person looks at before writing the first metric.

From the dlt schema (primary keys, the incremental cursor) and the data (row
count, a bounded sample): which columns say when a row was created and when it
changed, which hold a handful of states, which hold money (and in which
currency), and which point at another table by name. Large tables are read
through a Bernoulli sample of about ``SAMPLE_ROWS`` rows, so profiling costs
the same whatever the scale.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from engine.metrics.sql import run_readonly
from engine.sources import SOURCES
from engine.sources.catalog import INCREMENTAL_PRIORITY, default_policy, table_key

SAMPLE_ROWS = 20_000
MAX_STATES = 12  # more distinct values than this is not a state column
LOOKUP_ROWS = 50  # a table this small with a code column is a lookup (payment_state)
TIMEOUT = 60.0

CREATED = re.compile(r"^(created?(_at|_time|_on)?|create_(at|time)|inserted_at|timestamp|occurred_at|date)$")
UPDATED = re.compile(r"^(updated?_(at|time)|modified_at|last_modified|changed_at)$")
# Timestamps that end a row's life: it is "open" until one is set.
TERMINAL = re.compile(r"^(closed|paid|decided|resolved|finished|completed|settled|posted|processed|reported)_(at|time)$")
MONEY = re.compile(r"(^|_)(amount|amount_due|fee|fees|balance|price|total|spend|value_eur|covered_amount)$")
CODE_COLUMNS = ("code", "name", "status", "state")
TEXT_TYPES = {"text", "character varying", "character", "boolean"}
TIME_TYPES = {"timestamp with time zone", "timestamp without time zone", "date"}
NUMBER_TYPES = {"numeric", "double precision", "real", "bigint", "integer", "smallint"}


@dataclass
class Column:
    name: str
    data_type: str
    null_share: float = 0.0
    distinct: int = 0  # in the sample
    values: dict[str, float] = field(default_factory=dict)  # state value → share of sampled rows
    references: str | None = None  # table (same schema) a *_id column points at, by name
    labels: dict[str, str] = field(default_factory=dict)  # lookup id → code, for a *_id state
    label_column: str = "code"  # the lookup's column the labels come from
    is_state: bool = False


@dataclass
class TableProfile:
    """What the profiler learned about one landed table."""

    source: str  # "webbank.core"
    schema: str  # marts schema, "webbank_core"
    table: str
    rows: int
    sampled: bool
    primary_key: list[str]
    cursor: str | None
    created: str | None  # the column that says when a row was created
    updated: str | None  # the column that says when it last changed
    terminal: list[str]  # timestamps that close a row (closed_at, paid_at)
    timestamps: list[str]  # every time column
    states: dict[str, Column]  # low-cardinality columns
    money: dict[str, str | None]  # money column → currency (None: unknown)
    currency_column: str | None
    foreign_keys: dict[str, str]  # column → referenced table
    columns: dict[str, Column]
    rows_per_day: float = 0.0  # over the last 28 days, by the created column
    lookup: bool = False
    close_hours: dict[str, tuple[float, float]] = field(default_factory=dict)  # terminal → (p50, p95) hours

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    def summary(self) -> dict[str, Any]:
        return {
            "table": self.qualified, "rows": self.rows, "sampled": self.sampled, "primary_key": self.primary_key,
            "cursor": self.cursor, "created": self.created, "updated": self.updated, "terminal": self.terminal,
            "states": {name: col.values for name, col in self.states.items()}, "money": self.money,
            "foreign_keys": self.foreign_keys, "rows_per_day": round(self.rows_per_day, 1),
        }


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dlt_schema(conn: psycopg.Connection, schema: str) -> dict[str, Any]:
    """The newest stored dlt schema of a dataset ({} when the table is missing or unreadable)."""
    try:
        rows = run_readonly(
            conn, f"SELECT schema FROM {quote(schema)}._dlt_version ORDER BY inserted_at DESC LIMIT 1", TIMEOUT
        )
    except Exception:  # a dataset landed by another tool: profile from the data alone
        return {}
    if not rows:
        return {}
    value = rows[0][0]
    return json.loads(value) if isinstance(value, str) else dict(value)


def _columns(conn: psycopg.Connection, schema: str) -> dict[str, list[tuple[str, str]]]:
    rows = run_readonly(
        conn,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = '{schema}' AND table_name NOT LIKE '\\_dlt%' AND column_name NOT LIKE '\\_dlt%' "
        "ORDER BY table_name, ordinal_position",
        TIMEOUT,
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def _first(columns: list[str], pattern: re.Pattern[str], preferred: tuple[str, ...] = ()) -> str | None:
    for name in preferred:
        if name in columns and pattern.match(name):
            return name
    return next((c for c in columns if pattern.match(c)), None)


def _references(column: str, table: str, tables: set[str]) -> str | None:
    """The table a ``<x>_id`` column points at by name: ``x``, ``<table>_x`` or one ending in ``_x``."""
    if not column.endswith("_id") or column == "id":
        return None
    stem = column[:-3]
    for candidate in (stem, f"{table}_{stem}"):
        if candidate in tables and candidate != table:
            return candidate
    endings = sorted(t for t in tables if t.endswith("_" + stem) and t != table)
    return endings[0] if len(endings) == 1 else None


def _sample(conn: psycopg.Connection, schema: str, table: str, columns: list[str], rows: int) -> list[tuple]:
    percent = min(100.0, 100.0 * SAMPLE_ROWS / max(rows, 1))
    sample = "" if percent >= 100 else f" TABLESAMPLE BERNOULLI ({percent:.4f}) REPEATABLE (7)"
    select = ", ".join(quote(c) for c in columns)
    return run_readonly(conn, f"SELECT {select} FROM {quote(schema)}.{quote(table)}{sample} LIMIT {SAMPLE_ROWS * 2}",
                        TIMEOUT)


def _row_count(conn: psycopg.Connection, schema: str, table: str) -> int:
    estimate = run_readonly(
        conn,
        "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{schema}' AND c.relname = '{table}'",
        TIMEOUT,
    )
    if estimate and estimate[0][0] is not None and estimate[0][0] > 200_000:
        return int(estimate[0][0])  # large: the planner's estimate is close enough and free
    return int(run_readonly(conn, f"SELECT count(*) FROM {quote(schema)}.{quote(table)}", TIMEOUT)[0][0])


def _rows_per_day(conn: psycopg.Connection, schema: str, table: str, created: str) -> float:
    rows = run_readonly(
        conn,
        f"SELECT count(*) FROM {quote(schema)}.{quote(table)} WHERE {quote(created)} >= now() - interval '28 days'",
        TIMEOUT,
    )
    return int(rows[0][0]) / 28.0


def _close_hours(conn: psycopg.Connection, schema: str, table: str, created: str, terminal: str,
                 types: dict[str, str]) -> tuple[float, float] | None:
    """p50 and p95 of the hours from creation to the closing timestamp, over rows closed in the last 28 days."""
    if "date" in (types[created], types[terminal]):
        return None
    rows = run_readonly(
        conn,
        f"SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY extract(epoch FROM {quote(terminal)} - "
        f"{quote(created)}) / 3600) FROM {quote(schema)}.{quote(table)} "
        f"WHERE {quote(terminal)} >= now() - interval '28 days'",
        TIMEOUT,
    )
    if not rows or rows[0][0] is None:
        return None
    p50, p95 = (float(v) for v in rows[0][0])
    return p50, p95


def _policy(source: str, table: str, columns: list[str], dlt_table: dict[str, Any]) -> tuple[list[str], str | None]:
    """Primary key and cursor: the dlt schema's hints first, the source catalogue's policy otherwise."""
    hints = dlt_table.get("columns", {})
    primary_key = [name for name, col in hints.items() if col.get("primary_key")]
    cursor = next((name for name, col in hints.items() if col.get("incremental")), None)
    name, schema = source.split(".")
    policy = INCREMENTAL_PRIORITY.get(table_key(name, schema, table)) or default_policy(columns, primary_key)
    return primary_key or list(policy.primary_key), cursor or policy.cursor


def profile_table(conn: psycopg.Connection, source: str, schema: str, table: str,
                  columns: list[tuple[str, str]], all_tables: set[str], dlt: dict[str, Any]) -> TableProfile:
    names = [c for c, _ in columns]
    types = dict(columns)
    primary_key, cursor = _policy(source, table, names, dlt.get("tables", {}).get(table, {}))
    rows = _row_count(conn, schema, table)
    times = [c for c in names if types[c] in TIME_TYPES]
    created = _first(times, CREATED, ("created_at", "create_time", "create_at", "timestamp"))
    updated = _first(times, UPDATED)
    terminal = [c for c in times if TERMINAL.match(c)]
    profiled = {name: Column(name, types[name]) for name in names}
    foreign_keys = {c: ref for c in names if (ref := _references(c, table, all_tables))}
    for column, ref in foreign_keys.items():
        profiled[column].references = ref
    # Only columns that can be a state, a money amount or a currency are sampled.
    wanted = [c for c in names if c not in primary_key and (
        types[c] in TEXT_TYPES or c in foreign_keys or (types[c] in NUMBER_TYPES and MONEY.search(c)))]
    sample = _sample(conn, schema, table, wanted, rows) if wanted and rows else []
    for index, name in enumerate(wanted):
        values = [row[index] for row in sample]
        counts = Counter(v for v in values if v is not None)
        column = profiled[name]
        column.null_share = (len(values) - sum(counts.values())) / len(values) if values else 0.0
        column.distinct = len(counts)
        if name == "currency" and counts:
            column.values = {str(k): n / len(values) for k, n in counts.most_common()}
        elif 2 <= len(counts) <= MAX_STATES and (types[name] in TEXT_TYPES or name in foreign_keys):
            column.values = {str(k): n / len(values) for k, n in counts.most_common()}
            column.is_state = True
        elif types[name] in NUMBER_TYPES and name not in foreign_keys:
            column.values = {"0": counts.get(0, 0) / len(values)} if values else {}
    states = {n: c for n, c in profiled.items() if c.is_state and n != "currency"}
    currency_column = "currency" if "currency" in names else None
    money: dict[str, str | None] = {}
    for name in wanted:
        if types[name] in NUMBER_TYPES and MONEY.search(name) and name not in foreign_keys:
            currencies = profiled[currency_column].values if currency_column else {}
            money[name] = max(currencies, key=currencies.get) if currencies else None
    rows_per_day = _rows_per_day(conn, schema, table, created) if created and rows else 0.0
    close_hours = {t: h for t in terminal if created and (h := _close_hours(conn, schema, table, created, t, types))}
    return TableProfile(
        source=source, schema=schema, table=table, rows=rows, sampled=rows > SAMPLE_ROWS,
        primary_key=primary_key, cursor=cursor, created=created, updated=updated, terminal=terminal,
        timestamps=times, states=states, money=money, currency_column=currency_column,
        foreign_keys=foreign_keys, columns=profiled, rows_per_day=rows_per_day,
        lookup=rows <= LOOKUP_ROWS and any(c in names for c in CODE_COLUMNS), close_hours=close_hours,
    )


def _label_states(profiles: dict[str, TableProfile], conn: psycopg.Connection) -> None:
    """A ``state_id`` pointing at a lookup table reads as the lookup's codes (declined, not 4)."""
    for profile in profiles.values():
        for name, column in profile.states.items():
            target = profiles.get(f"{profile.schema}.{column.references}") if column.references else None
            if target is None or not target.lookup:
                continue
            code = next(c for c in CODE_COLUMNS if c in target.columns)
            rows = run_readonly(conn, f"SELECT id, {quote(code)} FROM {target.qualified}", TIMEOUT)
            column.labels = {str(i): str(c) for i, c in rows}
            column.label_column = code


def profile_marts(conn: psycopg.Connection) -> list[TableProfile]:
    """Every landed table of every registered source, profiled."""
    profiles: dict[str, TableProfile] = {}
    for spec in SOURCES:
        for source_schema in spec.schemas:
            schema = spec.dataset(source_schema)
            tables = _columns(conn, schema)
            if not tables:
                continue
            dlt = _dlt_schema(conn, schema)
            for table, columns in tables.items():
                profile = profile_table(conn, f"{spec.name}.{source_schema}", schema, table, columns,
                                        set(tables), dlt)
                profiles[profile.qualified] = profile
    _label_states(profiles, conn)
    return list(profiles.values())
