"""Issue 16 parts 3 and 4 against the real app: a read token on pages, websocket and /api (a TV gets it once
as a cookie); a closed tab's refresh loop stops and its screen stops beating; a cap on sessions per address.

The app here is one of its own (read token set, 2 s refresh, a cap of 4), so the session app is untouched.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from sqlalchemy import text

from engine.api.readers import COOKIE, cookie_value
from engine.core.db import Database
from tests.conftest import OPERATOR_TOKEN, app_environ
from tests.security.conftest import in_browser
from tests.security.raw_socket import OUTSIDER_ADDRESS, RawSession, Refused
from tests.support.running_app import RunningApp

READER = "sessions-read-token"
INTERVAL = 2
CAP = 4
ROOT_STATE = "reflex___state____state"
WITH_COOKIE = {"Cookie": f"{COOKIE}={cookie_value(READER)}"}


@pytest.fixture(scope="module")
def guarded(db: Database):
    running = RunningApp(app_environ(db, HEARTBEAT_READ_TOKEN=READER, HEARTBEAT_OPERATOR_TOKEN=OPERATOR_TOKEN,
                                     HEARTBEAT_TV_REFRESH_SECONDS=str(INTERVAL), HEARTBEAT_SCHEDULER="off",
                                     HEARTBEAT_MAX_SESSIONS_PER_ADDRESS=str(CAP)), name="guarded")
    running.start()
    yield running
    running.stop()


def test_without_the_read_token_the_page_the_websocket_and_screens_are_refused(guarded):
    page = httpx.get(guarded.url + "/", timeout=30)
    assert page.status_code == 401 and "needs its read token" in page.text
    assert httpx.get(guarded.url + "/api/screens", timeout=30).status_code == 401
    assert httpx.get(guarded.url + "/api/screens", params={"token": OPERATOR_TOKEN}, timeout=30).status_code == 401
    with pytest.raises(Refused):
        RawSession("127.0.0.1", guarded.port)
    with pytest.raises(Refused):  # the client-token slot of the handshake is no read token
        RawSession("127.0.0.1", guarded.port, client_token=READER)
    assert httpx.get(guarded.url + "/api/health", timeout=30).status_code == 200


def test_a_tv_opens_the_token_url_once_then_works_on_the_clean_url(guarded):
    def tv(context) -> tuple[str, list, str, str]:
        page = context.new_page()
        with page.expect_websocket(timeout=30000) as socket_info:
            page.goto(guarded.url + f"/?token={READER}&kiosk=1")
        socket = socket_info.value
        socket.wait_for_event("framereceived", timeout=30000)
        landed = page.url
        cookies = context.cookies()
        # A second visit, without the token in the address: the cookie is enough.
        again = context.new_page()
        with again.expect_websocket(timeout=30000) as second_socket:
            again.goto(guarded.url + "/")
        second_socket.value.wait_for_event("framereceived", timeout=30000)
        return landed, cookies, page.content(), again.content()

    landed, cookies, first, second = in_browser(tv)
    assert landed == guarded.url + "/?kiosk=1"
    (cookie,) = [c for c in cookies if c["name"] == COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and READER not in cookie["value"]
    assert "needs its read token" not in first and "needs its read token" not in second


def _beats(db: Database, agent: str) -> list:
    with db.engine().connect() as conn:
        return list(conn.execute(text("SELECT last_seen FROM heartbeat.screen WHERE user_agent = :ua"),
                                 {"ua": agent}).scalars())


def test_a_closed_tab_stops_its_loop_within_one_refresh_interval(guarded, db: Database):
    agent = f"loop-test-{uuid.uuid4().hex[:8]}"
    tab = RawSession("127.0.0.1", guarded.port, headers={**WITH_COOKIE, "User-Agent": agent})
    tab.emit(f"{ROOT_STATE}.hydrate_and_load", {}, "/")
    deadline = time.monotonic() + 30
    while not _beats(db, agent) and time.monotonic() < deadline:
        time.sleep(0.5)
    first = _beats(db, agent)
    assert first, "the tab's refresh loop never beat"
    time.sleep(INTERVAL * 2 + 0.5)
    assert _beats(db, agent) != first, "the loop of an open tab must keep beating"
    tab.close()
    time.sleep(INTERVAL + 3 + 1.5)  # one refresh interval plus the loop's disconnect grace
    stopped = _beats(db, agent)
    time.sleep(INTERVAL * 2 + 0.5)
    assert _beats(db, agent) == stopped, "the closed tab's loop is still running"


def test_one_address_may_hold_only_the_capped_number_of_sessions(guarded):
    assert OUTSIDER_ADDRESS  # raw sockets connect from there: the browsers' 127.0.0.1 is not counted
    tabs = [RawSession("127.0.0.1", guarded.port, headers=WITH_COOKIE) for _ in range(CAP)]
    try:
        with pytest.raises(Refused):
            RawSession("127.0.0.1", guarded.port, headers=WITH_COOKIE)
    finally:
        for tab in tabs:
            tab.close()
    time.sleep(1)
    RawSession("127.0.0.1", guarded.port, headers=WITH_COOKIE).close()  # a closed one frees its place
