"""The one refresh path: ingest then compute, single-flight, with a truthful ledger."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine import refresh
from engine.refresh import RefreshRequest

APPROVAL = "SELECT 100.0 * count(*) FILTER (WHERE state = 'approved') / count(*) FROM webbank_core.payment"
ROOT = Path(__file__).resolve().parents[2]


def _phases_in_order(phases: list[str]) -> list[str]:
    """The phases a job went through, each once, in the order they began (progress reports repeat a phase)."""
    return [phase for i, phase in enumerate(phases) if i == 0 or phases[i - 1] != phase]


def _job(db, job_id):
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT * FROM heartbeat.refresh_job WHERE id = :id"), {"id": job_id}).one()


def test_refresh_ingests_then_computes_and_records_every_outcome(refresh_env):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    folder.write("approval_rate", APPROVAL, norm="95", alert="85")
    phases = []
    started, state = refresh.run(ctx, RefreshRequest(["approval_rate"], "cli"),
                                 on_progress=lambda s: phases.append(s.phase))
    assert not started.coalesced
    assert state.status == "succeeded", state.error
    assert _phases_in_order(phases)[:4] == ["sync", "ingest", "compute", "alerts"]
    job = _job(ctx.db, started.job_id)
    assert job.status == "succeeded" and job.finished_at is not None and job.trigger == "cli"
    assert job.source_outcomes["webbank.core"]["status"] == "succeeded"
    assert job.source_outcomes["webbank.core"]["rows"] == 500
    assert job.metric_outcomes["approval_rate"]["value"] == 90.0
    with ctx.db.engine().connect() as conn:
        history = conn.execute(text("SELECT value, status, job_id FROM heartbeat.metric_history")).one()
    assert tuple(history) == (90.0, "amber", started.job_id)


def test_only_the_sources_the_requested_metrics_read_are_ingested(refresh_env):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    folder.write("approval_rate", APPROVAL)
    _, state = refresh.run(ctx, RefreshRequest(["approval_rate"], "api"))
    assert list(state.source_outcomes) == ["webbank.core"]


def test_a_dead_source_makes_the_job_partial_not_failed(refresh_env):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    folder.write("approval_rate", APPROVAL)
    folder.write("cases", "SELECT 1", sources="[aml.aml]", norm=None, alert=None)
    _, state = refresh.run(ctx, RefreshRequest(["approval_rate", "cases"], "cli"))
    assert state.status == "partial"
    assert state.source_outcomes["aml.aml"]["status"] == "failed"
    assert state.metric_outcomes["approval_rate"]["ok"]
    assert "sources failed: aml.aml" in state.error


def test_a_second_request_during_a_job_coalesces_onto_it(refresh_env):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    folder.write("slow", "SELECT 1 FROM pg_sleep(2)", norm=None, alert=None)
    first = refresh.start(ctx, RefreshRequest("all", "ui"))
    assert not first.coalesced
    results = []
    threads = [threading.Thread(target=lambda: results.append(refresh.start(ctx, RefreshRequest("all", "api"))))
               for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r.job_id for r in results} == {first.job_id}
    assert all(r.coalesced for r in results)
    _wait_finished(ctx.db, first.job_id)
    with ctx.db.engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM heartbeat.refresh_job")).scalar() == 1


def _wait_finished(db, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _job(db, job_id).status != "running":
            return _job(db, job_id)
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} still running")


def _cli_env(ctx) -> dict[str, str]:
    return {
        **os.environ,
        "HEARTBEAT_DATABASE_URL": ctx.db.url().render_as_string(hide_password=False),
        "HEARTBEAT_MARTS_DATABASE": ctx.compute.marts_database,
        "HEARTBEAT_METRICS_DIR": str(ctx.metrics_dir),
        "HEARTBEAT_DATA_DIR": str(ctx.ingest.pipelines_dir.parent / "cli-data"),
        "COLUMNS": "200",
    }


def _cli_refresh(ctx, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "heartbeat"), "refresh", *args], cwd=ROOT, env=_cli_env(ctx),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


HELD_BY_THE_TEST = 734215  # an advisory lock key: a metric that takes it waits until the test lets go


def test_cli_refresh_joins_a_job_running_in_another_process(refresh_env):
    """The first job runs until the CLI has answered: its metric waits on a lock this test holds. (It slept
    4 s, and a CLI started on a loaded box — 13 s to import there — found it finished and ran a job of its own.)"""
    ctx, folder = refresh_env.ctx, refresh_env.folder
    folder.write("slow", f"SELECT 1 FROM (SELECT pg_advisory_xact_lock({HELD_BY_THE_TEST})) AS waited",
                 norm=None, alert=None)
    marts = create_engine(ctx.db.url().set(database=ctx.compute.marts_database), poolclass=NullPool)
    try:
        with marts.connect() as holder:
            holder.execute(text(f"SELECT pg_advisory_lock({HELD_BY_THE_TEST})"))
            first = refresh.start(ctx, RefreshRequest("all", "ui"))
            cli = _cli_refresh(ctx)
            output, _ = cli.communicate(timeout=120)
            assert _job(ctx.db, first.job_id).status == "running"  # still held: the CLI met it running
            holder.execute(text(f"SELECT pg_advisory_unlock({HELD_BY_THE_TEST})"))
            holder.commit()
    finally:
        marts.dispose()
    assert cli.returncode == 0, output
    assert f"already running (job {first.job_id})" in output
    _wait_finished(ctx.db, first.job_id)  # the held metric lands once let go (the demo sources are absent here)


def test_a_killed_job_is_marked_abandoned_and_the_next_run_succeeds(refresh_env):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    folder.write("approval_rate", APPROVAL)
    folder.write("slow", "SELECT 1 FROM pg_sleep(30)", norm=None, alert=None)
    cli = _cli_refresh(ctx)
    deadline = time.monotonic() + 60
    job = None
    while time.monotonic() < deadline:
        with ctx.db.engine().connect() as conn:
            job = conn.execute(text("SELECT id, phase FROM heartbeat.refresh_job ORDER BY id DESC LIMIT 1")).first()
        if job is not None and job.phase == "compute":
            break
        time.sleep(0.2)
    assert job is not None and job.phase == "compute"
    time.sleep(0.5)  # the quick metric lands; the slow one is mid-query
    os.killpg(cli.pid, signal.SIGKILL)
    cli.wait(timeout=10)
    assert _job(ctx.db, job.id).status == "running"  # the ledger cannot know yet...
    folder.remove("slow")
    started, state = refresh.run(ctx, RefreshRequest(["approval_rate"], "cron"))
    assert _job(ctx.db, job.id).status == "abandoned"  # ...the next job finds out
    assert state.status == "succeeded", state.error
    with ctx.db.engine().connect() as conn:
        rows = conn.execute(text("SELECT metric_id, job_id, error FROM heartbeat.metric_history")).all()
    assert {(r.metric_id, r.job_id, r.error) for r in rows} == {("approval_rate", started.job_id, None)}


def test_mark_abandoned_leaves_a_live_job_alone(refresh_env):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    folder.write("slow", "SELECT 1 FROM pg_sleep(2)", norm=None, alert=None)
    first = refresh.start(ctx, RefreshRequest(["slow"], "ui"))
    assert refresh.mark_abandoned(ctx.db) == 0
    assert _job(ctx.db, first.job_id).status == "running"
    _wait_finished(ctx.db, first.job_id)  # the held metric lands once let go (the demo sources are absent here)
