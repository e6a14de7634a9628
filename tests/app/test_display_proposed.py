"""The proposal's 90-day figure on /metrics/proposed: its axis and hover speak the metric's unit."""

from __future__ import annotations

from datetime import date, timedelta

from heartbeat_app.display import proposed

START = date(2026, 9, 1)


def _freshness_proposal(lags: list[float], mean: float = 6 * 3600.0, stddev: float = 1800.0) -> dict:
    return {"id": "cards_feed_lag", "unit": "seconds", "norm": 36 * 3600.0, "alert": 48 * 3600.0,
            "points": [{"day": (START + timedelta(days=i)).isoformat(), "value": v,
                        "status": "red" if v >= 48 * 3600 else "green", "mean": mean, "stddev": stddev}
                       for i, v in enumerate(lags)]}


def test_a_freshness_proposal_reads_in_hours_and_days_not_seconds():
    lags = [4 * 3600.0 + 600 * (i % 7) for i in range(85)] + [30 * 3600.0, 50 * 3600.0, 74 * 3600.0]
    fig = proposed.figure(_freshness_proposal(lags), [])
    axis = fig["layout"]["yaxis"]
    # Clock steps chosen by the size of the numbers: every tick a whole number of hours, written as such.
    assert axis["tickvals"] and all(v % 3600 == 0 for v in axis["tickvals"])
    assert axis["ticktext"] == ["0s", "24h", "2d", "3d"]  # as every duration of the app: hours up to 48, then days
    assert not any(t.replace(".", "").isdigit() for t in axis["ticktext"])  # no bare seconds
    assert axis["range"][0] >= 0 and axis["range"][1] >= 74 * 3600.0  # the worst lag is on the chart
    value = next(t for t in fig["data"] if t.get("name") == "value")
    assert value["customdata"][-1] == "3d 2h" and value["customdata"][0] == "4h"
    red = next(t for t in fig["data"] if t.get("name") == "red")
    assert red["customdata"] == ["2d 2h", "3d 2h"]


def test_a_short_lag_reads_in_minutes():
    lags = [60.0 * (5 + i % 20) for i in range(90)]
    fig = proposed.figure(_freshness_proposal(lags, mean=900.0, stddev=120.0) | {"norm": None, "alert": None}, [])
    ticks = fig["layout"]["yaxis"]["ticktext"]
    assert ticks and all(t.endswith("m") or t == "0s" for t in ticks), ticks
