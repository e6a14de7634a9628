"""The OKR board (/okr) in a real browser: targets grouped by owner and by tag, each with its pace and due date."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from engine.core.db import Database
from engine.store.write_guard import open_for_sync
from tests.browser.conftest import screenshot
from tests.support.factories import MetricFolder, add_values


def _clear_registry(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.registry_change WHERE entity_id LIKE 'okr\\_%'"))
        conn.execute(text("DELETE FROM heartbeat.metric_registry"))


# id: (owner, tags, direction, target, due in days, series: days ago → value)
RISING = {back: 100.0 + 2 * (89 - back) for back in range(89, -1, -1)}  # +2 a day, 278 today
FLAT = {back: 50.0 for back in range(89, -1, -1)}
TARGETS = {
    "okr_on_pace": ("growth@example.com", "[growth, clients]", "higher_is_better", 300, 30, RISING),  # → 338
    "okr_behind": ("growth@example.com", "[growth]", "higher_is_better", 340, 30, RISING),  # 338 of 340
    "okr_achieved": ("cards@example.com", "[cards]", "higher_is_better", 250, 30, RISING),
    "okr_off_track": ("cards@example.com", "[cards]", "lower_is_better", 20, 30, FLAT),
    "okr_missed": ("finance@example.com", "[money]", "higher_is_better", 500, -2, RISING),
}


@pytest.fixture()
def targets(db: Database, tmp_path):
    _clear_registry(db)
    folder = MetricFolder(tmp_path / "metrics")
    today = datetime.now(timezone.utc).date()
    for metric_id, (owner, tags, direction, target, due_in, _) in TARGETS.items():
        folder.write(metric_id, name=metric_id.replace("_", " ").replace("okr ", "Target "), unit="count",
                     norm=None, alert=None, direction=direction, owner=owner, tags=tags, target=str(target),
                     target_due_date=(today + timedelta(days=due_in)).isoformat())
    folder.write("okr_untargeted", name="No target here", unit="count", norm=None, alert=None)
    folder.sync(db)
    for metric_id, (*_, series) in TARGETS.items():
        add_values(db, metric_id, series)
    add_values(db, "okr_untargeted", FLAT)
    yield db
    _clear_registry(db)


def _card(page, metric_id: str):
    return page.locator(f".okr-target[data-metric='{metric_id}']")


def test_okr_board_groups_targets_by_owner_with_their_pace_and_switches_to_tags(app, page, targets):
    page.goto(app.url + "/okr")
    board = page.locator("#okr-board")
    expect(board).to_be_visible()
    # Worst group first: the missed target's owner, then the off-track one's, then growth (behind, on pace).
    expect(page.locator(".okr-group")).to_have_count(3)
    groups = [page.locator(".okr-group").nth(i).get_attribute("data-group") for i in range(3)]
    assert groups == ["finance@example.com", "cards@example.com", "growth@example.com"]
    expected = {"okr_on_pace": "on pace", "okr_behind": "behind", "okr_achieved": "achieved",
                "okr_off_track": "off track", "okr_missed": "missed"}
    for metric_id, label in expected.items():
        card = _card(page, metric_id)
        expect(card.locator(".okr-state")).to_have_text(label)
        expect(card.locator(".okr-due")).to_contain_text("due ")
        expect(card.get_by_role("progressbar")).to_be_visible()
    expect(_card(page, "okr_behind").locator(".okr-projection")).to_have_text("trend → 338 by the due date")
    meets = datetime.now(timezone.utc).date() + timedelta(days=11)  # 278 + 2 × 11 = 300
    expect(_card(page, "okr_on_pace").locator(".okr-projection")).to_have_text(
        f"trend meets the target around {meets.day} {meets:%b %Y}")
    expect(page.locator(".okr-target[data-metric='okr_untargeted']")).to_have_count(0)
    growth = page.locator(".okr-group[data-group='growth@example.com'] .okr-target")
    assert [growth.nth(i).get_attribute("data-metric") for i in range(2)] == ["okr_behind", "okr_on_pace"]
    expect(page.locator("#okr-counts")).to_contain_text("1 missed")
    # Readable on the TV: the whole board fits 1920×1080 without scrolling.
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    screenshot(page, "okr-by-owner-1920x1080")

    page.locator("#okr-group-by").get_by_role("radio", name="by tag").click()
    expect(page.locator(".okr-group[data-group='cards']")).to_be_visible()
    tags = page.locator(".okr-group")
    expect(tags).to_have_count(4)  # money, cards, growth, clients
    expect(page.locator(".okr-group[data-group='clients'] .okr-target")).to_have_count(1)
    expect(page.locator(".okr-group[data-group='growth'] .okr-target")).to_have_count(2)

    page.goto(app.url + "/okr?by=tag")
    expect(page.locator(".okr-group[data-group='money']")).to_be_visible()


def test_metric_page_draws_the_pace_line_and_names_the_pace(app, page, targets):
    page.goto(app.url + "/metrics/okr_behind")
    chart = page.locator("#history-chart")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=15000)
    expect(chart).to_contain_text("pace line")
    expect(chart).to_contain_text("trend")
    expect(page.locator("#detail-pace")).to_contain_text("behind · trend → 338 by")
    screenshot(page, "metric-pace-1920x1080")
