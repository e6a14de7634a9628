"""The landed tables after a load: post-ingest indexes, statistics, a feed's newest row, row counts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import text

from engine import sources
from engine.ingest.context import IngestContext

INDEX_BUILDERS = 2


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _index_statements(conn: Any, dataset: str, policies: dict[str, sources.TablePolicy]) -> list[str]:
    """The post-ingest indexes ``dataset`` still lacks, biggest table first.

    dlt creates no index in Postgres. A merge table gets one on its key (the
    merge deletes by key; an append-only log is never looked up by its own
    id, and its key index cost the first load of webbank.core 1.4 s), plus
    the registry's indexes on the columns metrics filter on. Indexes that
    exist are skipped: even ``IF NOT EXISTS`` waits for a lock behind
    autovacuum.
    """
    columns: dict[str, set[str]] = {}
    for table, column in conn.execute(
        text("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = :s"), {"s": dataset}
    ):
        columns.setdefault(table, set()).add(column)
    existing = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = :s"), {"s": dataset}).scalars())
    size = dict(conn.execute(
        text("SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": dataset},
    ).all())
    wanted: list[tuple[str, str, tuple[str, ...], str | None]] = [
        (table, f"{table}__key", policy.primary_key, None)
        for table, policy in policies.items()
        if policy.disposition == "merge" and policy.primary_key
    ]
    wanted += [(ix.table, ix.name, (ix.column,), ix.where) for ix in sources.POST_INGEST_INDEXES.get(dataset, ())]
    missing = [item for item in wanted if item[1] not in existing and set(item[2]) <= columns.get(item[0], set())]
    missing.sort(key=lambda item: -size.get(item[0], 0))
    return [
        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{dataset}"."{table}" ({", ".join(map(_quoted, keys))})'
        + (f" WHERE {where}" if where else "")
        for table, name, keys, where in missing
    ]


def _analyze_statements(conn: Any, dataset: str, changed: dict[str, int]) -> list[str]:
    """ANALYZE for tables that changed a lot (or were never analyzed): small lookups never reach
    the autovacuum threshold, and a plan that guesses their size joins badly. A handful of
    re-read rows is not worth an ANALYZE on every hourly run."""
    known = dict(conn.execute(
        text("SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": dataset},
    ).all())
    return [
        f'ANALYZE "{dataset}"."{table}"'
        for table, rows in changed.items()
        if table in known and (known[table] < 0 or rows >= max(1000, 0.05 * known[table]))
    ]


def finish_tables(ctx: IngestContext, dataset: str, policies: dict[str, sources.TablePolicy],
                   changed: dict[str, int]) -> None:
    """Build the missing indexes, then refresh statistics, on ``INDEX_BUILDERS`` connections.

    One connection left a core idle on this box (index builds of small and
    medium tables run in one process); two build different indexes at once.
    An ANALYZE queued behind an index of its table just waits for its lock.
    """
    engine = ctx.db.engine(ctx.marts_database)
    with engine.connect() as conn:
        statements = _index_statements(conn, dataset, policies)
        statements += _analyze_statements(conn, dataset, changed) if changed else []
    if not statements:
        return

    def run(statement: str) -> None:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(statement))

    with ThreadPoolExecutor(max_workers=INDEX_BUILDERS, thread_name_prefix="ingest-index") as pool:
        for future in [pool.submit(run, statement) for statement in statements]:
            future.result()


def data_as_of(ctx: IngestContext, spec: sources.SourceSpec, schema: str) -> datetime | None:
    """For a feed: the newest landed row (a date counts from its start, UTC)."""
    declared = sources.FRESHNESS_FROM_DATA.get(f"{spec.name}.{schema}")
    if declared is None:
        return None
    table, column = declared
    with ctx.db.engine(ctx.marts_database).connect() as conn:
        newest = conn.execute(text(f'SELECT max("{column}") FROM "{spec.dataset(schema)}"."{table}"')).scalar()
    if isinstance(newest, datetime):
        return newest if newest.tzinfo else newest.replace(tzinfo=timezone.utc)
    if isinstance(newest, date):
        return datetime(newest.year, newest.month, newest.day, tzinfo=timezone.utc)
    return None


def marts_table_rows(ctx: IngestContext, dataset: str) -> dict[str, Any]:
    """Row counts of every table of a landed dataset (for reports and tests)."""
    with ctx.db.engine(ctx.marts_database).connect() as conn:
        tables = conn.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s AND table_name NOT LIKE '\\_dlt%'"),
            {"s": dataset},
        ).scalars().all()
        return {
            t: conn.execute(text(f'SELECT count(*) FROM "{dataset}"."{t}"')).scalar() for t in sorted(tables)
        }
