"""Delivery through the outbox: retries with backoff, timeouts, dead letters, resume after a crash, secrets."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from engine import refresh
from engine.alerts import evaluate, messages, outbox
from engine.refresh import RefreshRequest
from tests.support.alerting import drain, make_config
from tests.support.factories import enqueue_alert, outbox_rows

ROOT = Path(__file__).resolve().parents[2]
APPROVAL = "SELECT 100.0 * count(*) FILTER (WHERE state = 'approved') / count(*) FROM webbank_core.payment"


def test_the_refresh_that_detects_a_red_metric_yields_exactly_one_slack_message(refresh_env, receivers):
    slack = receivers()
    config = make_config(slack=slack)
    refresh_env.folder.write("approval_rate", APPROVAL, norm="97", alert="95")  # 90 % approved: red

    def hook(job_id, results):
        evaluate(refresh_env.ctx.db.engine(), config, link_base="http://hb", computed=[r.metric_id for r in results])

    ctx = replace(refresh_env.ctx, after_compute=(hook,))
    _, state = refresh.run(ctx, RefreshRequest(["approval_rate"], "cli"))
    assert state.status == "succeeded", state.error
    assert [r["status"] for r in outbox_rows(ctx.db)] == ["pending"]  # written within the refresh
    drain(ctx.db, config, lambda: len(slack.bodies) >= 1)
    _, state = refresh.run(ctx, RefreshRequest(["approval_rate"], "cli"))  # still red: no second message
    drain(ctx.db, config, lambda: True)
    assert len(slack.bodies) == 1
    body = slack.bodies[0]
    assert body["text"] == "🔴 Payment approval rate crossed its red line"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    assert "Value 90.0% (24h) — red line 95.0%" in body["blocks"][1]["text"]["text"]
    assert "<http://hb/metrics/approval_rate|Open in Heartbeat>" in str(body["blocks"][2])


def test_500_three_times_then_200_is_delivered_exactly_once(alert_db, receivers):
    hook = receivers([500, 500, 500, 200])
    config = make_config(webhook=hook)
    enqueue_alert(alert_db, config)
    drain(alert_db, config, lambda: outbox_rows(alert_db)[0]["status"] == "sent")
    row = outbox_rows(alert_db)[0]
    assert row["attempts"] == 4 and row["sent_at"] is not None and row["last_error"] is None
    assert len(hook.requests) == 4
    # One event, one idempotency key on every attempt: a deduplicating receiver shows it once.
    assert {r["headers"]["Idempotency-Key"] for r in hook.requests} == {"value:m:1:firing"}
    assert hook.bodies[-1]["idempotency_key"] == "value:m:1:firing"


def test_a_receiver_that_times_out_is_retried_and_later_delivered(alert_db, receivers):
    slack = receivers([("sleep", 1.5)])
    config = make_config(slack=slack, delivery={"timeout": "300ms"})
    enqueue_alert(alert_db, config)
    drain(alert_db, config, lambda: outbox_rows(alert_db)[0]["status"] == "sent")
    row = outbox_rows(alert_db)[0]
    assert row["attempts"] == 2


def test_after_k_failures_a_notification_is_a_dead_letter(alert_db, receivers):
    from engine.alerts import silences

    telegram = receivers([500] * 10)
    config = make_config(telegram=telegram, delivery={"max_attempts": 3})
    enqueue_alert(alert_db, config)
    drain(alert_db, config, lambda: outbox_rows(alert_db)[0]["status"] == "dead")
    assert len(telegram.requests) == 3
    assert telegram.requests[0]["path"] == "/bot123456:telegram-secret-token/sendMessage"
    assert telegram.bodies[0]["chat_id"] == "-1001" and telegram.bodies[0]["parse_mode"] == "HTML"
    view = silences.overview(alert_db.engine(), config)
    assert [d["id"] for d in view["dead_letters"]] == [outbox_rows(alert_db)[0]["id"]]
    assert view["deliveries"]["telegram"][0]["status"] == "dead"
    assert "HTTP 500" in view["dead_letters"][0]["last_error"]


def test_a_slow_channel_does_not_hold_up_the_others(alert_db, receivers):
    slow, fast = receivers([("sleep", 1.5)]), receivers()
    config = make_config(slack=slow, webhook=fast, delivery={"timeout": "5s"})
    enqueue_alert(alert_db, config)
    started, seen = time.monotonic(), []

    def fast_got_it() -> bool:
        if fast.requests and not seen:
            seen.append(time.monotonic() - started)
        return bool(seen)

    drain(alert_db, config, fast_got_it)
    assert seen[0] < 1.2  # the fast receiver did not wait for the slow one


def test_a_hung_channel_holds_up_only_its_own_notifications(alert_db, receivers):
    # Slack hangs until the delivery timeout on every message; 60 webhook messages queued behind
    # the same refresh must still arrive at once, not one batch per Slack timeout.
    hung, fast = receivers([("sleep", 3.0)] * 200), receivers()
    config = make_config(slack=hung, webhook=fast, delivery={"timeout": "2s"})
    for n in range(60):
        enqueue_alert(alert_db, config, key=f"value:m{n}:1:firing", title=f"m{n} crossed its red line")
    started, done = time.monotonic(), []

    def all_fast_arrived() -> bool:
        if len(fast.requests) >= 60 and not done:
            done.append(time.monotonic() - started)
        return bool(done)

    drain(alert_db, config, all_fast_arrived, timeout=20.0)
    assert done[0] < 4.0


def test_unconfigured_channels_are_recorded_as_skipped_not_sent(alert_db):
    from engine.alerts import config as alert_config

    config = alert_config.parse({"channels": {"slack": {"type": "slack", "url_env": "NOT_SET_ANYWHERE"}},
                                 "routes": [{"default": True, "channels": ["slack"]}]}, {})
    enqueue_alert(alert_db, config)
    row = outbox_rows(alert_db)[0]
    assert row["status"] == "skipped" and row["last_error"] == "not configured: set NOT_SET_ANYWHERE"
    assert outbox.deliver_due(alert_db.engine(), config) == []


def test_a_process_killed_between_outbox_write_and_send_loses_nothing(alert_db, receivers):
    slack = receivers()
    url = alert_db.url().render_as_string(hide_password=False)
    code = (
        "import os, signal\n"
        "from sqlalchemy.engine import make_url\nfrom engine.core.db import Database\n"
        "from engine.alerts import outbox\n"
        "from tests.support.alerting import make_config\n"
        f"db = Database(make_url({url!r}))\n"
        f"config = make_config(slack_url={slack.url + '/hook'!r})\n"
        "with db.engine().begin() as conn:\n"
        "    outbox.enqueue(conn, config, key='value:m:1:firing', alert_key='value:m', transition='firing',\n"
        "                   channels=['slack'], payload={'title': 't', 'lines': [], 'link': 'l'})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ}, capture_output=True)
    assert proc.returncode == -9, proc.stderr
    assert slack.requests == [] and outbox_rows(alert_db)[0]["status"] == "pending"
    config = make_config(slack=slack)
    drain(alert_db, config, lambda: outbox_rows(alert_db)[0]["status"] == "sent")  # a fresh dispatcher resumes it
    assert len(slack.requests) == 1


def test_channel_secrets_stay_out_of_errors_logs_and_the_overview(alert_db, receivers, caplog):
    from engine.alerts import silences

    secret_url = "http://127.0.0.1:9/services/T0/B0/very-secret-hook-path"  # port 9: connection refused
    config = make_config(slack_url=secret_url, delivery={"max_attempts": 1})
    enqueue_alert(alert_db, config)
    with caplog.at_level(logging.DEBUG):
        outcomes = outbox.deliver_due(alert_db.engine(), config)
    assert outcomes[0].status == "dead"
    assert "very-secret-hook-path" not in caplog.text
    assert "very-secret-hook-path" not in str(outbox_rows(alert_db))
    view = silences.overview(alert_db.engine(), config)
    assert "very-secret-hook-path" not in str(view)
    assert config.channels["slack"].describe()["env"] == {"url": "T_SLACK_URL"}
    # A receiver that echoes the URL back in its error is masked too.
    assert config.mask(f"HTTP 404 no hook at {secret_url}") == "HTTP 404 no hook at ***"


def test_message_shapes_hold_no_secret():
    payload = messages.test_message("slack", "http://hb")
    assert messages.slack_body(payload)["blocks"][0]["text"]["text"].startswith("ℹ️ Heartbeat test message")
    assert "<b>" in messages.telegram_body(payload, "42")["text"]


def test_the_wired_hook_evaluates_only_the_database_its_refresh_runs_on(refresh_env, alert_db, tmp_path,
                                                                             receivers):
    from engine import alerts
    from engine.core.settings import load_settings

    ctx = refresh_env.ctx
    refresh_env.folder.write("approval_rate", APPROVAL, norm="97", alert="95")
    routing = tmp_path / "alerts.yaml"
    routing.write_text("channels:\n  hook: {type: webhook, url_env: HB_UNSET_HOOK}\n"
                       "routes:\n  - {default: true, channels: [hook]}\n")
    settings = load_settings({"HEARTBEAT_ALERTS_FILE": str(routing)})
    other = replace(ctx, db=alert_db, after_compute=(alerts.evaluator(settings, alert_db),))  # another database
    assert other.after_compute  # wired, but never run: no refresh runs on it
    refresh.run(replace(ctx, after_compute=(alerts.evaluator(settings, ctx.db),)), RefreshRequest(["approval_rate"], "cli"))
    assert [(r["alert_key"], r["status"]) for r in outbox_rows(ctx.db)] == [("value:approval_rate", "skipped")]
    assert outbox_rows(alert_db) == []
