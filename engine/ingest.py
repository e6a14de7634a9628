"""The one ingest engine: land a (source, schema) into the marts with dlt.

``run_one`` is the only entry; the CLI, the refresh job and the benchmark all
call it. Configuration measured fastest on this machine (see
docs/performance.md): connectorx arrow streams → parquet files of at most
250 k rows → ADBC load in two workers, tables extracted one after another,
empty batches dropped, the first load of a merge table appended, completed
load packages removed.
"""

from __future__ import annotations

import logging
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import dlt
from sqlalchemy import text
from sqlalchemy.engine import URL

from engine import sources as registry
from engine.db import Database
from engine.settings import Settings
from engine.ingest_errors import describe_failure
from engine.source_kinds import build_source
from engine.source_locations import Location, resolve_location
from engine.sync_ledger import SyncOutcome, close_sync, open_sync

log = logging.getLogger(__name__)

# Parquet files of at most this many rows: each load job reads one whole file into memory.
FILE_MAX_ITEMS = 250_000
# Two load jobs at once: one ADBC COPY kept one core of two busy (client and
# server take turns); two halve the load step of webbank.core (17.7 s → 9.9 s)
# for +60 MB peak RSS.
LOAD_WORKERS = 2
INDEX_BUILDERS = 2
# The demo's generated files (REST data, CSV drop folder) under the data folder.
DEMO_FOLDER = "demo"


@dataclass(frozen=True)
class Progress:
    """What an ingest is doing now: a phase, or rows of a table streamed so far."""

    source: str
    schema: str
    phase: str  # extract | normalize | load | indexes | done
    table: str | None = None
    rows: int = 0


ProgressFn = Callable[[Progress], None]


def _counting(spec_name: str, schema: str, table: str, on_progress: ProgressFn) -> Callable[[Any], Any]:
    seen = 0

    def count(batch: Any) -> Any:
        nonlocal seen
        seen += getattr(batch, "num_rows", 1)
        on_progress(Progress(spec_name, schema, "extract", table, seen))
        return batch

    return count


@dataclass(frozen=True)
class IngestContext:
    """Where ingest reads from and writes to, for one process."""

    db: Database
    marts_database: str
    pipelines_dir: Path
    # Demo and tests keep source databases on Heartbeat's own server, named
    # prefix + source name; production names them in dlt secrets instead.
    source_database_prefix: str = ""
    # REST base URLs and file folders by source name, used when dlt secrets name none.
    locations: dict[str, str] = field(default_factory=dict)

    @property
    def marts_url(self) -> URL:
        return self.db.url(self.marts_database)


def dlt_credentials(url: URL) -> str:
    """A connection string dlt's Postgres destination accepts.

    dlt insists on a host; for a unix socket the folder travels as libpq's
    ``host`` query parameter, which overrides the placeholder host.
    """
    url = url.set(drivername="postgresql")
    if not url.host:
        url = url.set(host="localhost")
    return url.render_as_string(hide_password=False)


def configure_dlt() -> None:
    """dlt settings of every Heartbeat pipeline (process-wide, idempotent)."""
    dlt.config["data_writer.file_max_items"] = FILE_MAX_ITEMS
    dlt.config["load.workers"] = LOAD_WORKERS
    # One table at a time: dlt's default round robin opens every table's
    # connectorx stream and parquet writer at once (webbank.core at scale 1:
    # peak RSS 452 MB round robin, 377 MB fifo, no slower).
    dlt.config["extract.next_item_mode"] = "fifo"
    dlt.config["load.delete_completed_jobs"] = True
    # Nothing leaves the machine but the data we move: no usage telemetry.
    dlt.config["runtime.dlthub_telemetry"] = False
    # dlt's own warnings (e.g. arrow vs. schema hints) are noise on a terminal;
    # failures reach the sync ledger with their cause.
    dlt.config["runtime.log_level"] = "ERROR"


def _landed(ctx: IngestContext, dataset: str) -> bool:
    with ctx.db.engine(ctx.marts_database).connect() as conn:
        return bool(
            conn.execute(
                text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = '_dlt_pipeline_state'"),
                {"s": dataset},
            ).first()
        )


def _append_first_loads(
    spec: registry.SourceSpec, schema: str, ctx: IngestContext, resources: list[Any], policies: dict[str, registry.TablePolicy]
) -> None:
    """Land a Postgres merge table that is not in the marts yet by appending.

    dlt merges through a staging table: copy there, delete the matching keys,
    insert with a de-duplicating sort — every row written twice, which halves
    a full load (aml.aml at scale 1: load step 33 s merge, 11 s append). A
    first load has nothing to merge with, and its rows are unique by key (one
    query of a table keyed so), so an append lands the same rows. Later runs
    merge. REST and file sources keep merging: their rows may repeat.
    """
    if spec.kind != "postgres":
        return
    with ctx.db.engine(ctx.marts_database).connect() as conn:
        landed = set(
            conn.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": spec.dataset(schema)},
            ).scalars()
        )
    for resource in resources:
        policy = policies.get(resource.name)
        if policy is not None and policy.disposition == "merge" and resource.name not in landed:
            resource.apply_hints(write_disposition="append")


def _pipeline(spec: registry.SourceSpec, schema: str, ctx: IngestContext) -> dlt.Pipeline:
    destination = dlt.destinations.postgres(credentials=dlt_credentials(ctx.marts_url))
    pipeline = dlt.pipeline(
        pipeline_name=spec.pipeline_name(schema),
        destination=destination,
        dataset_name=spec.dataset(schema),
        pipelines_dir=str(ctx.pipelines_dir),
    )
    if not _landed(ctx, spec.dataset(schema)) and not getattr(pipeline, "first_run", True):
        # The marts lost this dataset (rebuilt, restored): local incremental
        # state would skip rows that are no longer there. Start over.
        pipeline.drop()
        pipeline = dlt.pipeline(
            pipeline_name=spec.pipeline_name(schema),
            destination=destination,
            dataset_name=spec.dataset(schema),
            pipelines_dir=str(ctx.pipelines_dir),
        )
    logging.getLogger("dlt").setLevel(logging.ERROR)
    return pipeline


def _row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    info = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    counts = dict(info.row_counts) if info else {}
    return {table: n for table, n in counts.items() if not table.startswith("_dlt")}


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _index_statements(conn: Any, dataset: str, policies: dict[str, registry.TablePolicy]) -> list[str]:
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
    wanted += [(ix.table, ix.name, (ix.column,), ix.where) for ix in registry.POST_INGEST_INDEXES.get(dataset, ())]
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


def _finish_tables(ctx: IngestContext, dataset: str, policies: dict[str, registry.TablePolicy],
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


def _data_as_of(ctx: IngestContext, spec: registry.SourceSpec, schema: str) -> datetime | None:
    """For a feed: the newest landed row (a date counts from its start, UTC)."""
    declared = registry.FRESHNESS_FROM_DATA.get(f"{spec.name}.{schema}")
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


def _clean_loaded_packages(pipeline: dlt.Pipeline) -> None:
    """Completed load packages hold nothing we read again; keep the disk flat."""
    loaded = Path(pipeline.working_dir) / "load" / "loaded"
    if loaded.is_dir():
        for package in loaded.iterdir():
            shutil.rmtree(package, ignore_errors=True)


def run_one(
    spec: registry.SourceSpec,
    schema: str,
    ctx: IngestContext,
    *,
    job_id: int | None = None,
    on_progress: ProgressFn | None = None,
) -> SyncOutcome:
    """Land one (source, schema) into the marts and record it in the sync ledger.

    Never raises for a source problem: a dead source or a failing table yields
    a failed outcome whose error names the source, the table and the cause.
    """
    configure_dlt()
    ledger = ctx.db.engine()
    ledger_id, started_at = open_sync(ledger, spec.name, schema, spec.dataset(schema), job_id)
    outcome = SyncOutcome(spec.name, schema, "running", started_at, ledger_id=ledger_id)
    began = time.perf_counter()
    location: Location | None = None
    try:
        location = resolve_location(spec, ctx)
        resources, policies = build_source(spec, schema, location)
        report = on_progress or (lambda _event: None)
        for resource in resources:
            resource.add_map(_counting(spec.name, schema, resource.name, report))
        pipeline = _pipeline(spec, schema, ctx)
        _append_first_loads(spec, schema, ctx, resources, policies)
        report(Progress(spec.name, schema, "extract"))
        pipeline.extract(resources, loader_file_format="parquet")
        report(Progress(spec.name, schema, "normalize"))
        pipeline.normalize()
        report(Progress(spec.name, schema, "load"))
        pipeline.load(workers=LOAD_WORKERS)
        counts = _row_counts(pipeline)
        report(Progress(spec.name, schema, "indexes"))
        outcome.tables = {
            table: {"rows": counts.get(table, 0), "disposition": policy.disposition}
            for table, policy in policies.items()
        }
        _finish_tables(ctx, spec.dataset(schema), policies,
                       {t: info["rows"] for t, info in outcome.tables.items() if info["rows"]})
        outcome.data_as_of = _data_as_of(ctx, spec, schema)
        _clean_loaded_packages(pipeline)
        outcome.status = "succeeded"
        report(Progress(spec.name, schema, "done"))
    except Exception as exc:  # one source's failure must not stop the others
        outcome.status = "failed"
        outcome.error = describe_failure(spec, schema, exc, location)
        log.warning("ingest %s.%s failed: %s", spec.name, schema, outcome.error)
        log.debug("ingest failure detail", exc_info=True)
    outcome.duration_ms = int((time.perf_counter() - began) * 1000)
    close_sync(ledger, outcome)
    return outcome


def plan(names: list[str] | None = None) -> list[tuple[registry.SourceSpec, str]]:
    """The (source, schema) pairs a request names: ``webbank``, ``webbank.core`` or all."""
    if not names:
        return [(spec, schema) for spec in registry.SOURCES for schema in spec.schemas]
    pairs: list[tuple[registry.SourceSpec, str]] = []
    for name in names:
        source_name, _, schema = name.partition(".")
        spec = registry.get_source(source_name)
        if schema and schema not in spec.schemas:
            from engine.errors import HeartbeatError

            raise HeartbeatError(
                f"source {spec.name!r} has no schema {schema!r}; its schemas: {', '.join(spec.schemas)}"
            )
        for item in [schema] if schema else list(spec.schemas):
            if (spec, item) not in pairs:
                pairs.append((spec, item))
    return pairs


def run_many(
    pairs: list[tuple[registry.SourceSpec, str]],
    ctx: IngestContext,
    *,
    job_id: int | None = None,
    on_progress: ProgressFn | None = None,
) -> Iterator[SyncOutcome]:
    """Land each pair in turn (serially: parallel extracts compete for the same RAM)."""
    for spec, schema in pairs:
        yield run_one(spec, schema, ctx, job_id=job_id, on_progress=on_progress)


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


def context_for(settings: Settings, db: Database) -> IngestContext:
    """The ingest context of a Heartbeat process: marts on the same server, demo locations as defaults."""
    db.ensure_database(settings.marts_database)
    demo = settings.data_dir.resolve() / DEMO_FOLDER
    return IngestContext(
        db=db,
        marts_database=settings.marts_database,
        pipelines_dir=settings.data_dir.resolve() / "dlt",
        locations={
            "currency_rate": f"http://127.0.0.1:{settings.demo_rates_port}",
            "currency_rate_files": str(demo / "currency_rates"),
        },
    )
