"""A metric's page in a real browser: what it shows, and operator mode (token, edits, refusals)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from engine.core.db import Database
from engine.store.write_guard import open_for_sync
from tests.browser.conftest import screenshot
from tests.conftest import OPERATOR_TOKEN

METRIC = "detail_collateral_overdue"


def _clear_registry(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.registry_change WHERE entity_id LIKE 'detail\\_%'"))
        conn.execute(text("DELETE FROM heartbeat.metric_registry"))


def _insert_metric(db: Database, metric_id: str = METRIC, *, retired: bool = False, synced_hours_ago: int = 2) -> None:
    """A hand-built red metric: 180 days of history climbing through its lines, a band and a target."""
    today = date.today()
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(
            text(
                "INSERT INTO heartbeat.metric_registry (id, name, how_to_read, methodology, sources, source_schemas, "
                "value_sql, period, unit, currency, direction, benchmark_kind, benchmark_window_days, tags, "
                "norm_value, alert_value, target_value, target_due_date, benchmark_mean, benchmark_stddev, owner, "
                "config_hash, definition_hash, retired_at) VALUES (:id, 'Overdue card collateral', "
                "'Money clients owe as card collateral for more than 30 days. Lower is better; any rise is a "
                "collection problem.', 'Sum of collateral_due - collateral_paid over card accounts whose due date "
                "is more than 30 days ago, in EUR at the daily rate.', 'card_management.collateral, "
                "rates.daily_rates', CAST('[\"card_management\", \"rates\"]' AS jsonb), 'SELECT 1', 'snapshot', "
                "'money', 'EUR', 'lower_is_better', 'rolling_stat', 90, CAST('[\"cards\", \"risk\"]' AS jsonb), "
                "150000, 250000, 50000, :due, 120000, 25000, 'risk@example.com', 'h', 'd', "
                "CASE WHEN :retired THEN now() END)"
            ),
            {"id": metric_id, "due": today + timedelta(days=60), "retired": retired},
        )
        for back in range(179, -1, -1):
            day = today - timedelta(days=back)
            value = 110000 + 40000 * math.sin(back / 9) + (179 - back) * 900
            error = "statement timeout after 60s" if back == 3 else None
            conn.execute(
                text(
                    "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, computed_at, source_as_of, "
                    "duration_ms, error) VALUES (:id, :day, :value, 'unknown', "
                    "CAST(:day AS timestamptz) + interval '6 hours', now() - make_interval(hours => :ago), :ms, :error)"
                ),
                {"id": metric_id, "day": day, "value": None if error else value, "ms": 1200 + back, "error": error,
                 "ago": synced_hours_ago},
            )


@pytest.fixture()
def metric(db: Database):
    _clear_registry(db)
    _insert_metric(db)
    yield db
    _clear_registry(db)


def _registry(db: Database, column: str):
    with db.engine().connect() as conn:
        return conn.execute(text(f"SELECT {column} FROM heartbeat.metric_registry WHERE id = :id"),
                            {"id": METRIC}).scalar()


def _changes(db: Database) -> list[tuple]:
    with db.engine().connect() as conn:
        return [tuple(r) for r in conn.execute(
            text("SELECT field, old_value, new_value, changed_by FROM heartbeat.registry_change "
                 "WHERE entity_id = :id ORDER BY id"), {"id": METRIC})]


def _open(app, page, metric_id: str = METRIC):
    page.goto(f"{app.url}/metrics/{metric_id}")
    expect(page.locator("#metric-detail")).to_be_visible(timeout=15000)


def _unlock(page, token: str = OPERATOR_TOKEN) -> None:
    page.locator("#operator-token").fill(token)
    page.locator("#operator-unlock").click()


def test_page_shows_name_value_status_chart_and_definition(app, page, metric):
    _open(app, page)
    expect(page.locator("#detail-name")).to_have_text("Overdue card collateral")
    expect(page.locator("#detail-value")).to_have_text("€271k")
    expect(page.locator("#detail-status")).to_have_attribute("data-status", "red")
    expect(page.locator("#detail-crossed")).to_contain_text("crossed the red line (alert €250k)")
    expect(page.locator("#detail-freshness")).to_have_attribute("data-freshness", "fresh")
    expect(page.locator("#detail-owner")).to_contain_text("risk@example.com")
    expect(page.locator("#detail-verification")).to_contain_text("unverified")
    expect(page.locator("#detail-how-to-read")).to_contain_text("collection problem")
    expect(page.locator("#detail-methodology")).to_contain_text("collateral_due - collateral_paid")
    expect(page.locator("#detail-sources")).to_contain_text("card_management.collateral")
    expect(page.locator("#detail-computations")).to_contain_text("statement timeout after 60s")
    # The history chart is drawn by plotly: the value line, the lines, the band and — the target has a due
    # date — the OKR pace line and the trend are SVG paths.
    chart = page.locator("#history-chart")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=15000)
    expect(chart.locator(".scatterlayer .trace")).to_have_count(11)
    expect(chart).to_contain_text("alert €250k")
    expect(chart).to_contain_text("norm €150k")
    screenshot(page, "metric-detail-1920x1080")


def test_stale_data_shows_on_the_freshness_chip_not_as_the_status(app, page, metric):
    # Snapshot metrics go stale after 48 h; the value stays red for its own reason.
    _insert_metric(metric, "detail_stale_metric", synced_hours_ago=80)
    _open(app, page, "detail_stale_metric")
    expect(page.locator("#detail-freshness")).to_have_attribute("data-freshness", "stale")
    expect(page.locator("#detail-freshness")).to_contain_text("3d 8h ago")
    expect(page.locator("#detail-status")).to_have_attribute("data-status", "red")


def test_without_a_token_the_page_is_read_only(app, page, metric):
    _open(app, page)
    expect(page.locator("#operator-token")).to_be_visible()
    expect(page.locator("#operator-controls")).to_have_count(0)
    expect(page.locator("#edit-owner")).to_have_count(0)
    expect(page.locator("#save-thresholds")).to_have_count(0)


def test_a_wrong_token_is_refused(app, page, metric):
    _open(app, page)
    _unlock(page, "not-the-operator-token")
    expect(page.locator("#operator-message")).to_contain_text("Wrong operator token")
    expect(page.locator("#operator-controls")).to_have_count(0)
    assert page.evaluate("window.localStorage.getItem('heartbeat_operator_token')") in (None, "")


def test_a_stale_token_kept_in_the_browser_opens_nothing(app, page, metric):
    page.goto(app.url + "/docs")
    page.evaluate("window.localStorage.setItem('heartbeat_operator_token', 'an-old-rotated-token')")
    _open(app, page)
    # On load the server asks the browser for its token and checks the answer: two round trips.
    expect(page.locator("#operator-message")).to_contain_text("no longer valid", timeout=15_000)
    expect(page.locator("#operator-controls")).to_have_count(0)


def test_operator_edits_the_owner_and_it_lands_in_the_change_history(app, page, metric):
    _open(app, page)
    _unlock(page)
    expect(page.locator("#operator-controls")).to_be_visible()
    owner = page.locator("#edit-owner")
    owner.fill("collections@example.com")
    owner.blur()  # auto-save on blur
    expect(page.locator("#detail-owner")).to_contain_text("collections@example.com")
    expect(page.locator("#detail-changes")).to_contain_text("risk@example.com → collections@example.com")
    expect(page.locator("#detail-changes")).to_contain_text("operator (app)")
    assert _registry(metric, "owner") == "collections@example.com"
    assert _changes(metric) == [("owner", "risk@example.com", "collections@example.com", "operator (app)")]
    # The token is kept in this browser: a reload comes back in operator mode.
    page.reload()
    expect(page.locator("#operator-controls")).to_be_visible(timeout=15000)
    expect(page.locator("#edit-owner")).to_have_value("collections@example.com")


def test_an_invalid_email_is_refused_inline_and_changes_nothing(app, page, metric):
    _open(app, page)
    _unlock(page)
    owner = page.locator("#edit-owner")
    owner.fill("not an email")
    owner.blur()
    expect(page.locator("#owner-message")).to_contain_text("Owner: must be an email address")
    expect(page.locator("#detail-owner")).to_contain_text("risk@example.com")
    assert _registry(metric, "owner") == "risk@example.com"
    assert _changes(metric) == []


def test_operator_tunes_thresholds_and_out_of_order_lines_are_refused(app, page, metric):
    _open(app, page)
    _unlock(page)
    # Lower is better: the amber line must sit below the red one.
    page.locator("#edit-norm-value").fill("300000")
    page.locator("#save-thresholds").click()
    expect(page.locator("#thresholds-message")).to_contain_text("Norm (amber line): the amber line")
    assert _registry(metric, "norm_value") == 150000
    assert _changes(metric) == []

    page.locator("#edit-norm-value").fill("200000")
    page.locator("#edit-alert-value").fill("260000")
    page.locator("#save-thresholds").click()
    expect(page.locator("#saved-message")).to_contain_text("Saved")
    expect(page.locator("#detail-changes")).to_contain_text("€150k → €200k")
    assert (_registry(metric, "norm_value"), _registry(metric, "alert_value")) == (200000, 260000)
    expect(page.locator("#detail-status")).to_have_attribute("data-status", "red")


def test_operator_verifies_the_metric(app, page, metric):
    _open(app, page)
    _unlock(page)
    page.locator("#edit-verification").get_by_role("radio", name="Verified", exact=True).click()
    expect(page.locator("#detail-verification")).to_contain_text("verified")
    expect(page.locator("#detail-changes")).to_contain_text("unverified → verified")
    assert _registry(metric, "verification_state") == "verified"
    assert _registry(metric, "verified_by") == "operator (app)"


def test_unknown_or_retired_metric_says_so_with_a_way_back(app, page, metric):
    page.goto(f"{app.url}/metrics/no_such_metric_here")
    expect(page.locator("#not-found")).to_contain_text("No such metric")
    expect(page.locator("#not-found")).to_contain_text("no_such_metric_here")
    expect(page.locator("#not-found-back")).to_have_attribute("href", "/")
    _insert_metric(metric, "detail_retired_metric", retired=True)
    page.goto(f"{app.url}/metrics/detail_retired_metric")
    expect(page.locator("#not-found")).to_contain_text("No such metric")
    page.goto(f"{app.url}/metrics/Not%20An%20Id")
    expect(page.locator("#not-found")).to_contain_text("No such metric")


def test_a_learning_band_and_a_new_definition_are_shown(app, page, metric):
    """Issue #15: no band yet is said in words, and the chart marks where the current definition starts."""
    with metric.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text(
            "UPDATE heartbeat.metric_registry SET benchmark_kind = 'seasonal', benchmark_window_days = 56, "
            "benchmark_config = CAST('{\"weekly\": true}' AS jsonb), benchmark_mean = NULL, benchmark_stddev = NULL, "
            "benchmark_points = 2, series_hash = 'new' WHERE id = :id"), {"id": METRIC})
        conn.execute(text(
            "UPDATE heartbeat.metric_history SET definition_hash = CASE WHEN day < current_date - 40 "
            "THEN 'old' ELSE 'new' END WHERE metric_id = :id"), {"id": METRIC})
    _open(app, page)
    expect(page.locator("#detail-facts")).to_contain_text("seasonal μ ± σ, same weekday of 8 weeks")
    expect(page.locator("#detail-facts")).to_contain_text("learning: 2 clean point(s) so far, no band yet")
    expect(page.locator("#detail-facts")).to_contain_text("history of the current definition since")
    chart = page.locator("#history-chart")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=15000)
    expect(chart).to_contain_text("new definition")
    screenshot(page, "metric-detail-learning-new-definition-1920x1080")
