"""The OKR board's shaping: groups by owner or tag, worst pace first, and what each target says."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from engine.read.pace import Pace, PaceState
from heartbeat_app.display import okr
from tests.app.cards import TODAY, card


def _pace(state: PaceState, *, due_in: int = 30, projected: float | None = 99.0, progress: float = 0.5) -> Pace:
    return Pace(state=state, target=99.0, due=TODAY + timedelta(days=due_in), start_day=date(2026, 1, 1),
                start_value=95.0, current=97.0, expected_now=97.5, projected=projected, slope_per_day=0.05,
                trend_points=28, progress=progress, expected_progress=0.6, days_left=due_in)


def _targets():
    return [
        card(id="a_on_pace", name="A", owner="growth@example.com", tags=("growth", "clients"),
             pace=_pace(PaceState.ON_PACE)),
        card(id="b_off", name="B", owner="growth@example.com", tags=("growth",), pace=_pace(PaceState.OFF_TRACK)),
        card(id="c_missed", name="C", owner=None, tags=(), pace=_pace(PaceState.MISSED, due_in=-3)),
        card(id="d_achieved", name="D", owner="cards@example.com", tags=("cards",),
             pace=_pace(PaceState.ACHIEVED, progress=1.0)),
        card(id="e_no_target", name="E", owner="cards@example.com"),
    ]


def test_by_owner_worst_group_first_and_worst_target_first_untargeted_left_out():
    board = okr.board(_targets())
    assert [(g["name"], g["count"]) for g in board] == [("no owner", "1"), ("growth@example.com", "2"),
                                                         ("cards@example.com", "1")]
    assert [item["id"] for item in board[1]["items"]] == ["b_off", "a_on_pace"]


def test_by_tag_a_metric_with_two_tags_is_in_both_and_untagged_has_its_group():
    board = okr.board(_targets(), "tag")
    assert {g["name"]: [i["id"] for i in g["items"]] for g in board} == {
        "no tag": ["c_missed"], "growth": ["b_off", "a_on_pace"], "clients": ["a_on_pace"], "cards": ["d_achieved"],
    }


def test_a_target_row_says_state_progress_projection_and_due_date():
    row = okr.board(_targets())[1]["items"][1]
    assert (row["state"], row["label"], row["progress"], row["expected_progress"]) == ("on_pace", "on pace", "50", "60")
    assert (row["value"], row["target"]) == ("97.0%", "99.0%")
    assert row["projection"] == "trend → 99.0% by the due date"
    assert row["due"] == f"due {(TODAY + timedelta(days=30)).day} {TODAY + timedelta(days=30):%b %Y}"
    assert row["days"] == "30 days left"
    assert row["start"] == ""  # every target started on 1 Jan: said once above the board, not on each
    assert okr.common_start(_targets()) == date(2026, 1, 1)
    # A target whose period started on another day than the others names its own start.
    assert okr.target_row(_targets()[0], date(2026, 2, 1))["start"] == "from 95.0% on 1 Jan"
    missed = okr.board(_targets())[0]["items"][0]
    assert missed["projection"] == "" and missed["days"] == "3 days ago"
    achieved = okr.board(_targets())[2]["items"][0]
    assert (achieved["state"], achieved["projection"]) == ("achieved", "")


def test_an_on_pace_target_says_when_its_trend_meets_the_target():
    paced = dataclasses.replace(_pace(PaceState.ON_PACE, projected=140.0), reaches_on=date(2026, 4, 2))
    row = okr.target_row(card(pace=paced))
    assert row["projection"] == "trend meets the target around 2 Apr 2026"


def test_the_summary_counts_each_state_worst_first():
    assert [c["text"] for c in okr.summary(_targets())] == ["1 missed", "1 off track", "1 on pace", "1 achieved"]


def test_groups_are_dealt_into_columns_shortest_first_keeping_each_group_whole():
    def group(name: str, size: int) -> dict:
        return {"name": name, "count": str(size), "items": [{"id": f"{name}{i}"} for i in range(size)]}

    groups = [group("a", 3), group("b", 3), group("c", 2), group("d", 2), group("e", 3), group("f", 2)]
    dealt = okr.columns(groups)
    assert [[g["name"] for g in column] for column in dealt] == [["a"], ["b"], ["c", "e"], ["d", "f"]]
    assert okr.columns(groups[:2]) == [[groups[0]], [groups[1]]]  # no empty columns
    assert okr.columns([]) == []
