"""The source registry: every system Heartbeat lands, and how each table is landed.

Adding a source is an entry in ``SOURCES``; per-table behaviour lives in the
four tables below it, in one place:

- ``SKIP_TABLES``: tables never landed;
- ``COLUMN_DROP``: columns that never leave the source (PII);
- ``INCREMENTAL_PRIORITY``: cursor column, primary key and write disposition
  of a table (explicit ``replace`` only for small lookup tables — dlt never
  falls back to replace by itself and would duplicate rows);
- ``POST_INGEST_INDEXES``: indexes created in the marts after each run.

A table with no entry gets a policy from its shape (see ``default_policy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceKind = Literal["postgres", "rest", "file"]
Disposition = Literal["merge", "append", "replace"]


@dataclass(frozen=True)
class SourceSpec:
    """One source system. Where it lives is resolved at run time (``engine.source_locations``)."""

    name: str
    kind: SourceKind
    schemas: tuple[str, ...]
    description: str

    def dataset(self, schema: str) -> str:
        """The marts schema the (source, schema) lands in, e.g. ``webbank_core``."""
        return f"{self.name}_{schema}"

    def pipeline_name(self, schema: str) -> str:
        return f"heartbeat_{self.name}_{schema}"


@dataclass(frozen=True)
class TablePolicy:
    """How one table is landed."""

    disposition: Disposition
    primary_key: tuple[str, ...] = ()
    cursor: str | None = None
    # Re-read this many seconds before the last cursor value, so rows whose
    # update committed late (long transactions) are not skipped.
    lag_seconds: int = 0


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("webbank", "postgres", ("core",), "Core banking: clients, payments, the ledger, card collateral."),
    SourceSpec("aml", "postgres", ("aml",), "Anti-money-laundering: retrospective checks and cases."),
    SourceSpec("card_management", "postgres", ("cards",), "Card processing: cards, card transactions, card states."),
    SourceSpec("currency_rate", "rest", ("rates",), "Currency rates from the rates REST API (paginated JSON)."),
    SourceSpec("currency_rate_files", "file", ("daily",), "Daily currency-rate CSV files dropped into a folder."),
)

SKIP_TABLES: dict[str, frozenset[str]] = {
    # The demo generator's own bookkeeping is not business data.
    "webbank.core": frozenset({"demo_meta"}),
    "aml.aml": frozenset({"demo_meta"}),
    "card_management.cards": frozenset({"demo_meta"}),
}

COLUMN_DROP: dict[str, frozenset[str]] = {
    "webbank.core.client_profile": frozenset({"full_name", "email", "phone", "birth_date", "address"}),
}

INCREMENTAL_PRIORITY: dict[str, TablePolicy] = {
    "currency_rate.rates.rates": TablePolicy("merge", ("date", "base", "quote"), cursor="updated_at"),
    "currency_rate_files.daily.rates_daily": TablePolicy("merge", ("date", "base", "quote")),
}

POST_INGEST_INDEXES: dict[str, tuple[str, ...]] = {}

# Column names taken as "last changed" cursors, best first. A created-time
# cursor would miss state changes; append-only tables say so explicitly.
UPDATE_CURSORS = ("update_time", "updated_at", "update_at", "modified_at")


def default_policy(columns: list[str], primary_key: list[str]) -> TablePolicy:
    """A policy from a table's shape when INCREMENTAL_PRIORITY has no entry.

    PK + update cursor → merge incrementally; PK only → merge, full read;
    no PK → replace (reported as a hidden ingest cost).
    """
    cursor = next((c for c in UPDATE_CURSORS if c in columns), None)
    if primary_key:
        return TablePolicy("merge", tuple(primary_key), cursor, lag_seconds=60 if cursor else 0)
    return TablePolicy("replace")


def table_key(source: str, schema: str, table: str) -> str:
    return f"{source}.{schema}.{table}"


def get_source(name: str) -> SourceSpec:
    """The registered source called ``name``; the error lists the valid names."""
    for spec in SOURCES:
        if spec.name == name:
            return spec
    from engine.errors import HeartbeatError

    raise HeartbeatError(f"unknown source {name!r}; registered sources: {', '.join(s.name for s in SOURCES)}")
