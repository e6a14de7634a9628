"""The wall always fits one screen: pages hold at most CAPACITY tiles, reds are pinned or page first."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from engine.contract import Crossing, Status
from heartbeat_app.display import fit, tiles
from tests.app.cards import NOW, card, red

UTC = ZoneInfo("UTC")


def _amber(i: int):
    return card(id=f"a{i:03d}", name=f"Amber {i:03d}", value=93.0, status=Status.AMBER,
                crossing=Crossing("norm", 95.0, 2.0, 0.02))


def _red(i: int):
    return red(id=f"r{i:03d}", name=f"Red {i:03d}")


@pytest.mark.parametrize("reds, others", [(0, 0), (1, 0), (8, 2), (0, 10), (10, 20), (3, 97), (24, 76), (30, 0),
                                          (100, 0), (40, 60)])
def test_every_tile_is_on_some_page_and_no_page_is_over_capacity(reds, others):
    pages = fit.pages(reds, others)
    seen_reds = {i for p in pages for i in range(*p.red)}
    seen_others = {i for p in pages for i in range(*p.others)}
    assert seen_reds == set(range(reds)) and seen_others == set(range(others))
    assert all((p.red[1] - p.red[0]) + (p.others[1] - p.others[0]) <= fit.CAPACITY for p in pages)


def test_reds_are_pinned_to_every_page_while_they_leave_room():
    pages = fit.pages(5, 100)
    assert len(pages) == 4 and all(p.red == (0, 5) for p in pages)


def test_more_reds_than_a_page_holds_rotate_first():
    pages = fit.pages(70, 10)
    assert [p.red for p in pages[:3]] == [(0, 30), (30, 60), (60, 70)]
    assert pages[3].others == (0, 10) and pages[3].red == (0, 0)


@pytest.mark.parametrize("count", [1, 2, 4, 10, 16, 30])
def test_grid_shapes_hold_their_tiles_and_stay_wider_than_tall(count):
    cols = fit.columns(count, fit.AREA_ASPECT)
    rows = -(-count // cols)
    assert cols * rows >= count and rows <= 6
    tile_aspect = (fit.AREA_ASPECT / cols) * rows
    assert 0.8 <= tile_aspect <= 4.0 or count < 3


def test_a_board_of_100_ambers_pages_with_the_reds_on_each_page():
    cards = [_red(i) for i in range(3)] + [_amber(i) for i in range(100)]
    boards = [tiles.board(cards, UTC, NOW, page) for page in range(5)]
    assert boards[0].pages == 4
    assert all(len(b.red) == 3 and len(b.red) + len(b.attention) <= fit.CAPACITY for b in boards)
    assert boards[4].attention == boards[0].attention  # the page number wraps
    shown = {t["id"] for b in boards[:4] for t in b.attention}
    assert len(shown) == 100
    assert boards[0].red_grid.startswith("hb-cols-") and boards[0].attention_grid.startswith("hb-cols-")
    assert boards[0].green_strip  # a full page leaves no room for green tiles


def test_the_elsewhere_strip_holds_only_reds():
    board = tiles.board([_amber(1)], UTC, NOW, elsewhere=[_red(2), _amber(3), card(id="g")])
    assert [t["id"] for t in board.elsewhere] == ["r002"]


def test_a_few_tiles_of_both_kinds_stand_side_by_side():
    assert fit.one_row(1, 1) and fit.grid_classes(1, 1) == ("hb-cols-1 hb-rows-1", "hb-cols-1 hb-rows-1")
    assert not fit.one_row(8, 2) and not fit.one_row(2, 0)
    board = tiles.board([_red(1), _amber(2)], UTC, NOW)
    assert board.tiles_layout == "hb-tiles hb-tiles-row"


def test_the_board_says_which_page_it_is():
    cards = [_amber(i) for i in range(70)]
    assert [tiles.board(cards, UTC, NOW, p).page for p in range(4)] == [0, 1, 2, 0]
