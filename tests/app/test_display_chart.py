"""The history figure: which lines a reader sees, in which colour, and the axis around them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from heartbeat_app.display import chart
from tests.app.cards import TODAY, card, due, red


def _named(fig) -> dict[str, dict]:
    return {t["name"]: t for t in fig["data"] if t.get("name")}


def test_value_alert_and_norm_lines_in_their_colours():
    traces = _named(chart.figure(red(50.0), TODAY))
    assert traces["alert 90.0%"]["line"]["color"] == chart.RED
    assert traces["norm 95.0%"]["line"]["color"] == chart.AMBER
    assert traces["value"]["line"]["color"] == chart.VALUE
    assert traces["value"]["customdata"][-1] == "98.0%"


def test_the_last_value_is_a_dot_in_the_status_colour():
    last = chart.figure(red(50.0), TODAY)["data"][-1]
    assert last["mode"] == "markers" and last["marker"]["color"] == chart.RED


def test_the_band_comes_first_and_is_named_typical():
    fig = chart.figure(card(benchmark_mean=96.0, benchmark_stddev=1.5), TODAY)
    assert fig["data"][1]["name"] == "typical 96.0% ± 1.5%" and fig["data"][1]["fill"] == "tonexty"


def test_a_near_due_date_widens_the_axis_and_marks_today():
    fig = chart.figure(card(target_value=99.0, target_due_date=due(30)), TODAY)
    assert fig["layout"]["xaxis"]["range"][1].startswith(due(33).isoformat())
    assert any(t.get("name") == f"due {due(30):%d %b %Y}" for t in fig["data"])
    assert [a["text"] for a in fig["layout"]["annotations"]][-1] == " today"


def test_a_far_due_date_is_named_at_the_edge_instead():
    fig = chart.figure(card(target_value=99.0, target_due_date=due(400)), TODAY)
    assert fig["layout"]["xaxis"]["range"][1].startswith(TODAY.isoformat())
    assert f"target due {due(400):%d %b %Y} →" in [a["text"] for a in fig["layout"]["annotations"]]


def test_no_values_says_so_and_the_y_axis_keeps_its_lines():
    fig = chart.figure(card(history=()), TODAY)
    assert fig["layout"]["annotations"][-1]["text"] == "no values in the last 180 days"
    low, high = fig["layout"]["yaxis"]["range"]
    assert low < 90.0 < 95.0 < high


def test_a_duration_axis_ticks_in_clock_steps():
    history = tuple((TODAY - timedelta(days=i), 60.0 * i) for i in range(60))
    ticks = chart.figure(card(unit="seconds", history=history), TODAY)["layout"]["yaxis"]["tickvals"]
    assert all(t % 60 == 0 for t in ticks)


def _paced(**changes):
    """The card with a target of 99 % due in 30 days, its pace judged from its own 30-day history."""
    from engine.read.pace import pace

    base = card(target_value=99.0, target_due_date=due(30), **changes)
    judged = pace(direction=base.direction, target=99.0, due=due(30), today=TODAY, current=base.value,
                  start=(TODAY - timedelta(days=20), 95.0), history=base.history, unit=base.unit)
    return card(target_value=99.0, target_due_date=due(30), pace=judged, **changes)


def test_a_target_with_a_pace_draws_the_pace_line_and_the_trend_to_the_due_date():
    paced = _paced()
    traces = _named(chart.figure(paced, TODAY))
    line = traces[f"pace line from {TODAY - timedelta(days=20):%d %b}"]
    assert line["x"] == [(TODAY - timedelta(days=20)).isoformat(), due(30).isoformat()]
    assert line["y"] == [95.0, 99.0] and line["line"]["color"] == chart.GREEN
    [trend] = [t for name, t in traces.items() if name.startswith("trend → ")]
    # Over the 28 days it was fitted on, then on to the due date.
    assert trend["x"] == [(TODAY - timedelta(days=27)).isoformat(), TODAY.isoformat(), due(30).isoformat()]
    assert trend["y"][1:] == [paced.pace.trend_now, paced.pace.projected]
    assert trend["y"][0] == pytest.approx(paced.pace.trend_now - 27 * paced.pace.slope_per_day)
    assert trend["line"]["color"] == chart.PACE_COLOUR[paced.pace.state.value]
    assert f"({paced.pace.label})" in next(name for name in traces if name.startswith("trend → "))


def test_no_pace_no_pace_lines():
    names = _named(chart.figure(card(target_value=99.0, target_due_date=due(30)), TODAY))
    assert not [n for n in names if n.startswith(("pace line", "trend →"))]
