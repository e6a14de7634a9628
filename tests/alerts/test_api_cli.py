"""Alerts over REST and the CLI: the overview, silences and acks with the operator token, test messages."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.alerts import config as alert_config
from engine.alerts import evaluate
from engine.core.settings import load_settings
from engine.runtime import Runtime
from tests.alerts.conftest import make_config
from tests.api.conftest import ServedApi, auth, client, synced, world  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "super-secret-slack-path-0042"


def _routing_file(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(
        "channels:\n  slack:\n    type: slack\n    url_env: HB_TEST_SLACK_URL\n"
        "delivery:\n  backoff: 20ms\n  timeout: 2s\n"
        "routes:\n  - default: true\n    channels: [slack]\n"
    )
    return path


@pytest.fixture()
def alerts_api(world, tmp_path, monkeypatch, receivers):
    db, folder, env = world
    slack = receivers()
    monkeypatch.setenv("HB_TEST_SLACK_URL", f"{slack.url}/services/{SECRET}")
    env = {**env, "HEARTBEAT_ALERTS_FILE": str(_routing_file(tmp_path))}
    rt = Runtime(settings=load_settings(env), db=db)
    with ServedApi(rt) as served:
        yield served, db, folder, env, slack


def test_get_alerts_lists_firing_and_deliveries_without_secrets(alerts_api):
    served, db, folder, env, slack = alerts_api
    folder.write("approval", "SELECT 80", owner=None)
    synced(db, folder)
    with db.engine().begin() as conn:
        conn.execute(text("INSERT INTO heartbeat.metric_history (metric_id, day, value, status) "
                          "VALUES ('approval', current_date, 80, 'red')"))
    config = alert_config.load(Path(env["HEARTBEAT_ALERTS_FILE"]))
    evaluate(db.engine(), config, link_base="http://hb")
    with client(served) as http:
        body = http.get("/api/alerts").json()
    assert [a["key"] for a in body["firing"]] == ["value:approval"]
    assert body["deliveries"]["slack"][0]["status"] == "pending"
    assert body["channels"] == [{"name": "slack", "type": "slack", "configured": True,
                                 "env": {"url": "HB_TEST_SLACK_URL"}, "missing_env": []}]
    assert SECRET not in str(body) and body["config_error"] is None
    assert body["marks"]["approval"]["firing"][0]["kind"] == "value"


def test_silence_and_ack_need_the_operator_token_and_name_bad_fields(alerts_api):
    served, db, folder, env, slack = alerts_api
    folder.write("approval", "SELECT 80")
    synced(db, folder)
    ends = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    with client(served) as http:
        good = {"metric_id": "approval", "ends_at": ends, "reason": "deploy"}
        assert http.post("/api/alerts/silences", json=good).status_code == 401
        r = http.post("/api/alerts/silences", json={**good, "reason": ""}, headers=auth())
        assert r.status_code == 422 and r.json()["problems"][0]["field"] == "reason"
        r = http.post("/api/alerts/silences", json={**good, "ends_at": "2020-01-01T00:00:00Z"}, headers=auth())
        assert r.status_code == 422 and r.json()["problems"] == [{"field": "ends_at", "reason": "must be in the future"}]
        far = (datetime.now(timezone.utc) + timedelta(days=90)).isoformat()
        r = http.post("/api/alerts/silences", json={**good, "ends_at": far}, headers=auth())
        assert r.status_code == 422 and r.json()["problems"][0]["field"] == "ends_at"
        r = http.post("/api/alerts/silences", json={**good, "tag": "x"}, headers=auth())
        assert r.status_code == 422
        r = http.post("/api/alerts/silences", json={**good, "metric_id": "nope_metric"}, headers=auth())
        assert r.status_code == 404
        r = http.post("/api/alerts/silences", json=good, headers=auth())
        assert r.status_code == 201 and r.json()["created_by"] == "operator"
        assert [s["metric_id"] for s in http.get("/api/alerts").json()["silenced"]] == ["approval"]

        with db.engine().begin() as conn:
            conn.execute(text("INSERT INTO heartbeat.metric_history (metric_id, day, value, status) "
                              "VALUES ('approval', current_date, 80, 'red')"))
        evaluate(db.engine(), make_config(slack=slack), link_base="http://hb")
        alert_id = http.get("/api/alerts").json()["firing"][0]["id"]
        ack = {"by": "ana", "comment": "looking", "until": ends}
        assert http.post(f"/api/alerts/{alert_id}/ack", json=ack).status_code == 401
        r = http.post(f"/api/alerts/{alert_id}/ack", json={**ack, "until": "yesterday"}, headers=auth())
        assert r.status_code == 422 and r.json()["problems"][0]["field"] == "until"
        assert http.post("/api/alerts/999999/ack", json=ack, headers=auth()).status_code == 404
        r = http.post(f"/api/alerts/{alert_id}/ack", json=ack, headers=auth())
        assert r.status_code == 200 and r.json()["acked_by"] == "ana"
        assert [a["id"] for a in http.get("/api/alerts").json()["acknowledged"]] == [alert_id]


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


def test_cli_alerts_test_sends_a_message_and_alerts_lists(world, tmp_path, receivers):
    db, folder, env = world
    slack = receivers()
    full = {**os.environ, **env, "HEARTBEAT_ALERTS_FILE": str(_routing_file(tmp_path)),
            "HEARTBEAT_DATABASE_URL": db.url().render_as_string(hide_password=False),
            "HB_TEST_SLACK_URL": f"{slack.url}/services/{SECRET}", "COLUMNS": "200"}
    heartbeat = str(Path(sys.executable).parent / "heartbeat")
    done = subprocess.run([heartbeat, "alerts", "test", "slack"], env=full, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test message delivered to slack" in done.stdout
    assert slack.bodies[0]["text"].startswith("ℹ️ Heartbeat test message for channel slack")
    listed = subprocess.run([heartbeat, "alerts"], env=full, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "nothing firing or pending" in listed.stdout and "1 sent" in listed.stdout
    assert SECRET not in listed.stdout + listed.stderr + done.stdout + done.stderr
    unknown = subprocess.run([heartbeat, "alerts", "test", "pager"], env=full, cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
    assert unknown.returncode == 1 and "no channel 'pager'" in unknown.stdout + unknown.stderr


def test_cli_silence_and_ack(world, tmp_path):
    db, folder, env = world
    folder.write("approval", "SELECT 80")
    synced(db, folder)
    with db.engine().begin() as conn:
        conn.execute(text("INSERT INTO heartbeat.metric_history (metric_id, day, value, status) "
                          "VALUES ('approval', current_date, 80, 'red')"))
    evaluate(db.engine(), make_config(slack_url="http://127.0.0.1:9/x"), link_base="http://hb")
    full = {**os.environ, **env, "HEARTBEAT_ALERTS_FILE": str(_routing_file(tmp_path)),
            "HEARTBEAT_DATABASE_URL": db.url().render_as_string(hide_password=False), "COLUMNS": "200"}
    heartbeat = str(Path(sys.executable).parent / "heartbeat")

    def run(*args):
        return subprocess.run([heartbeat, "alerts", *args], env=full, cwd=ROOT, capture_output=True, text=True,
                              timeout=60)

    done = run("silence", "--metric", "approval", "--for", "2h", "--reason", "deploy")
    assert done.returncode == 0 and "silence 1 on metric approval until" in done.stdout, done.stderr
    refused = run("silence", "--tag", "aml", "--for", "90d", "--reason", "forever-ish")
    assert refused.returncode == 1 and "--for: must be within 30 days" in refused.stdout + refused.stderr
    with db.engine().connect() as conn:
        alert_id = conn.execute(text("SELECT id FROM heartbeat.alert_state WHERE key = 'value:approval'")).scalar()
    done = run("ack", str(alert_id), "--by", "ana", "--for", "4h", "--comment", "on it")
    assert done.returncode == 0 and "value:approval acknowledged by ana" in done.stdout, done.stderr
    assert run("ack", "999", "--by", "ana", "--for", "4h").returncode == 1


def test_a_broken_routing_file_keeps_the_last_valid_routing(tmp_path, caplog):
    from engine.alerts import loader

    path = _routing_file(tmp_path)
    load = loader(load_settings({"HEARTBEAT_ALERTS_FILE": str(path)}))
    good = load()
    path.write_text("channels:\n  slack: {type: pager}\n")
    assert load() is good
    assert "channels.slack.type must be one of slack, telegram, webhook" in caplog.text
    fresh = loader(load_settings({"HEARTBEAT_ALERTS_FILE": str(path)}))
    with pytest.raises(alert_config.AlertConfigError):
        fresh()  # nothing valid to fall back on: say so loudly
