"""GET /api/health over real HTTP: the app says whether it can serve."""

from __future__ import annotations

import httpx
import pytest

from engine.core.db import Database
from engine.core.settings import load_settings
from engine.runtime import Runtime
from engine.store import migrations
from tests.support.databases import scratch_database
from tests.support.running_app import free_port
from tests.support.served_api import ServedApi


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


@pytest.fixture()
def unmigrated(server: Database):
    """A database Heartbeat has never been run on: no schema heartbeat at all."""
    with scratch_database(server, "hb_unmigrated", migrate=False) as database:
        yield database


def test_health_is_503_and_says_why_when_migrations_are_behind(unmigrated: Database):
    rt = Runtime(settings=load_settings({}), db=unmigrated)
    with ServedApi(rt) as served:
        response = httpx.get(f"{served.url}/api/health", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["migrations"]["current"] is None
    assert "heartbeat db upgrade" in body["error"]


def test_health_is_503_when_the_database_is_unreachable(server: Database):
    dead = Database(server.url("x").set(host="127.0.0.1", port=free_port(), query={}))
    rt = Runtime(settings=load_settings({}), db=dead)
    with ServedApi(rt) as served:
        response = httpx.get(f"{served.url}/api/health", timeout=20)
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
