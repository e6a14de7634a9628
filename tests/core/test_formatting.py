"""Numbers as a person reads them on the wall."""

from __future__ import annotations

import pytest

from engine.core import formatting


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (999, "999"),
        (9_999, "9,999"),
        (12_345, "12.3k"),
        (271_100, "271k"),
        (999_400, "999k"),
        (999_999, "1M"),
        (1_234_567, "1.23M"),
        (-45_678, "-45.7k"),
        (2.5e9, "2.5B"),
    ],
)
def test_counts_are_abbreviated_in_thousands_millions_billions(number, text):
    assert formatting.value(number, "count") == text


def test_money_puts_the_sign_before_the_number():
    assert formatting.value(271_100, "money", "EUR") == "€271k"
    assert formatting.value(-45_678, "money", "EUR") == "-€45.7k"
    assert formatting.value(1_500, "money", "CHF") == "1,500 CHF"
