"""How long a metric has been bad: the run of bad days ending on its latest day, gaps neither breaking nor
extending it — what "red since" in an alert (and later MCP triage) quotes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.read.streaks import streak

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
