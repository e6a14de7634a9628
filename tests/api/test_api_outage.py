"""A database that cannot be reached makes read routes answer 503 with a JSON reason, never 500."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from engine.core.db import Database
from engine.core.settings import load_settings
from engine.runtime import Runtime
from tests.support.served_api import ServedApi


@pytest.fixture(scope="module")
def down(tmp_path_factory):
    # A unix socket folder where no server listens: what the app sees while the postmaster is dead.
    folder = tmp_path_factory.mktemp("nopg")
    db = Database(make_url(f"postgresql+psycopg://postgres:@/heartbeat?host={folder}"))
    rt = Runtime(load_settings({"HEARTBEAT_DATA_DIR": str(folder)}), db)
    with ServedApi(rt) as served:
        yield served
    db.dispose()


@pytest.mark.parametrize("route", ["/api/cockpit", "/api/metrics", "/api/metrics/some_metric", "/api/health",
                                   "/api/alerts", "/api/metrics/active-job"])
def test_read_routes_answer_503_with_a_reason(down, route):
    with down.client() as client:
        answer = client.get(route)
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "database unreachable"
