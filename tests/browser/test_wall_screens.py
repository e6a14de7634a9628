"""The wall always fits, and each team's screen shows its watchlist: in a real browser, at 1920×1080 and 4K.

Worlds of 0, 10, 30 and 100 attention tiles (a third of them red) beside 26 greens: the page never scrolls,
every tile shown lies inside the viewport with its value inside the tile at a legible size, and across the
rotation every red and every other attention tile is shown.
"""

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
GREENS = 26
SIZES = [(1920, 1080), (3840, 2160)]
LEGIBLE_VALUE_PX = 22  # the smallest value type the wall may shrink to (1.4rem)

_MEASURE = """() => {
  const box = e => e.getBoundingClientRect();
  const tiles = [...document.querySelectorAll('#attention-area .metric-tile')].map(t => {
    const r = box(t), v = box(t.querySelector('.hb-value')), m = box(t.querySelector('.hb-meta'));
    return {id: t.dataset.metric, status: t.dataset.status, top: r.top, bottom: r.bottom, left: r.left,
            meta: m.bottom,
            right: r.right, vtop: v.top, vbottom: v.bottom, vleft: v.left, vright: v.right,
            font: parseFloat(getComputedStyle(t.querySelector('.hb-value')).fontSize)};
  });
  const de = document.documentElement;
  return {scrollH: de.scrollHeight, scrollW: de.scrollWidth, innerH: innerHeight, innerW: innerWidth, tiles,
          strip: document.querySelector('#green-strip') ? box(document.querySelector('#green-strip')).bottom : 0};
}"""


def _reset(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.watchlist"))
        conn.execute(text("DELETE FROM heartbeat.metric_registry"))
        conn.execute(text("DELETE FROM heartbeat.refresh_job"))


def _fill(db: Database, metrics: list[tuple[str, str, float, list[str]]]) -> None:
    """Registry rows (id, name, today's value, tags) over norm 95 / alert 90, with 30 days of history."""
    _reset(db)
    with db.engine().begin() as conn:
        open_for_sync(conn)
        for metric_id, name, value, tags in metrics:
            conn.execute(text(
                "INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, unit, direction, norm_value, "
                "alert_value, config_hash, definition_hash, tags) VALUES (:id, :name, 'SELECT 1', '24h', "
                "'percent', 'higher_is_better', 95, 90, 'h', 'd', cast(:tags AS jsonb))"),
                {"id": metric_id, "name": name, "tags": str(tags).replace("'", '"')})
            conn.execute(text(
                "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of) "
                "SELECT :id, current_date - g, CASE WHEN g = 0 THEN :v ELSE 97 + 1.5 * sin(g) END, 'x', now() "
                "FROM generate_series(0, 29) g"), {"id": metric_id, "v": value})
        conn.execute(text("INSERT INTO heartbeat.refresh_job (trigger, requested, status, phase, finished_at) "
                          "VALUES ('cron', '\"all\"', 'succeeded', 'done', now())"))


def _attention_world(db: Database, count: int) -> tuple[set[str], set[str]]:
    """``count`` attention metrics (a third red, the rest amber) and 26 greens; returns (red ids, amber ids)."""
    reds = count // 3
    long = " per check opened, approved and settled (7d)"  # a name that needs two lines at its largest
    metrics = [(f"red_{i:03d}", f"Red metric number {i:03d}" + (long if i % 4 == 1 else ""), 50.0, ["wall"])
               for i in range(reds)]
    metrics += [(f"amber_{i:03d}", f"Amber metric number {i:03d}", 93.0, ["wall"]) for i in range(count - reds)]
    metrics += [(f"green_{i:03d}", f"Green metric {i:03d}", 98.0, ["wall"]) for i in range(GREENS)]
    _fill(db, metrics)
    return {m[0] for m in metrics if m[0].startswith("red")}, {m[0] for m in metrics if m[0].startswith("amber")}


@pytest.fixture(scope="module")
def screens_app(db: Database):
    _reset(db)
    (TEST_DATA_DIR / "no-metrics").mkdir(parents=True, exist_ok=True)
    running = RunningApp(app_environ(db, HEARTBEAT_TV_REFRESH_SECONDS=str(INTERVAL), HEARTBEAT_SCHEDULER="off",
                                     HEARTBEAT_OPERATOR_TOKEN=OPERATOR_TOKEN,
                                     HEARTBEAT_METRICS_DIR=str(TEST_DATA_DIR / "no-metrics")), name="screens")
    running.start()
    yield running, db
    running.stop()
    _reset(db)


def _assert_fits(sample: dict, where: str) -> None:
    w, h = sample["innerW"], sample["innerH"]
    assert sample["scrollH"] <= h and sample["scrollW"] <= w, f"{where}: the page scrolls: {sample['scrollH']}"
    for t in sample["tiles"]:
        assert t["top"] >= 0 and t["left"] >= 0 and t["bottom"] <= h + 0.5 and t["right"] <= w + 0.5, (where, t)
        assert (t["vtop"] >= t["top"] - 0.5 and t["vbottom"] <= t["bottom"] + 0.5
                and t["vleft"] >= t["left"] - 0.5 and t["vright"] <= t["right"] + 0.5), (where, "value clipped", t)
        assert t["font"] >= LEGIBLE_VALUE_PX, (where, "value too small to read", t)
        assert t["meta"] <= t["bottom"] + 0.5, (where, "freshness and alert mark cut off", t)
    assert sample["strip"] <= h, f"{where}: the OK strip is below the fold"


@pytest.mark.parametrize("count", [0, 10, 30, 100])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_wall_fits_the_screen_and_every_red_is_shown(screens_app, chromium, count, size):
    app, db = screens_app
    reds, ambers = _attention_world(db, count)
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        for kiosk in (True, False):
            page.goto(app.url + ("/?kiosk=1" if kiosk else "/"))
            expect(page.locator("#green-strip")).to_contain_text(f"{GREENS} OK", timeout=15_000)
            seen: set[str] = set()
            deadline = time.monotonic() + INTERVAL * 12 + 10
            while time.monotonic() < deadline:
                sample = page.evaluate(_MEASURE)
                _assert_fits(sample, f"{count} tiles at {size}, kiosk={kiosk}")
                seen |= {t["id"] for t in sample["tiles"]}
                if seen >= reds | ambers:
                    break
                time.sleep(0.4)
            assert seen >= reds, f"reds never shown: {sorted(reds - seen)[:5]}"
            assert seen >= ambers, f"attention tiles never shown: {sorted(ambers - seen)[:5]}"
            if count == 100:
                expect(page.locator("#page-marker")).to_contain_text("of 5")
        if size == (1920, 1080) and count in (10, 100):
            page.goto(app.url + "/?kiosk=1")
            expect(page.locator("#attention-area .metric-tile").first).to_be_visible()
            screenshot(page, f"wall-{count}-attention-{size[0]}x{size[1]}")
    finally:
        context.close()


def test_glyphs_come_from_the_icon_set(screens_app, page):
    app, db = screens_app
    _attention_world(db, 3)
    page.goto(app.url + "/")
    expect(page.locator(".hb-unverified").first).to_be_visible()
    assert page.locator(".hb-unverified svg").count() >= 1  # an icon, not a character a font must have
    assert "◌" not in page.locator("#wall").inner_text()


TEAM = [
    ("aml_backlog_checks", "AML backlog", 50.0, ["aml"]),
    ("aml_throughput_ratio_7d", "AML throughput", 93.0, ["aml"]),
    ("aml_checks_opened_24h", "AML checks opened", 98.0, ["aml"]),
    ("payment_approval_rate_24h", "Payment approval", 50.0, ["payments"]),
    ("card_feed_lag", "Card feed lag", 98.0, ["cards"]),
]


def test_a_team_screen_shows_its_watchlist_and_the_reds_elsewhere(screens_app, page):
    app, db = screens_app
    _fill(db, TEAM)
    created = httpx.put(f"{app.url}/api/watchlists/aml-team", json={"title": "AML team", "tags": ["aml"]},
                        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=10)
    assert created.status_code == 201, created.text
    page.goto(app.url + "/?watchlist=aml-team&kiosk=1")
    expect(page.locator("#wall .metric-tile").first).to_be_visible(timeout=15_000)
    # From its first tick on, a team TV shows the team's wall (never the whole wall for an interval).
    assert page.locator('#wall .metric-tile[data-metric="payment_approval_rate_24h"]').count() == 0
    expect(page.locator("#screen-title")).to_contain_text("AML team")
    expect(page.locator("#wall .metric-tile")).to_have_count(3)
    shown = {page.locator("#wall .metric-tile").nth(i).get_attribute("data-metric") for i in range(3)}
    assert shown == {"aml_backlog_checks", "aml_throughput_ratio_7d", "aml_checks_opened_24h"}
    strip = page.locator("#elsewhere-strip")
    expect(strip).to_contain_text("Elsewhere: 1 red")
    expect(strip.locator('[data-metric="payment_approval_rate_24h"]')).to_contain_text("50.0%")
    expect(strip.locator('[data-metric="card_feed_lag"]')).to_have_count(0)  # only reds elsewhere
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
    screenshot(page, "watchlist-aml-team-1920x1080")
    deadline = time.monotonic() + INTERVAL * 4
    listed: list[dict] = []
    while time.monotonic() < deadline:
        listed = httpx.get(f"{app.url}/api/screens", timeout=10).json()["screens"]
        if any(s["watchlist"] == "aml-team" and s["alive"] for s in listed):
            break
        time.sleep(0.5)
    assert any(s["watchlist"] == "aml-team" and s["alive"] and s["kiosk"] for s in listed), listed


def test_an_unknown_watchlist_says_so_and_shows_the_whole_wall(screens_app, page):
    app, db = screens_app
    _fill(db, TEAM)
    page.goto(app.url + "/?watchlist=nobody&kiosk=1")
    expect(page.locator("#watchlist-problem")).to_contain_text("No watchlist named 'nobody'", timeout=15_000)
    expect(page.locator("#wall .metric-tile")).to_have_count(len(TEAM))


def test_an_operator_edits_watchlists_in_the_app_and_anyone_stars_metrics(screens_app, page):
    app, db = screens_app
    _fill(db, TEAM)
    page.goto(app.url + "/watchlists")
    expect(page.locator("#no-watchlists")).to_be_visible(timeout=15_000)
    expect(page.locator("#watchlist-save")).to_have_count(0)  # read-only until unlocked
    page.locator("#operator-token").fill(OPERATOR_TOKEN)
    page.locator("#operator-unlock").click()
    page.locator("#watchlist-name").fill("payments-team")
    page.locator("#watchlist-title").fill("Payments")
    page.locator("#watchlist-owners").fill("not an email")
    page.locator("#watchlist-save").click()
    expect(page.locator("#watchlist-message")).to_contain_text("Owners:")
    expect(page.locator(".watchlist-row")).to_have_count(0)  # nothing was saved
    page.locator("#watchlist-owners").fill("")
    page.locator("#watchlist-metrics").fill("payment_approval_rate_24h, card_feed_lag")
    page.locator("#watchlist-save").click()
    expect(page.locator("#watchlist-saved")).to_contain_text("Created watchlist payments-team")
    expect(page.locator('.watchlist-row[data-name="payments-team"]')).to_contain_text("card_feed_lag")
    stored = httpx.get(f"{app.url}/api/watchlists/payments-team", timeout=10).json()
    assert stored["metrics"] == ["payment_approval_rate_24h", "card_feed_lag"]
    assert stored["updated_by"] == "operator (app)"
    # A token removed from the browser behind the page's back: the delete is refused, nothing is lost.
    page.evaluate("window.localStorage.removeItem('heartbeat_operator_token')")
    page.locator(".watchlist-delete").first.click()
    expect(page.locator("#watchlist-message")).to_contain_text("Enter the operator token")
    assert httpx.get(f"{app.url}/api/watchlists/payments-team", timeout=10).status_code == 200

    page.goto(app.url + "/metrics/aml_checks_opened_24h")
    expect(page.locator("#star-button")).to_have_attribute("data-starred", "no", timeout=15_000)
    page.locator("#star-button").click()
    expect(page.locator("#star-button")).to_have_attribute("data-starred", "yes")
    assert "aml_checks_opened_24h" in page.evaluate("window.localStorage.getItem('heartbeat_starred')")
    page.goto(app.url + "/?watchlist=starred&kiosk=1")
    expect(page.locator("#screen-title")).to_contain_text("Starred", timeout=15_000)
    expect(page.locator("#wall .metric-tile")).to_have_count(1)
    expect(page.locator("#elsewhere-strip")).to_contain_text("Elsewhere: 2 red")
