"""GET /api/health over real HTTP: the app says whether it can serve."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
import uvicorn

from engine.api import create_api
from engine.core.db import Database
from engine.core.settings import load_settings
from engine.runtime import Runtime
from engine.store import migrations
from tests.support.running_app import free_port


def test_health_is_green_on_the_running_app(app):
    response = httpx.get(f"{app.url}/api/health", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["migrations"]["current"] == body["migrations"]["head"] == migrations.head_revision()
    assert body["version"]


def test_openapi_is_served_by_the_running_app(app):
    response = httpx.get(f"{app.url}/api/openapi.json", timeout=10)
    assert response.status_code == 200
    assert "/api/health" in response.json()["paths"]


class _Served:
    """A fresh FastAPI app from create_api, served by uvicorn on localhost in a thread."""

    def __init__(self, rt: Runtime) -> None:
        self.port = free_port()
        config = uvicorn.Config(create_api(lambda: rt), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture()
def unmigrated(server: Database):
    name = f"hb_unmigrated_{uuid.uuid4().hex[:8]}"
    server.ensure_database(name)
    database = Database(server.url(name))
    yield database
    database.dispose()
    server.drop_database(name)


def test_health_is_503_and_says_why_when_migrations_are_behind(unmigrated: Database):
    rt = Runtime(settings=load_settings({}), db=unmigrated)
    with _Served(rt) as url:
        response = httpx.get(f"{url}/api/health", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["migrations"]["current"] is None
    assert "heartbeat db upgrade" in body["error"]


def test_health_is_503_when_the_database_is_unreachable(server: Database):
    dead = Database(server.url("x").set(host="127.0.0.1", port=free_port(), query={}))
    rt = Runtime(settings=load_settings({}), db=dead)
    with _Served(rt) as url:
        response = httpx.get(f"{url}/api/health", timeout=20)
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
