"""The wall's cards read straight from the read model (engine.read.cards), over a real database.

The API and the cockpit both show ``metric_cards`` as they come; these tests pin what a viewer of the wall
sees without HTTP in between: which tile comes first, its colour, the line it crossed, its freshness chip.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from engine.contract import Freshness, Status
from engine.core.db import Database
from engine.metrics import edits
from engine.read.cards import MetricCard, metric_cards
from engine.read.pace import PaceState
from tests.support.databases import scratch_database
from tests.support.factories import MetricFolder, add_value, add_values, set_registry

NO_LINES = {"norm": None, "alert": None}


@pytest.fixture()
def db(server: Database):
    """A migrated database of its own: the wall shows only what a test put there."""
    with scratch_database(server, "hb_read") as database:
        yield database


@pytest.fixture()
def folder(tmp_path) -> MetricFolder:
    return MetricFolder(tmp_path / "metrics")


def _synced_hours_ago(hours: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(hours=hours)


def _wall(db: Database, **kwargs) -> list[tuple[str, Status]]:
    """The tiles of the wall in the order they are shown: (id, colour)."""
    return [(card.id, card.status) for card in metric_cards(db.engine(), **kwargs)]


def _card(db: Database, metric_id: str) -> MetricCard:
    [card] = metric_cards(db.engine(), ids=[metric_id])
    return card


def test_red_comes_first_then_amber_error_no_data_green(db, folder):
    # Every metric: higher is better, norm 95, red line 90. Written in the reverse of the order expected.
    for metric_id in ("green_one", "empty", "failing", "amber_one", "red_one"):
        folder.write(metric_id, name=metric_id.replace("_", " "))
    folder.sync(db)
    add_value(db, "green_one", 98, source_as_of=_synced_hours_ago(1))
    add_value(db, "failing", 96, days_ago=1, source_as_of=_synced_hours_ago(25))
    add_value(db, "failing", None, error="SQL error: relation gone")
    add_value(db, "amber_one", 93, source_as_of=_synced_hours_ago(1))
    add_value(db, "red_one", 89, source_as_of=_synced_hours_ago(1))
    assert _wall(db) == [("red_one", Status.RED), ("amber_one", Status.AMBER), ("failing", Status.ERROR),
                         ("empty", Status.NO_DATA), ("green_one", Status.GREEN)]


def test_within_a_colour_the_largest_breach_comes_first(db, folder):
    folder.write("red_small", name="A small breach")  # alphabetically first: the breach, not the name, orders
    folder.write("red_big", name="B big breach")
    folder.sync(db)
    add_value(db, "red_small", 89, source_as_of=_synced_hours_ago(1))
    add_value(db, "red_big", 50, source_as_of=_synced_hours_ago(1))
    assert _wall(db) == [("red_big", Status.RED), ("red_small", Status.RED)]
    big = _card(db, "red_big")
    assert (big.crossing.line, big.crossing.line_value, big.crossing.by) == ("alert", 90.0, 40.0)


def test_a_stale_tile_comes_before_a_fresh_one_of_its_colour(db, folder):
    folder.write("fresh", name="A fresh")
    folder.write("stale", name="B stale")
    folder.sync(db)
    add_value(db, "fresh", 98, source_as_of=_synced_hours_ago(1))
    add_value(db, "stale", 99, source_as_of=_synced_hours_ago(96))  # a 24h metric is stale after 72 h
    assert _wall(db) == [("stale", Status.GREEN), ("fresh", Status.GREEN)]
    assert _card(db, "stale").freshness is Freshness.STALE and _card(db, "fresh").freshness is Freshness.FRESH


def test_lower_is_better_turns_red_above_its_line(db, folder):
    folder.write("latency", direction="lower_is_better", unit="seconds", norm="30", alert="60")
    folder.sync(db)
    add_value(db, "latency", 75, source_as_of=_synced_hours_ago(1))
    card = _card(db, "latency")
    assert card.status is Status.RED
    assert (card.crossing.line, card.crossing.line_value, card.crossing.by) == ("alert", 60.0, 15.0)


def test_a_failed_day_shows_the_last_good_value_beside_its_error(db, folder):
    folder.write("approval")
    folder.sync(db)
    add_value(db, "approval", 96, days_ago=1, source_as_of=_synced_hours_ago(25))
    add_value(db, "approval", None, error="SQL error: relation gone")
    card = _card(db, "approval")
    assert card.status is Status.ERROR and card.value == 96 and "relation gone" in card.error
    assert card.crossing is None  # an error tile names no line: its number is yesterday's


def test_a_metric_never_computed_shows_no_data_and_an_unknown_age(db, folder):
    folder.write("empty")
    folder.sync(db)
    card = _card(db, "empty")
    assert card.status is Status.NO_DATA and card.value is None and card.freshness is Freshness.UNKNOWN


def test_a_target_hit_is_shown_only_on_a_green_tile(db, folder):
    folder.write("hit", target="97")
    folder.write("missed", target="97")
    folder.sync(db)
    add_value(db, "hit", 98, source_as_of=_synced_hours_ago(1))
    add_value(db, "missed", 96, source_as_of=_synced_hours_ago(1))
    assert _card(db, "hit").target_hit is True and _card(db, "hit").crossing is None
    assert _card(db, "missed").target_hit is False


def test_an_operator_threshold_recolours_the_tile_on_the_next_read(db, folder):
    folder.write("approval")
    folder.sync(db)
    add_value(db, "approval", 93, source_as_of=_synced_hours_ago(1))
    assert _card(db, "approval").status is Status.AMBER
    set_registry(db, "approval", norm_value=92.5)
    assert _card(db, "approval").status is Status.GREEN


def test_a_retired_metric_leaves_the_wall_but_keeps_its_history(db, folder):
    folder.write("approval")
    folder.write("latency", direction="lower_is_better", unit="seconds", norm="30", alert="60")
    folder.sync(db)
    add_value(db, "latency", 12)
    folder.remove("latency")
    folder.sync(db)
    assert [card_id for card_id, _ in _wall(db)] == ["approval"]
    folder.write("latency", direction="lower_is_better", unit="seconds", norm="30", alert="60")
    folder.sync(db)
    assert _card(db, "latency").value == 12  # revived with its history


def test_the_sparkline_holds_the_last_days_oldest_first(db, folder):
    folder.write("signups", **NO_LINES, unit="count")
    folder.sync(db)
    for days_ago in range(40, -1, -1):
        add_value(db, "signups", float(100 + days_ago), days_ago=days_ago)
    [card] = metric_cards(db.engine(), history_days=7)
    assert [value for _, value in card.history] == [106.0, 105.0, 104.0, 103.0, 102.0, 101.0, 100.0]
    assert card.history[-1][0] == datetime.now(timezone.utc).date()
    assert metric_cards(db.engine(), history_days=0)[0].history == ()


def test_a_targeted_metric_carries_its_pace_from_the_start_of_the_quarter(db, folder):
    now = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    today, quarter = now.date(), date(2026, 10, 1)
    folder.write("clients", name="Active clients", unit="count", norm=None, alert=None, target="300",
                 target_due_date=(today + timedelta(days=30)).isoformat())
    folder.write("no_target", name="No target")
    folder.sync(db)
    # +2 a day since mid-September: 100 on 1 October, 200 today, 260 projected on the due date → behind.
    add_values(db, "clients", {back: 100 + 2 * ((today - quarter).days - back) for back in range(65, -1, -1)},
               today=today)
    add_value(db, "no_target", 97, day=today)
    for history_days in (30, 0):  # the wall's 30 days, and the alert evaluator's none: pace reads its own trend
        [card] = metric_cards(db.engine(), now, history_days=history_days, ids=["clients"])
        assert card.pace.state is PaceState.BEHIND
        assert (card.pace.start_day, card.pace.start_value) == (quarter, 100)
        assert card.pace.projected == pytest.approx(260)
        assert card.pace.progress == pytest.approx(0.5)
        assert card.status is Status.GREEN  # a target never colours the tile
    assert metric_cards(db.engine(), now, ids=["no_target"])[0].pace is None


def test_a_target_changed_during_the_quarter_starts_its_period_that_day(db, folder):
    today = datetime.now(timezone.utc).date()
    folder.write("clients", name="Active clients", unit="count", norm=None, alert=None, target="200",
                 target_due_date=(today + timedelta(days=30)).isoformat())
    folder.sync(db)
    add_values(db, "clients", {back: 300 - 2 * back for back in range(20, -1, -1)})
    edits.set_thresholds(db.engine(), "clients", actor="ops", today=today, target_value=400.0)
    pace = _card(db, "clients").pace
    assert (pace.start_day, pace.start_value) == (today, 300)
    assert pace.progress == 0.0 and pace.expected_progress == 0.0
    # 300 today, +2 a day: 360 in 30 days covers 60% of the way to 400 → off track.
    assert pace.state is PaceState.OFF_TRACK
