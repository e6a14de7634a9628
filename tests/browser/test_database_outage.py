"""The embedded PostgreSQL is killed under the wall (`kill -9`, as an OOM kill does): the open tab and a tab
opened during the outage both show the last values, dimmed, under the banner; both recover alone.

Runs an app with its OWN embedded server in a temporary data folder: the session's server
(`.heartbeat/pg-test`, shared by every test) is never killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.core.db import Database
from engine.core.embedded import pid_alive, postmaster_pid
from engine.store.write_guard import open_for_sync
from tests.browser.conftest import screenshot
from tests.support.running_app import RunningApp

INTERVAL = 2
RESTART_DELAY = 20  # long enough to look at the outage; the default is 1s

# (id, name, norm, alert, value, error)
METRICS = [
    ("red_fresh", "Red but fresh", 95, 90, 50, None),
    ("amber_one", "Amber metric", 95, 90, 93, None),
    ("failing_one", "Failing metric", 95, 90, None, "SQL error: gone"),
    ("green_one", "Green metric", 95, 90, 98, None),
]


def _seed(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        for metric_id, name, norm, alert, value, error in METRICS:
            conn.execute(text(
                "INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, unit, direction, norm_value, "
                "alert_value, config_hash, definition_hash) VALUES (:id, :name, 'SELECT 1', '24h', 'percent', "
                "'higher_is_better', :norm, :alert, 'h', 'd')"), {"id": metric_id, "name": name, "norm": norm,
                                                                   "alert": alert})
            conn.execute(text(
                "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of, error) "
                "VALUES (:id, current_date, :v, 'x', now() - interval '10 minutes', :e)"),
                {"id": metric_id, "v": value, "e": error})
        conn.execute(text("INSERT INTO heartbeat.refresh_job (trigger, requested, status, phase, finished_at) "
                          "VALUES ('cron', '\"all\"', 'succeeded', 'done', now())"))


@pytest.fixture(scope="module")
def outage_app():
    # Short: the embedded server's unix socket lives in the data folder (path limit ~100 characters).
    data = Path(tempfile.mkdtemp(prefix="hb-outage-"))
    (data / "metrics").mkdir()
    running = RunningApp({
        "HEARTBEAT_DATABASE_URL": "", "HEARTBEAT_DATA_DIR": str(data), "HEARTBEAT_METRICS_DIR": str(data / "metrics"),
        "HEARTBEAT_TV_REFRESH_SECONDS": str(INTERVAL), "HEARTBEAT_SCHEDULER": "off",
        "HEARTBEAT_DB_RESTART_DELAY": f"{RESTART_DELAY}s",
    }, name="outage")
    try:
        running.start()
        db = Database(make_url(f"postgresql+psycopg://postgres:@/heartbeat?host={data / 'pg'}"))
        _seed(db)
        db.dispose()
        yield running, data
    finally:
        running.stop()
        pid = postmaster_pid(data / "pg")
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(data, ignore_errors=True)


def _wall_is_stale(page) -> bool:
    return "hb-stale-wall" in (page.locator("#wall").get_attribute("class") or "")


def test_killed_postmaster_open_and_fresh_tab_show_last_values_and_recover_alone(outage_app, chromium):
    app, data = outage_app
    open_context = chromium.new_context(viewport={"width": 1920, "height": 1080})
    fresh_context = chromium.new_context(viewport={"width": 1920, "height": 1080})
    try:
        open_tab = open_context.new_page()
        open_tab.goto(app.url + "/")
        expect(open_tab.locator('[data-metric="red_fresh"]')).to_contain_text("50.0%", timeout=30_000)
        expect(open_tab.locator(".metric-tile")).to_have_count(4)
        assert (data / "cockpit-last.json").is_file()  # kept in the data folder too

        killed = postmaster_pid(data / "pg")
        os.kill(killed, signal.SIGKILL)  # what an OOM kill does
        killed_at = time.monotonic()

        # The open tab: banner, last values, dimmed.
        expect(open_tab.locator("#db-error")).to_contain_text("Database unreachable since", timeout=15_000)
        expect(open_tab.locator('[data-metric="red_fresh"]')).to_contain_text("50.0%")
        assert _wall_is_stale(open_tab)

        # Read routes: 503 with a JSON reason, never 500.
        for route in ("/api/cockpit", "/api/metrics", "/api/health"):
            answer = httpx.get(app.url + route, timeout=15)
            assert answer.status_code == 503, (route, answer.text)
            assert "database unreachable" in answer.json()["error"]

        # A tab opened during the outage (a rebooted TV): the last values, not an empty wall.
        fresh_tab = fresh_context.new_page()
        fresh_tab.goto(app.url + "/")
        expect(fresh_tab.locator("#db-error")).to_contain_text("Database unreachable since", timeout=15_000)
        expect(fresh_tab.locator(".metric-tile")).to_have_count(4)
        expect(fresh_tab.locator('[data-metric="red_fresh"]')).to_contain_text("50.0%")
        assert _wall_is_stale(fresh_tab)
        assert time.monotonic() - killed_at < RESTART_DELAY, "the outage ended before it was looked at"
        screenshot(open_tab, "outage-open-tab-1920x1080")
        screenshot(fresh_tab, "outage-fresh-tab-1920x1080")

        # Nobody touches anything: the supervisor restarts the server, both walls come back.
        for tab in (open_tab, fresh_tab):
            expect(tab.locator("#db-error")).to_have_count(0, timeout=90_000)
            expect(tab.locator('[data-metric="red_fresh"]')).to_contain_text("50.0%")
            assert not _wall_is_stale(tab)
        assert postmaster_pid(data / "pg") != killed and pid_alive(postmaster_pid(data / "pg"))
        assert httpx.get(app.url + "/api/cockpit", timeout=15).status_code == 200
        assert httpx.get(app.url + "/api/health", timeout=15).status_code == 200
        screenshot(open_tab, "outage-recovered-open-tab-1920x1080")
        screenshot(fresh_tab, "outage-recovered-fresh-tab-1920x1080")
        log = app.log_path.read_text(errors="replace")
        assert "is down (postmaster" in log and "restart attempt 1/8 succeeded" in log
    finally:
        open_context.close()
        fresh_context.close()
