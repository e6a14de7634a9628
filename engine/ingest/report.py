"""What ingest costs: tables landed with ``replace`` (a full reload on every run) and their sizes.

The seed's "hidden ingest cost": a replace table is wiped and re-read every
hour, so its size is paid every hour.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from engine.ingest import IngestContext


@dataclass(frozen=True)
class ReplaceTable:
    source: str
    schema: str
    table: str
    rows: int
    bytes: int


def replace_tables(ctx: IngestContext) -> list[ReplaceTable]:
    """Every table whose latest successful sync landed it as ``replace``, largest first."""
    with ctx.db.engine().connect() as conn:
        syncs = conn.execute(
            text(
                "SELECT DISTINCT ON (source, schema_name) source, schema_name, dataset, tables "
                "FROM heartbeat.source_sync WHERE status = 'succeeded' "
                "ORDER BY source, schema_name, started_at DESC"
            )
        ).all()
    found: list[ReplaceTable] = []
    with ctx.db.engine(ctx.marts_database).connect() as marts:
        for sync in syncs:
            for table, info in sync.tables.items():
                if info.get("disposition") != "replace":
                    continue
                size = marts.execute(
                    text("SELECT pg_total_relation_size(to_regclass(:name))"),
                    {"name": f'"{sync.dataset}"."{table}"'},
                ).scalar()
                found.append(ReplaceTable(sync.source, sync.schema_name, table, int(info.get("rows", 0)), int(size or 0)))
    return sorted(found, key=lambda t: t.bytes, reverse=True)
