"""The alerts page and the tile marks in a real browser, over alert rows the alerting layer wrote."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from engine.core.db import Database
from engine.store.write_guard import open_for_sync
from tests.browser.conftest import screenshot


@pytest.fixture()
def firing(db: Database):
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.metric_registry"))
        conn.execute(text(
            "INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, unit, direction, alert_value, "
            "config_hash, definition_hash) VALUES ('approval_rate', 'Payment approval rate', 'SELECT 1', '24h', "
            "'percent', 'higher_is_better', 90, 'h', 'd')"))
        # Green four days ago, red for the last three: the alert that fired just now says "since" from these.
        conn.execute(text("INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of) "
                          "SELECT 'approval_rate', current_date - d, CASE WHEN d = 3 THEN 96 ELSE 80 END, "
                          "CASE WHEN d = 3 THEN 'green' ELSE 'red' END, now() FROM generate_series(0, 3) AS d"))
        conn.execute(text(
            "INSERT INTO heartbeat.alert_state (key, kind, subject, state, severity, bad_count, episode, since, "
            "fired_at, detail) VALUES ('value:approval_rate', 'value', 'approval_rate', 'firing', 'red', 1, 1, "
            "now(), now(), CAST(:detail AS jsonb))"),
            {"detail": json.dumps({"title": "Payment approval rate crossed its red line",
                                   "link": "/metrics/approval_rate"})})
        conn.execute(text(
            "INSERT INTO heartbeat.alert_outbox (alert_key, channel, transition, idempotency_key, "
            "payload, status, attempts) VALUES ('value:approval_rate', 'slack', 'firing', 'k-1', "
            "CAST(:payload AS jsonb), 'skipped', 0)"),
            {"payload": json.dumps({"title": "Payment approval rate crossed its red line"})})
    yield db
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.alert_outbox"))
        conn.execute(text("DELETE FROM heartbeat.alert_state"))
        conn.execute(text("DELETE FROM heartbeat.metric_registry"))


def test_alerts_page_lists_firing_alerts_and_deliveries(app, page, firing):
    page.goto(app.url + "/alerts")
    row = page.locator(".alert-row").first
    expect(row).to_contain_text("Payment approval rate crossed its red line")
    expect(row).to_have_attribute("data-state", "firing")
    # Since when: the first day of the red streak in the history, not the minute the alert fired.
    with firing.engine().connect() as conn:
        first_red = conn.execute(text("SELECT current_date - 2")).scalar()
    expect(row).to_contain_text(f"Red since {first_red.isoformat()} (3 days)")
    expect(page.locator(".delivery-row").first).to_contain_text("skipped")
    expect(page.locator(".channel-row").first).to_contain_text("not configured")
    screenshot(page, "alerts-1920x1080")


def test_a_firing_alert_is_marked_on_its_tile(app, page, firing):
    page.goto(app.url + "/")
    expect(page.locator('[data-metric="approval_rate"] .hb-mark')).to_contain_text("alert sent")
