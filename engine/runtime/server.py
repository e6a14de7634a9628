"""Run the Reflex app (pages, websocket and REST API on one port) as a child process.

The engine never imports the UI package; it starts Reflex the way a shell
would, in the project folder, with the environment Reflex needs offline.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil

from engine.core import parent_death
from engine.core.errors import HeartbeatError
from engine.runtime import Runtime
from engine.runtime.supervisor import Supervisor
from engine.store.migrations import ROOT

log = logging.getLogger(__name__)


def reflex_environment(rt: Runtime, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the Reflex child: Node 24 from the venv, npm, no telemetry, our database."""
    env = dict(os.environ if base is None else base)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env.setdefault("REFLEX_USE_NPM", "1")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")
    env["HEARTBEAT_PORT"] = str(rt.settings.port)
    # The child joins the server this process already runs (embedded or not),
    # so only one process manages the embedded PostgreSQL's life.
    env["HEARTBEAT_DATABASE_URL"] = rt.db.url().render_as_string(hide_password=False)
    env["HEARTBEAT_DATA_DIR"] = str(rt.settings.data_dir)
    # The app stops itself when this process is gone (see services.watch_parent): no orphan keeps the port.
    env["HEARTBEAT_PARENT_PID"] = str(os.getpid())
    # The compiled frontend embeds its server's port: each data folder builds its own,
    # so a demo and a test run (or two deployments) never rewire each other's pages.
    env.setdefault("REFLEX_WEB_WORKDIR", str(rt.settings.data_dir.resolve() / "web"))
    return env


class WorkersNeedRedis(HeartbeatError):
    """More than one worker without a reachable Redis: the message says why, in one line."""


def check_workers(rt: Runtime, workers: int) -> None:
    """Refuse several workers without Redis (each would hold only its own tabs), or with a Redis that does
    not answer."""
    if workers < 1:
        raise WorkersNeedRedis(f"--workers must be 1 or more (got {workers})")
    if workers > 1 and not rt.settings.redis_url:
        raise WorkersNeedRedis(
            f"--workers {workers} needs HEARTBEAT_REDIS_URL: workers share the tabs' state through Redis, and "
            "without it a tab that lands on another worker (or whose worker dies) loses its wall")
    if rt.settings.redis_url:
        import redis

        try:
            redis.Redis.from_url(rt.settings.redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
        except (redis.RedisError, OSError) as exc:
            raise WorkersNeedRedis(f"Redis at HEARTBEAT_REDIS_URL does not answer ({type(exc).__name__}: "
                                   f"{str(exc)[:120]}); start it or fix the URL") from None


def worker_environment(rt: Runtime, workers: int) -> dict[str, str]:
    """How many uvicorn workers heartbeat_app/launch.py starts (rxconfig.py turns on Reflex's Redis state
    manager when HEARTBEAT_REDIS_URL is set; the child inherits it)."""
    return {"HEARTBEAT_SERVE_WORKERS": str(workers)}


class PortInUse(HeartbeatError):
    """The app's port is taken; the message names the process holding it and the setting that moves it."""


def _port_holder(port: int) -> psutil.Process | None:
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                return psutil.Process(conn.pid)
    except (psutil.Error, OSError):
        pass
    return None


def _describe(proc: psutil.Process) -> str:
    try:
        command = " ".join(proc.cmdline()[:4]) or proc.name()
    except psutil.Error:
        command = "?"
    return f"pid {proc.pid} ({command[:80]})"


def check_port(port: int) -> None:
    """Refuse to start when ``port`` is taken: one line naming HEARTBEAT_PORT and the pid holding it."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
            return
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return  # not ours to judge; Reflex will say what is wrong
    holder = _port_holder(port)
    who = _describe(holder) if holder is not None else "another process"
    raise PortInUse(f"port {port} is already in use by {who} — stop it, or set HEARTBEAT_PORT to a free port")


def serve(rt: Runtime, *, workers: int = 1, scheduler: bool = True) -> int:
    """Serve Heartbeat in production mode until interrupted; returns the exit code.

    ``workers`` > 1 needs Redis (``workers.check``); ``scheduler=False`` leaves scheduling to a separate
    ``heartbeat scheduler`` process."""
    check_port(rt.settings.port)
    env = reflex_environment(rt)
    env.update(worker_environment(rt, workers))
    if not scheduler:
        env["HEARTBEAT_SCHEDULER"] = "off"
    # Reflex's CLI, its backend served by supervised uvicorn workers (heartbeat_app/launch.py).
    command = [sys.executable, "-m", "heartbeat_app.launch", "run", "--env", "prod", "--single-port",
               "--loglevel", "warning"]
    # Elsewhere the app's own parent watch stops it.
    preexec = parent_death.die_with_parent if parent_death.SUPPORTED else None
    child = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, preexec_fn=preexec)
    supervisor = None
    if rt.db.embedded is not None:
        # This process started the embedded server, so it alone keeps it alive (see docs/decisions.md).
        supervisor = Supervisor(rt.db.embedded, delay=rt.settings.db_restart_delay,
                                attempts=rt.settings.db_restart_attempts).start()

    def _forward(signum: int, _frame: object) -> None:
        # Reflex runs its own children (the web server); stop the whole group.
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass

    previous = {sig: signal.signal(sig, _forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            _forward(signal.SIGTERM, None)
            child.wait(timeout=20)
        if supervisor is not None:
            supervisor.stop()
