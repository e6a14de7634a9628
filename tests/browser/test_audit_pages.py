"""The audit pages in a real browser: charts drawn from snapshots, deep links both ways, operator edits.

The cuts are hand-built registry and snapshot rows (the pages read snapshots only, so this is all they
need); the metric they explain is test_metric_detail's red hand-built one.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from engine.core.db import Database
from engine.store.write_guard import open_for_sync
from tests.browser.conftest import screenshot
from tests.browser.test_metric_detail import METRIC, _clear_registry, _insert_metric
from tests.conftest import OPERATOR_TOKEN

LEDGER = "ui_collateral_ledger"
COMPANY = "Brightwater Logistics GmbH"

_DAYS = [f"2026-11-{d:02d}" for d in range(1, 29)]
CUTS = [
    # (id, page, position, kind, metrics, windows, payload of each window)
    (LEDGER, "clients", 10, "table", [METRIC], ["180d", "365d"], {
        "kind": "table", "highlight": "Company", "headline": "3 unpaid month(s) at 2 companies",
        "columns": ["Company", "Month", "Covered by us (EUR)", "Unpaid months of company"],
        "rows": [[COMPANY, "2026-08", 41000.0, 2], [COMPANY, "2026-09", 43500.0, 2],
                 ["Kestrel Foods BV", "2026-10", 9800.0, 1]]}),
    ("ui_money_in_out", "overview", 10, "timeseries", ["detail_elsewhere", METRIC], ["30d", "90d"], {
        "kind": "timeseries", "unit": "EUR", "x": _DAYS,
        "series": [{"name": "in", "values": [100 + 3 * i for i in range(28)]},
                   {"name": "out", "values": [90 + 2 * i for i in range(28)]}]}),
    ("ui_fees", "overview", 20, "bars", [], ["30d"], {
        "kind": "bars", "stacked": True, "x": _DAYS[:10],
        "series": [{"name": "card", "values": list(range(10))}, {"name": "fx", "values": list(range(10, 0, -1))}]}),
    ("ui_onboarding", "journeys", 10, "funnel", [], ["30d"], {
        "kind": "funnel", "stages": [{"label": "sign-up", "value": 1000}, {"label": "KYC", "value": 720},
                                     {"label": "approved", "value": 610}, {"label": "first card", "value": 400}]}),
    ("ui_kyc_time", "journeys", 20, "histogram", [], ["30d"], {
        "kind": "histogram", "bins": [{"label": "< 1 h", "count": 40}, {"label": "1–4 h", "count": 25},
                                      {"label": "> 4 h", "count": 9}]}),
    ("ui_card_feed", "journeys", 30, "heatmap", [], ["7d"], {
        "kind": "heatmap", "x": [f"{h:02d}" for h in range(24)], "y": ["Mon", "Tue", "Wed"],
        "z": [[h * d for h in range(24)] for d in (1, 2, 3)]}),
]


def _clear_cuts(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.registry_change WHERE entity = 'cut'"))
        conn.execute(text("DELETE FROM heartbeat.audit_cut_registry"))


def _insert_cuts(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        for cut_id, page, position, kind, metrics, windows, payload in CUTS:
            conn.execute(text(
                "INSERT INTO heartbeat.audit_cut_registry (id, page, title, position, kind, prose_before, prose_after, "
                "window_default, windows, metrics, owner, config_hash) VALUES (:id, :page, :title, :pos, :kind, "
                ":before, :after, :default, CAST(:windows AS jsonb), CAST(:metrics AS jsonb), 'risk@example.com', 'h')"),
                {"id": cut_id, "page": page, "title": f"Cut {cut_id}", "pos": position, "kind": kind,
                 "before": f"Prose **before** {cut_id}.", "after": f"Prose after {cut_id}.", "default": windows[0],
                 "windows": json.dumps(windows), "metrics": json.dumps(metrics)})
            for window in windows:
                conn.execute(text(
                    "INSERT INTO heartbeat.audit_cut_snapshot (cut_id, window_key, payload, computed_at, duration_ms) "
                    "VALUES (:id, :w, CAST(:payload AS jsonb), now() - interval '2 hours', 120)"),
                    {"id": cut_id, "w": window, "payload": json.dumps(payload)})


@pytest.fixture()
def cuts(db: Database):
    _clear_cuts(db)
    _clear_registry(db)
    _insert_metric(db)
    _insert_cuts(db)
    yield db
    _clear_cuts(db)
    _clear_registry(db)


def _cut_owner(db: Database, cut_id: str = LEDGER) -> str | None:
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT owner FROM heartbeat.audit_cut_registry WHERE id = :id"),
                            {"id": cut_id}).scalar()


@pytest.mark.parametrize("route, expected", [
    ("/audit", ["ui_money_in_out", "ui_fees"]),
    ("/audit/clients", [LEDGER]),
    ("/audit/journeys", ["ui_onboarding", "ui_kyc_time", "ui_card_feed"]),
])
def test_each_page_draws_its_cuts_with_prose_marks_and_tiles(app, page, cuts, route, expected):
    page.goto(app.url + route)
    expect(page.locator(".audit-cut")).to_have_count(len(expected), timeout=15000)
    for cut_id in expected:
        section = page.locator(f"#{cut_id}")
        if cut_id == LEDGER:  # a table cut is an HTML table, the rest are plotly charts
            expect(section.locator(".cut-table")).to_contain_text(COMPANY, timeout=15000)
        else:
            expect(section.locator(".hb-cut-chart .main-svg").first).to_be_visible(timeout=15000)
        expect(section.locator("strong")).to_have_text("before")  # the prose is Markdown
        expect(section).to_contain_text(f"Prose after {cut_id}.")
        expect(section.locator(".cut-freshness")).to_have_attribute("data-freshness", "fresh")
        expect(section.locator(".cut-verification")).to_contain_text("unverified")
        expect(section.locator(".cut-owner")).to_contain_text("risk@example.com")
    if "ui_money_in_out" in expected:  # the tile of the metric it explains, with its live status
        expect(page.locator("#ui_money_in_out .hb-cut-tile")).to_have_attribute("data-status", "red")
    screenshot(page, "audit" + route.replace("/audit", "").replace("/", "-") + "-1920x1080")


def test_window_switcher_draws_the_other_window(app, page, cuts):
    page.goto(app.url + "/audit/clients")
    section = page.locator(f"#{LEDGER}")
    expect(section.locator(".cut-table")).to_be_visible(timeout=15000)
    section.locator(".cut-windows button", has_text="365d").click()
    expect(section.locator(".cut-windows button[data-state='on']")).to_contain_text("365d")
    expect(section.locator(".hb-cut-chart")).to_contain_text(COMPANY)


def test_red_tile_reaches_the_ledger_in_one_click_and_back(app, page, cuts):
    page.goto(app.url + "/")
    link = page.locator(f".tile-cut-link[data-metric='{METRIC}']")
    expect(link).to_be_visible(timeout=20000)
    link.click()
    expect(page).to_have_url(f"{app.url}/audit/clients#{LEDGER}", timeout=15000)
    ledger = page.locator(f"#{LEDGER}")
    expect(ledger.locator(".hb-cut-chart")).to_contain_text(COMPANY, timeout=15000)
    expect(ledger.locator(".hb-cut-chart")).to_contain_text("2026-08")  # the unpaid months
    expect(ledger.locator(".hb-cut-chart")).to_contain_text("2026-09")
    screenshot(page, "audit-from-red-tile-1920x1080")
    # … and from the cut back to the metric it explains.
    ledger.locator(f".hb-cut-tile[data-metric='{METRIC}']").click()
    expect(page.locator("#metric-detail")).to_be_visible(timeout=15000)
    expect(page).to_have_url(f"{app.url}/metrics/{METRIC}")


def test_kiosk_offers_no_cut_link(app, page, cuts):
    page.goto(app.url + "/?kiosk=1")
    expect(page.locator(f".metric-tile[data-metric='{METRIC}']")).to_be_visible(timeout=20000)
    expect(page.locator(".tile-cut-link")).to_have_count(0)


def test_metric_page_lists_its_cuts_and_links_to_them(app, page, cuts):
    page.goto(f"{app.url}/metrics/{METRIC}")
    listing = page.locator("#detail-cuts")
    expect(listing.locator(".metric-cut-link")).to_have_count(2, timeout=15000)
    expect(listing.locator(".metric-cut-link").first).to_have_attribute("data-cut", LEDGER)
    expect(listing).to_contain_text("clients")
    expect(listing).to_contain_text("computed")
    screenshot(page, "metric-detail-with-cuts-1920x1080")
    listing.locator(".metric-cut-link").first.click()
    expect(page).to_have_url(f"{app.url}/audit/clients#{LEDGER}", timeout=15000)
    expect(page.locator(f"#{LEDGER} .cut-table")).to_contain_text(COMPANY, timeout=15000)


def test_owner_and_verification_edits_need_the_token(app, page, cuts):
    page.goto(app.url + "/audit/clients")
    ledger = page.locator(f"#{LEDGER}")
    expect(ledger).to_be_visible(timeout=15000)
    expect(ledger.locator(".cut-edit-owner")).to_have_count(0)  # read-only without the token
    page.locator("#operator-token").fill("not-the-token")
    page.locator("#operator-unlock").click()
    expect(page.locator("#operator-message")).to_contain_text("Wrong operator token")
    expect(ledger.locator(".cut-edit-owner")).to_have_count(0)

    page.locator("#operator-token").fill(OPERATOR_TOKEN)
    page.locator("#operator-unlock").click()
    owner = ledger.locator(".cut-edit-owner input")
    expect(owner).to_be_visible(timeout=10000)
    owner.fill("collections@example.com")
    owner.blur()  # auto-saves
    expect(ledger.locator(".cut-owner")).to_contain_text("collections@example.com", timeout=10000)
    assert _cut_owner(cuts) == "collections@example.com"
    ledger.locator(".cut-edit-verification button", has_text="Verified").first.click()
    expect(ledger.locator(".cut-verification")).to_contain_text("verified by operator (app)", timeout=10000)

    # The token went away from this browser (another tab locked): the next write is refused on the server.
    page.evaluate("window.localStorage.removeItem('heartbeat_operator_token')")
    owner = ledger.locator(".cut-edit-owner input")
    owner.fill("intruder@example.com")
    owner.blur()
    expect(page.locator("#operator-message")).to_contain_text("operator token", timeout=10000)
    assert _cut_owner(cuts) == "collections@example.com"
