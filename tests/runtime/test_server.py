"""`heartbeat serve` as real processes: a port clash is one line naming the pid; a kill -9 leaves no orphan."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from engine.core.db import Database
from engine.core.embedded import pid_alive, postmaster_pid
from tests.conftest import app_environ
from tests.support.running_app import RunningApp, free_port

ROOT = Path(__file__).resolve().parents[2]


def _session_members(sid: int) -> list[psutil.Process]:
    members = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if os.getsid(proc.pid) == sid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return members


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def test_app_port_clash_is_one_line_naming_the_setting_and_the_pid(db: Database):
    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        env = {**os.environ, **app_environ(db), "HEARTBEAT_PORT": str(port), "COLUMNS": "400"}
        done = subprocess.run([str(Path(sys.executable).parent / "heartbeat"), "serve"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert f"port {port} is already in use by pid {os.getpid()}" in errors[0]
    assert "HEARTBEAT_PORT" in errors[0]


def test_kill_9_of_serve_takes_the_app_down_with_it(db: Database):
    app = RunningApp(app_environ(db, HEARTBEAT_SCHEDULER="off"), name="orphan").start()
    sid = app.process.pid  # `heartbeat serve` leads its own session; `reflex run` has another
    children = psutil.Process(app.process.pid).children(recursive=True)
    app_sessions = {os.getsid(c.pid) for c in children if c.is_running()} - {sid}
    assert app_sessions, "the app should run in a session of its own"
    os.kill(app.process.pid, signal.SIGKILL)
    app.process.wait()
    deadline = time.monotonic() + 30
    left: list[psutil.Process] = []
    while time.monotonic() < deadline:
        left = [p for s in app_sessions for p in _session_members(s)]
        if not left and _port_free(app.port):
            break
        time.sleep(0.5)
    else:
        for p in left:
            p.kill()
    assert left == [] and _port_free(app.port), [p.cmdline() for p in left]


def test_a_killed_worker_of_a_one_worker_app_is_started_again_and_the_app_answers_on(db: Database):
    """uvicorn's supervisor serves even one worker (heartbeat_app/launch.py): an OOM kill costs seconds."""
    app = RunningApp(app_environ(db, HEARTBEAT_SCHEDULER="off"), name="orphan").start()
    try:
        first = httpx.get(f"{app.url}/api/health", timeout=10)
        assert first.headers.get("server") == "uvicorn"  # the server measured in docs/performance.md, Sessions
        worker = first.json()["worker_pid"]
        assert worker != app.process.pid and psutil.pid_exists(worker)
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 90  # a worker imports the whole app; CI boxes are loaded
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"{app.url}/api/health", timeout=5).json()["worker_pid"]
                if answer != worker:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert answer is not None and answer != worker, "the killed worker was not started again"
        assert httpx.get(app.url + "/", timeout=10).status_code == 200  # the pages too, on the same port
    finally:
        app.stop()


def test_the_app_stops_its_process_group_when_its_parent_is_gone():
    """The fallback where PR_SET_PDEATHSIG is not available: services.watch_parent."""
    parent = subprocess.Popen(["sleep", "600"])
    code = ("import time; from engine.runtime.services import watch_parent; "
            f"watch_parent({parent.pid}, every=0.2); time.sleep(600)")
    app = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                           start_new_session=True)
    time.sleep(1.5)
    assert app.poll() is None
    parent.kill()
    parent.wait()
    try:
        assert app.wait(timeout=10) == -signal.SIGTERM
    finally:
        if app.poll() is None:
            app.kill()


def test_after_a_kill_9_of_serve_the_next_serve_joins_the_embedded_server_and_stops_it_at_the_end():
    """The whole stale-handle story with real processes on an embedded server of its own."""
    data = Path(tempfile.mkdtemp(prefix="hb-srv-"))
    env = {"HEARTBEAT_DATABASE_URL": "", "HEARTBEAT_DATA_DIR": str(data), "HEARTBEAT_SCHEDULER": "off",
           "HEARTBEAT_METRICS_DIR": str(data)}
    try:
        first = RunningApp(env, name="outage").start()
        server = postmaster_pid(data / "pg")
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        handles = json.loads((data / "pg" / ".handle_pids.json").read_text())
        assert first.process.pid in handles and pid_alive(server)  # the server outlives a killed parent
        # The app dies with its parent (it gets SIGTERM and shuts down its workers, about a second); until the
        # port is free, a start would find the dying app answering instead of its own.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _answers(first.port):
            time.sleep(0.2)
        assert not _answers(first.port), "the app of a killed `heartbeat serve` still holds its port"
        second = RunningApp(env, name="outage", port=first.port).start()
        assert postmaster_pid(data / "pg") == server  # joined, not restarted
        assert first.process.pid not in json.loads((data / "pg" / ".handle_pids.json").read_text())
        second.stop()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and pid_alive(server):
            time.sleep(0.2)
        assert not pid_alive(server)  # the last Heartbeat process to exit stopped it
    finally:
        pid = postmaster_pid(data / "pg")
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(data, ignore_errors=True)


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _serve(db: Database, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEARTBEAT_REDIS_URL": "", **app_environ(db, **extra), "HEARTBEAT_PORT": str(free_port()),
           "COLUMNS": "400"}
    return subprocess.run([str(Path(sys.executable).parent / "heartbeat"), "serve", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_several_workers_without_redis_are_refused_in_one_line_saying_why(db: Database):
    done = _serve(db, "--workers", "2")
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert done.returncode == 1 and len(errors) == 1, output
    assert "--workers 2 needs HEARTBEAT_REDIS_URL" in errors[0] and "share the tabs' state through Redis" in errors[0]
    assert "Traceback" not in output and "starting on" not in output  # nothing was started


def test_an_unreachable_redis_is_refused_before_anything_starts_without_its_password(db: Database):
    dead = free_port()  # nothing listens there
    done = _serve(db, "--workers", "2", HEARTBEAT_REDIS_URL=f"redis://:s3cr3t-pw@127.0.0.1:{dead}/0")
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert done.returncode == 1 and len(errors) == 1, output
    assert "Redis at HEARTBEAT_REDIS_URL does not answer" in errors[0]
    assert "s3cr3t-pw" not in output and "Traceback" not in output
