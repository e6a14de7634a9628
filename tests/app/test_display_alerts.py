"""The alerts page's rows: who acknowledged until when, deliveries per channel, masked errors."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from heartbeat_app.display import alerts
from tests.app.cards import NOW

UTC = ZoneInfo("UTC")


def _alert(**changes) -> dict:
    return {"id": 7, "kind": "metric", "subject": "approval_rate", "state": "firing", "title": None,
            "fired_at": NOW - timedelta(hours=2), "since": None, "acked_by": None, "acked_until": None, "link": None,
            **changes}


def test_an_alert_row_falls_back_to_its_subject_and_says_since_when():
    # No streak in the history (a stale-source alert): it says when it fired.
    assert alerts.alert_row(_alert(), UTC, NOW) == {
        "id": "7", "kind": "metric", "subject": "approval_rate", "state": "firing", "title": "approval_rate",
        "since": "fired 2h ago", "ack": "", "link": ""}


def test_since_when_is_the_history_streak_not_the_moment_it_fired():
    streak = {"status": "red", "day": "2026-01-01", "days": 69, "text": "Red since 2026-01-01 (69 days)"}
    assert alerts.alert_row(_alert(bad_since=streak), UTC, NOW)["since"] == "Red since 2026-01-01 (69 days)"


def test_only_a_live_acknowledgement_shows():
    live = alerts.alert_row(_alert(acked_by="ana", acked_until=NOW + timedelta(hours=1)), UTC, NOW)
    over = alerts.alert_row(_alert(acked_by="ana", acked_until=NOW - timedelta(hours=1)), UTC, NOW)
    assert (live["ack"], over["ack"]) == ("acknowledged by ana until 10 Mar 13:00", "")


def test_deliveries_by_channel_latest_eight_with_errors_cut_short():
    # Errors arrive masked from engine.alerts.silences.overview_for_display; the page only shortens them.
    row = {"title": None, "alert_key": "k", "transition": "fired", "status": "dead", "attempts": 3,
           "sent_at": None, "created_at": NOW, "last_error": "token=*** " + "x" * 300}
    rows = alerts.delivery_rows({"slack": [row] * 10, "email": [row]}, UTC)
    assert [r["channel"] for r in rows] == ["email"] + ["slack"] * 8
    assert rows[0]["error"].startswith("token=*** ") and len(rows[0]["error"]) == 160
    assert rows[0]["when"] == "10 Mar 12:00" and rows[0]["title"] == "k"


def test_a_channel_without_its_secrets_says_which_to_set():
    assert alerts.channel_row({"name": "ops", "type": "slack", "configured": False,
                               "missing_env": ["SLACK_WEBHOOK_URL"]})["configured"] == (
        "not configured: set SLACK_WEBHOOK_URL")
