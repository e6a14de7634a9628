"""Alerts over REST: the overview without secrets, silences and acks with the operator token."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from engine.alerts import config as alert_config
from engine.alerts import evaluate
from engine.core.settings import load_settings
from engine.runtime import Runtime
from tests.support.alerting import make_config, slack_routing_file
from tests.support.factories import add_value
from tests.support.receiver import Receiver
from tests.support.served_api import TOKEN, ServedApi, auth
from tests.support.worlds import World

SECRET = "super-secret-slack-path-0042"


@dataclass(frozen=True)
class AlertsApi:
    """The API over ``world`` with a routing file whose Slack channel posts to ``slack`` (URL holds SECRET)."""

    http: httpx.Client
    world: World
    routing: Path
    slack: Receiver


@pytest.fixture()
def alerts_api(world, tmp_path, monkeypatch, receivers):
    slack = receivers()
    monkeypatch.setenv("HB_TEST_SLACK_URL", f"{slack.url}/services/{SECRET}")
    routing = slack_routing_file(tmp_path)
    rt = Runtime(settings=load_settings({**world.env, "HEARTBEAT_ALERTS_FILE": str(routing)}), db=world.db)
    with ServedApi(rt) as served, served.client() as http:
        yield AlertsApi(http, world, routing, slack)


def test_get_alerts_lists_firing_and_deliveries_without_secrets(alerts_api):
    db, folder, http = alerts_api.world.db, alerts_api.world.folder, alerts_api.http
    folder.write("approval", "SELECT 80", owner=None)
    folder.sync(db)
    add_value(db, "approval", 97, days_ago=4)
    for days_ago in (3, 2, 1, 0):
        add_value(db, "approval", 80, days_ago=days_ago, status="red")
    config = alert_config.load(alerts_api.routing)
    evaluate(db.engine(), config, link_base="http://hb")
    body = http.get("/api/alerts").json()
    assert [a["key"] for a in body["firing"]] == ["value:approval"]
    # "Since when" from the history (red for 4 days), as the message says it — not the minute the alert fired.
    first_red = (datetime.now(timezone.utc) - timedelta(days=3)).date().isoformat()
    assert body["firing"][0]["bad_since"] == {"status": "red", "day": first_red, "days": 4,
                                              "text": f"Red since {first_red} (4 days)"}
    assert body["deliveries"]["slack"][0]["status"] == "pending"
    assert body["channels"] == [{"name": "slack", "type": "slack", "configured": True,
                                 "env": {"url": "HB_TEST_SLACK_URL"}, "missing_env": []}]
    assert SECRET not in str(body) and body["config_error"] is None
    assert body["marks"]["approval"]["firing"][0]["kind"] == "value"


def test_silence_and_ack_need_the_operator_token_and_name_bad_fields(alerts_api):
    db, folder, http = alerts_api.world.db, alerts_api.world.folder, alerts_api.http
    folder.write("approval", "SELECT 80")
    folder.sync(db)
    ends = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
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

    add_value(db, "approval", 80, status="red")
    evaluate(db.engine(), make_config(slack=alerts_api.slack), link_base="http://hb")
    alert_id = http.get("/api/alerts").json()["firing"][0]["id"]
    ack = {"by": "ana", "comment": "looking", "until": ends}
    assert http.post(f"/api/alerts/{alert_id}/ack", json=ack).status_code == 401
    r = http.post(f"/api/alerts/{alert_id}/ack", json={**ack, "until": "yesterday"}, headers=auth())
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "until"
    assert http.post("/api/alerts/999999/ack", json=ack, headers=auth()).status_code == 404
    r = http.post(f"/api/alerts/{alert_id}/ack", json=ack, headers=auth())
    assert r.status_code == 200 and r.json()["acked_by"] == "ana"
    assert [a["id"] for a in http.get("/api/alerts").json()["acknowledged"]] == [alert_id]


def _documented_silence_command() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return next(block for block in blocks if "/api/alerts/silences" in block)


def test_the_documented_silence_and_ack_examples_are_accepted_as_written(alerts_api):
    """docs/api.md's curl and the reference's request examples must work whenever they are read: a fixed end
    time in them would be refused once its day passed."""
    db, folder, http = alerts_api.world.db, alerts_api.world.folder, alerts_api.http
    folder.write("payment_approval_rate_24h", "SELECT 80")
    folder.sync(db)
    command = _documented_silence_command().replace("http://localhost:3000", str(http.base_url).rstrip("/"))
    ran = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "HEARTBEAT_OPERATOR_TOKEN": TOKEN})
    silence = json.loads(ran.stdout)
    assert silence["metric_id"] == "payment_approval_rate_24h", ran.stdout
    assert datetime.fromisoformat(silence["ends_at"]) > datetime.now(timezone.utc) + timedelta(hours=2)

    bodies = http.get("/api/openapi.json").json()["components"]["schemas"]
    r = http.post("/api/alerts/silences", json=bodies["SilenceBody"]["examples"][0], headers=auth())
    assert r.status_code == 201, r.text
    add_value(db, "payment_approval_rate_24h", 80, status="red")
    evaluate(db.engine(), make_config(slack=alerts_api.slack), link_base="http://hb")
    alert_id = http.get("/api/alerts").json()["firing"][0]["id"]
    r = http.post(f"/api/alerts/{alert_id}/ack", json=bodies["AckBody"]["examples"][0], headers=auth())
    assert r.status_code == 200, r.text
