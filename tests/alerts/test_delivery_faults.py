"""Issue 16 §6: an alert receiver that fails (HTTP 500), then hangs past the timeout, then recovers — during
real refreshes with a running dispatcher. The refresh is never held up, and every alert reaches every
channel exactly once by idempotency key: retries carry the same key, nothing is lost, nothing is re-queued.
"""

from __future__ import annotations

import dataclasses
import time

from engine import alerts, refresh
from engine.alerts.outbox import Dispatcher
from engine.core.settings import load_settings
from engine.refresh import RefreshRequest
from tests.support.factories import outbox_rows

APPROVAL = "SELECT 100.0 * count(*) FILTER (WHERE state = 'approved') / count(*) FROM webbank_core.payment"
DECLINES = "SELECT 100.0 * count(*) FILTER (WHERE state = 'declined') / count(*) FROM webbank_core.payment"


def _key(request: dict) -> str:
    return next(v for k, v in request["headers"].items() if k.lower() == "idempotency-key")


def test_a_receiver_failing_then_hanging_then_recovering_gets_each_alert_once(refresh_env, receivers, tmp_path,
                                                                             monkeypatch):
    slack = receivers([500, ("sleep", 3.0)])  # then 200: the timeout is 2 s, so the second try times out
    webhook = receivers()
    routing = tmp_path / "alerts.yaml"
    routing.write_text("channels:\n  slack: {type: slack, url_env: HB_FAULT_SLACK_URL}\n"
                       "  hook: {type: webhook, url_env: HB_FAULT_HOOK_URL}\n"
                       "delivery: {backoff: 20ms, backoff_max: 100ms, timeout: 2s}\n"
                       "routes:\n  - {default: true, channels: [slack, hook]}\n")
    monkeypatch.setenv("HB_FAULT_SLACK_URL", f"{slack.url}/services/fault")
    monkeypatch.setenv("HB_FAULT_HOOK_URL", f"{webhook.url}/hook")
    settings = load_settings({"HEARTBEAT_ALERTS_FILE": str(routing), "HEARTBEAT_DATA_DIR": str(tmp_path / "data")})
    db = refresh_env.ctx.db
    ctx = dataclasses.replace(refresh_env.ctx, after_compute=(alerts.evaluator(settings, db),))
    refresh_env.folder.write("approval_rate", APPROVAL, norm="97", alert="95")  # 90 %: red
    refresh_env.folder.write("decline_rate", DECLINES, norm="5", alert="8", direction="lower_is_better")  # 10 %: red

    dispatcher = Dispatcher(db.engine(), alerts.loader(settings), poll_seconds=0.05).start()
    try:
        began = time.monotonic()
        _, state = refresh.run(ctx, RefreshRequest(["approval_rate", "decline_rate"], "cron"))
        took = time.monotonic() - began
        assert state.status == "succeeded", state.error
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                outbox_rows(db) and all(r["status"] == "sent" for r in outbox_rows(db))):
            time.sleep(0.1)
        # A second refresh while still red: no transition, so nothing new is queued or sent.
        _, again = refresh.run(ctx, RefreshRequest(["approval_rate", "decline_rate"], "cron"))
        assert again.status == "succeeded", again.error
        time.sleep(1.0)
    finally:
        dispatcher.stop()

    assert took < 10, f"the refresh waited for the receivers ({took:.1f} s)"
    rows = outbox_rows(db)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"sent"}, rows
    keys = {r["idempotency_key"] for r in rows}
    assert len(keys) == 2  # one per alert, shared by its two channels
    # Slack answered 500, then hung, then 200: four tries for two alerts (which alert met which fault
    # depends on the batch), every retry under its alert's one key, every try counted in the outbox.
    slack_keys = [_key(r) for r in slack.requests]
    assert sorted(set(slack_keys)) == sorted(keys) and len(slack_keys) == 4, slack_keys
    assert sum(r["attempts"] for r in rows if r["channel"] == "slack") == 4
    # The webhook never failed: each alert exactly once.
    assert sorted(_key(r) for r in webhook.requests) == sorted(keys)
    assert {r["attempts"] for r in rows if r["channel"] == "hook"} == {1}
