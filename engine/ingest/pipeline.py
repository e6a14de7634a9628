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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import dlt
from dlt.common.configuration.inject import get_fun_last_config
from sqlalchemy import text

from engine import sources
from engine.core.errors import HeartbeatError
from engine.ingest.context import IngestContext, dlt_credentials
from engine.ingest.deferred import DeferredIndexes
from engine.ingest.destination import marts_postgres
from engine.ingest.failures import describe_failure
from engine.ingest.ledger import SyncOutcome, close_sync, open_sync
from engine.ingest.tables import data_as_of, finish_tables
from engine.sources.kinds import build_source
from engine.sources.locations import Location, resolve_location

log = logging.getLogger(__name__)

# Parquet files of at most this many rows: each load job reads one whole file into memory.
FILE_MAX_ITEMS = 250_000
# Two load jobs at once: one ADBC COPY kept one core of two busy (client and
# server take turns); two halve the load step of webbank.core (17.7 s → 9.9 s)
# for +60 MB peak RSS.
LOAD_WORKERS = 2


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


def configure_dlt() -> None:
    """dlt settings of every Heartbeat pipeline (process-wide, idempotent)."""
    dlt.config["data_writer.file_max_items"] = FILE_MAX_ITEMS
    dlt.config["load.workers"] = LOAD_WORKERS
    # One table at a time: dlt's default round robin opens every table's
    # connectorx stream and parquet writer at once (webbank.core at scale 1:
    # peak RSS 452 MB round robin, 377 MB fifo, no slower).
    dlt.config["extract.next_item_mode"] = "fifo"
    dlt.config["load.delete_completed_jobs"] = True
    # A merge leaves its staging tables full (2 M payments and 3.9 M ledger entries at scale 1 after a first
    # merge): truncated once the load completes, the next load refills only what it stages.
    dlt.config["load.truncate_staging_dataset"] = True
    # Nothing leaves the machine but the data we move: no usage telemetry.
    dlt.config["runtime.dlthub_telemetry"] = False
    # dlt's own warnings (e.g. arrow vs. schema hints) are noise on a terminal;
    # failures reach the sync ledger with their cause.
    dlt.config["runtime.log_level"] = "ERROR"


def _landed_tables(ctx: IngestContext, dataset: str) -> frozenset[str]:
    """The tables of ``dataset`` already in the marts."""
    with ctx.db.engine(ctx.marts_database).connect() as conn:
        return frozenset(
            conn.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": dataset}
            ).scalars()
        )


def _append_first_loads(
    spec: sources.SourceSpec, landed: frozenset[str], resources: list[Any], policies: dict[str, sources.TablePolicy]
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
    for resource in resources:
        policy = policies.get(resource.name)
        if policy is not None and policy.disposition == "merge" and resource.name not in landed:
            resource.apply_hints(write_disposition="append")


def _pipeline(spec: sources.SourceSpec, schema: str, ctx: IngestContext, landed: frozenset[str]) -> dlt.Pipeline:
    destination = marts_postgres(credentials=dlt_credentials(ctx.marts_url))
    pipeline = dlt.pipeline(
        pipeline_name=spec.pipeline_name(schema),
        destination=destination,
        dataset_name=spec.dataset(schema),
        pipelines_dir=str(ctx.pipelines_dir),
    )
    if "_dlt_pipeline_state" not in landed and not getattr(pipeline, "first_run", True):
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


def _cursor_as_of(pipeline: dlt.Pipeline, spec: sources.SourceSpec, schema: str) -> datetime | None:
    """A feed's newest landed row from the incremental cursor's last value, when the feed table's
    cursor is the column that dates it: the same value as ``max()`` over the landed table (every row
    with that cursor has landed), without reading the table (1.4 M card transactions at scale 1)."""
    declared = sources.FRESHNESS_FROM_DATA.get(f"{spec.name}.{schema}")
    if declared is None:
        return None
    table, column = declared
    for source_state in (pipeline.state.get("sources") or {}).values():
        cursor = source_state.get("resources", {}).get(table, {}).get("incremental", {}).get(column, {})
        value = cursor.get("last_value")
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


def _clean_loaded_packages(pipeline: dlt.Pipeline) -> None:
    """Completed load packages hold nothing we read again; keep the disk flat."""
    loaded = Path(pipeline.working_dir) / "load" / "loaded"
    if loaded.is_dir():
        for package in loaded.iterdir():
            shutil.rmtree(package, ignore_errors=True)


def _release_config_errors(resources: list[Any]) -> None:
    """Drop the configuration errors dlt keeps on the resources of this run.

    dlt stores on every resolved config the exception its resolution raised, even one it recovered
    from, and keeps the config of a resource function's last call. dlt's ``filesystem`` resource always
    raises one (``local_dir`` is filled in after a ConfigFieldMissingException), and through that
    exception's traceback it kept the whole refresh job's frames — the job before it, and so on:
    every refresh job of a process stayed in memory (docs/performance.md, "Soak"). Nothing reads the
    exception after the run; cutting it here lets each run's objects go.
    """
    for resource in resources:
        pipe = getattr(resource, "_pipe", None)
        while pipe is not None:
            gen = getattr(pipe, "gen", None)
            config = get_fun_last_config(gen) if callable(gen) else None
            if config is not None:
                config.__exception__ = None
            pipe = getattr(pipe, "parent", None)


def run_one(
    spec: sources.SourceSpec,
    schema: str,
    ctx: IngestContext,
    *,
    job_id: int | None = None,
    on_progress: ProgressFn | None = None,
    deferred: DeferredIndexes | None = None,
) -> SyncOutcome:
    """Land one (source, schema) into the marts and record it in the sync ledger.

    Never raises for a source problem: a dead source or a failing table yields
    a failed outcome whose error names the source, the table and the cause.
    With ``deferred`` the post-ingest indexes and ANALYZE are queued there
    instead of built before returning (the caller waits for them before reading).
    """
    configure_dlt()
    ledger = ctx.db.engine()
    ledger_id, started_at = open_sync(ledger, spec.name, schema, spec.dataset(schema), job_id)
    outcome = SyncOutcome(spec.name, schema, "running", started_at, ledger_id=ledger_id)
    began = time.perf_counter()
    location: Location | None = None
    resources: list[Any] = []
    try:
        location = resolve_location(spec, ctx.db, ctx.source_database_prefix, ctx.locations)
        landed = _landed_tables(ctx, spec.dataset(schema))
        pipeline = _pipeline(spec, schema, ctx, landed)
        resources, policies = build_source(spec, schema, location, landed)
        report = on_progress or (lambda _event: None)
        for resource in resources:
            resource.add_map(_counting(spec.name, schema, resource.name, report))
        _append_first_loads(spec, landed, resources, policies)
        report(Progress(spec.name, schema, "extract"))
        pipeline.extract(resources, loader_file_format="parquet")
        # Nothing extracted (a quiet source) and nothing left over from an earlier run: each step
        # would still resolve dlt's configuration and open the destination for nothing.
        counts: dict[str, int] = {}
        report(Progress(spec.name, schema, "normalize"))
        if pipeline.list_extracted_load_packages():
            pipeline.normalize()
            counts = _row_counts(pipeline)
        report(Progress(spec.name, schema, "load"))
        if pipeline.list_normalized_load_packages():
            pipeline.load(workers=LOAD_WORKERS)
        report(Progress(spec.name, schema, "indexes"))
        outcome.tables = {
            table: {"rows": counts.get(table, 0), "disposition": policy.disposition}
            for table, policy in policies.items()
        }
        changed = {t: info["rows"] for t, info in outcome.tables.items() if info["rows"]}
        if deferred is None:
            finish_tables(ctx, spec.dataset(schema), policies, changed)
        else:
            deferred.submit(spec.dataset(schema), lambda: finish_tables(ctx, spec.dataset(schema), policies, changed))
        outcome.data_as_of = _cursor_as_of(pipeline, spec, schema) or data_as_of(ctx, spec, schema)
        _clean_loaded_packages(pipeline)
        outcome.status = "succeeded"
        report(Progress(spec.name, schema, "done"))
    except BaseException as exc:  # one source's failure must not stop the others
        # A Rust panic raised through pyo3 (connectorx's "cx writer failed" when the source database is
        # dropped mid-read) is a BaseException: left alone it killed the whole job and left its ledger
        # row 'running' (tests/refresh/test_faults.py). It is this source's failure; real interrupts
        # (Ctrl+C, exit) still go up.
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        outcome.status = "failed"
        outcome.error = describe_failure(spec, schema, exc, location)
        log.warning("ingest %s.%s failed: %s", spec.name, schema, outcome.error)
        log.debug("ingest failure detail", exc_info=True)
    finally:
        _release_config_errors(resources)
    outcome.duration_ms = int((time.perf_counter() - began) * 1000)
    close_sync(ledger, outcome)
    return outcome


def plan(names: list[str] | None = None) -> list[tuple[sources.SourceSpec, str]]:
    """The (source, schema) pairs a request names: ``webbank``, ``webbank.core`` or all."""
    if not names:
        return [(spec, schema) for spec in sources.SOURCES for schema in spec.schemas]
    pairs: list[tuple[sources.SourceSpec, str]] = []
    for name in names:
        source_name, _, schema = name.partition(".")
        spec = sources.get_source(source_name)
        if schema and schema not in spec.schemas:
            raise HeartbeatError(
                f"source {spec.name!r} has no schema {schema!r}; its schemas: {', '.join(spec.schemas)}"
            )
        for item in [schema] if schema else list(spec.schemas):
            if (spec, item) not in pairs:
                pairs.append((spec, item))
    return pairs


def run_many(
    pairs: list[tuple[sources.SourceSpec, str]],
    ctx: IngestContext,
    *,
    job_id: int | None = None,
    on_progress: ProgressFn | None = None,
) -> Iterator[SyncOutcome]:
    """Land each pair in turn (serially: parallel extracts compete for the same RAM); a source's index builds
    overlap the next source's load (``DeferredIndexes``) and are all done when the iteration ends."""
    with DeferredIndexes() as deferred:
        for spec, schema in pairs:
            yield run_one(spec, schema, ctx, job_id=job_id, on_progress=on_progress, deferred=deferred)


