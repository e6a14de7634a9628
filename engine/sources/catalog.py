"""The source registry: every system Heartbeat lands, and how each table is landed.

Adding a source is an entry in ``SOURCES``; per-table behaviour lives in the
four tables below it, in one place:

- ``SKIP_TABLES``: tables never landed;
- ``COLUMN_DROP``: columns that never leave the source (PII);
- ``INCREMENTAL_PRIORITY``: cursor column, primary key and write disposition
  of a table (explicit ``replace`` only for small lookup tables — dlt never
  falls back to replace by itself and would duplicate rows);
- ``POST_INGEST_INDEXES``: column indexes (some partial) created in the marts after a run.

A table with no entry gets a policy from its shape (see ``default_policy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceKind = Literal["postgres", "rest", "file"]
Disposition = Literal["merge", "append", "replace"]


@dataclass(frozen=True)
class SourceSpec:
    """One source system. Where it lives is resolved at run time (``engine.sources.locations``)."""

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

SKIP_TABLES: dict[str, frozenset[str]] = {}

COLUMN_DROP: dict[str, frozenset[str]] = {
    "webbank.core.client_profile": frozenset({"full_name", "email", "phone", "birth_date"}),
}

_CHANGES = TablePolicy("merge", ("id",), cursor="update_time", lag_seconds=60)
_APPEND_LOG = TablePolicy("append", ("id",), cursor="id")  # ids only grow; rows never change
_LOOKUP = TablePolicy("replace")  # a handful of rows: a full reload costs nothing

INCREMENTAL_PRIORITY: dict[str, TablePolicy] = {
    "webbank.core.payment_type": _LOOKUP,
    "webbank.core.payment_state": _LOOKUP,
    "webbank.core.entry_state": _LOOKUP,
    "webbank.core.client_profile": _CHANGES,
    "webbank.core.client_profile_state_log": _APPEND_LOG,
    "webbank.core.payment": _CHANGES,
    "webbank.core.payment_state_log": _APPEND_LOG,
    "webbank.core.entry": _CHANGES,
    "webbank.core.card_collateral_invoice": _CHANGES,
    "webbank.core.collateral_payment": _APPEND_LOG,
    "aml.aml.aml_retrospective": _CHANGES,
    "aml.aml.aml_case": _CHANGES,
    "card_management.cards.card": _CHANGES,
    "card_management.cards.card_state_log": _APPEND_LOG,
    "card_management.cards.card_transaction": _CHANGES,
    # The API re-sends the last row at the cursor (updated_since is inclusive): merge by id dedupes it.
    "currency_rate.rates.rates": TablePolicy("merge", ("id",), cursor="updated_at"),
    "currency_rate_files.daily.rates_daily": TablePolicy("merge", ("date", "base", "quote")),
}

@dataclass(frozen=True)
class PostIngestIndex:
    """An index on one column of a landed table; ``where`` makes it partial."""

    table: str
    column: str
    where: str | None = None

    @property
    def name(self) -> str:
        return f"{self.table}__{self.column}" + ("__partial" if self.where else "")


# Indexes on the time windows and states the metrics in metrics/ filter on (issue #4);
# without them a 24h metric reads its whole table. Each is created only when its
# table and column have landed: a dataset may hold another shape of its source
# (the ingest tests land small fixtures under the same names). A metric that asks
# for a few states of a big table gets a partial index on exactly those: the
# planner uses it when the query's predicate is the index's, and it costs a scan,
# not a sort of every row (aml_retrospective.status: 1.7 s → 0.3 s at scale 1).
POST_INGEST_INDEXES: dict[str, tuple[PostIngestIndex, ...]] = {
    "webbank_core": (
        PostIngestIndex("payment", "create_time"),
        PostIngestIndex("payment", "state_id"),
        PostIngestIndex("payment_state_log", "timestamp"),
        PostIngestIndex("entry", "create_time"),
        PostIngestIndex("entry", "entry_state_id"),
        PostIngestIndex("client_profile", "create_time"),
        PostIngestIndex("client_profile_state_log", "timestamp"),
    ),
    "aml_aml": (
        PostIngestIndex("aml_retrospective", "create_at"),
        PostIngestIndex("aml_retrospective", "closed_at"),
        PostIngestIndex("aml_retrospective", "review_started_at"),
        PostIngestIndex("aml_retrospective", "status", "status IN ('open', 'in_review')"),
    ),
    "card_management_cards": (PostIngestIndex("card_transaction", "created_at"),),
}

# Feeds: sources expected to deliver continuously. The newest row of the named
# table says how current the feed really is — a feed that stopped delivering
# still syncs successfully (with no new rows), and only its data can tell.
# Sources not listed are judged by their last successful sync alone, so a
# quiet but healthy system never looks stale.
FRESHNESS_FROM_DATA: dict[str, tuple[str, str]] = {
    "card_management.cards": ("card_transaction", "update_time"),
    "currency_rate_files.daily": ("rates_daily", "date"),
}

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
    from engine.core.errors import HeartbeatError

    raise HeartbeatError(f"unknown source {name!r}; registered sources: {', '.join(s.name for s in SOURCES)}")
