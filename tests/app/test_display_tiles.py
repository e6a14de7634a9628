"""The cockpit's tiles and texts around them, as the wall shows them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.contract import Crossing, Freshness, Status
from heartbeat_app.display import cockpit, tiles
from tests.app.cards import NOW, card, red

UTC = ZoneInfo("UTC")
PAGE = Path(__file__).resolve().parents[2] / "heartbeat_app" / "pages" / "cockpit.py"


def test_a_red_tile_reads_value_line_freshness_and_owner():
    t = tiles.tile(red(50.0, name="Approval"), UTC, NOW)
    assert (t["name"], t["value"], t["status"], t["crossed"]) == ("Approval", "50.0%", "red", "40.0% below alert 90.0%")
    assert t["freshness_text"] == "as of 10:00"
    # The name before the @: a TV tile's footer cut "ops@exa…" at its edge; the address is on the metric page.
    assert t["owner"] == "ops" and t["unverified"] == ""
    assert t["spark"].startswith("M0.0 ") and t["alert_line"].startswith("M0 ")


def test_stale_unowned_unverified_says_so():
    t = tiles.tile(card(freshness=Freshness.STALE, owner=None, verification_state="unverified",
                        source_as_of=NOW - timedelta(days=2)), UTC, NOW)
    assert t["freshness_text"] == "stale · as of 08 Mar 12:00"
    assert (t["owner"], t["unverified"]) == ("no owner", "unverified")


def test_every_key_the_page_reads_is_a_tile_key():
    read = set(re.findall(r'item\["(\w+)"\]', PAGE.read_text()))
    assert read and read <= set(tiles.Tile.__annotations__)
    assert set(tiles.tile(card(), UTC, NOW)) == set(tiles.Tile.__annotations__)


def test_the_board_orders_red_then_amber_error_no_data_and_names_within():
    cards = [
        card(id="g", name="Green"), red(name="Zed red"), red(id="r2", name="Alpha red"),
        card(id="n", name="Nodata", value=None, status=Status.NO_DATA),
        card(id="e", name="Error", value=None, status=Status.ERROR, error="SQL error"),
        card(id="a", name="Amber", value=93.0, status=Status.AMBER, crossing=Crossing("norm", 95.0, 2.0, 0.02)),
    ]
    board = tiles.board(cards, UTC, NOW)
    assert [t["name"] for t in board.red] == ["Alpha red", "Zed red"]
    assert [t["name"] for t in board.attention] == ["Amber", "Error", "Nodata"]
    assert [t["name"] for t in board.green] == ["Green"] and not board.green_strip


def test_alert_marks_read_as_words_with_an_icon_kind_and_no_emoji():
    assert tiles.alert_mark({"firing": {}}, UTC, NOW) == ("firing", "alert sent")
    assert tiles.alert_mark({"acknowledged": {"by": "ana"}}, UTC, NOW) == ("acknowledged", "acknowledged by ana")
    assert tiles.alert_mark(None, UTC, NOW) == ("", "")
    t = tiles.tile(red(), UTC, NOW, {"silenced": {"until": NOW}})
    assert (t["mark_kind"], t["mark"]) == ("silenced", "silenced until 12:00")


# Pictographs a TV's browser without emoji fonts draws as empty boxes (the icon set draws them instead).
EMOJI = re.compile("[\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f]")
ARROWS = set("←→↑↓")  # plain arrows are in every text font


def test_the_ui_shows_no_emoji():
    ui = Path(__file__).resolve().parents[2] / "heartbeat_app"
    found = [f"{path.relative_to(ui)}:{n}: {line.strip()}"
             for path in ui.rglob("*.py") for n, line in enumerate(path.read_text().splitlines(), 1)
             if not line.strip().startswith("#") and not line.strip().startswith('"""')
             and any(ch not in ARROWS for ch in EMOJI.findall(line))]
    assert found == []


def test_frozen_banner_only_after_the_limit():
    assert cockpit.frozen_text(NOW - timedelta(minutes=30), NOW, UTC, 3600) == ""
    assert cockpit.frozen_text(NOW - timedelta(hours=3), NOW, UTC, 3600) == (
        "Frozen since 09:00: no refresh has succeeded for 3h")
    assert cockpit.frozen_text(None, NOW, UTC, 3600) == ""


def test_night_dim_window_may_wrap_past_midnight():
    assert cockpit.night_dim(NOW, UTC, (22 * 60, 6 * 60)) is False  # 12:00
    assert cockpit.night_dim(NOW.replace(hour=23), UTC, (22 * 60, 6 * 60)) is True
    assert cockpit.night_dim(NOW.replace(hour=3), UTC, (22 * 60, 6 * 60)) is True
    assert cockpit.night_dim(NOW, UTC, (11 * 60, 13 * 60)) is True
    assert cockpit.night_dim(NOW, UTC, None) is False


def test_job_progress_as_the_header_shows_it():
    job = {"phase": "compute", "trigger": "cron", "step": 3, "total": 12, "current_item": "approval_rate"}
    assert cockpit.job_progress(job) == {"phase": "compute", "trigger": "cron", "progress": "3/12", "percent": "25",
                                         "item": "approval_rate"}
    assert cockpit.job_progress(None) == {}


def test_unreachable_banner_says_since_when():
    assert cockpit.unreachable_text(NOW, UTC) == "Database unreachable since 12:00 — showing the last values"
