"""The measurements of benchmarks/ingest.py that run in a child interpreter, and the runner that starts one.

A load measured in a process of its own reports its own peak RSS and CPU. Tasks travel as JSON lines on
the child's stdin (they hold DSNs, never on a command line) and come back as ``RESULT`` lines:
``ingest`` (one ``run_one``), ``ingest_job`` (every source as a refresh job lands them), ``ingest_all``
(one ``run_many``) and ``copy`` (the psycopg binary COPY baseline).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _rss_mb() -> float:
    """Peak RSS of this process since it started (VmHWM).

    Not ``ru_maxrss``: Linux keeps that across ``execve``, so a child started
    by a 150 MB parent would never report less than 150 MB.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: KiB as well


def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system


_CONTEXTS: dict[tuple[str, ...], Any] = {}


def _context(task: dict[str, Any]) -> Any:
    """The task's IngestContext; a long-lived child (a session) keeps it across tasks, as the app does."""
    from sqlalchemy.engine import make_url

    from engine.core.db import Database
    from engine.ingest import IngestContext

    key = (task["app_url"], task["marts"], task["pipelines_dir"], task["prefix"])
    if key not in _CONTEXTS:
        _CONTEXTS[key] = IngestContext(db=Database(make_url(task["app_url"])), marts_database=task["marts"],
                                       pipelines_dir=Path(task["pipelines_dir"]), source_database_prefix=task["prefix"])
    return _CONTEXTS[key]


def _child_ingest(task: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    from engine.ingest import DeferredIndexes, run_one
    from engine.sources import SourceSpec, get_source

    imported_s = time.perf_counter() - started
    ctx = _context(task)
    if task.get("custom"):
        spec = SourceSpec(task["source"], "postgres", (task["schema"],), "benchmark copy of webbank.core.payment")
    else:
        spec = get_source(task["source"])
    phases: dict[str, float] = {}

    def progress(event: Any) -> None:
        phases.setdefault(event.phase, time.perf_counter())

    rss_idle = _rss_mb()
    cpu = _cpu_s()
    began = time.perf_counter()
    if task.get("defer_indexes"):
        # As `heartbeat ingest` and the refresh job land: index builds queued off the load path, joined after.
        with DeferredIndexes() as deferred:
            outcome = run_one(spec, task["schema"], ctx, on_progress=progress, deferred=deferred)
            load_path_end = time.perf_counter()
    else:
        outcome = run_one(spec, task["schema"], ctx, on_progress=progress)
        load_path_end = time.perf_counter()
    ended = time.perf_counter()
    cpu = _cpu_s() - cpu
    steps = ["extract", "normalize", "load", "indexes", "done"]
    return {
        "status": outcome.status,
        "error": outcome.error,
        "seconds": ended - began,
        # extract + normalize + load: the dlt pipeline without the post-ingest indexes
        "pipeline_s": phases.get("indexes", ended) - phases.get("extract", began),
        # until run_one returned: with deferred indexes, everything but the index builds
        "load_path_s": load_path_end - began,
        "index_wait_s": ended - load_path_end,
        "phases": {a: round(phases[b] - phases[a], 2) for a, b in zip(steps, steps[1:]) if a in phases and b in phases},
        "cpu_s": cpu,
        "rows": outcome.rows_total,
        "tables": outcome.tables,
        "rss_mb": _rss_mb(),
        "rss_idle_mb": rss_idle,
        "import_s": imported_s,
    }


def _child_ingest_job(task: dict[str, Any]) -> dict[str, Any]:
    """Every Postgres source as a refresh job lands them: one after the other in one process forked for the
    job from the warm fork server (``engine.ingest.isolated``). A source's time runs from the previous
    source's outcome (for the first, from the fork) to its own, so the sources' times add up to the job."""
    from engine.ingest.isolated import ingest_cpu_seconds, run_isolated

    ctx = _context(task)
    cpu = ingest_cpu_seconds()
    began = last = time.perf_counter()
    sources: dict[str, dict[str, Any]] = {}
    for landing in run_isolated(ctx, [tuple(pair) for pair in task["pairs"]]):
        if landing.outcome is None:
            continue
        now, outcome = time.perf_counter(), landing.outcome
        sources[outcome.source] = {"status": outcome.status, "error": outcome.error, "seconds": now - last,
                                   "run_one_s": outcome.duration_ms / 1000, "rows": outcome.rows_total,
                                   "tables": outcome.tables}
        last = now
    return {"status": "succeeded", "error": None, "seconds": time.perf_counter() - began,
            "cpu_s": ingest_cpu_seconds() - cpu, "sources": sources}


def _child_copy(task: dict[str, Any]) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    scratch = task["scratch_schema"]
    rows = 0
    with psycopg.connect(task["source_dsn"]) as src, psycopg.connect(task["marts_dsn"]) as dst:
        dst.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch)))
        dst.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(scratch)))
        for table, columns in task["tables"]:
            dst.execute(
                sql.SQL("CREATE TABLE {} ({})").format(
                    sql.Identifier(scratch, table),
                    sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns),
                )
            )
        dst.commit()
        rss_idle = _rss_mb()
        began = time.perf_counter()
        for table, columns in task["tables"]:
            names = sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns)
            out_sql = sql.SQL("COPY {} ({}) TO STDOUT (FORMAT BINARY)").format(
                sql.Identifier(task["schema"], table), names
            )
            in_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(sql.Identifier(scratch, table), names)
            with src.cursor() as read, dst.cursor() as write:
                with read.copy(out_sql) as source, write.copy(in_sql) as target:
                    for chunk in source:
                        target.write(chunk)
                rows += write.rowcount
            dst.commit()
        seconds = time.perf_counter() - began
        dst.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(scratch)))
        dst.commit()
    return {"rows": rows, "seconds": seconds, "rss_mb": _rss_mb(), "rss_idle_mb": rss_idle}


def _child_ingest_all(task: dict[str, Any]) -> dict[str, Any]:
    """Every Postgres source in one ``run_many``, as ``heartbeat ingest`` lands them: a source's index
    builds overlap the next source's load; the time includes waiting for the last builds."""
    from engine.ingest import run_many
    from engine.sources import get_source

    ctx = _context(task)
    pairs = [(get_source(source), schema) for source, schema in task["pairs"]]
    cpu = _cpu_s()
    began = time.perf_counter()
    returned: dict[str, float] = {}
    rows = 0
    for outcome in run_many(pairs, ctx):
        if outcome.status != "succeeded":
            return {"status": outcome.status, "error": outcome.error}
        returned[outcome.source] = time.perf_counter() - began
        rows += outcome.rows_total
    ended = time.perf_counter()
    return {"status": "succeeded", "error": None, "seconds": ended - began, "returned_s": returned, "rows": rows,
            "cpu_s": _cpu_s() - cpu, "rss_mb": _rss_mb()}


def child_main() -> None:
    """Run tasks, one JSON line each on stdin, answering each with a RESULT line on stdout."""
    for line in sys.stdin:
        if line.strip():
            task = json.loads(line)
            result = {"ingest": _child_ingest, "ingest_all": _child_ingest_all, "ingest_job": _child_ingest_job,
                      "copy": _child_copy}[task["kind"]](task)
            print("RESULT " + json.dumps(result, default=str), flush=True)


class Child:
    """A child interpreter running tasks; tasks travel on stdin (they hold DSNs), never on the command line."""

    def __init__(self) -> None:
        # stderr goes to a file: a chatty child must never block on a full pipe.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True, cwd=str(ROOT),
            env=dict(os.environ, RUNTIME__DLTHUB_TELEMETRY="false"),
        )

    def run(self, task: dict[str, Any]) -> dict[str, Any]:
        began = time.perf_counter()
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(task) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT "):])
                result["process_s"] = time.perf_counter() - began
                result["load_avg_1m"] = os.getloadavg()[0]  # other work on the box during the measurement
                return result
        self.process.wait()
        self.stderr.seek(0)
        stderr = self.stderr.read()
        raise SystemExit(f"benchmark child failed ({task['kind']} {task.get('source', '')}):\n{stderr[-4000:]}")

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        self.stderr.close()
        if self.process.stdout:
            self.process.stdout.close()


def run_child(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task in a fresh interpreter (its peak RSS is then this task's alone)."""
    child = Child()
    try:
        return child.run(task)
    finally:
        child.close()


if __name__ == "__main__":
    child_main()
