"""The demo wall on every day of the week: only the planted incidents red, nothing amber.

The demo is built seven times, its clock moved back one day each time (the build's ``now`` and the
``now()`` its metric SQL sees, engine.metrics.compute's clock too), and taken through what `heartbeat demo`
does: backfill, bands (with the hour-of-week windows of the 24h metrics), compute. Weekday artifacts — a
quiet Sunday judged against a band of weekdays and weekends alike — were the ambers of issue #15.
Then the AML backlog keeps growing for two more weeks: its band must not learn it, so the red stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from engine import contract
from engine.core.db import Database
from engine.demo.plan import normalise_now
from engine.metrics import backfill, bands
from engine.metrics.compute import ComputeContext, compute_many
from tests.support.demo import INCIDENT_METRICS, landed_demo, move_clock

EXPECTED_RED = set().union(*INCIDENT_METRICS.values())
WALL_CLOCK = normalise_now(datetime.now(timezone.utc))


@pytest.mark.parametrize("days_back", range(7), ids=lambda d: (WALL_CLOCK - timedelta(days=d)).strftime("%a"))
def test_the_wall_shows_only_the_planted_incidents(server: Database, tmp_path_factory, days_back: int) -> None:
    now = WALL_CLOCK - timedelta(days=days_back)
    with landed_demo(server, tmp_path_factory, f"wd{days_back}", now=now) as demo:
        ctx = ComputeContext(demo.app, demo.marts, statement_timeout=60.0, workers=2, clock=lambda: now)
        ctx.connect().close()  # the compute role exists before its clock is moved
        move_clock(server, demo.marts, now)
        filled = backfill.backfill(ctx, days=90)
        assert not [r for r in filled if r.error], filled
        learned = {b.metric_id: b for b in bands.refresh(demo.app.engine(), ctx.today(), marts=ctx)}
        assert not [m for m, b in learned.items() if b.learning], learned
        results = compute_many(ctx)
        by_status: dict[str, set[str]] = {}
        for result in results:
            by_status.setdefault(result.status, set()).add(result.metric_id)
        values = {r.metric_id: r.value for r in results}
        assert by_status.get("amber", set()) == set(), {m: (values[m], learned.get(m)) for m in by_status["amber"]}
        assert by_status.get("red", set()) == EXPECTED_RED, {m: values[m] for m in by_status.get("red", set())}
        if days_back == 0:
            _the_backlog_stays_red_while_it_grows(demo.app, ctx, values["aml_backlog_checks"])


def _the_backlog_stays_red_while_it_grows(app: Database, ctx: ComputeContext, today_value: float) -> None:
    """Two more weeks of a backlog growing at its recent pace: each day's band is learned from the days before
    (the incident days among them) and each day is still red."""
    engine = app.engine()
    with engine.connect() as conn:
        week_ago = conn.execute(text("SELECT value FROM heartbeat.metric_history WHERE metric_id = 'aml_backlog_checks' "
                                     "AND day = :d"), {"d": ctx.today() - timedelta(days=7)}).scalar_one()
        direction = conn.execute(text("SELECT direction FROM heartbeat.metric_registry "
                                      "WHERE id = 'aml_backlog_checks'")).scalar_one()
    growth = (today_value - week_ago) / 7
    assert growth > 0
    for ahead in range(1, 15):
        day = ctx.today() + timedelta(days=ahead)
        value = today_value + growth * ahead
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO heartbeat.metric_history (metric_id, day, value, status) "
                              "VALUES ('aml_backlog_checks', :d - 1, :v - :g, 'red') ON CONFLICT DO NOTHING"),
                         {"d": day, "v": value, "g": growth})
        [band] = bands.refresh(engine, day, ids=["aml_backlog_checks"])
        status = contract.status(value, direction=direction, mean=band.mean, stddev=band.stddev)
        assert status is contract.Status.RED, (ahead, value, band)
