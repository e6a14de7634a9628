"""The last good wall: kept in memory and in the data folder, and shown as it was read (display + state)."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from heartbeat_app.display import last_wall, tiles
from heartbeat_app.state import last_wall as kept
from tests.app.cards import NOW, card, red

TZ = ZoneInfo("Europe/Berlin")


def _boards():
    cards = [red(id="a", name="A"), card(id="b", name="B")]
    return [tiles.board(cards, TZ, NOW, 0)]


def test_a_kept_wall_shows_its_tiles_stamped_with_when_they_were_read():
    saved = json.loads(json.dumps(last_wall.record(_boards(), NOW - timedelta(minutes=30), NOW)))
    assert last_wall.valid(saved)
    later = NOW + timedelta(minutes=10)
    snap = last_wall.snapshot(saved, 0, later, TZ, frozen_after=7200, night=None, interval=30)
    assert [t["id"] for t in snap["board"].red] == ["a"] and [t["id"] for t in snap["board"].green] == ["b"]
    assert snap["updated_at"] == "13:00:00"  # when the values were read, not now
    assert snap["clock"] == "13:10"
    assert snap["last_refresh"] == "40m ago"
    assert snap["job"] == {}


def test_garbage_in_the_data_folder_is_no_wall(tmp_path, monkeypatch):
    monkeypatch.setattr(kept, "_memory", None)
    (tmp_path / kept.FILE_NAME).write_text('{"version": 99}')
    assert kept.recall(tmp_path) is None
    (tmp_path / kept.FILE_NAME).write_text("not json")
    assert kept.recall(tmp_path) is None


def test_a_new_process_recalls_the_wall_from_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(kept, "_memory", None)
    monkeypatch.setattr(kept, "_written", "")
    kept.keep(tmp_path, _boards, NOW, NOW, every=30)
    assert kept.recall(tmp_path)["boards"][0]["red"][0]["id"] == "a"
    monkeypatch.setattr(kept, "_memory", None)  # as a freshly started app would be
    recalled = kept.recall(tmp_path)
    assert recalled is not None and recalled["boards"][0]["green"][0]["id"] == "b"


def test_unreachable_since_is_one_moment_for_every_tab_until_a_good_read(tmp_path, monkeypatch):
    monkeypatch.setattr(kept, "_down_since", None)
    first = kept.down_since(NOW)
    assert kept.down_since(NOW + timedelta(minutes=5)) == first
    monkeypatch.setattr(kept, "_memory", None)
    kept.keep(tmp_path, _boards, NOW, NOW, every=30)
    assert kept.down_since(NOW + timedelta(minutes=6)) == NOW + timedelta(minutes=6)
