"""The TV cockpit in a real browser: attention order, freshness, live refresh, outage, frozen, kiosk."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from engine.core.db import Database
from engine.store.write_guard import open_for_sync
from tests.browser.conftest import screenshot
from tests.conftest import OPERATOR_TOKEN, TEST_DATA_DIR, app_environ
from tests.support.running_app import RunningApp

INTERVAL = 2

# (id, name, direction, norm, alert, value, synced hours ago, error)
METRICS = [
    ("green_stale", "Green but stale", "higher_is_better", 95, 90, 99, 100, None),
    ("red_fresh", "Red but fresh", "higher_is_better", 95, 90, 50, 0.2, None),
    ("amber_one", "Amber metric", "higher_is_better", 95, 90, 93, 0.2, None),
    ("failing_one", "Failing metric", "higher_is_better", 95, 90, None, 0.2, "SQL error: gone"),
    ("nodata_one", "Empty metric", "higher_is_better", 95, 90, None, None, None),
    ("green_one", "Green metric", "higher_is_better", 95, 90, 98, 0.2, None),
]


def _reset(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.metric_registry"))
        conn.execute(text("DELETE FROM heartbeat.refresh_job"))


@pytest.fixture(scope="module")
def wall(db: Database):
    """A cockpit app of its own (short refresh interval) over hand-built metrics of each status."""
    _reset(db)
    with db.engine().begin() as conn:
        open_for_sync(conn)
        for metric_id, name, direction, norm, alert, value, hours, error in METRICS:
            conn.execute(
                text(
                    "INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, unit, direction, norm_value, "
                    "alert_value, config_hash, definition_hash) VALUES (:id, :name, 'SELECT 1', '24h', 'percent', "
                    ":direction, :norm, :alert, 'h', 'd')"
                ),
                {"id": metric_id, "name": name, "direction": direction, "norm": norm, "alert": alert},
            )
            if value is not None or error is not None:
                conn.execute(
                    text(
                        "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of, error) "
                        "VALUES (:id, current_date, :v, 'x', now() - make_interval(secs => :h * 3600), :e)"
                    ),
                    {"id": metric_id, "v": value, "h": hours or 0, "e": error},
                )
        conn.execute(text("INSERT INTO heartbeat.refresh_job (trigger, requested, status, phase, finished_at) "
                          "VALUES ('cron', '\"all\"', 'succeeded', 'done', now())"))
    (TEST_DATA_DIR / "no-metrics").mkdir(parents=True, exist_ok=True)
    running = RunningApp(app_environ(db, HEARTBEAT_TV_REFRESH_SECONDS=str(INTERVAL), HEARTBEAT_SCHEDULER="off",
                                     HEARTBEAT_OPERATOR_TOKEN=OPERATOR_TOKEN,
                                     HEARTBEAT_METRICS_DIR=str(TEST_DATA_DIR / "no-metrics")), name="wall")
    running.start()
    yield running, db
    running.stop()
    _reset(db)


def _statuses(page) -> list[tuple[str, str]]:
    tiles = page.locator(".metric-tile")
    return [(tiles.nth(i).get_attribute("data-metric"), tiles.nth(i).get_attribute("data-status"))
            for i in range(tiles.count())]


def test_tiles_come_red_amber_error_nodata_then_green_faded(wall, page):
    app, _ = wall
    page.goto(app.url + "/")
    expect(page.locator(".metric-tile")).to_have_count(len(METRICS))
    assert _statuses(page) == [
        ("red_fresh", "red"), ("amber_one", "amber"), ("failing_one", "error"), ("nodata_one", "no_data"),
        ("green_stale", "green"), ("green_one", "green"),  # within a status, by name: a wall must not shuffle
    ]
    green = page.locator('[data-metric="green_one"]')
    assert float(green.evaluate("e => getComputedStyle(e).opacity")) < 0.9
    red = page.locator('[data-metric="red_fresh"]')
    assert red.bounding_box()["width"] > green.bounding_box()["width"]
    expect(red).to_contain_text("40.0% below alert 90.0%")
    expect(page.locator('[data-metric="failing_one"]')).to_contain_text("computation failed")
    screenshot(page, "cockpit-statuses-1920x1080")


def test_freshness_is_shown_apart_from_status(wall, page):
    app, _ = wall
    page.goto(app.url + "/")
    stale_green = page.locator('[data-metric="green_stale"] .hb-fresh')
    fresh_red = page.locator('[data-metric="red_fresh"] .hb-fresh')
    expect(stale_green).to_have_attribute("data-freshness", "stale")
    expect(stale_green).to_contain_text("stale · as of")
    expect(fresh_red).to_have_attribute("data-freshness", "fresh")
    expect(page.locator('[data-metric="green_stale"]')).to_have_attribute("data-status", "green")
    stale_bg = stale_green.evaluate("e => getComputedStyle(e).backgroundImage")
    red_bg = page.locator('[data-metric="red_fresh"]').evaluate("e => getComputedStyle(e).backgroundColor")
    assert "gradient" in stale_bg and "gradient" not in red_bg  # hatched chip, not the red fill


def test_a_changed_value_appears_without_reload(wall, page):
    app, db = wall
    page.goto(app.url + "/")
    tile = page.locator('[data-metric="amber_one"]')
    expect(tile).to_contain_text("93.0%")
    page.evaluate("window.__marker = 'no reload'")
    with db.engine().begin() as conn:
        conn.execute(text("UPDATE heartbeat.metric_history SET value = 80 WHERE metric_id = 'amber_one'"))
    try:
        expect(page.locator('[data-metric="amber_one"]')).to_have_attribute("data-status", "red",
                                                                            timeout=INTERVAL * 3000)
        expect(page.locator('[data-metric="amber_one"]')).to_contain_text("80.0%")
        assert page.evaluate("window.__marker") == "no reload"
    finally:
        with db.engine().begin() as conn:
            conn.execute(text("UPDATE heartbeat.metric_history SET value = 93 WHERE metric_id = 'amber_one'"))


def test_frozen_banner_when_no_refresh_succeeds_for_too_long(wall, page):
    app, db = wall
    page.goto(app.url + "/")
    expect(page.locator(".metric-tile").first).to_be_visible()
    expect(page.locator("#frozen-banner")).to_have_count(0)
    with db.engine().begin() as conn:
        conn.execute(text("UPDATE heartbeat.refresh_job SET finished_at = now() - interval '5 hours'"))
    try:
        expect(page.locator("#frozen-banner")).to_contain_text("Frozen since", timeout=INTERVAL * 3000)
        expect(page.locator("#frozen-banner")).to_contain_text("no refresh has succeeded for 5h")
    finally:
        with db.engine().begin() as conn:
            conn.execute(text("UPDATE heartbeat.refresh_job SET finished_at = now()"))
    expect(page.locator("#frozen-banner")).to_have_count(0, timeout=INTERVAL * 3000)


def test_kiosk_hides_nav_and_controls(wall, page):
    app, _ = wall
    page.goto(app.url + "/?kiosk=1")
    expect(page.locator(".metric-tile").first).to_be_visible()
    expect(page.locator("#primary-nav")).to_have_count(0)
    expect(page.locator("#theme-toggle")).to_have_count(0)


def test_each_tab_reports_itself_as_a_screen(wall, page):
    app, _ = wall
    page.goto(app.url + "/?kiosk=1")
    expect(page.locator(".metric-tile").first).to_be_visible()
    deadline = time.monotonic() + INTERVAL * 4
    screens = []
    while time.monotonic() < deadline:
        screens = httpx.get(f"{app.url}/api/screens", timeout=10).json()["screens"]
        if any(s["kiosk"] and s["alive"] for s in screens):
            break
        time.sleep(0.5)
    assert any(s["kiosk"] and s["alive"] and "Chrome" in (s["user_agent"] or "") for s in screens), screens


def test_outage_shows_connection_lost_keeps_values_and_recovers_alone(wall, page):
    app, _ = wall
    page.goto(app.url + "/")
    expect(page.locator('[data-metric="red_fresh"]')).to_contain_text("50.0%")
    app.stop()
    try:
        expect(page.locator("#connection-lost")).to_be_visible(timeout=15_000)
        expect(page.locator('[data-metric="red_fresh"]')).to_contain_text("50.0%")  # last values stay
        assert "hb-stale-wall" in page.locator("#wall").get_attribute("class")
        screenshot(page, "cockpit-connection-lost-1920x1080")
    finally:
        app.start()
    expect(page.locator("#connection-lost")).to_have_count(0, timeout=60_000)
    expect(page.locator('[data-metric="red_fresh"]')).to_contain_text("50.0%")
    assert "hb-stale-wall" not in page.locator("#wall").get_attribute("class")


def test_screenshot_at_4k(wall, chromium):
    app, _ = wall
    context = chromium.new_context(viewport={"width": 3840, "height": 2160})
    page = context.new_page()
    page.goto(app.url + "/?kiosk=1")
    expect(page.locator(".metric-tile")).to_have_count(len(METRICS))
    assert page.evaluate("document.documentElement.scrollHeight") <= 2160
    screenshot(page, "cockpit-3840x2160")
    context.close()


def test_recompute_button_only_for_an_unlocked_operator(wall, page):
    app, db = wall
    page.goto(app.url + "/")
    expect(page.locator(".metric-tile").first).to_be_visible()
    expect(page.locator("#recompute-button")).to_have_count(0)
    page.goto(app.url + "/metrics/red_fresh")
    page.locator("#operator-token").fill(OPERATOR_TOKEN)
    page.locator("#operator-unlock").click()
    expect(page.locator("#operator-controls")).to_be_visible()
    page.goto(app.url + "/")
    # The wall asks the browser for its token after the page loads (a round trip, then the check): on a loaded
    # CI box that takes longer than the default 5 s.
    expect(page.locator("#recompute-button")).to_be_visible(timeout=20000)
    page.locator("#recompute-button").click()
    expect(page.get_by_text("refresh started (job")).to_be_visible()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.engine().connect() as conn:
            trigger = conn.execute(text("SELECT trigger FROM heartbeat.refresh_job ORDER BY id DESC LIMIT 1")).scalar()
        if trigger == "ui":
            break
        time.sleep(0.3)
    assert trigger == "ui"
