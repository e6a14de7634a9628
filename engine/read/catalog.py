"""The registry rows the generated catalogues list: every active metric's profile, in one read.

Registry only (schema ``heartbeat``), like the rest of the read model: a catalogue page
never touches the marts. Status and freshness come from ``cards.metric_cards``.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from engine.read.cards import MetricProfile

_PROFILES = text(
    "SELECT id, methodology, sources, source_schemas, period, unit, currency, direction, "
    "benchmark_kind, benchmark_window_days, benchmark_computed_at, related_cuts, threshold_set_by, "
    "verified_by, verified_at, verified_hash, definition_hash, synced_at "
    "FROM heartbeat.metric_registry WHERE retired_at IS NULL ORDER BY id"
)


def metric_profiles(engine: Engine) -> dict[str, MetricProfile]:
    """Every active metric's profile by id (the definition and who vouches for it)."""
    with engine.connect() as conn:
        rows = conn.execute(_PROFILES).mappings().all()
    return {
        row["id"]: MetricProfile(**{
            **row,
            "source_schemas": tuple(row["source_schemas"] or ()),
            "related_cuts": tuple(row["related_cuts"] or ()),
            "threshold_set_by": dict(row["threshold_set_by"] or {}),
        })
        for row in rows
    }


_SYNCS = text(
    """
    SELECT DISTINCT ON (s.source, s.schema_name)
           s.source, s.schema_name, s.status, s.finished_at, s.error,
           ok.finished_at AS last_success_at, ok.rows_total AS success_rows, ok.tables AS success_tables
    FROM heartbeat.source_sync s
    LEFT JOIN LATERAL (
        SELECT finished_at, rows_total, tables FROM heartbeat.source_sync
        WHERE source = s.source AND schema_name = s.schema_name AND status = 'succeeded'
        ORDER BY started_at DESC LIMIT 1
    ) ok ON true
    ORDER BY s.source, s.schema_name, s.started_at DESC
    """
)


def source_syncs(engine: Engine) -> dict[tuple[str, str], dict]:
    """The latest run of every (source, schema) in the sync ledger, with its latest success and its tables."""
    with engine.connect() as conn:
        rows = conn.execute(_SYNCS).mappings().all()
    return {(r["source"], r["schema_name"]): dict(r) for r in rows}
