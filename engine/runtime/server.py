"""Run the Reflex app (pages, websocket and REST API on one port) as a child process.

The engine never imports the UI package; it starts Reflex the way a shell
would, in the project folder, with the environment Reflex needs offline.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from engine.runtime import Runtime
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
    # The compiled frontend embeds its server's port: each data folder builds its own,
    # so a demo and a test run (or two deployments) never rewire each other's pages.
    env.setdefault("REFLEX_WEB_WORKDIR", str(rt.settings.data_dir.resolve() / "web"))
    return env


def serve(rt: Runtime) -> int:
    """Serve Heartbeat in production mode until interrupted; returns the exit code."""
    command = [
        str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod", "--single-port",
        "--loglevel", "warning",
    ]
    child = subprocess.Popen(command, cwd=ROOT, env=reflex_environment(rt), start_new_session=True)

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
