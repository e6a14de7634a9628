"""Tabs share one cockpit snapshot per half interval: one read for many tabs, never a cached failure."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from heartbeat_app.state.shared_snapshot import SnapshotCache


def test_tabs_within_max_age_share_one_read_and_one_object():
    now = [100.0]
    reads: list[int] = []

    def compute(page: int) -> dict:
        reads.append(page)
        return {"page": page, "board": object()}

    cache = SnapshotCache(compute, clock=lambda: now[0])
    with ThreadPoolExecutor(8) as pool:
        snaps = list(pool.map(lambda _: cache.get(0, 15), range(50)))
    assert reads == [0] and all(s is snaps[0] for s in snaps)
    assert cache.get(1, 15) is not snaps[0] and reads == [0, 1]
    now[0] += 15
    assert cache.get(0, 15) is not snaps[0] and reads == [0, 1, 0]


def test_a_failed_read_is_not_cached():
    calls = [0]

    def compute(page: int) -> dict:
        calls[0] += 1
        if calls[0] == 1:
            raise ConnectionError("database down")
        return {"ok": True}

    cache = SnapshotCache(compute)
    with pytest.raises(ConnectionError):
        cache.get(0, 15)
    assert cache.get(0, 15) == {"ok": True}


def test_tabs_opened_at_different_moments_tick_at_the_same_wall_clock_instants():
    from heartbeat_app.state.cockpit import next_tick_in

    # Two tabs (or two workers) whose loops woke 7 s apart: both next wake at 120 s, then every 30 s.
    for woke in (95.0, 102.0, 119.9):
        assert woke + next_tick_in(30.0, woke) == pytest.approx(120.0)
    assert next_tick_in(30.0, 120.0) == pytest.approx(30.0)  # on the grid: a whole interval, never 0


def test_a_read_equal_to_the_previous_one_hands_out_the_previous_tiles():
    """Tabs keep the tiles they were given: an unchanged wall read again must not become one copy per tab."""
    from zoneinfo import ZoneInfo

    from heartbeat_app.display import tiles
    from heartbeat_app.state.cockpit import _reuse
    from tests.app.cards import NOW, card, red

    values = {"a": 97.0, "b": 50.0, "c": 96.0}

    def compute(_page: int) -> dict:
        cards = [(red if value < 90 else card)(id=metric_id, name=metric_id.upper(), value=value)
                 for metric_id, value in values.items()]
        return {"board": tiles.board(cards, ZoneInfo("UTC"), NOW), "job": {}}

    cache = SnapshotCache(compute, reuse=_reuse)
    first = cache.get(0, 0.0)
    again = cache.get(0, 0.0)  # a new tab's fresh read of the same wall
    assert again is not first
    for name in tiles.TILE_LISTS:
        assert getattr(again["board"], name) is getattr(first["board"], name)
    values["b"] = 60.0  # one red metric moves: its tile is new, the others stay the same objects
    moved = cache.get(0, 0.0)
    everything = {t["id"]: t for name in tiles.TILE_LISTS for t in getattr(moved["board"], name)}
    before = {t["id"]: t for name in tiles.TILE_LISTS for t in getattr(first["board"], name)}
    assert everything["b"] is not before["b"] and everything["b"] != before["b"]
    assert everything["a"] is before["a"] and everything["c"] is before["c"]
