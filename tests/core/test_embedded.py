"""The embedded PostgreSQL of a data folder: stale pgserver handles are dropped, a killed postmaster restarts.

Each test runs its own embedded server in a short temporary folder (never the
session's `.heartbeat/pg-test`, which every other test shares).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from engine.core.embedded import EmbeddedServer, clean_stale_handles, pid_alive, postmaster_pid
from engine.runtime.supervisor import Supervisor

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def pgdata():
    # Short: the unix socket lives in the folder and its path is limited to ~100 characters.
    folder = Path(tempfile.mkdtemp(prefix="hb-emb-"))
    yield folder / "pg"
    pid = postmaster_pid(folder / "pg")
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _hold(pgdata: Path, then: str) -> subprocess.Popen:
    """A separate process that opens the embedded server of ``pgdata``, then sleeps (``then='sleep'``) or exits."""
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from engine.core.embedded import EmbeddedServer
        EmbeddedServer(Path({str(pgdata)!r})).start()
        print("ready", flush=True)
        if {then!r} == "sleep":
            time.sleep(600)
    """)
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_handles_of_dead_processes_are_dropped(tmp_path):
    (tmp_path / ".handle_pids.json").write_text(json.dumps([os.getpid(), _dead_pid()]))
    assert len(clean_stale_handles(tmp_path)) == 1
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [os.getpid()]


def test_the_last_survivor_stops_the_server_after_a_kill_9(pgdata):
    killed = _hold(pgdata, "sleep")
    assert killed.stdout.readline().strip() == b"ready"
    server_pid = postmaster_pid(pgdata)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    # The killed process never left pgserver's handle list.
    assert killed.pid in json.loads((pgdata / ".handle_pids.json").read_text())
    survivor = _hold(pgdata, "exit")
    assert survivor.wait(timeout=60) == 0
    assert postmaster_pid(pgdata) is None or not pid_alive(server_pid)  # stopped by the last survivor
    assert killed.pid not in json.loads((pgdata / ".handle_pids.json").read_text())


def test_supervisor_restarts_a_killed_postmaster(pgdata, caplog):
    server = EmbeddedServer(pgdata)
    uri = server.start()
    first = server.pid
    supervisor = Supervisor(server, delay=0.5, attempts=5, check_every=0.2).start()
    try:
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not supervisor.restarts:
            time.sleep(0.2)
        assert server.alive() and server.pid != first
        assert server.uri() == uri  # the same socket: every process's URL stays valid
        with psycopg.connect(uri, connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert supervisor.restarts == 1 and not supervisor.gave_up
        assert any("is down" in r.message for r in caplog.records)
        assert any("attempt 1/5 succeeded" in r.getMessage() for r in caplog.records)
    finally:
        supervisor.stop()
        server._server._cleanup()


class _Unstartable:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.pid = 4242
        self.tries = 0

    def alive(self) -> bool:
        return False

    def restart(self) -> int:
        self.tries += 1
        raise RuntimeError("pg_ctl: could not start server")


def test_supervisor_gives_up_loudly_after_its_bound(tmp_path, caplog):
    server = _Unstartable(tmp_path)
    supervisor = Supervisor(server, delay=0.01, attempts=3, check_every=0.01).start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not supervisor.gave_up:
        time.sleep(0.05)
    supervisor.stop()
    assert supervisor.gave_up and server.tries == 3
    attempts = [r.getMessage() for r in caplog.records if "restart attempt" in r.getMessage()]
    assert len(attempts) == 3 and "attempt 3/3 failed (RuntimeError: pg_ctl: could not start server" in attempts[-1]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "giving up" in errors[0]
