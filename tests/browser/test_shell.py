"""The app shell in a real browser: nav, theme, cockpit from the registry, docs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from engine.core.db import Database
from engine.store.write_guard import open_for_sync
from tests.browser.conftest import screenshot


def _clear_registry(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.metric_registry"))


@pytest.fixture()
def empty_registry(db: Database):
    _clear_registry(db)
    yield db
    _clear_registry(db)


def test_cockpit_shows_nav_and_says_how_to_add_a_metric(app, page, empty_registry):
    page.goto(app.url + "/")
    nav = page.locator("#primary-nav")
    for label in ("Cockpit", "Audit", "Docs"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    expect(page.locator("#empty-state")).to_contain_text("No metrics yet")
    expect(page.locator("#empty-state")).to_contain_text("heartbeat metrics sync")
    expect(page.locator("#freshness-chip")).to_contain_text("last refresh never")
    screenshot(page, "cockpit-empty-1920x1080")


def test_theme_is_dark_by_default_and_toggles(app, page, empty_registry):
    page.goto(app.url + "/")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    page.locator("#theme-toggle").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blight\b"))


def test_cockpit_lists_registry_rows_red_first(app, page, empty_registry):
    db = empty_registry
    with db.engine().begin() as conn:
        open_for_sync(conn)
        for metric_id, name, alert in (("calm_metric", "Calm metric", 1000), ("broken_metric", "Broken metric", 1)):
            conn.execute(
                text(
                    "INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, unit, direction, "
                    "alert_value, config_hash, definition_hash) VALUES (:id, :name, 'SELECT 1', '24h', 'count', "
                    "'lower_is_better', :alert, 'h', 'd')"
                ),
                {"id": metric_id, "name": name, "alert": alert},
            )
            conn.execute(
                text(
                    "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of) "
                    "VALUES (:id, current_date, 42, 'unknown', now())"
                ),
                {"id": metric_id},
            )
    page.goto(app.url + "/")
    tiles = page.locator(".metric-tile")
    expect(tiles).to_have_count(2)
    expect(tiles.nth(0)).to_contain_text("Broken metric")
    expect(tiles.nth(0)).to_have_attribute("data-status", "red")
    expect(tiles.nth(1)).to_contain_text("Calm metric")
    expect(tiles.nth(1)).to_have_attribute("data-status", "green")
    screenshot(page, "cockpit-two-metrics-1920x1080")


def test_docs_render_in_the_app(app, page):
    page.goto(app.url + "/docs/configuration")
    expect(page.locator(".doc-body")).to_contain_text("HEARTBEAT_PORT")
    expect(page.locator("#docs-nav").get_by_role("link", name="Configuration")).to_be_visible()
