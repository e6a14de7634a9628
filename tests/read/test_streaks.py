"""How long a metric has been bad: the run of bad days ending on its latest day, gaps neither breaking nor
extending it — what "red since" in an alert (and later MCP triage) quotes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.core.db import Database
from engine.read.streaks import alert_streaks, streak
from engine.read.triage import triage
from tests.support.databases import scratch_database
from tests.support.factories import MetricFolder, add_value

NOW = datetime.now(timezone.utc)


def test_the_streak_is_the_run_of_bad_days_ending_today():
    today = NOW.date()

    def days(*values):
        return [(today - timedelta(days=len(values) - 1 - i), v) for i, v in enumerate(values)]

    def judge(value):
        return "red" if value >= 10 else "amber" if value >= 5 else "green"

    run = streak(days(1, 12, 11, None, 15, 13), judge)
    assert run.first_day == today - timedelta(days=4) and run.days == 5 and not run.from_start  # a gap does not break it
    assert run.text() == f"Red since {run.first_day.isoformat()} (5 days)"
    assert streak(days(12, 13, 3), judge) is None  # green today: no streak
    whole = streak(days(12, 13, 14), judge)
    assert whole.from_start and whole.text().endswith("(3 days, as far back as its history goes)")
    assert streak(days(1, 12, 6, 7), judge, "amber").days == 3  # amber or worse
    assert streak(days(12, 6, 11), judge).days == 1 and streak(days(12, 6, 11), judge).text().endswith("(today)")


@pytest.fixture()
def db(server: Database):
    with scratch_database(server, "hb_streaks") as database:
        yield database


def test_a_failing_metric_is_in_error_since_its_first_failed_day_in_triage_and_alerts(db, tmp_path):
    folder = MetricFolder(tmp_path / "metrics")
    folder.write("approval")
    folder.write("never_worked")
    folder.sync(db)
    for days_ago in (5, 4, 3):
        add_value(db, "approval", 97, days_ago=days_ago)
    for days_ago in (2, 1, 0):
        add_value(db, "approval", None, days_ago=days_ago, status="error", error="relation does not exist")
        add_value(db, "never_worked", None, days_ago=days_ago, status="error", error="syntax error")
    today = NOW.date()

    items = {item.subject: item for item in triage(db.engine(), link_base="http://hb").items}
    assert items["approval"].kind == "error" and items["approval"].since == today - timedelta(days=2)
    assert not items["approval"].since_history_start
    assert items["never_worked"].since == today - timedelta(days=2) and items["never_worked"].since_history_start

    # The alerts page, `heartbeat alerts` and /api/alerts quote the same streak for an error alert.
    alerts = [{"key": "error:approval", "kind": "error", "subject": "approval"},
              {"key": "value:approval", "kind": "value", "subject": "approval"}]
    runs = alert_streaks(db.engine(), alerts, NOW)
    assert runs["error:approval"].text() == f"Error since {(today - timedelta(days=2)).isoformat()} (3 days)"
    assert "value:approval" not in runs  # its values say nothing while it fails
