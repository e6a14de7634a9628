"""/docs in a real browser over the landed demo: the catalogues list every metric, cut and source and
filter; the API reference shows every route of the OpenAPI document with its response schema and an
example; `/` focuses search, which finds a metric by a word of its description; the Feedback link goes
to HEARTBEAT_FEEDBACK_URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from engine.api import create_api
from engine.audit import registry as cut_registry
from engine.core.db import Database
from engine.metrics import compute, registry
from engine.metrics.compute import ComputeContext
from engine.read.cards import metric_cards
from engine.sources import SOURCES
from tests.browser.conftest import screenshot
from tests.support.demo import ROOT, landed_demo
from tests.support.running_app import RunningApp

FEEDBACK = "https://feedback.example.com/heartbeat"


@pytest.fixture(scope="module")
def demo_app(server: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, Database]]:
    with landed_demo(server, tmp_path_factory, "docsui") as demo:
        cut_registry.sync(demo.app.engine(), ROOT / "cuts")
        ctx = ComputeContext(demo.app, demo.marts, statement_timeout=30.0, workers=2)
        compute.compute_many(ctx, [m.id for m in registry.active_metrics(demo.app.engine())])
        running = RunningApp({
            "HEARTBEAT_DATABASE_URL": demo.app.url().render_as_string(hide_password=False),
            "HEARTBEAT_MARTS_DATABASE": demo.marts,
            "HEARTBEAT_DATA_DIR": str(tmp_path_factory.mktemp("docsui-data")),
            "HEARTBEAT_SCHEDULER": "off",
            "HEARTBEAT_FEEDBACK_URL": FEEDBACK,
        }, name="docs").start()
        try:
            yield running, demo.app
        finally:
            running.stop()


def test_metric_catalogue_lists_every_metric_and_filters_by_status(demo_app, page):
    app, db = demo_app
    cards = metric_cards(db.engine(), history_days=0)
    page.goto(app.url + "/docs/metrics/catalog")
    entries = page.locator(".catalog-entry")
    expect(entries).to_have_count(len(cards))
    expect(page.locator("#catalog-count")).to_have_text(f"{len(cards)} listed")
    approval = page.locator("#payment_approval_rate_24h")
    expect(approval).to_contain_text("How to read it.")
    expect(approval).to_contain_text("payments@satchel.example")
    expect(approval.get_by_role("link", name="/metrics/payment_approval_rate_24h")).to_be_visible()
    screenshot(page, "docs-metric-catalogue-1920x1080")

    red = [c for c in cards if c.status == "red"]
    assert red, "the demo plants incidents: some metrics are red"
    page.locator("#catalog-filter-status").click()
    page.get_by_role("option", name="red", exact=True).click()
    expect(entries).to_have_count(len(red))
    expect(page.locator("#catalog-count")).to_have_text(f"{len(red)} of {len(cards)} shown")
    for card in red:
        expect(page.locator(f"#{card.id}")).to_be_visible()


def test_an_error_quoting_html_shows_as_text_in_the_catalogue(demo_app, page):
    # A failed computation's message can quote data; the catalogue prints it, it never runs it.
    app, db = demo_app
    attack = '<img src="x" id="planted" onerror="window.__planted = 1"> bad value'
    with db.engine().begin() as conn:
        conn.execute(text("UPDATE heartbeat.metric_history SET error = :e WHERE metric_id = 'active_cards' "
                          "AND day = (SELECT max(day) FROM heartbeat.metric_history WHERE metric_id = 'active_cards')"),
                     {"e": attack})
    try:
        page.goto(app.url + "/docs/metrics/catalog")
        entry = page.locator("#active_cards")
        expect(entry).to_contain_text("last computation failed: <img src=")
        expect(page.locator("#planted")).to_have_count(0)
        assert page.evaluate("window.__planted") is None
    finally:
        with db.engine().begin() as conn:
            conn.execute(text("UPDATE heartbeat.metric_history SET error = NULL WHERE error = :e"), {"e": attack})


def test_cut_and_source_catalogues_list_every_cut_and_source(demo_app, page):
    app, db = demo_app
    page.goto(app.url + "/docs/audit/catalog")
    cuts = [p for p in (ROOT / "cuts").glob("*.py") if not p.name.startswith("_")]
    expect(page.locator(".catalog-entry")).to_have_count(len(cuts))
    expect(page.locator("#aml_backlog_ageing")).to_contain_text("AML backlog by age")
    screenshot(page, "docs-cut-catalogue-1920x1080")
    page.goto(app.url + "/docs/sources/catalog")
    expect(page.locator(".catalog-entry")).to_have_count(len(SOURCES))
    expect(page.locator("#webbank")).to_contain_text("last run succeeded")
    screenshot(page, "docs-source-catalogue-1920x1080")


def test_api_reference_shows_every_route_of_the_openapi_document(demo_app, page):
    app, _ = demo_app
    document = create_api().openapi()
    page.goto(app.url + "/docs/api")
    headings = page.locator("h3")
    expect(headings.first).to_be_visible()
    shown = set(headings.all_inner_texts())
    expected = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    assert expected - shown == set()
    expect(page.get_by_text("Who may call it:").first).to_be_visible()
    screenshot(page, "docs-api-1920x1080")
    page.locator("h3", has_text="PATCH /api/metrics/{metric_id}/thresholds").scroll_into_view_if_needed()
    screenshot(page, "docs-api-write-route-1920x1080")
    # Each route's response schema: the model, its fields with types and meanings, and an example body.
    cockpit = page.locator("h3", has_text="GET /api/cockpit")
    cockpit.scroll_into_view_if_needed()
    expect(page.get_by_text("Response body (200, application/json, Cockpit)", exact=False).first).to_be_visible()
    expect(page.locator("td", has_text="list of Metric").first).to_be_visible()
    example = page.locator("pre", has_text='"active_job": null').first
    expect(example).to_be_visible()
    expect(example).to_contain_text('"id": "collateral_covered_by_company"')
    screenshot(page, "docs-api-response-schema-1920x1080")
    # The models the responses name, each once with its fields.
    schemas = page.get_by_role("heading", name="Response schemas")
    schemas.scroll_into_view_if_needed()
    expect(schemas).to_be_visible()
    expect(page.locator("h3", has_text="MetricPace")).to_have_count(1)


def test_slash_focuses_search_and_finds_a_metric_by_its_description(demo_app, page):
    app, _ = demo_app
    page.goto(app.url + "/docs")
    expect(page.locator("#docs-nav")).to_be_visible()
    page.wait_for_timeout(500)  # the key listener is installed once the page has hydrated
    page.locator("body").press("/")
    expect(page.locator("#docs-search")).to_be_focused()
    page.keyboard.type("decline reasons")
    hit = page.locator("#docs-search-results a[href='/docs/metrics/catalog#payment_approval_rate_24h']").first
    expect(hit).to_be_visible(timeout=15000)
    expect(hit).to_contain_text("Payment approval rate (24h)")
    expect(hit).to_contain_text("decline reasons")
    screenshot(page, "docs-search-1920x1080")


def test_feedback_link_goes_to_the_configured_url(demo_app, page):
    app, _ = demo_app
    page.goto(app.url + "/docs/cli")
    link = page.locator("#feedback-link")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", FEEDBACK)


def test_feedback_link_is_hidden_when_unset(app, page):
    # The session app runs without HEARTBEAT_FEEDBACK_URL.
    page.goto(app.url + "/docs")
    expect(page.locator("#docs-nav")).to_be_visible()
    expect(page.locator("#freshness-chip")).to_contain_text("last refresh")
    expect(page.locator("#feedback-link")).to_have_count(0)

