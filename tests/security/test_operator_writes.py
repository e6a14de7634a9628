"""Issue 16 part 1, replayed against the real app: forged operator writes are refused, the real operator works.

Outsider sockets connect from 127.0.0.2: their wrong tokens count against that address, never against the
browsers' 127.0.0.1 (the session app is shared with the browser tests).
"""

from __future__ import annotations

import re
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from engine.core.db import Database
from tests.browser.conftest import screenshot
from tests.browser.test_metric_detail import METRIC, _changes, _clear_registry, _insert_metric, _registry
from tests.conftest import OPERATOR_TOKEN, TEST_DATA_DIR
from tests.security.conftest import in_browser
from tests.security.raw_socket import DETAIL, OPERATOR, OUTSIDER_ADDRESS, RawSession, Refused
from tests.support.running_app import free_port

OUTSIDER = "127.0.0.1"  # the address outsiders dial; they connect from OUTSIDER_ADDRESS
PATH = f"/metrics/{METRIC}"


@pytest.fixture()
def metric(db: Database):
    _clear_registry(db)
    _insert_metric(db)
    yield db
    _clear_registry(db)


def _open_unlocked(app, context):
    page = context.new_page()
    page.goto(app.url + PATH)
    expect(page.locator("#metric-detail")).to_be_visible(timeout=15000)
    page.locator("#operator-token").fill(OPERATOR_TOKEN)
    page.locator("#operator-unlock").click()
    expect(page.locator("#operator-controls")).to_be_visible()
    return page


def _untouched(db: Database) -> None:
    assert _registry(db, "verification_state") == "unverified"
    assert _registry(db, "owner") == "risk@example.com"
    assert _registry(db, "norm_value") == 150000
    assert _changes(db) == []


def test_closed_tab_session_reuse_is_refused(app, metric):
    def unlock_then_close(context) -> str:
        page = _open_unlocked(app, context)
        page.wait_for_function("window.sessionStorage.getItem('token')")
        token = page.evaluate("window.sessionStorage.getItem('token')")
        page.close()  # the operator closes the tab; its session id stays on the server
        return token

    client_token = in_browser(unlock_then_close)
    assert client_token
    session = RawSession(OUTSIDER, app.port, client_token)
    try:
        for payload in ({"value": "verified"}, {"value": "verified", "token": ""}):
            session.emit(f"{DETAIL}.save_verification", payload, PATH)
            session.wait_for(lambda f: "Enter the operator token" in f)
        session.emit(f"{DETAIL}.save_owner", {"value": "intruder@example.com"}, PATH)
        session.wait_for(lambda f: "Enter the operator token" in f)
        session.emit(f"{DETAIL}.save_thresholds", {"form_data": {"norm_value": "1", "alert_value": "2",
                                                                 "target_value": "", "target_due_date": ""}}, PATH)
        session.wait_for(lambda f: "Enter the operator token" in f)
    finally:
        session.close()
    _untouched(metric)
    # The server kept no copy of the token in the session's state.
    assert all(OPERATOR_TOKEN not in frame for frame in session.frames)


def test_raw_socket_events_with_a_forged_or_empty_token_are_refused(app, metric):
    session = RawSession(OUTSIDER, app.port)
    try:
        session.emit(f"{DETAIL}.save_verification", {"value": "verified", "token": "forged-token"}, PATH)
        session.wait_for(lambda f: "Wrong operator token" in f)
        session.emit(f"{DETAIL}.save_verification", {"value": "verified", "token": ""}, PATH)
        session.wait_for(lambda f: "Enter the operator token" in f)
        session.emit(f"{OPERATOR}.recompute_all", {}, "/")
        session.wait_for(lambda f: "Enter the operator token" in f)
        _untouched(metric)
        # The same channel, with the token in the event: the API's rule, so it writes (the frames are well formed).
        session.emit(f"{DETAIL}.save_verification", {"value": "verified", "token": OPERATOR_TOKEN}, PATH)
        session.wait_for(lambda f: "unverified" in f and "verified" in f, timeout=15)
    finally:
        session.close()
    deadline = time.monotonic() + 10
    while _registry(metric, "verification_state") != "verified" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _changes(metric) == [("verification_state", "unverified", "verified", "operator (app)")]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


EVIL_PAGE = """<!doctype html><html><body><pre id="out">running</pre><script>
const app = "{app}";
const results = {{}};
async function run() {{
  try {{
    const r = await fetch(app + "/api/screens", {{credentials: "include"}});
    results.fetch = "read " + r.status + " " + (await r.text()).slice(0, 40);
  }} catch (e) {{ results.fetch = "blocked"; }}
  try {{
    const r = await fetch(app + "/api/metrics/{metric}/verification", {{method: "POST", credentials: "include",
      headers: {{"Content-Type": "text/plain"}}, body: "{{}}"}});
    results.write = "read " + r.status;
  }} catch (e) {{ results.write = "blocked"; }}
  results.ws = await new Promise((resolve) => {{
    const ws = new WebSocket(app.replace("http", "ws") + "/_event/?EIO=4&transport=websocket&token={token}");
    ws.onopen = () => resolve("open");
    ws.onerror = () => resolve("refused");
    setTimeout(() => resolve("timeout"), 8000);
  }});
  document.getElementById("out").textContent = JSON.stringify(results);
}}
run();
</script></body></html>"""


def test_a_page_on_another_origin_is_refused(app, metric, tmp_path: Path):
    (tmp_path / "evil.html").write_text(EVIL_PAGE.format(app=app.url, metric=METRIC, token="any-session"))
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def visit(context) -> str:
        # The operator has a live, unlocked tab in this browser: the foreign page tries to ride on it.
        _open_unlocked(app, context)
        evil = context.new_page()
        evil.goto(f"http://localhost:{port}/evil.html")
        expect(evil.locator("#out")).not_to_have_text("running", timeout=20000)
        return evil.locator("#out").inner_text()

    try:
        results = in_browser(visit)
    finally:
        server.shutdown()
    assert '"fetch":"blocked"' in results and '"write":"blocked"' in results and '"ws":"refused"' in results, results
    # What the browser saw, from the server's side: no CORS grant, 403 for the foreign origin.
    foreign = f"http://localhost:{port}"
    response = httpx.get(app.url + "/api/screens", headers={"Origin": foreign})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    preflight = httpx.options(app.url + "/api/metrics/x/verification", headers={
        "Origin": foreign, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    assert preflight.headers.get("access-control-allow-origin") in (None, "")
    with pytest.raises(Refused):
        RawSession("localhost", app.port, origin=foreign)
    # The app's own origin (the live tab above is connected through it) and no Origin at all (curl, a TV
    # player) still pass.
    assert httpx.get(app.url + "/api/screens", headers={"Origin": app.url}).status_code == 200
    RawSession(OUTSIDER, app.port).close()
    _untouched(metric)


def test_the_operator_in_a_live_tab_verifies_and_sets_thresholds(app, metric):
    def operate(context) -> str:
        page = _open_unlocked(app, context)
        page.locator("#edit-verification").get_by_role("radio", name="Verified", exact=True).click()
        expect(page.locator("#detail-changes")).to_contain_text("unverified → verified")
        page.locator("#edit-norm-value").fill("200000")
        page.locator("#edit-alert-value").fill("260000")
        page.locator("#save-thresholds").click()
        expect(page.locator("#saved-message")).to_contain_text("Saved")
        screenshot(page, "security-metric-operator-1920x1080")
        return page.evaluate("window.localStorage.getItem('heartbeat_operator_token')")

    kept = in_browser(operate)
    assert _registry(metric, "verification_state") == "verified"
    assert (_registry(metric, "norm_value"), _registry(metric, "alert_value")) == (200000, 260000)
    assert {row[3] for row in _changes(metric)} == {"operator (app)"}
    # The token is kept in the browser that unlocked (and by the server in no session state).
    assert kept == OPERATOR_TOKEN


def test_screens_reveal_no_client_token(app, metric):
    before = {s["id"] for s in httpx.get(app.url + "/api/screens").json()["screens"]}

    def watch_cockpit(context) -> tuple[str, str]:
        page = context.new_page()
        page.goto(app.url + "/")
        page.wait_for_function("window.sessionStorage.getItem('token')")
        token = page.evaluate("window.sessionStorage.getItem('token')")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            response = httpx.get(app.url + "/api/screens")
            if {s["id"] for s in response.json()["screens"]} - before:
                return token, response.text
            time.sleep(0.5)
        raise AssertionError("the cockpit tab never beat")

    client_token, body = in_browser(watch_cockpit)
    screens = httpx.get(app.url + "/api/screens").json()["screens"]
    assert client_token and client_token not in body
    assert all(re.fullmatch(r"scr_[0-9a-f]{24}", s["id"]) for s in screens), [s["id"] for s in screens]
    # A listed id opens nothing: as a client token it is a fresh, empty session.
    session = RawSession(OUTSIDER, app.port, screens[0]["id"])
    try:
        session.emit(f"{DETAIL}.save_verification", {"value": "verified"}, PATH)
        session.wait_for(lambda f: "Enter the operator token" in f)
    finally:
        session.close()
    _untouched(metric)


def _log_lines() -> list[str]:
    log = TEST_DATA_DIR / "logs" / "heartbeat.log"
    return [line for line in log.read_text(errors="replace").splitlines()
            if "operator token in the app" in line and OUTSIDER_ADDRESS in line] if log.exists() else []


def test_the_sixth_unlock_within_a_minute_is_refused_and_logged_once(app, metric):
    before = len(_log_lines())
    session = RawSession(OUTSIDER, app.port)
    try:
        for attempt in range(5):
            session.emit(f"{OPERATOR}.unlock", {"form_data": {"token": f"guess-{attempt}"}}, PATH)
            session.wait_for(lambda f: "Wrong operator token" in f or "Too many" in f)
        session.emit(f"{OPERATOR}.unlock", {"form_data": {"token": OPERATOR_TOKEN}}, PATH)
        session.wait_for(lambda f: "Too many wrong operator tokens" in f)
    finally:
        session.close()
    # A new connection from the same address is refused too, even with the right token.
    again = RawSession(OUTSIDER, app.port)
    try:
        again.emit(f"{DETAIL}.save_verification", {"value": "verified", "token": OPERATOR_TOKEN}, PATH)
        again.wait_for(lambda f: "Too many wrong operator tokens" in f)
    finally:
        again.close()
    _untouched(metric)
    # One aggregated line per minute, naming the address and the counts, never a presented token.
    deadline = time.monotonic() + 75
    while len(_log_lines()) == before and time.monotonic() < deadline:
        time.sleep(1)
    lines = _log_lines()[before:]
    assert len(lines) == 1, lines
    # (An earlier test's forged token from the same address may fall into the same minute.)
    counts = re.search(r"(\d+) wrong and (\d+) refused \(rate-limited\) attempts in the last 60 s .*"
                       r"127\.0\.0\.2 x(\d+).*; (\d+) lockout\(s\) started", lines[0])
    assert counts, lines[0]
    assert int(counts[1]) >= 5 and int(counts[2]) >= 2 and int(counts[3]) >= 7 and int(counts[4]) >= 1
    assert "guess-" not in lines[0] and OPERATOR_TOKEN not in lines[0]
    log_text = (TEST_DATA_DIR / "logs" / "heartbeat.log").read_text(errors="replace")
    assert OPERATOR_TOKEN not in log_text and "guess-0" not in log_text
