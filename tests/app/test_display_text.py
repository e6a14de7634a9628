"""The shared texts: the crossed line in its two lengths, moments, units."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from engine.contract import Crossing, Status
from heartbeat_app.display.text import SHORT, crossed_text, unit_text, when
from tests.app.cards import NOW, card, red

BERLIN = ZoneInfo("Europe/Berlin")


def test_the_wall_says_how_far_below_which_line():
    assert crossed_text(red(50.0), short=True) == "40.0% below alert 90.0%"


def test_the_metric_page_names_the_line_by_its_colour():
    assert crossed_text(red(50.0)) == "crossed the red line (alert 90.0%) by 40.0%"


def test_an_amber_metric_names_the_amber_line():
    amber = card(value=93.0, status=Status.AMBER, crossing=Crossing("norm", 95.0, 2.0, 2 / 95))
    assert crossed_text(amber, short=True) == "2.0% below norm 95.0%"
    assert crossed_text(amber) == "crossed the amber line (norm 95.0%) by 2.0%"


def test_a_value_on_the_line_is_on_it_not_past_it():
    on = card(value=90.0, status=Status.RED, crossing=Crossing("alert", 90.0, 0.0, 0.0))
    assert crossed_text(on, short=True) == "on the alert line 90.0%"
    assert crossed_text(on) == "on the red line (alert 90.0%)"


def test_a_band_crossing_says_typical_range_and_the_page_adds_the_edge():
    band = card(value=120.0, status=Status.AMBER, crossing=Crossing("band", 110.0, 10.0, 0.5))
    assert crossed_text(band, short=True) == "10.0% above the typical range"
    assert crossed_text(band) == "10.0% above the typical range (edge 110.0%)"


def test_nothing_crossed_says_nothing():
    assert crossed_text(card()) == "" and crossed_text(card(), short=True) == ""


def test_moments_in_the_screens_zone_and_a_dash_for_none():
    assert when(NOW, BERLIN) == "2026-03-10 13:00 CET"
    assert when(NOW, BERLIN, SHORT) == "10 Mar 13:00"
    assert when(None, BERLIN) == "—"


def test_money_always_says_its_currency():
    assert unit_text("percent", None) == "percent"
    assert unit_text("money", "EUR") == "money (EUR)"
    assert unit_text("money", None) == "money (no currency)"
