"""A refresh job leaves nothing of itself in the process that ran it (the soak of issue #16).

The app runs refresh jobs for weeks in one process. dlt's ``filesystem`` resource kept, on its last
config, an exception whose traceback held the calling job's frames — and through them the job before:
every job's objects stayed alive and the server grew with each refresh (docs/performance.md, "Soak").
"""

from __future__ import annotations

import dataclasses
import gc
import os
import threading
import types

import psutil
from sqlalchemy import text

from engine import refresh
from engine.ingest import isolated
from engine.refresh import RefreshRequest
from engine.refresh.ledger import JobState

RATES_CSV = "date,base,quote,rate\n2026-06-03,EUR,CHF,0.952450\n2026-06-03,EUR,CZK,25.123813\n"


def _alive_jobs() -> list[int]:
    gc.collect()
    return sorted(o.id for o in gc.get_objects() if isinstance(o, JobState))


def _alive_job_frames() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, types.FrameType) and o.f_code.co_name == "_execute")


def test_finished_refresh_jobs_are_not_kept_alive(refresh_env, tmp_path):
    # Every kind of source the demo has that needs no server: the Postgres source of the world and a
    # folder of rate files (dlt's filesystem resource, the one that kept its jobs).
    folder = tmp_path / "rates"
    folder.mkdir()
    (folder / "rates_2026-06-03.csv").write_text(RATES_CSV)
    ingest = dataclasses.replace(refresh_env.ctx.ingest, locations={"currency_rate_files": str(folder)})
    ctx = dataclasses.replace(refresh_env.ctx, ingest=ingest)
    before = _alive_jobs()
    jobs = []
    for day in range(4, 7):
        (folder / f"rates_2026-06-0{day}.csv").write_text(RATES_CSV.replace("06-03", f"06-0{day}"))
        # As the API runs it: a thread of its own per job.
        worker = threading.Thread(target=lambda: jobs.append(refresh.run(ctx, RefreshRequest("all", "api"))[1]))
        worker.start()
        worker.join()
    assert [job.source_outcomes["currency_rate_files.daily"]["status"] for job in jobs] == ["succeeded"] * 3
    assert [job.source_outcomes["webbank.core"]["status"] for job in jobs] == ["succeeded"] * 3
    ids = [job.id for job in jobs]
    jobs.clear()
    leaked = sorted(set(_alive_jobs()) - set(before))
    assert leaked == [], f"refresh jobs {leaked} of {ids} are still in memory after they finished"
    assert _alive_job_frames() == 0


def _native_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def test_each_job_lands_its_sources_in_a_process_that_ends_with_it(refresh_env):
    # connectorx leaves three threads behind per read and glibc kept what those runs allocated: in the app's
    # own process that was ~0.3 MB a job, for weeks (docs/performance.md, "Soak"). The job's ingest runs in a
    # child instead: this process's threads stay as they were, and the process that landed is gone.
    ctx = refresh_env.ctx
    cpu = isolated.ingest_cpu_seconds()
    jobs, threads = [], []
    for _ in range(3):
        worker = threading.Thread(target=lambda: jobs.append(refresh.run(ctx, RefreshRequest("all", "api"))[1]))
        worker.start()
        worker.join()
        threads.append(_native_threads())
    assert [job.source_outcomes["webbank.core"]["status"] for job in jobs] == ["succeeded"] * 3
    assert threads[2] <= threads[0] + 1, f"native threads of the app after each job: {threads}"
    with ctx.db.engine().connect() as conn:
        pids = conn.execute(text("SELECT DISTINCT job_id, pid FROM heartbeat.source_sync WHERE job_id = ANY(:ids)"),
                            {"ids": [job.id for job in jobs]}).all()
    assert len(pids) == 3 and len({pid for _, pid in pids}) == 3, pids  # one process per job
    assert os.getpid() not in {pid for _, pid in pids}
    assert not [pid for _, pid in pids if psutil.pid_exists(pid)]
    assert isolated.ingest_cpu_seconds() > cpu  # what the children cost is still counted
