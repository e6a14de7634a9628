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
