"""The starred list kept in the browser: only metric ids, each once, toggled on and off."""

from __future__ import annotations

from heartbeat_app.state.cockpit import screen_query
from heartbeat_app.state.stars import starred_ids, toggled


def test_stars_toggle_and_junk_from_the_browser_is_dropped():
    assert starred_ids("a_b, <script>,a_b,, c_d ") == ("a_b", "c_d")
    assert toggled("a_b,c_d", "a_b") == "c_d"
    assert toggled("c_d", "x_y") == "c_d,x_y"
    assert toggled("c_d", "Not an id!") == "c_d"


def test_a_screen_address_names_its_watchlist_and_kiosk_mode():
    assert screen_query("http://tv:3000/?watchlist=AML-team&kiosk=1") == (True, "aml-team")
    assert screen_query("http://tv:3000/") == (False, "")
