"""The embedded PostgreSQL (PyPI ``pgserver``) of one data folder: start or join it, see it die, restart it.

pgserver keeps a list of the processes using a server in ``pg/.handle_pids.json``;
the last one to exit stops the server. A process killed with ``kill -9`` never
removes itself, so the server would never be stopped again: stale entries are
dropped on every start. A postmaster killed with ``kill -9`` (an OOM kill) may
linger as a zombie when nothing reaps it; pgserver (and PostgreSQL's own lock
file check) would take it for a live server, so a dead or zombie pid counts as
gone and its ``postmaster.pid`` is removed before a restart.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

HANDLES_FILE = ".handle_pids.json"
PID_FILE = "postmaster.pid"


def _pgserver() -> Any:
    # Imported late: a configured server never needs the wheel's binaries.
    # platformdirs warns on import when XDG_RUNTIME_DIR is unset (a server has none).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver.postgres_server

    return pgserver


def pid_alive(pid: int | None) -> bool:
    """True when ``pid`` runs and is not a zombie (a killed process nobody has reaped yet)."""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def postmaster_pid(pgdata: Path) -> int | None:
    """The pid written in ``postmaster.pid`` (None when the file is missing or unreadable)."""
    try:
        first = (pgdata / PID_FILE).read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, IndexError, ValueError):
        return None


def clean_stale_handles(pgdata: Path) -> list[int]:
    """Drop the pids of dead processes from pgserver's handle list; returns the pids dropped.

    Call with pgserver's interprocess lock held (``EmbeddedServer.start`` does).
    """
    path = pgdata / HANDLES_FILE
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(pids, list):
        return []
    alive = [pid for pid in pids if isinstance(pid, int) and pid_alive(pid)]
    dropped = [pid for pid in pids if pid not in alive]
    if dropped:
        path.write_text(json.dumps(alive))
        log.info("embedded PostgreSQL: dropped handles of processes that are gone: %s", dropped)
    return dropped


def _remove_dead_pid_file(pgdata: Path) -> None:
    """Remove the lock files (``postmaster.pid``, the socket's ``.s.PGSQL.*.lock``) of a postmaster that is gone."""
    pid = postmaster_pid(pgdata)
    if pid is not None and not pid_alive(pid):
        (pgdata / PID_FILE).unlink(missing_ok=True)
        log.info("embedded PostgreSQL: removed the lock file of dead postmaster %s", pid)
    for lock in pgdata.glob(".s.PGSQL.*.lock"):
        try:
            owner = int(lock.read_text().splitlines()[0].strip())
        except (OSError, IndexError, ValueError):
            continue
        if not pid_alive(owner):
            lock.unlink(missing_ok=True)


class EmbeddedServer:
    """The embedded PostgreSQL in ``pgdata``; this process holds one pgserver handle on it."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self._server: Any = None

    def start(self) -> str:
        """Start (or join) the server; returns its libpq URI (a unix socket, stable across restarts)."""
        pgserver = _pgserver()
        lock = pgserver.postgres_server.PostgresServer._lock
        self.pgdata.mkdir(parents=True, exist_ok=True)
        with lock:
            clean_stale_handles(self.pgdata)
            _remove_dead_pid_file(self.pgdata)
        # "stop": the server stops when the last Heartbeat process using it exits.
        self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        return self._server.get_uri()

    def stop(self) -> None:
        """Give up this process's handle; the server stops when no other process holds one (tests)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def uri(self) -> str:
        """The libpq URI of the running server (a unix socket in the data folder; the same after a restart)."""
        return self._server.get_uri()

    @property
    def pid(self) -> int | None:
        return postmaster_pid(self.pgdata)

    def alive(self) -> bool:
        """Whether the postmaster of this data folder runs (a zombie does not)."""
        return pid_alive(self.pid)

    def restart(self) -> int | None:
        """Start the server again after it died; returns the new postmaster pid. Raises when it cannot start."""
        pgserver = _pgserver()
        server = self._server
        if server is None:
            raise RuntimeError("the embedded server was never started by this process")
        with pgserver.postgres_server.PostgresServer._lock:
            _remove_dead_pid_file(self.pgdata)
            server.ensure_postgres_running()
        return self.pid


def log_tail(pgdata: Path, lines: int = 3) -> str:
    """The last lines of the server's own log (what PostgreSQL said when it would not start)."""
    try:
        text = (pgdata / "log").read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())

