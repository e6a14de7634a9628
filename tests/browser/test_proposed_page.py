"""/metrics/proposed in a real browser: proposals ranked, each with its 90-day chart and backtest; never on the wall."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from engine.core.db import Database
from engine.discover import proposals
from engine.discover.backtest import KnownIncident, run
from engine.discover.rules import Candidate
from engine.discover.run import Discovery, Proposal, write_evidence
from tests.browser.conftest import screenshot
from tests.conftest import OPERATOR_TOKEN, TEST_DATA_DIR, app_environ
from tests.support.running_app import RunningApp

TABLE = "webbank.core.payment"


def _candidate(candidate_id: str, name: str) -> Candidate:
    return Candidate(
        id=candidate_id, rule="state_share", name=name, how_to_read="Share of payments declined in the last 24 hours.",
        methodology="declined / all.", source="webbank.core", table="webbank_core.payment", period="24h",
        unit="percent", direction="lower_is_better", value_sql="SELECT 7.5", history_sql="SELECT current_date, 1",
        norm=3.0, alert=4.0,
    )


@pytest.fixture(scope="module")
def proposed_app(db: Database):
    """Two proposals with real backtests over 120 synthetic days: one catches the incident, one does not."""
    folder = TEST_DATA_DIR / "proposed-metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    today = datetime.now(timezone.utc).date()
    start = today - timedelta(days=3)
    incident = KnownIncident("approval_dip", datetime(start.year, start.month, start.day, tzinfo=timezone.utc), (TABLE,))
    quiet: dict[date, float | None] = {today - timedelta(days=d): 2.0 + (d % 5) * 0.1 for d in range(120, -1, -1)}
    spiking = {**quiet, **{today - timedelta(days=d): 7.5 for d in range(3, -1, -1)}}
    found = []
    for candidate, series in ((_candidate("payment_declined_share_24h", "Payment declined share (24h)"), spiking),
                              (_candidate("payment_blocked_share_24h", "Payment blocked share (24h)"), quiet)):
        proposals.write(folder, candidate)
        result = run(candidate.id, TABLE, candidate.direction, None, candidate.norm, candidate.alert, series, [incident])
        found.append(Proposal(candidate, result, 0.02, series[today]))
    # A freshness proposal: its lag is in seconds, its chart must read in hours and days.
    lag = Candidate(
        id="cards_feed_lag", rule="freshness", name="Card feed lag", how_to_read="How old the newest card row is.",
        methodology="now() − max(created_at), in seconds.", source="card_management.cards",
        table="card_management.card", period="snapshot", unit="seconds", direction="lower_is_better",
        value_sql="SELECT 18000", history_sql="SELECT current_date, 18000", norm=36 * 3600.0, alert=48 * 3600.0)
    lags = {today - timedelta(days=d): 3600.0 * (4 + d % 6) for d in range(120, -1, -1)}
    proposals.write(folder, lag)
    found.append(Proposal(lag, run(lag.id, "card_management.cards.card", lag.direction, None, lag.norm, lag.alert,
                                   lags, [incident], unit="seconds"), 0.01, lags[today]))
    found.sort(key=lambda p: -p.result.usefulness)
    write_evidence(folder, Discovery([], found), [incident])
    running = RunningApp(app_environ(db, HEARTBEAT_SCHEDULER="off", HEARTBEAT_OPERATOR_TOKEN=OPERATOR_TOKEN,
                                     HEARTBEAT_METRICS_DIR=str(folder)), name="proposed")
    running.start()
    yield running
    running.stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_proposals_are_ranked_with_chart_and_backtest_and_stay_off_the_wall(proposed_app, page):
    page.goto(proposed_app.url + "/metrics/proposed")
    cards = page.locator(".proposal-card")
    expect(cards).to_have_count(3)
    first = cards.nth(0)
    assert first.get_attribute("data-proposal") == "payment_declined_share_24h"
    expect(first).to_contain_text("caught an incident")
    expect(first.locator(".proposal-backtest")).to_contain_text("Would have caught approval_dip (the day it started)")
    expect(first.locator(".proposal-backtest")).to_contain_text("0.00 false reds a month")
    expect(first.locator(".js-plotly-plot")).to_have_count(1)
    blocked = page.locator('[data-proposal="payment_blocked_share_24h"]')
    expect(blocked.locator(".proposal-backtest")).to_contain_text("Would not have caught approval_dip in time")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    screenshot(page, "proposed-metrics")
    # The lag's axis in hours (or days), as every duration of the app, never in seconds.
    lag_card = page.locator('[data-proposal="cards_feed_lag"]')
    expect(lag_card.locator(".ytick text").first).to_be_visible()
    ticks = lag_card.locator(".ytick text").all_text_contents()
    assert any(t.endswith("h") for t in ticks) and not any(t.replace(",", "").isdigit() for t in ticks), ticks
    lag_card.scroll_into_view_if_needed()
    screenshot(page, "proposed-metrics-lag")
    page.goto(proposed_app.url + "/")
    page.wait_for_timeout(1500)
    assert page.locator('[data-metric="payment_declined_share_24h"]').count() == 0
