"""The scheduler: one leader across processes, takeover when it dies, runs recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.core.db import Database
from engine.refresh import scheduler as sched
from engine.refresh.scheduler import ScheduledJob, Scheduler
from tests.support.databases import scratch_database
from tests.support.running_app import stop_group
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def app_db(server: Database):
    with scratch_database(server, "hb_sched") as db:
        yield db


def _leader_pid(db: Database) -> int | None:
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT pid FROM heartbeat.scheduler_leader")).scalar()


def test_only_one_of_two_schedulers_leads_and_the_other_takes_over(app_db, monkeypatch):
    monkeypatch.setattr(sched, "FOLLOW_SECONDS", 0.5)
    jobs = [ScheduledJob("tick", "* * * * *", "test", lambda: "ok")]
    first, second = Scheduler(app_db, jobs), Scheduler(app_db, jobs)
    first.start()
    assert wait_for(lambda: first.leading, 10)
    second.start()
    time.sleep(2)
    assert first.leading and not second.leading
    first.stop()
    assert wait_for(lambda: second.leading, 10)
    second.stop()


def test_a_recorded_run_lands_in_the_ledger_with_its_outcome(app_db):
    ok = sched._recorded(app_db.engine(), "good", lambda: "3 bands")
    bad = sched._recorded(app_db.engine(), "bad", lambda: 1 / 0)
    ok()
    bad()
    status = {j["id"]: j for j in sched.status(app_db.engine(), [
        ScheduledJob("good", "23 4 * * *", "", lambda: ""), ScheduledJob("bad", "23 4 * * *", "", lambda: "")])["jobs"]}
    assert status["good"]["last_run"]["outcome"] == "ok" and status["good"]["last_run"]["detail"] == "3 bands"
    assert status["bad"]["last_run"]["outcome"] == "failed" and "ZeroDivisionError" in status["bad"]["last_run"]["detail"]


def _scheduler_process(db: Database) -> subprocess.Popen:
    env = {**os.environ, "HEARTBEAT_DATABASE_URL": db.url().render_as_string(hide_password=False),
           "HEARTBEAT_DATA_DIR": str(ROOT / ".heartbeat" / "test")}
    return subprocess.Popen([str(Path(sys.executable).parent / "heartbeat"), "scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_leader_uniqueness_across_processes_and_takeover_after_kill(app_db):
    first = _scheduler_process(app_db)
    second = None
    try:
        assert wait_for(lambda: _leader_pid(app_db) == first.pid, 30)
        second = _scheduler_process(app_db)
        time.sleep(sched.FOLLOW_SECONDS + 3)
        assert _leader_pid(app_db) == first.pid  # the second stands by
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert wait_for(lambda: _leader_pid(app_db) == second.pid, sched.FOLLOW_SECONDS * 3 + 10)
        health = sched.status(app_db.engine(), [])
        assert health["leader"]["alive"]
    finally:
        for process in (first, second):
            stop_group(process)


def test_one_leader_among_an_app_and_two_scheduler_processes(app_db):
    """An app's in-process scheduler first, then two `heartbeat scheduler` processes: exactly one leads
    throughout, and when the app stops, one of the processes takes over within one lease."""
    app = Scheduler(app_db, [ScheduledJob("tick", "23 4 * * *", "test", lambda: "ok")])
    app.start()
    processes = []
    try:
        assert wait_for(lambda: app.leading, 15)
        processes = [_scheduler_process(app_db), _scheduler_process(app_db)]
        deadline = time.monotonic() + sched.FOLLOW_SECONDS + 3  # every standby has tried at least once
        while time.monotonic() < deadline:
            assert app.leading and _leader_pid(app_db) == os.getpid()
            time.sleep(1)
        app.stop()
        stopped = time.monotonic()
        pids = {p.pid for p in processes}
        assert wait_for(lambda: _leader_pid(app_db) in pids, sched.FOLLOW_SECONDS + 5)
        assert time.monotonic() - stopped <= sched.FOLLOW_SECONDS + 2
        leader = _leader_pid(app_db)
        time.sleep(sched.FOLLOW_SECONDS + 2)
        assert _leader_pid(app_db) == leader  # the other process stands by
    finally:
        app.stop()
        for process in processes:
            stop_group(process)
