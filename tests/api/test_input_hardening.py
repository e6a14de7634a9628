"""Issue 16 §4, replayed over real HTTP: hostile text and loose types are refused with a 422 naming the field,
chat messages cannot ping a channel, an echoed fragment of a webhook URL is masked, every response carries
the security headers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.alerts import messages
from tests.support.alerting import make_config
from tests.support.served_api import auth


@pytest.fixture()
def approval(api):
    api.folder.write("approval", "SELECT 80", tags="[payments]")
    api.folder.sync(api.db)
    return api


def _problem(response) -> tuple[int, str, str]:
    body = response.json()
    problem = (body.get("problems") or [{}])[0]
    return response.status_code, problem.get("field", ""), problem.get("reason", body.get("error", ""))


@pytest.mark.parametrize("owner", ["ops\x00@bank.example", "ops@bank.example\u202e", "<!channel>@bank.example",
                                   "ops@bank\x07.example"])
def test_an_owner_with_a_nul_markup_or_direction_character_is_refused(approval, owner):
    r = approval.http.patch("/api/metrics/approval/verification", json={"owner": owner}, headers=auth())
    status, field, _ = _problem(r)
    assert (status, field) == (422, "owner")
    assert approval.http.get("/api/metrics/approval").json()["owner"] is None  # nothing stored


@pytest.mark.parametrize("value", [True, "5", "NaN", [5]])
def test_a_threshold_must_be_a_json_number(approval, value):
    r = approval.http.patch("/api/metrics/approval/thresholds", json={"alert_value": value}, headers=auth())
    status, field, _ = _problem(r)
    assert (status, field) == (422, "alert_value")
    assert approval.http.get("/api/metrics/approval").json()["alert_value"] == 90


def test_a_number_is_still_a_number(approval):
    r = approval.http.patch("/api/metrics/approval/thresholds", json={"alert_value": 85}, headers=auth())
    assert r.status_code == 200 and r.json()["metric"]["alert_value"] == 85


def _silence(**body):
    ends = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    return {"ends_at": ends, "reason": "deploy", **body}


@pytest.mark.parametrize("body, field", [
    (_silence(tag="pay\x00ments"), "tag"),
    (_silence(metric_id="approval", reason="deploy\u202egnp.exe"), "reason"),
    (_silence(metric_id="approval", reason="deploy\x00"), "reason"),
])
def test_silence_text_with_control_or_direction_characters_is_refused(approval, body, field):
    r = approval.http.post("/api/alerts/silences", json=body, headers=auth())
    assert _problem(r)[:2] == (422, field)


def test_a_silence_for_a_tag_no_metric_has_is_refused_naming_the_tags_in_use(approval):
    r = approval.http.post("/api/alerts/silences", json=_silence(tag="paymnets"), headers=auth())
    status, field, reason = _problem(r)
    assert (status, field) == (422, "tag")
    assert "'paymnets'" in reason and "payments" in reason
    ok = approval.http.post("/api/alerts/silences", json=_silence(tag="payments"), headers=auth())
    assert ok.status_code == 201


def test_an_ack_by_someone_with_a_nul_byte_is_a_422_not_a_500(approval):
    r = approval.http.post("/api/alerts/1/ack", headers=auth(), json={
        "by": "ana\x00", "until": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()})
    assert _problem(r)[:2] == (422, "by")


def test_slack_shows_an_owner_or_sql_error_literally_and_pings_nobody():
    payload = messages.value_message(
        {"name": "Collateral <!channel>", "value_text": "€100k", "period": "snapshot", "line": "red line",
         "line_text": "€10k", "owner": "<!channel>", "error": None, "link": "http://hb/metrics/c",
         "data_age": "5m ago", "freshness": "fresh", "verification": "verified"},
        "firing", "red", since=None, fired_at=None, now=datetime.now(timezone.utc))
    payload["lines"].append("SQL error: <!here> & <@U123>")
    body = messages.slack_body(payload)
    mrkdwn = [body["text"], body["blocks"][1]["text"]["text"]]
    assert not any("<!channel>" in text or "<!here>" in text or "<@U123>" in text for text in mrkdwn)
    assert "&lt;!here&gt; &amp; &lt;@U123&gt;" in mrkdwn[1]


def test_an_echoed_fragment_of_a_webhook_url_is_masked():
    config = make_config(slack_url="https://hooks.slack.example/services/T0AB12CD/B0EF34GH/Xk29sLq8Zz0pQw")
    echoed = "HTTP 404: no route for /services/T0AB12CD/B0EF34GH/Xk29sLq8Zz0pQw (token Xk29sLq8Zz0pQw)"
    masked = config.mask(echoed)
    assert "Xk29sLq8Zz0pQw" not in masked and "T0AB12CD/B0EF34GH" not in masked
    assert masked.startswith("HTTP 404: no route for ")


def test_every_response_carries_the_security_headers(approval):
    for path in ("/api/health", "/api/cockpit", "/api/metrics/nope", "/api/openapi.json"):
        headers = approval.http.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp, path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
