"""Issue 16 §6: faults during a refresh job, on real parts (PostgreSQL, dlt, compute), survived unattended.

After each fault: no partial history row (a metric's day has its new value or keeps its old one, and an
error never blanks a value), the ledger says what happened in words, and the next job succeeds without
a human. The `kill -9` of the process running a job is in test_refresh_job.py
(test_a_killed_job_is_marked_abandoned_and_the_next_run_succeeds); receiver faults are in
tests/alerts/test_delivery_faults.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from sqlalchemy import text

from engine import refresh
from engine.refresh import RefreshRequest
from tests.support.faults import history, job_row, own_server, running_jobs
from tests.support.worlds import fill_payments, refresh_world

APPROVAL = "SELECT 100.0 * count(*) FILTER (WHERE state = 'approved') / count(*) FROM webbank_core.payment"
# Reads the landed table too, so it is computed after ingest, and takes long enough to be cut mid-query.
SLOW = "SELECT count(*) FROM webbank_core.payment, pg_sleep(4)"


@pytest.fixture()
def refresh_env_faults(server, tmp_path):
    """refresh_env that also knows its source database, to drop and rebuild it."""
    with refresh_world(server, tmp_path) as world:
        yield world


def _latest_job(db):
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT id, phase, current_item FROM heartbeat.refresh_job "
                                 "ORDER BY id DESC LIMIT 1")).first()


def _wait_for(db, predicate, timeout: float = 60.0, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _latest_job(db)
        if job is not None and predicate(job):
            return job
        time.sleep(every)
    raise TimeoutError("the job never reached the expected phase")


class Background:
    """refresh.run in a thread: its result (or exception) kept for the test."""

    def __init__(self, ctx, request: RefreshRequest) -> None:
        self.result = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(ctx, request), daemon=True)
        self.thread.start()

    def _run(self, ctx, request) -> None:
        try:
            self.result = refresh.run(ctx, request)
        except BaseException as exc:  # noqa: BLE001 (kept for the assertion)
            self.error = exc

    def join(self, timeout: float = 90.0) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the refresh job never returned"


def test_postgres_stopped_and_restarted_mid_job(tmp_path):
    # A server of this test's own: the session server is shared by every test and must stay up.
    with own_server(tmp_path / "pg") as pg, refresh_world(pg.db, tmp_path) as world:
        ctx, db = world.ctx, world.ctx.db
        world.folder.write("approval_rate", APPROVAL, norm="95", alert="85")
        world.folder.write("slow_count", SLOW, norm=None, alert=None)
        _, first = refresh.run(ctx, RefreshRequest(_ids(world), "cli"))
        assert first.status == "succeeded", first.error
        before = history(db)
        assert before["approval_rate"][0] == 90.0 and before["slow_count"][0] == 500.0

        fill_payments(world.source.dsn(), 500, declined_every=5)  # the next job lands 80 % approved
        job = Background(ctx, RefreshRequest(_ids(world), "cron"))
        running = _wait_for(db, lambda j: j.id != first.id and j.phase == "compute")
        time.sleep(1.0)  # approval_rate lands; slow_count is mid-query
        pg.stop()
        time.sleep(2.0)  # the database is away for a while
        pg.start()
        job.join()

        # The ledger says what happened, in words, once the server is back (no row left 'running').
        row = job_row(db, running.id)
        assert row.status == "failed" and row.finished_at is not None, (row.status, row.error)
        assert row.error.startswith("database unreachable during compute"), row.error
        assert running_jobs(db) == []
        # No partial row: each metric has today's new value or keeps the old one; none is blanked.
        after = history(db)
        assert after["approval_rate"][0] in (90.0, 80.0)
        assert after["slow_count"][0] == 500.0
        assert all(value is not None for value, *_ in after.values())

        started, state = refresh.run(ctx, RefreshRequest(_ids(world), "cron"))  # no human in between
        assert state.status == "succeeded", state.error
        final = history(db)
        assert {m: (v, e, j) for m, (v, _, e, j) in final.items()} == {
            "approval_rate": (80.0, None, started.job_id), "slow_count": (500.0, None, started.job_id)}


def test_a_source_database_dropped_before_the_job(refresh_env_faults):
    world = refresh_env_faults
    ctx = world.ctx
    _approval_landed(world)

    _drop(world)
    started, state = refresh.run(ctx, RefreshRequest(_ids(world), "cron"))
    row = job_row(ctx.db, started.job_id)
    assert row.status == "partial", row.error
    outcome = row.source_outcomes["webbank.core"]
    assert outcome["status"] == "failed" and "does not exist" in outcome["error"], outcome
    assert "sources failed: webbank.core" in row.error
    # The metric is computed from what landed earlier: same value, no error, and its freshness says how old.
    assert history(ctx.db)["approval_rate"][:3] == (90.0, "amber", None)

    _rebuild(world)
    _, state = refresh.run(ctx, RefreshRequest(_ids(world), "cron"))
    assert state.status == "succeeded", state.error
    assert history(ctx.db)["approval_rate"][0] == 80.0


def test_a_source_database_dropped_mid_ingest(refresh_env_faults):
    world = refresh_env_faults
    ctx = world.ctx
    first = _approval_landed(world)
    fill_payments(world.source.dsn(), 1_000_000, declined_every=5)  # enough rows that the extract is still running when it goes

    # The drop comes from a process of its own, once the extract's query is running: connectorx holds the
    # GIL while it reads, so a thread of this process would only wake up to drop once the read was over.
    dropper = _drop_while_reading(world)
    job = Background(ctx, RefreshRequest(_ids(world), "cron"))
    job.join()
    assert job.error is None, job.error
    assert dropper.wait(timeout=60) == 0, dropper.stderr.read()
    running = _latest_job(ctx.db)
    assert running.id != first.id

    row = job_row(ctx.db, running.id)
    assert row.status == "partial", (row.status, row.error, row.source_outcomes, row.metric_outcomes)
    outcome = row.source_outcomes["webbank.core"]
    assert outcome["status"] == "failed" and outcome["error"], outcome
    assert row.error and "webbank.core" in row.error
    assert history(ctx.db)["approval_rate"][:3] == (90.0, "amber", None)  # kept, not blanked

    _rebuild(world)
    _, state = refresh.run(ctx, RefreshRequest(_ids(world), "cron"))
    assert state.status == "succeeded", state.error
    assert history(ctx.db)["approval_rate"][0] == 80.0
    assert running_jobs(ctx.db) == []


def test_a_killed_ingest_process_fails_its_source_and_the_job_goes_on(refresh_env_faults):
    # A refresh job lands its sources in a child process of its own (engine/ingest/isolated.py): the OOM
    # killer or a crash in native code there must cost that job's ingest, not the app, and say so.
    world = refresh_env_faults
    ctx = world.ctx
    first = _approval_landed(world)
    fill_payments(world.source.dsn(), 1_000_000, declined_every=5)

    job = Background(ctx, RefreshRequest(_ids(world), "cron"))
    pid = _ingest_pid_while_reading(world, first.id)
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    job.join()
    assert job.error is None, job.error
    killed = _latest_job(ctx.db).id
    row = job_row(ctx.db, killed)
    assert row.status == "partial", (row.status, row.error, row.source_outcomes)
    outcome = row.source_outcomes["webbank.core"]
    assert outcome["status"] == "failed" and "killed by signal SIGKILL" in outcome["error"], outcome
    with ctx.db.engine().connect() as conn:
        syncs = conn.execute(text("SELECT status, error FROM heartbeat.source_sync WHERE job_id = :j"), {"j": killed}).all()
    assert [s.status for s in syncs] == ["failed"] and "SIGKILL" in syncs[0].error
    assert history(ctx.db)["approval_rate"][:3] == (90.0, "amber", None)  # computed from what had landed

    _, state = refresh.run(ctx, RefreshRequest(_ids(world), "cron"))
    assert state.status == "succeeded", state.error
    assert history(ctx.db)["approval_rate"][0] == 80.0
    assert running_jobs(ctx.db) == []


def _ingest_pid_while_reading(world, after_job: int, timeout: float = 60.0) -> int:
    """The pid of the process landing webbank.core for the job after ``after_job``, once its extract reads."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(world.ctx.db.dsn(), autocommit=True) as conn:
        while time.monotonic() < deadline:
            reading = conn.execute(EXTRACT_READING, (world.source_name,)).fetchone()
            sync = conn.execute("SELECT pid FROM heartbeat.source_sync WHERE job_id > %s AND status = 'running'",
                                (after_job,)).fetchone()
            if reading and sync:
                return sync[0]
            time.sleep(0.005)
    raise TimeoutError("the ingest never started reading")


def _approval_landed(world):
    """The approval-rate metric on the world, after a first job that succeeded (90 %, amber)."""
    world.folder.write("approval_rate", APPROVAL, norm="95", alert="85")
    _, first = refresh.run(world.ctx, RefreshRequest(_ids(world), "cli"))
    assert first.status == "succeeded", first.error
    return first


def _ids(world) -> list[str]:
    """Every metric of the world by id ("all" would also ingest every registered demo source)."""
    return sorted(p.stem for p in world.folder.path.glob("*.sql"))


def _drop(world) -> None:
    with psycopg.connect(world.source.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{world.source_name}" WITH (FORCE)')


# The extract's query on the source, running: a fault that must land mid-read waits for it.
EXTRACT_READING = ("SELECT 1 FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                   "AND query ILIKE '%%from%%payment%%' AND query NOT ILIKE '%%pg_catalog%%'")

_DROPPER = """
import sys, time, psycopg
dsn, name, reading = sys.argv[1], sys.argv[2], sys.argv[3]
deadline = time.monotonic() + 50
with psycopg.connect(dsn, autocommit=True) as conn:
    while time.monotonic() < deadline:
        if conn.execute(reading, (name,)).fetchone():
            time.sleep(0.1)  # reading
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            sys.exit(0)
        time.sleep(0.002)
sys.exit("the extract's query never showed in pg_stat_activity")
"""


def _drop_while_reading(world) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _DROPPER, world.source.dsn("postgres"), world.source_name,
                             EXTRACT_READING],
                            stderr=subprocess.PIPE, text=True)


def _rebuild(world) -> None:
    with psycopg.connect(world.source.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{world.source_name}"')
    fill_payments(world.source.dsn(), 500, declined_every=5)
