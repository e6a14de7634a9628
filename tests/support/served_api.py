"""The REST API (create_api) served by uvicorn in a thread on a free localhost port, and how to call it."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn

from engine.api import create_api
from engine.runtime import Runtime
from tests.support.running_app import free_port

# The operator token of the served worlds (`world`, `api`): writes carry it as a bearer token.
TOKEN = "test-operator-token-0123456789"


class ServedApi:
    """create_api() over ``rt``, served while the ``with`` block runs."""

    def __init__(self, rt: Runtime) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_api(lambda: rt), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ServedApi":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def auth(token: str = TOKEN) -> dict[str, str]:
    """The Authorization header of a caller holding ``token``."""
    return {"Authorization": f"Bearer {token}"}
