"""A firing alert speaks up when it gets materially worse — once per step, never for an improvement — and
says since when the history shows it bad (tests/read/test_streaks.py: how long). The state machine alone,
then through the evaluation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from engine.alerts import evaluate, messages
from engine.alerts.config import AlertConfigError, Reminders, Worsening, parse
from engine.alerts.machine import Reading, Rule, State, step
from tests.support.alerting import make_config

NOW = datetime.now(timezone.utc)
RULE = Rule(pending=1, clear=2, reminders=Reminders(3600, 2, 86400))


def _run(observations, *, rule=RULE, remind=True, start=None):
    """Feed (minutes, bad, value) observations — value alerts of a lower-is-better metric, step 5 — and
    return [(minutes, transition)] of those that notified, and the last state."""
    state, told = start or State(), []
    for minutes, bad, value in observations:
        reading = Reading(value, by="value", sign=1, worse_step=5.0) if bad else None
        result = step(state, bad, "red" if bad else None, rule, NOW + timedelta(minutes=minutes), remind=remind,
                      reading=reading)
        state = result.state
        if result.transition:
            told.append((minutes, result.transition))
    return told, state


def test_a_firing_alert_notifies_once_per_material_step_worse():
    told, state = _run([(0, True, 100), (1, True, 103), (2, True, 105), (3, True, 107), (4, True, 109.9),
                        (5, True, 110), (6, True, 121)])
    # 105 is a step past 100; 107 and 109.9 are not a step past 105; 110 is; 121 is (even two steps: one message).
    assert told == [(0, "firing"), (2, "worse"), (5, "worse"), (6, "worse")]
    assert (state.worsened, state.told_value, state.told_at) == (3, 121, NOW + timedelta(minutes=6))
    assert state.episode == 1 and state.state == "firing"


def test_an_improvement_says_nothing_and_coming_back_is_not_news_again():
    told, state = _run([(0, True, 100), (1, True, 110), (2, True, 90), (3, True, 80), (4, True, 112),
                        (5, True, 114.9), (6, True, 115)])
    # Improving to 90, 80: nothing. Back to 112: not a step past what was told (110). 115 is.
    assert told == [(0, "firing"), (1, "worse"), (6, "worse")]
    assert state.told_value == 115


def test_higher_is_better_worsens_downwards():
    state = step(State(), True, "red", RULE, NOW, reading=Reading(85.0, sign=-1, worse_step=2.5)).state
    assert step(state, True, "red", RULE, NOW, reading=Reading(90.0, sign=-1, worse_step=2.5)).transition is None
    assert step(state, True, "red", RULE, NOW, reading=Reading(83.0, sign=-1, worse_step=2.5)).transition is None
    assert step(state, True, "red", RULE, NOW, reading=Reading(82.5, sign=-1, worse_step=2.5)).transition == "worse"


def test_a_band_alert_worsens_when_z_grows_by_one():
    def reading(z):
        return Reading(1000 + 100 * z, z=z, by="z", sign=1, worse_step=1.0)

    state = step(State(), True, "red", RULE, NOW, reading=reading(2.3)).state
    assert step(state, True, "red", RULE, NOW, reading=reading(3.2)).transition is None
    assert step(state, True, "red", RULE, NOW, reading=reading(3.3)).transition == "worse"
    assert step(state, True, "red", RULE, NOW, reading=reading(-3.3)).transition == "worse"  # |z|: both sides


def test_resolve_still_works_after_worsening_and_the_next_episode_starts_afresh():
    told, state = _run([(0, True, 100), (1, True, 110), (2, False, 0), (3, False, 0), (4, True, 104),
                        (5, True, 109)])
    assert told == [(0, "firing"), (1, "worse"), (3, "resolved"), (4, "firing"), (5, "worse")]
    assert state.episode == 2 and state.worsened == 1 and state.told_value == 109


def test_reminders_are_unaffected_while_nothing_gets_worse():
    steady = [(m, True, 100 - (m % 7)) for m in range(0, 8 * 60, 15)]  # wobbling, never a step worse
    told, _ = _run(steady)
    assert told == [(0, "firing"), (60, "reminder"), (180, "reminder"), (420, "reminder")]


def test_a_worse_message_counts_as_told_for_the_next_reminder():
    told, state = _run([(0, True, 100), (30, True, 105), (60, True, 105), (90, True, 105), (190, True, 105)])
    # Reminder 1 is due an hour after the last message (the worse one at 30): at 90, then 2h later.
    assert told == [(0, "firing"), (30, "worse"), (90, "reminder")]
    assert state.reminders == 1


def test_an_acknowledged_alert_is_not_reminded_but_is_told_when_it_gets_worse():
    told, _ = _run([(0, True, 100), (120, True, 101), (240, True, 106)], remind=False)
    assert told == [(0, "firing"), (240, "worse")]


def test_without_a_comparable_reference_the_reading_becomes_one_silently():
    old = State("firing", "red", 3, 0, 1, 0, NOW, NOW, None, NOW)  # fired before worsening was told
    result = step(old, True, "red", RULE, NOW + timedelta(minutes=1),
                  reading=Reading(100, by="value", worse_step=5))
    assert result.transition is None and result.state.told_value == 100
    assert step(result.state, True, "red", RULE, NOW, reading=Reading(105, worse_step=5)).transition == "worse"


def test_rules_worsen_is_configurable_per_file_and_per_route():
    config = parse({"rules": {"worsen": {"step": 1, "count": 3}}}, {})
    assert config.worsen == Worsening(step=1.0, count=3.0, z=1.0)
    assert parse({}, {}).worsen == Worsening(0.5, 1.0, 1.0)
    routed = parse({"channels": {"slack": {"type": "slack", "url_env": "X"}}, "rules": {"worsen": {"z": 2}},
                    "routes": [{"tags": ["noisy"], "channels": ["slack"], "worsen": False},
                               {"tags": ["fine"], "channels": ["slack"], "worsen": {"step": 0.25}},
                               {"default": True, "channels": ["slack"]}]}, {})
    assert not routed.worsen_for(routed.route_for("m", ("noisy",))).enabled
    assert routed.worsen_for(routed.route_for("m", ("fine",))) == Worsening(0.25, 1.0, 2.0)
    assert routed.worsen_for(routed.route_for("m", ())) == Worsening(0.5, 1.0, 2.0)


@pytest.mark.parametrize(("worsen", "error"), [
    ({"step": 0}, "rules.worsen.step must be a number greater than 0"),
    ({"steps": 1}, "rules.worsen.steps is not a known field"),
    ("sometimes", "rules.worsen must be a mapping such as"),
])
def test_worsen_errors_name_the_field(worsen, error):
    with pytest.raises(AlertConfigError, match=error.replace(".", r"\.")):
        parse({"rules": {"worsen": worsen}}, {})


# Through the evaluation: the approval rate of tests.support.factories (higher is better, amber ≤ 95, red ≤ 90):
# the default step is half of the 5 points between the lines, 2.5 points.
def _eval(metrics, config, minutes):
    return evaluate(metrics.db.engine(), config, link_base="https://hb.example", computed=["approval"],
                    now=NOW + timedelta(minutes=minutes))


def test_a_value_a_half_step_further_past_its_line_notifies_at_once_with_what_it_was(metrics):
    config = make_config(slack_url="http://127.0.0.1:9/x")
    metrics.add("approval", owner="payments@bank.example")
    for minutes, value in enumerate([88.0, 87.0, 85.5, 86.0, 84.0, 82.0, 80.0]):
        metrics.value("approval", value)
        _eval(metrics, config, minutes)
    rows = metrics.outbox()
    # 87 is not 2.5 below 88 (told at firing); 85.5 is. 86 is better; 84 is 1.5 below 85.5, 82 is 3.5 below it;
    # 80 is 2 below 82.
    assert [(r["transition"], r["payload"]["value"]) for r in rows] == [
        ("firing", 88.0), ("worse", 85.5), ("worse", 82.0)]
    assert [r["idempotency_key"] for r in rows[1:]] == ["value:approval:1:worse1", "value:approval:1:worse2"]
    worse = rows[1]["payload"]
    fired_at = NOW.strftime("%Y-%m-%d %H:%M UTC")
    assert worse["title"] == f"🔴 Payment approval rate is worse: 85.5% (was 88.0% when it fired at {fired_at})"
    assert worse["was"]["value"] == 88.0 and worse["was"]["event"] == "fired"
    later = rows[2]["payload"]["title"]
    assert "worse: 82.0% (was 85.5% when it last got worse at" in later


def test_the_first_message_says_since_when_the_history_shows_it_red(metrics):
    config = make_config(slack_url="http://127.0.0.1:9/x")
    metrics.add("approval")
    today = NOW.date()
    for days_ago, value in {40: 97.0, 30: 96.0, 20: 89.0, 10: 87.0, 5: None, 1: 85.0}.items():
        metrics.value("approval", value, day=today - timedelta(days=days_ago))
    metrics.value("approval", 84.0)
    _eval(metrics, config, 0)
    [row] = metrics.outbox()
    first_red = today - timedelta(days=20)
    assert f"Red since {first_red.isoformat()} (21 days)" in row["payload"]["lines"]
    assert not any(line.startswith("Bad since") for line in row["payload"]["lines"])
    assert row["payload"]["bad_since"] == {"status": "red", "day": first_red.isoformat(), "days": 21,
                                           "text": f"Red since {first_red.isoformat()} (21 days)"}


def test_worsening_can_be_turned_off(metrics):
    config = make_config(slack_url="http://127.0.0.1:9/x", rules={"worsen": "off"})
    metrics.add("approval")
    for minutes, value in enumerate([88.0, 80.0, 70.0]):
        metrics.value("approval", value)
        _eval(metrics, config, minutes)
    assert [r["transition"] for r in metrics.outbox()] == ["firing"]
    with metrics.db.engine().connect() as conn:
        detail = conn.execute(text("SELECT detail FROM heartbeat.alert_state WHERE key = 'value:approval'")).scalar()
    assert detail["told"]["value"] == 88.0  # what was told stays the reference


@pytest.mark.parametrize(("name", "noun"), [
    ("Clients in collateral arrears over 60 days", "clients"), ("Payments in flight over 1h", "payments"),
    ("AML open cases", None), ("Active cards", None), ("Business clients", None), ("Payments (24h)", "payments"),
])
def test_a_count_says_what_it_counts_when_its_name_begins_with_it(name, noun):
    assert messages.counted(name) == noun


def test_a_band_alert_says_how_far_from_typical_now_and_then():
    at = datetime(2026, 11, 30, 2, 17, tzinfo=timezone.utc)
    facts = {"name": "AML backlog (checks)", "unit": "count", "value_text": "12.4k"}
    was = {"value_text": "10.7k", "z": 3.14, "z_now": -4.26, "by": "z", "event": "fired", "at": at}
    assert messages.worse_text(facts, was) == \
        "worse: 12.4k, 4.3σ from typical (was 10.7k, 3.1σ when it fired at 2026-11-30 02:17 UTC)"
