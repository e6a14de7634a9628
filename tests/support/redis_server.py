"""A real Redis (Debian's ``redis-server``) on a free port, for the tests of several app workers."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.support.running_app import free_port

REDIS_SERVER = Path("/usr/bin/redis-server")
MISSING = "no Redis at /usr/bin/redis-server: apt-get install -y redis-server (.ci/run installs it)"


class RedisServer:
    """``redis-server`` with no persistence, in a folder of its own; ``url`` once started."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = Path(tempfile.mkdtemp(prefix="hb-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "RedisServer":
        self.process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.RedisError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"redis-server did not answer on port {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
