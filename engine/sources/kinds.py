"""dlt resources for each kind of source: a Postgres schema, a REST API, a file drop.

Each builder returns the resources to run and the policy of every table it
lands (disposition for the ledger and the replace report, key for indexes).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import dlt
from sqlalchemy import Integer, MetaData, Table, create_engine
from sqlalchemy.engine import URL, Engine

from engine.core.errors import ConfigError
from engine.sources import catalog
from engine.sources.locations import Location
from engine.sources.rereads import LagWindow

# Rows per arrow batch read from a Postgres source: large enough to amortise
# the per-batch cost, small enough to keep memory flat as tables grow.
BATCH_ROWS = 100_000
# A table's first load, keyed by one integer column, is read in this many key ranges at once.
FIRST_LOAD_PARTITIONS = 2


class SourceConfigError(ConfigError):
    """A source is registered without the location it needs."""


def connectorx_url(url: URL) -> str:
    """The URL connectorx understands: a unix-socket folder goes percent-encoded into the host."""
    socket_dir = url.query.get("host")
    if isinstance(socket_dir, tuple):
        socket_dir = socket_dir[0]
    user = urllib.parse.quote(url.username or "", safe="")
    password = f":{urllib.parse.quote(url.password, safe='')}" if url.password else ""
    host = urllib.parse.quote(socket_dir, safe="") if socket_dir else url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"postgresql://{user}{password}@{host}{port}/{url.database}"


def _non_empty(table: Any) -> bool:
    # connectorx ends a stream with an empty batch; as a parquet file it would
    # make the ADBC load fail when the row count is a multiple of the file size.
    return getattr(table, "num_rows", 1) > 0


# One engine per source URL for the life of the process: a new engine connects and then
# asks the server for its version and settings before its first query, on every run.
_ENGINES: dict[str, Engine] = {}


def _source_engine(url: URL) -> Engine:
    key = url.render_as_string(hide_password=False)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    return engine


def _reflect(engine: Engine, schema: str) -> MetaData:
    """Every table of ``schema`` in one reflection (a few catalog queries for all tables, not several per table).

    The connection goes back closed: a warm process (the scheduler) holds no idle
    session on a source between runs.
    """
    metadata = MetaData(schema=schema)
    try:
        metadata.reflect(bind=engine, schema=schema, views=False, resolve_fks=False)
    finally:
        engine.dispose()
    return metadata


def _read_arguments(reflected: Table, first_load: bool, url: URL) -> dict[str, Any]:
    """connectorx's arguments for one table: a first load of a table keyed by one integer column is read
    in key ranges at once (aml's 3.2 M checks at scale 1: 3.0 s → 2.5 s), the rest in one stream — an
    incremental read is small, and a range query per partition would cost more than it saves."""
    arguments: dict[str, Any] = {"return_type": "arrow_stream", "batch_size": BATCH_ROWS, "conn": connectorx_url(url)}
    key = list(reflected.primary_key.columns)
    if first_load and len(key) == 1 and isinstance(key[0].type, Integer):
        # Each range streams batches of its own: smaller ones keep the rows in flight those of one stream
        # (webbank.core's first load peaked at 481–511 MB with 100 k-row batches, 404–438 MB with 50 k).
        arguments.update(partition_on=key[0].name, partition_num=FIRST_LOAD_PARTITIONS,
                         batch_size=BATCH_ROWS // FIRST_LOAD_PARTITIONS)
    return arguments


def _write_disposition(policy: catalog.TablePolicy, table_key: list[str]) -> Any:
    """A merge into a table keyed by (a subset of) the merge key skips dlt's de-duplicating sort.

    One query of a table yields each of its keys once, so the merge's
    ``ROW_NUMBER() OVER (PARTITION BY key)`` pass over the staged rows has
    nothing to remove; for aml's 70 k staged checks it was a sort spilled to disk.
    """
    if policy.disposition == "merge" and table_key and set(table_key) <= set(policy.primary_key):
        return {"disposition": "merge", "strategy": "delete-insert", "deduplicated": True}
    return policy.disposition


def _postgres(
    spec: catalog.SourceSpec, schema: str, location: Location, landed: frozenset[str]
) -> tuple[list[Any], dict[str, catalog.TablePolicy]]:
    from dlt.sources.sql_database import sql_table

    assert location.url is not None
    engine = _source_engine(location.url)
    # sql_table finds each table in this metadata and reflects nothing again.
    metadata = _reflect(engine, schema)
    skipped = catalog.SKIP_TABLES.get(f"{spec.name}.{schema}", frozenset())
    resources: list[Any] = []
    policies: dict[str, catalog.TablePolicy] = {}
    for reflected in sorted(metadata.tables.values(), key=lambda t: t.name):
        table = reflected.name
        if table in skipped:
            continue
        key = catalog.table_key(spec.name, schema, table)
        columns = [c.name for c in reflected.columns]
        primary_key = [c.name for c in reflected.primary_key.columns]
        policy = catalog.INCREMENTAL_PRIORITY.get(key) or catalog.default_policy(columns, primary_key)
        dropped = sorted(catalog.COLUMN_DROP.get(key, frozenset()) & set(columns))
        incremental = (
            dlt.sources.incremental(policy.cursor, lag=policy.lag_seconds or None)
            if policy.cursor
            else None
        )
        resource = sql_table(
            credentials=engine,
            table=table,
            schema=schema,
            metadata=metadata,
            backend="connectorx",
            backend_kwargs=_read_arguments(reflected, table not in landed, location.url),
            chunk_size=BATCH_ROWS,
            incremental=incremental,
            write_disposition=_write_disposition(policy, primary_key),
            primary_key=list(policy.primary_key) or None,
            excluded_columns=dropped or None,
            reflection_level="minimal",
        )
        resource.add_filter(_non_empty)
        if policy.cursor and policy.lag_seconds:
            resource.add_map(LagWindow(table, policy.cursor, policy.lag_seconds))
            resource.add_filter(_non_empty)
        resources.append(resource)
        policies[table] = policy
    return resources, policies


def _rest(spec: catalog.SourceSpec, schema: str, location: Location, landed: frozenset[str]) -> tuple[list[Any], dict[str, catalog.TablePolicy]]:
    from dlt.sources.rest_api import rest_api_resources

    if not location.base_url:
        raise SourceConfigError(
            f"source {spec.name} has no base URL: set SOURCES__{spec.name.upper()}__BASE_URL "
            "or run the demo (heartbeat demo)"
        )
    policy = catalog.INCREMENTAL_PRIORITY[catalog.table_key(spec.name, schema, "rates")]
    config: dict[str, Any] = {
        "client": {"base_url": location.base_url.rstrip("/") + "/"},
        "resource_defaults": {"write_disposition": policy.disposition, "primary_key": list(policy.primary_key)},
        "resources": [
            {
                "name": "rates",
                "endpoint": {
                    "path": "rates",
                    "params": {
                        "page_size": 1000,
                        "updated_since": {
                            "type": "incremental",
                            "cursor_path": policy.cursor,
                            "initial_value": "1970-01-01T00:00:00Z",
                        },
                    },
                    "data_selector": "items",
                    "paginator": {"type": "cursor", "cursor_path": "next_page", "cursor_param": "page"},
                },
            }
        ],
    }
    return list(rest_api_resources(config)), {"rates": policy}


def _files(spec: catalog.SourceSpec, schema: str, location: Location, landed: frozenset[str]) -> tuple[list[Any], dict[str, catalog.TablePolicy]]:
    import pyarrow.csv
    from dlt.sources.filesystem import filesystem

    if location.path is None:
        raise SourceConfigError(
            f"source {spec.name} has no folder: set SOURCES__{spec.name.upper()}__PATH or run the demo"
        )
    if not location.path.is_dir():
        raise SourceConfigError(f"source {spec.name}: folder {location.path} does not exist")
    policy = catalog.INCREMENTAL_PRIORITY[catalog.table_key(spec.name, schema, "rates_daily")]
    listing = filesystem(
        bucket_url=location.path.resolve().as_uri(),
        file_glob="*.csv",
        incremental=dlt.sources.incremental("modification_date"),
    )

    @dlt.transformer(
        name="rates_daily", write_disposition=policy.disposition, primary_key=list(policy.primary_key)
    )
    def rates_daily(items: list[Any]) -> Any:
        for item in items:
            with item.open() as handle:
                table = pyarrow.csv.read_csv(handle)
            if table.num_rows:
                yield table.append_column("file_name", pyarrow.array([item["file_name"]] * table.num_rows))

    return [listing | rates_daily], {"rates_daily": policy}


_BUILDERS = {"postgres": _postgres, "rest": _rest, "file": _files}


def build_source(
    spec: catalog.SourceSpec, schema: str, location: Location, landed: frozenset[str] = frozenset()
) -> tuple[list[Any], dict[str, catalog.TablePolicy]]:
    """The dlt resources of one (source, schema) and the policy of each table they land.

    ``landed``: the tables of this (source, schema) already in the marts; any other is a first load.
    """
    return _BUILDERS[spec.kind](spec, schema, location, landed)
