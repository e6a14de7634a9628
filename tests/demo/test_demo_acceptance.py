"""Issue #7's acceptance on the demo: each planted incident alerted once, each stopped source one stale alert,
nothing else — on the real Slack path (the repository's alerts.yaml, Block Kit over HTTP to a local receiver).

The demo is built at its default scale and taken through ``session.first_refresh`` — what `heartbeat demo`
runs — then the queued notifications are sent the way the demo's CLI sends them (``alerts.dispatch_once``).
A second refresh must send nothing: no duplicate, no reminder before its interval, and no incident
metric that only its band makes red firing late, alone (the AML backlog did, when the demo learned its bands
after the first refresh).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import text

from engine import alerts, refresh
from engine.core.db import Database
from engine.core.settings import load_settings
from engine.demo import DEFAULT_SCALE, INCIDENTS, build_demo, serve_rates, session
from engine.ingest import IngestContext
from engine.metrics.compute import ComputeContext
from engine.refresh import RefreshContext, RefreshRequest
from tests.support.databases import scratch_database
from tests.support.factories import outbox_rows
from tests.support.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]

# What each planted incident (engine/demo/incidents.py) must send: one message per owner, naming these metrics.
INCIDENT_MESSAGES: dict[str, frozenset[str]] = {
    "collateral_arrears": frozenset({"collateral_covered_by_company", "clients_in_collateral_arrears_60d"}),
    "aml_backlog": frozenset({"aml_backlog_checks", "aml_throughput_ratio_7d"}),
    "approval_dip": frozenset({"payment_approval_rate_24h"}),
    "onboarding_rejections": frozenset({"onboarding_rejection_rate_7d"}),
}
# The stopped feeds: one stale alert per stopped source schema; their lag metrics (red) are held back by it.
STOPPED_SOURCES = {"card_management.cards": "card_feed_lag", "currency_rate_files.daily": "rates_file_feed_lag"}
INCIDENT_OF_STOPPED = "stale_feed"


@dataclass
class DemoAlerts:
    db: Database
    status: str
    queued: list[dict[str, Any]]  # outbox rows right after the first refresh, before anything was sent
    sent: list[dict[str, Any]]  # Slack bodies the receiver got after the first refresh
    second: list[dict[str, Any]]  # … and after a second refresh


@pytest.fixture(scope="module")
def demo_alerts(server: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoAlerts]:
    prefix = f"t{uuid.uuid4().hex[:8]}_acc_"
    files = Path(tmp_path_factory.mktemp("acceptance-demo"))
    slack = Receiver()
    with pytest.MonkeyPatch.context() as env:
        # The repository's routing file, its Slack channel pointed at the receiver, nothing else configured.
        env.setenv("HEARTBEAT_SLACK_WEBHOOK_URL", f"{slack.url}/services/demo")
        for name in ("HEARTBEAT_TELEGRAM_BOT_TOKEN", "HEARTBEAT_TELEGRAM_CHAT_ID", "HEARTBEAT_ALERT_WEBHOOK_URL"):
            env.delenv(name, raising=False)
        report = None
        try:
            report = build_demo(server, files_dir=files, scale=DEFAULT_SCALE, prefix=prefix)
            settings = load_settings({"HEARTBEAT_DATA_DIR": str(files), "HEARTBEAT_PORT": "3000"})
            with (scratch_database(server, prefix, name=prefix + "app") as app,
                  scratch_database(server, prefix, migrate=False, name=prefix + "marts") as marts,
                  serve_rates(report.files_dir) as api):
                ctx = RefreshContext(
                    app,
                    IngestContext(db=app, marts_database=marts.app_database, pipelines_dir=files / "dlt",
                                  source_database_prefix=prefix,
                                  locations={"currency_rate": api.url,
                                             "currency_rate_files": str(report.files_dir / "currency_rates")}),
                    ComputeContext(app, marts.app_database, statement_timeout=60.0, workers=4),
                    ROOT / "metrics",
                    after_compute=(alerts.evaluator(settings, app),),
                )
                _, state, _ = session.first_refresh(ctx)
                queued = outbox_rows(app)
                alerts.dispatch_once(settings, app)
                sent = slack.bodies
                refresh.run(ctx, RefreshRequest("all", "cron"))
                alerts.dispatch_once(settings, app)
                second = slack.bodies[len(sent):]
                yield DemoAlerts(app, state.status if state else "coalesced", queued, sent, second)
        finally:
            slack.close()
            for name in (report.databases.values() if report else ()):
                server.drop_database(name)


def _slack_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["channel"] == "slack"]


def _subject(payload: dict[str, Any]) -> tuple[str, Any]:
    """What a message is about: ("stale", source.schema) or ("value", the metrics it names)."""
    if payload["kind"] == "stale":
        return "stale", f"{payload['source']}.{payload['schema']}"
    members = payload.get("members") or [payload]
    assert all(m["kind"] == "value" for m in members), payload["title"]
    return "value", frozenset(m["metric_id"] for m in members)


def test_the_expectations_cover_every_planted_incident():
    assert set(INCIDENT_MESSAGES) | {INCIDENT_OF_STOPPED} == {i.id for i in INCIDENTS}


def test_the_first_refresh_queues_one_slack_message_per_incident_and_one_stale_per_stopped_source(demo_alerts):
    assert demo_alerts.status == "succeeded"
    rows = _slack_rows(demo_alerts.queued)
    assert {r["status"] for r in rows} == {"pending"}  # written within the refresh, sent by the dispatcher
    subjects = sorted((_subject(r["payload"]) for r in rows), key=str)
    expected = [("stale", s) for s in STOPPED_SOURCES] + [("value", m) for m in INCIDENT_MESSAGES.values()]
    assert subjects == sorted(expected, key=str)  # each exactly once, and nothing else
    assert all(r["transition"] == "firing" for r in rows)
    # Other channels of a route (Telegram for AML) are recorded as skipped, never sent.
    assert {r["status"] for r in demo_alerts.queued if r["channel"] != "slack"} <= {"skipped"}


def test_the_receiver_got_exactly_those_messages_once_each(demo_alerts):
    rows = _slack_rows(outbox_rows(demo_alerts.db))
    assert {r["status"] for r in rows} == {"sent"}
    assert sorted(b["text"] for b in demo_alerts.sent) == sorted(r["payload"]["title"] for r in rows)
    assert len(demo_alerts.sent) == len(INCIDENT_MESSAGES) + len(STOPPED_SOURCES)
    collateral = [b for b in demo_alerts.sent if "collateral_covered_by_company" in str(b)]
    assert len(collateral) == 1 and "clients_in_collateral_arrears_60d" in str(collateral[0])


def test_the_collateral_message_says_how_long_the_history_shows_it_red(demo_alerts):
    """Not "Bad since" the minute the demo started: the count has been red since its first client passed
    60 days unpaid, weeks ago, and the message says so per metric (issue #15)."""
    [collateral] = [b for b in demo_alerts.sent if "collateral_covered_by_company" in str(b)]
    said = collateral["blocks"][1]["text"]["text"]
    assert "Bad since" not in said
    found = re.search(r"Clients in collateral arrears over 60 days .*; red since (\d{4}-\d{2}-\d{2}) \((\d+) days", said)
    assert found, said
    assert int(found.group(2)) >= 30 and date.fromisoformat(found.group(1)) <= date.today() - timedelta(days=29)


def test_stale_sources_hold_back_their_lag_alerts(demo_alerts):
    with demo_alerts.db.engine().connect() as conn:
        states = {r.key: r for r in conn.execute(text("SELECT key, state, suppressed_by FROM heartbeat.alert_state"))}
    for source, lag_metric in STOPPED_SOURCES.items():
        assert states[f"stale:{source}"].state == "firing"
        assert states[f"value:{lag_metric}"].state == "ok"
        assert states[f"value:{lag_metric}"].suppressed_by == f"stale:{source}"


def test_a_second_refresh_sends_nothing(demo_alerts):
    assert demo_alerts.second == []
    assert len(_slack_rows(outbox_rows(demo_alerts.db))) == len(demo_alerts.sent)
