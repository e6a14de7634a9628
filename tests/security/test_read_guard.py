"""The read token on every surface (create_api served alone, and the middlewares on their own): pages and
static files, /api, the websocket handshake; the TV's one-time ``?token=`` that becomes a cookie."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from engine.api.readers import COOKIE, ReadGuard, cookie_value
from engine.api.sessions import SessionCap
from engine.core.db import Database
from engine.core.settings import load_settings
from engine.runtime import Runtime
from tests.conftest import app_environ
from tests.support.served_api import ServedApi

OPERATOR = "guard-operator-token"
READER = "guard-read-token"


@pytest.fixture()
def served(db: Database):
    settings = load_settings(app_environ(db, HEARTBEAT_OPERATOR_TOKEN=OPERATOR, HEARTBEAT_READ_TOKEN=READER))
    with ServedApi(Runtime(settings=settings, db=db)) as api:
        yield api


def test_without_the_token_pages_static_files_and_api_are_refused_with_a_clear_401(served):
    with httpx.Client(base_url=served.url, timeout=30, follow_redirects=False) as client:
        for path in ("/", "/metrics/some_metric", "/_next/static/chunks/app.js", "/heartbeat.css"):
            page = client.get(path)
            assert page.status_code == 401, path
            assert "text/html" in page.headers["content-type"]
            assert "needs its read token" in page.text and "Traceback" not in page.text
            assert "content-security-policy" in page.headers  # the 401 page gets the security headers too
        for path in ("/api/screens", "/api/metrics", "/api/jobs", "/api/alerts"):
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert "read token required" in refused.json()["error"]
        wrong = client.get("/", params={"token": "not-it"})
        assert wrong.status_code == 401 and "not the read token" in wrong.text
        assert "set-cookie" not in wrong.headers


def test_the_operator_token_in_a_query_string_never_opens_a_page_or_sets_the_cookie(served):
    with httpx.Client(base_url=served.url, timeout=30, follow_redirects=False) as client:
        assert client.get("/", params={"token": OPERATOR}).status_code == 401
        assert client.get("/api/screens", params={"token": OPERATOR}).status_code == 401
        assert client.get("/", headers={"Authorization": f"Bearer {OPERATOR}"}).status_code == 404  # passed


def test_a_tv_opening_the_token_url_once_gets_a_strict_httponly_cookie_and_a_clean_url(served):
    with httpx.Client(base_url=served.url, timeout=30, follow_redirects=False) as client:
        first = client.get("/", params={"token": READER, "kiosk": "1"})
        assert first.status_code == 303
        assert first.headers["location"] == "/?kiosk=1"
        cookie = first.headers["set-cookie"]
        assert f"{COOKIE}={cookie_value(READER)}" in cookie and READER not in cookie
        for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
            assert attribute.lower() in cookie.lower(), attribute
        # From now on the cookie opens pages (404 here: this server has no Reflex) and the API.
        assert client.get("/").status_code == 404
        assert client.get("/api/screens").status_code == 200
        assert client.get("/api/metrics").status_code == 200
        # "//evil.example" is never a redirect target.
        client.cookies.clear()
        sneaky = client.get("//evil.example/x", params={"token": READER})
        assert sneaky.status_code == 303 and not sneaky.headers["location"].startswith("//")


def test_health_stays_open_but_says_nothing_beyond_its_status_without_the_token(served):
    with httpx.Client(base_url=served.url, timeout=30) as client:
        bare = client.get("/api/health")
        assert bare.status_code == 200
        assert set(bare.json()) <= {"status", "error"}
        full = client.get("/api/health", headers={"Authorization": f"Bearer {READER}"})
        assert "scheduler" in full.json() and "version" in full.json()


def _socket_app(settings, limit: int = 100) -> Starlette:
    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await ws.receive_text()
        except WebSocketDisconnect:
            pass

    app = Starlette(routes=[WebSocketRoute("/_event/", endpoint)])
    return SessionCap(ReadGuard(app, settings=lambda: settings), limit=lambda: limit)


def test_the_websocket_handshake_needs_the_cookie_or_a_bearer_header(db: Database):
    settings = load_settings(app_environ(db, HEARTBEAT_READ_TOKEN=READER, HEARTBEAT_OPERATOR_TOKEN=OPERATOR))
    client = TestClient(_socket_app(settings))
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/_event/?token=" + READER):  # Reflex's client token slot opens nothing
            pass
    assert refused.value.code == 1008
    with client.websocket_connect("/_event/", headers={"Cookie": f"{COOKIE}={cookie_value(READER)}"}) as ws:
        ws.send_text("hi")
    with client.websocket_connect("/_event/", headers={"Authorization": f"Bearer {READER}"}) as ws:
        ws.send_text("hi")


def test_one_address_holds_at_most_the_cap_of_open_sessions(db: Database):
    settings = load_settings(app_environ(db))
    client = TestClient(_socket_app(settings, limit=3))
    sockets = [client.websocket_connect("/_event/") for _ in range(3)]
    opened = [s.__enter__() for s in sockets]
    try:
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect("/_event/"):
                pass
    finally:
        for s in sockets:
            s.__exit__(None, None, None)
    assert len(opened) == 3
    with client.websocket_connect("/_event/") as ws:  # closing one frees its place
        ws.send_text("hi")
