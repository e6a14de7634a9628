"""The routing file (alerts.yaml): errors name the field, the repository's file is valid, a broken edit keeps
the last valid routing."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.alerts import config as alert_config
from engine.core.settings import load_settings
from tests.support.alerting import slack_routing_file

ROOT = Path(__file__).resolve().parents[2]


def test_routing_file_errors_name_the_field():
    with pytest.raises(alert_config.AlertConfigError, match="channels.slack.url_env"):
        alert_config.parse({"channels": {"slack": {"type": "slack", "url": "https://hooks.slack.com/x"}}}, {})
    with pytest.raises(alert_config.AlertConfigError, match="routes must have one route with default: true"):
        alert_config.parse({"channels": {"s": {"type": "slack", "url_env": "X"}},
                            "routes": [{"tags": ["a"], "channels": ["s"]}]}, {})
    with pytest.raises(alert_config.AlertConfigError, match="names 'email'"):
        alert_config.parse({"channels": {}, "routes": [{"default": True, "channels": ["email"]}]}, {})


def test_the_repository_routing_file_is_valid():
    config = alert_config.load(ROOT / "alerts.yaml", {})
    assert set(config.channels) == {"slack", "telegram", "webhook", "email"}
    assert config.route_for("x", ()).default


def test_a_broken_routing_file_keeps_the_last_valid_routing(tmp_path, caplog):
    from engine.alerts import loader

    path = slack_routing_file(tmp_path)
    load = loader(load_settings({"HEARTBEAT_ALERTS_FILE": str(path)}))
    good = load()
    path.write_text("channels:\n  slack: {type: pager}\n")
    assert load() is good
    assert "channels.slack.type must be one of slack, telegram, webhook" in caplog.text
    fresh = loader(load_settings({"HEARTBEAT_ALERTS_FILE": str(path)}))
    with pytest.raises(alert_config.AlertConfigError):
        fresh()  # nothing valid to fall back on: say so loudly
