"""The REST API (create_api served alone): no operator token from a query string; foreign origins refused."""

from __future__ import annotations

import httpx
import pytest

from engine.core.db import Database
from engine.core.settings import load_settings
from engine.runtime import Runtime
from tests.conftest import app_environ
from tests.support.served_api import ServedApi

OPERATOR = "api-security-operator-token"
READER = "api-security-read-token"


@pytest.fixture()
def served(db: Database):
    settings = load_settings(app_environ(db, HEARTBEAT_OPERATOR_TOKEN=OPERATOR, HEARTBEAT_READ_TOKEN=READER,
                                         HEARTBEAT_ALLOWED_ORIGINS="https://wall.example.com"))
    with ServedApi(Runtime(settings=settings, db=db)) as api:
        yield api


def test_the_operator_token_in_a_query_string_authenticates_nothing(served):
    with httpx.Client(base_url=served.url, timeout=30) as client:
        for path in ("/api/screens", "/api/metrics", "/api/jobs"):
            assert client.get(path, params={"token": OPERATOR}).status_code == 401, path
            assert client.get(path, params={"token": READER}).status_code == 200, path  # TV players
            assert client.get(path, headers={"Authorization": f"Bearer {OPERATOR}"}).status_code == 200, path
        for method, path, body in (("PATCH", "/api/metrics/some_metric/verification", {"verification_state":
                                                                                        "verified"}),
                                   ("POST", "/api/metrics/recompute", {})):
            response = client.request(method, path, params={"token": OPERATOR}, json=body)
            assert response.status_code == 401, (path, response.text)


def test_cors_answers_only_the_allowlist_and_never_reflects_a_foreign_origin(served):
    with httpx.Client(base_url=served.url, timeout=30) as client:
        foreign = client.get("/api/health", headers={"Origin": "https://evil.example", "Cookie": "a=b"})
        assert foreign.status_code == 403
        assert "access-control-allow-origin" not in foreign.headers
        preflight = client.options("/api/metrics/recompute", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert preflight.headers.get("access-control-allow-origin") in (None, "")
        listed = client.get("/api/health", headers={"Origin": "https://wall.example.com"})
        assert listed.status_code in (200, 503)  # the guard lets it through (CORS headers: Reflex, rxconfig.py)
        # A request from no page at all (curl, a TV player) carries no Origin and passes as before.
        assert client.get("/api/health").status_code in (200, 503)
        # "null" (a sandboxed frame, a file:// page) is foreign too.
        assert client.get("/api/health", headers={"Origin": "null"}).status_code == 403
