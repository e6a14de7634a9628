"""A refresh job's ingest in a process of its own, forked afresh for every job.

Why: what native code keeps after an ingest stays in the process that ran it. connectorx 0.4.6
starts three pool threads per read that never exit (sfu-db/connector-x#706), and glibc kept what
dlt, arrow and those threads allocated: the long-lived app grew about 0.3 MB per refresh job
(docs/performance.md, "Soak"). A process that ends with its job gives all of it back, whatever the
cause, and a crash in native code (a Rust panic that aborts, a segfault, the OOM killer) fails the
sources that job had left instead of taking the app down with it.

Children come from a fork server started on first use with the ingest modules already imported and
dlt configured (``engine.ingest.warm``), so a job pays for a fork and its own connections, not for
importing dlt and arrow again.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing.connection import Connection
from typing import Iterator

from engine import sources
from engine.core import parent_death
from engine.ingest.context import IngestContext
from engine.ingest.deferred import DeferredIndexes
from engine.ingest.ledger import SyncOutcome, fail_running_syncs
from engine.ingest.pipeline import run_one

log = logging.getLogger(__name__)

_lock = threading.Lock()
_context: multiprocessing.context.BaseContext | None = None
_cpu_seconds = [0.0]  # CPU used by every ingest child of this process so far


def ingest_cpu_seconds() -> float:
    """CPU seconds (user + system) the ingest children of this process have used so far: a process's own
    CPU times no longer include its refresh jobs' ingest."""
    return _cpu_seconds[0]


@dataclass(frozen=True)
class Landing:
    """One (source, schema) of the job starts (``outcome`` None) or has finished."""

    source: str
    schema: str
    outcome: SyncOutcome | None = None

    @property
    def key(self) -> str:
        return f"{self.source}.{self.schema}"


def _start_method() -> multiprocessing.context.BaseContext:
    global _context
    with _lock:
        if _context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                _context = multiprocessing.get_context("forkserver")
                # '__main__' as by default: a child imports the caller's main module unless the server has.
                _context.set_forkserver_preload(["__main__", __name__, "engine.ingest.warm"])
            else:
                _context = multiprocessing.get_context("spawn")
        return _context


def _child(conn: Connection, ctx: IngestContext, pairs: list[tuple[str, str]], job_id: int | None,
           environ: dict[str, str], cwd: str) -> None:
    # An orphan must not keep writing the marts while the next job lands the same tables.
    parent_death.die_with_parent(signal.SIGKILL)
    # The fork server was started with the environment of its first caller: dlt reads its secrets
    # from the environment and ./.dlt of the process asking now.
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        # A source's index builds overlap the next source's load; all are done before the child says so.
        with DeferredIndexes() as deferred:
            for name, schema in pairs:
                conn.send(Landing(name, schema))
                outcome = run_one(sources.get_source(name), schema, ctx, job_id=job_id, deferred=deferred)
                conn.send(Landing(name, schema, outcome))
    except Exception as exc:  # the ledger itself unreachable: the parent fails what is left, saying why
        conn.send(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}")
    finally:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        conn.send(usage.ru_utime + usage.ru_stime)
        conn.close()


def _died(process: multiprocessing.process.BaseProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        return f"the ingest process was killed by signal {signal.Signals(-code).name}"
    return f"the ingest process exited with code {code}"


def run_isolated(ctx: IngestContext, pairs: list[tuple[str, str]], *, job_id: int | None = None) -> Iterator[Landing]:
    """Land ``pairs`` one after the other in a fresh child process; yields each start and each outcome.

    Every pair gets an outcome: one the child could not report (it died, or lost the ledger) is a
    failed outcome that says what happened, and its running sync row is closed as failed.
    """
    if not pairs:
        return
    start = _start_method()
    receive, send = start.Pipe(duplex=False)
    process = start.Process(
        target=_child, args=(send, ctx, pairs, job_id, dict(os.environ), os.getcwd()),
        name=f"heartbeat-ingest-{job_id}", daemon=True,
    )
    process.start()
    send.close()
    finished: set[tuple[str, str]] = set()
    reason = None
    try:
        while True:
            try:
                message = receive.recv()
            except EOFError:
                break
            if isinstance(message, float):
                _cpu_seconds[0] += message
                continue
            if isinstance(message, str):
                reason = message
                continue
            if message.outcome is not None:
                finished.add((message.source, message.schema))
            yield message
    finally:
        receive.close()
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()
    left = [pair for pair in pairs if pair not in finished]
    if not left:
        return
    reason = reason or _died(process)
    log.warning("ingest of job %s stopped: %s", job_id, reason)
    fail_running_syncs(ctx.db.engine(), job_id, reason)
    for name, schema in left:
        outcome = SyncOutcome(name, schema, "failed", datetime.now(timezone.utc), error=f"{name}.{schema}: {reason}")
        yield Landing(name, schema, outcome)
