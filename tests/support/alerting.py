"""Alert routing pointed at local receivers, and a dispatcher run until the outbox settles."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from engine.alerts import config as alert_config
from engine.alerts.outbox import Dispatcher
from engine.core.db import Database
from tests.support.receiver import Receiver


def make_config(*, slack: Receiver | None = None, telegram: Receiver | None = None,
                webhook: Receiver | None = None, routes: list[dict] | None = None, rules: dict | None = None,
                delivery: dict | None = None, slack_url: str | None = None) -> alert_config.AlertConfig:
    """A routing config whose channels point at local receivers (secrets passed as the environment)."""
    env: dict[str, str] = {}
    channels: dict[str, Any] = {}
    if slack is not None or slack_url:
        channels["slack"] = {"type": "slack", "url_env": "T_SLACK_URL"}
        env["T_SLACK_URL"] = slack_url or f"{slack.url}/services/T000/B000/slack-secret-path"
    if telegram is not None:
        channels["telegram"] = {"type": "telegram", "bot_token_env": "T_TG_TOKEN", "chat_id_env": "T_TG_CHAT",
                                "api_base": telegram.url}
        env |= {"T_TG_TOKEN": "123456:telegram-secret-token", "T_TG_CHAT": "-1001"}
    if webhook is not None:
        channels["webhook"] = {"type": "webhook", "url_env": "T_HOOK_URL"}
        env["T_HOOK_URL"] = f"{webhook.url}/hook"
    data = {
        "channels": channels,
        # Short backoffs and timeouts: a retry test waits milliseconds, not the production minutes.
        "rules": {"clear": 2, "error_after": 3, **(rules or {})},
        "delivery": {"backoff": "20ms", "backoff_max": "100ms", "timeout": "2s", **(delivery or {})},
        "routes": routes or [{"default": True, "channels": list(channels)}],
    }
    return alert_config.parse(data, env)


def drain(db: Database, config: alert_config.AlertConfig, until: Callable[[], bool], timeout: float = 15.0) -> None:
    """Run a real dispatcher over ``db``'s outbox until ``until()`` holds; TimeoutError if it never does."""
    dispatcher = Dispatcher(db.engine(), lambda: config, poll_seconds=0.05).start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if until():
                return
            time.sleep(0.05)
        raise TimeoutError("the outbox did not settle")
    finally:
        dispatcher.stop()


def slack_routing_file(tmp_path: Path) -> Path:
    """An alerts.yaml routing everything to Slack, its URL read from HB_TEST_SLACK_URL (short backoff and timeout)."""
    path = tmp_path / "alerts.yaml"
    path.write_text(
        "channels:\n  slack:\n    type: slack\n    url_env: HB_TEST_SLACK_URL\n"
        "delivery:\n  backoff: 20ms\n  timeout: 2s\n"
        "routes:\n  - default: true\n    channels: [slack]\n"
    )
    return path
