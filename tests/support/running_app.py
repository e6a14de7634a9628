"""Start the real app (`heartbeat serve`) as a subprocess on a free port and wait for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / ".heartbeat" / "test" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningApp:
    """`heartbeat serve` in its own process group, with its output in a log file."""

    def __init__(self, environ: dict[str, str], *, port: int | None = None, name: str = "app",
                 args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.args = args  # e.g. ("--workers", "2", "--no-scheduler")
        # The compiled frontend embeds its server's port: two apps alive at once need two builds.
        environ = {"REFLEX_WEB_WORKDIR": str(ROOT / ".heartbeat" / "test" / f"web-{name}"), **environ}
        self.url = f"http://localhost:{self.port}"
        self.environ = environ
        self.process: subprocess.Popen | None = None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"serve-{self.port}.log"

    def start(self, timeout: float = 300.0) -> "RunningApp":
        env = {**os.environ, **self.environ, "HEARTBEAT_PORT": str(self.port)}
        heartbeat = str(Path(sys.executable).parent / "heartbeat")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [heartbeat, "serve", *self.args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        reader = self.environ.get("HEARTBEAT_READ_TOKEN")
        headers = {"Authorization": f"Bearer {reader}"} if reader else {}
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"heartbeat serve exited early; see {self.log_path}:\n{self.tail()}")
            if answers(self.url, headers):
                return
            time.sleep(0.5)
        raise TimeoutError(f"heartbeat serve not healthy after {timeout:.0f}s; see {self.log_path}:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        stop_group(self.process)


def answers(url: str, headers: dict[str, str] | None = None) -> bool:
    """The app at ``url`` serves its API and its page (the API answers before the frontend bundle is served)."""
    try:
        return (httpx.get(f"{url}/api/health", timeout=2).status_code == 200
                and httpx.get(url + "/", headers=headers or {}, timeout=5).status_code == 200)
    except httpx.HTTPError:
        return False


def log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def stop_group(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """Stop a process started with ``start_new_session`` and everything it started: SIGTERM to its group, then
    SIGKILL after ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
