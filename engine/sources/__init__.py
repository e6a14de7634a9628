"""What Heartbeat lands and how to reach it: the SOURCES catalogue, source kinds, locations.

May import ``engine.core`` only. ``catalog`` is the single place a source is declared.
"""

from engine.sources.catalog import (
    COLUMN_DROP,
    FRESHNESS_FROM_DATA,
    INCREMENTAL_PRIORITY,
    POST_INGEST_INDEXES,
    SKIP_TABLES,
    SOURCES,
    UPDATE_CURSORS,
    Disposition,
    PostIngestIndex,
    SourceKind,
    SourceSpec,
    TablePolicy,
    default_policy,
    get_source,
    table_key,
)

__all__ = [
    "COLUMN_DROP", "FRESHNESS_FROM_DATA", "INCREMENTAL_PRIORITY", "POST_INGEST_INDEXES", "SKIP_TABLES", "SOURCES",
    "UPDATE_CURSORS", "Disposition", "PostIngestIndex", "SourceKind", "SourceSpec", "TablePolicy",
    "default_policy", "get_source", "table_key",
]
