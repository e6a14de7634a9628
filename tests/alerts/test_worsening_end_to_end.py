"""The user story of a worsening incident, end to end: real source database, real ingest and compute, the
repository's collateral metrics, a real dispatcher and a local receiver standing in for Slack.

A company stops paying its card collateral → the collateral alert fires, saying how long the history shows
it red. While it fires, a second company stops paying → at once (not at the next reminder) a new message
"worse: 2 clients (was 1 when it fired at …)". Later refreshes without news send nothing, and a company
paying again (an improvement) sends nothing until the incident resolves.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
from sqlalchemy import text

from engine import refresh
from engine.alerts import evaluate
from engine.core import formatting
from engine.metrics.backfill import backfill
from engine.refresh import RefreshRequest
from tests.support.alerting import drain, make_config
from tests.support.factories import outbox_rows

ROOT = Path(__file__).resolve().parents[2]
COLLATERAL = ("clients_in_collateral_arrears_60d", "collateral_covered_by_company")
OWNER = "credit-risk@satchel.example"


def _invoices(dsn: str, *rows: tuple[int, int, date, float]) -> None:
    """Unpaid collateral invoices (id, client, due date, amount covered by the company) in core."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS core.card_collateral_invoice (id int PRIMARY KEY, "
                     "client_profile_id int NOT NULL, due_date date NOT NULL, amount_due numeric NOT NULL, "
                     "covered_by_company boolean NOT NULL, covered_amount numeric NOT NULL, paid_at timestamptz, "
                     "update_time timestamptz NOT NULL)")
        for invoice_id, client, due, covered in rows:
            conn.execute("INSERT INTO core.card_collateral_invoice VALUES (%s, %s, %s, %s, true, %s, NULL, now())",
                         (invoice_id, client, due, covered, covered))


def _pay(dsn: str, invoice_id: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE core.card_collateral_invoice SET paid_at = now(), update_time = now() WHERE id = %s",
                     (invoice_id,))


def test_a_second_company_stopping_payment_is_told_at_once_as_worse(refresh_env, receivers):
    slack = receivers()
    # The repository's routing for these metrics: one message per owner, reminders after an hour.
    config = make_config(slack=slack, routes=[{"default": True, "channels": ["slack"], "group_by": "owner"}])
    for metric_id in COLLATERAL:
        refresh_env.folder.write_raw(f"{metric_id}.sql", (ROOT / "metrics" / f"{metric_id}.sql").read_text())
    today = datetime.now(timezone.utc).date()
    dsn = refresh_env.source.dsn()
    _invoices(dsn, (1, 101, today - timedelta(days=120), 100_000))  # company 101 stopped paying 4 months ago
    request = RefreshRequest(list(COLLATERAL), "cli")

    # Land and compute once, then backfill the history from the metrics' history_sql (as `heartbeat demo` does).
    _, state = refresh.run(refresh_env.ctx, request)
    assert state.status == "succeeded", state.error
    assert all(r.error is None for r in backfill(refresh_env.ctx.compute))

    def hook(job_id, results):
        evaluate(refresh_env.ctx.db.engine(), config, link_base="http://hb", computed=[r.metric_id for r in results])

    ctx = replace(refresh_env.ctx, after_compute=(hook,))
    _, state = refresh.run(ctx, request)
    assert state.status == "succeeded", state.error
    drain(ctx.db, config, lambda: len(slack.bodies) == 1)
    first = slack.bodies[0]
    fired_text = str(first)
    assert first["text"] == f"🔴 2 alerts firing for {OWNER}"
    # "Since when" comes from the history, not from the moment the alert fired (a minute ago):
    # the count is red from the 60th day past the due date; the amount as far back as its history goes.
    red_since = today - timedelta(days=60)
    assert f"red since {red_since.isoformat()} (61 days)" in fired_text
    assert "as far back as its history goes" in fired_text
    assert "Bad since" not in fired_text

    # While it fires, a second company stops paying: 1 → 2 clients, €100k → €137.5k covered.
    _invoices(dsn, (2, 102, today - timedelta(days=75), 37_500))
    _, state = refresh.run(ctx, request)
    assert state.status == "succeeded", state.error
    rows = outbox_rows(ctx.db)
    assert [r["transition"] for r in rows] == ["firing", "worse"]  # written by this refresh, not a reminder
    drain(ctx.db, config, lambda: len(slack.bodies) == 2)
    worse = slack.bodies[1]
    assert worse["text"] == f"🔴 2 alerts worse for {OWNER}"
    told = worse["blocks"][1]["text"]["text"]
    with ctx.db.engine().connect() as conn:
        fired_at = conn.execute(text("SELECT fired_at FROM heartbeat.alert_state "
                                     "WHERE key = 'value:clients_in_collateral_arrears_60d'")).scalar_one()
    assert f"is worse: 2 clients (was 1 when it fired at {formatting.when(fired_at)})" in told
    assert "is worse: €138k (was €100k when it fired at" in told
    assert f"red since {red_since.isoformat()} (61 days)" in told

    # No news: nothing more. An improvement (the second company pays) is not news either.
    refresh.run(ctx, request)
    _pay(dsn, 2)
    _, state = refresh.run(ctx, request)
    assert state.status == "succeeded", state.error
    drain(ctx.db, config, lambda: True)
    assert len(slack.bodies) == 2
    assert [r["transition"] for r in outbox_rows(ctx.db)] == ["firing", "worse"]
