"""Settings: validated at start-up with errors that name the key, and all documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.core.settings import SETTINGS, SettingsError, load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_defaults_run_embedded_on_port_3000():
    settings = load_settings({})
    assert settings.embedded
    assert settings.port == 3000
    assert settings.data_dir == Path(".heartbeat")
    assert settings.metric_statement_timeout == 60.0
    assert settings.operator_token is None


@pytest.mark.parametrize(
    "raw,seconds", [("60s", 60.0), ("500ms", 0.5), ("2min", 120.0), ("1h", 3600.0), ("45", 45.0), (" 5 s ", 5.0)]
)
def test_statement_timeout_accepts_durations(raw, seconds):
    assert load_settings({"HEARTBEAT_METRIC_STATEMENT_TIMEOUT": raw}).metric_statement_timeout == seconds


@pytest.mark.parametrize(
    "env,value",
    [
        ("HEARTBEAT_PORT", "abc"),
        ("HEARTBEAT_PORT", "70000"),
        ("HEARTBEAT_METRIC_STATEMENT_TIMEOUT", "-5s"),
        ("HEARTBEAT_METRIC_STATEMENT_TIMEOUT", "nan"),
        ("HEARTBEAT_METRIC_STATEMENT_TIMEOUT", "soon"),
        ("HEARTBEAT_COMPUTE_WORKERS", "0"),
        ("HEARTBEAT_LOG_LEVEL", "LOUD"),
        ("HEARTBEAT_DATABASE_URL", "mysql://x@y/z"),
    ],
)
def test_bad_value_names_the_key_and_a_fix(env, value):
    with pytest.raises(SettingsError) as info:
        load_settings({env: value})
    message = str(info.value)
    assert env in message
    setting = next(s for s in SETTINGS if s.env == env)
    assert setting.hint in message


def test_every_bad_key_is_reported_at_once():
    with pytest.raises(SettingsError) as info:
        load_settings({"HEARTBEAT_PORT": "x", "HEARTBEAT_LOG_LEVEL": "y"})
    assert "HEARTBEAT_PORT" in str(info.value) and "HEARTBEAT_LOG_LEVEL" in str(info.value)


def test_secret_values_never_appear_in_errors():
    with pytest.raises(SettingsError) as info:
        load_settings({"HEARTBEAT_DATABASE_URL": "mysql://admin:hunter2secret@db/x"})
    assert "hunter2secret" not in str(info.value)


def test_empty_database_url_means_embedded():
    assert load_settings({"HEARTBEAT_DATABASE_URL": "  "}).embedded


def test_every_setting_is_documented():
    text = DOCS.read_text()
    documented = set(re.findall(r"^\| `(HEARTBEAT_[A-Z_]+)`", text, re.M))
    declared = {s.env for s in SETTINGS}
    assert declared - documented == set(), "undocumented settings"
    assert documented - declared == set(), "documented settings that do not exist"


def test_every_setting_env_var_is_namespaced():
    assert all(s.env.startswith("HEARTBEAT_") for s in SETTINGS)
