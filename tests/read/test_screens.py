"""Screens: what a client sends is made harmless and short; a screen not seen for the expiry is deleted."""

from __future__ import annotations

from sqlalchemy import text

from engine.core.db import Database
from engine.core.text import tame_text
from engine.read import screens
from tests.support.databases import scratch_database


def test_client_text_loses_markup_controls_and_bidi_and_is_cut_short():
    assert tame_text("<script>alert(1)</script>", max_length=200) == "scriptalert(1)/script"
    assert tame_text("Mozilla\x00/5.0\u202e\n\t(TV)", max_length=200) == "Mozilla/5.0 (TV)"
    assert len(tame_text("x" * 10_000, max_length=200)) == 200
    assert tame_text("<>\x01", max_length=10) is None


def test_screens_keep_tamed_text_and_expire(server: Database):
    # A database of its own: the session's is shared with the running app, whose screens other tests read.
    with scratch_database(server, "hb_screens") as db:
        _keep_tamed_text_and_expire(db.engine())


def _keep_tamed_text_and_expire(engine) -> None:
    screens.beat(engine, "scr_fresh", path="/<img src=x>", kiosk=False, user_agent="<script>x</script>" * 50)
    screens.beat(engine, "scr_old", path="/", kiosk=True, user_agent="TV")
    with engine.begin() as conn:
        conn.execute(text("UPDATE heartbeat.screen SET last_seen = now() - interval '2 days' WHERE id = 'scr_old'"))
    listed = screens.listed(engine, 30, expire_after=86400)
    assert [s["id"] for s in listed] == ["scr_fresh"]
    assert "<" not in listed[0]["path"] and "<" not in listed[0]["user_agent"]
    assert len(listed[0]["user_agent"]) <= screens.MAX_USER_AGENT
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO heartbeat.screen (id, path, kiosk, last_seen) "
                          "VALUES ('scr_gone', '/', false, now() - interval '3 days')"))
    assert screens.prune(engine, 86400, force=True) >= 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM heartbeat.screen")).scalar() == 1
