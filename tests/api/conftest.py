"""A real API server on localhost over a database of hand-built metrics."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import uvicorn

from engine.api import create_api
from engine.core.db import Database
from engine.core.settings import load_settings
from engine.metrics.registry import sync
from engine.runtime import Runtime
from engine.store import migrations
from tests.metrics.conftest import MetricFolder
from tests.support.running_app import free_port

TOKEN = "test-operator-token-0123456789"


class ServedApi:
    """create_api() served by uvicorn in a thread, on a free localhost port."""

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


@pytest.fixture()
def world(server: Database, tmp_path: Path):
    """A migrated app database + marts + a metric folder; returns (db, folder, settings env)."""
    tag = uuid.uuid4().hex[:8]
    app_name, marts = f"hb_api_{tag}", f"hb_api_marts_{tag}"
    server.ensure_database(app_name)
    server.ensure_database(marts)
    db = Database(server.url(app_name))
    migrations.upgrade(db.engine())
    folder = MetricFolder(tmp_path / "metrics")
    folder.path.mkdir()
    env = {
        "HEARTBEAT_OPERATOR_TOKEN": TOKEN,
        "HEARTBEAT_MARTS_DATABASE": marts,
        "HEARTBEAT_METRICS_DIR": str(folder.path),
        "HEARTBEAT_DATA_DIR": str(tmp_path / "data"),
    }
    yield db, folder, env
    db.dispose()
    server.drop_database(app_name)
    server.drop_database(marts)


@pytest.fixture()
def api(world):
    db, folder, env = world
    rt = Runtime(settings=load_settings(env), db=db)
    with ServedApi(rt) as served:
        yield served, db, folder


def synced(db: Database, folder: MetricFolder) -> None:
    sync(db.engine(), folder.path)


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client(served: ServedApi) -> httpx.Client:
    return httpx.Client(base_url=served.url, timeout=30)
