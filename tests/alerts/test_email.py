"""The email channel: a real SMTP server (aiosmtpd) on localhost gets the mail; retries, timeouts, no leaked login."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from engine.alerts import config as alert_config
from engine.alerts import evaluate, messages, outbox, silences
from engine.alerts.channels import SendFailed, smtp
from tests.support.alerting import drain
from tests.support.factories import enqueue_alert, outbox_rows
from tests.support.running_app import free_port

# The login tests run AUTH without TLS on localhost, which aiosmtpd (rightly) warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "hb-smtp-user-7731", "correct-horse-battery-staple"
SENDER = "Heartbeat <heartbeat@bank.example>"


def email_config(port: int, *, host: str = "127.0.0.1", login: tuple[str, str] | None = None,
                 delivery: dict | None = None, **fields: Any) -> alert_config.AlertConfig:
    """A routing file whose one channel, email, is the default route (host and login from the environment)."""
    channel = {"type": "email", "host_env": "T_SMTP_HOST", "port": port, "tls": "none", "from": SENDER,
               "to": ["data@bank.example", "risk@bank.example"], **fields}
    env = {"T_SMTP_HOST": host}
    if login:
        channel |= {"username_env": "T_SMTP_USER", "password_env": "T_SMTP_PASSWORD"}
        env |= {"T_SMTP_USER": login[0], "T_SMTP_PASSWORD": login[1]}
    return alert_config.parse({
        "channels": {"email": channel},
        "delivery": {"backoff": "20ms", "backoff_max": "100ms", "timeout": "2s", **(delivery or {})},
        "routes": [{"default": True, "channels": ["email"]}],
    }, env)


def _send(config: alert_config.AlertConfig, payload: dict | None = None) -> None:
    payload = payload or messages.test_message("email", "http://hb")
    smtp.send(config.channels["email"], payload, "test:email:1", config.delivery.timeout_seconds)


def test_a_red_metric_routed_to_email_arrives_as_one_mail_with_subject_body_link_and_key(metrics, mail_servers):
    server = mail_servers()
    config = email_config(server.port)
    metrics.add("collateral_paid", owner="credit@bank.example")
    metrics.value("collateral_paid", 80.0)  # red: the red line is 90
    evaluate(metrics.db.engine(), config, link_base="https://hb.example", computed=["collateral_paid"])
    metrics.value("collateral_paid", 80.0)  # still red: no second notification
    evaluate(metrics.db.engine(), config, link_base="https://hb.example", computed=["collateral_paid"])
    drain(metrics.db, config, lambda: outbox_rows(metrics.db)[0]["status"] == "sent")
    row = outbox_rows(metrics.db)[0]
    assert len(server.mails) == 1
    mail = server.mails[0]
    assert mail["Subject"] == "[Heartbeat] RED: Payment approval rate crossed its red line (80.0% vs 90.0%)"
    assert mail["From"] == SENDER and mail["To"] == "data@bank.example, risk@bank.example"
    assert server.envelopes == [("heartbeat@bank.example", ["data@bank.example", "risk@bank.example"])]
    body = mail.get_content().replace("\r\n", "\n")
    assert body.startswith("🔴 Payment approval rate crossed its red line\nValue 80.0% (24h) — red line 90.0%\n")
    assert "Owner: credit@bank.example" in body
    assert body.rstrip().endswith("https://hb.example/metrics/collateral_paid")
    assert mail[smtp.KEY_HEADER] == row["idempotency_key"]
    assert mail["Message-ID"] == smtp.message_id(row["idempotency_key"], SENDER)
    assert mail["Message-ID"].endswith("@bank.example>") and mail["Auto-Submitted"] == "auto-generated"


def test_a_server_answering_4xx_then_5xx_then_accepting_gets_the_mail_once(alert_db, mail_servers, caplog):
    server = mail_servers(["451 4.3.0 Try again later", "554 5.6.0 Not now"])
    config = email_config(server.port)
    enqueue_alert(alert_db, config)
    with caplog.at_level(logging.WARNING):
        drain(alert_db, config, lambda: outbox_rows(alert_db)[0]["status"] == "sent")
    row = outbox_rows(alert_db)[0]
    assert row["attempts"] == 3 and row["last_error"] is None
    assert len(server.mails) == 1 and len(server.attempts) == 3
    # Every attempt is the same mail: a receiver deduplicating on either header keeps one.
    assert {m[smtp.KEY_HEADER] for m in server.attempts} == {"value:m:1:firing"}
    assert len({m["Message-ID"] for m in server.attempts}) == 1
    assert "email: SMTP 451 at send: 4.3.0 Try again later" in caplog.text
    assert "email: SMTP 554 at send: 5.6.0 Not now" in caplog.text


def test_the_smtp_login_stays_out_of_errors_logs_and_the_overview(alert_db, mail_servers, caplog):
    server = mail_servers(login=(USER, "the-right-one"))
    config = email_config(server.port, login=(USER, PASSWORD), delivery={"max_attempts": 1})
    enqueue_alert(alert_db, config)
    with caplog.at_level(logging.DEBUG):
        outcomes = outbox.deliver_due(alert_db.engine(), config)
    assert set(server.logins) == {USER} and server.mails == []  # smtplib tries PLAIN, then LOGIN
    assert outcomes[0].status == "dead"
    assert outcomes[0].error == ("email: the SMTP server refused the login (SMTP 535); "
                                 "check T_SMTP_USER and T_SMTP_PASSWORD")
    view = silences.overview(alert_db.engine(), config)
    # aiosmtpd's own log ("mail.log") records the test server's careless reply; everything of ours must not.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    assert "refused the login" in logged
    for leak in (PASSWORD, USER):
        assert leak not in logged and leak not in str(outbox_rows(alert_db)) and leak not in str(view)
    assert view["channels"][0]["env"] == {"host": "T_SMTP_HOST", "username": "T_SMTP_USER",
                                          "password": "T_SMTP_PASSWORD"}
    # The login is masked wherever it could be quoted; the server's address is not a secret.
    assert set(config.secrets()) == {USER, PASSWORD}


def test_a_server_that_requires_a_login_gets_the_mail_with_the_right_one(mail_servers):
    server = mail_servers(login=(USER, PASSWORD))
    _send(email_config(server.port, login=(USER, PASSWORD)))
    assert server.logins == [USER] and len(server.mails) == 1
    assert server.mails[0]["Subject"] == "[Heartbeat] Heartbeat test message for channel email"


def test_the_password_is_never_sent_unencrypted_to_another_host(mail_servers):
    config = email_config(25, host="smtp.bank.example", login=(USER, PASSWORD))
    with pytest.raises(SendFailed, match="refusing to send the SMTP password unencrypted"):
        _send(config)


def test_a_server_without_starttls_is_refused_rather_than_written_to_in_clear(mail_servers):
    server = mail_servers()
    with pytest.raises(SendFailed, match="email: the SMTP server does not offer STARTTLS"):
        _send(email_config(server.port, tls="starttls"))
    assert server.attempts == []


def test_a_refused_connection_and_a_silent_server_fail_within_the_delivery_timeout():
    with pytest.raises(SendFailed, match=r"email: cannot reach the SMTP server on port \d+ \(Connection refused\)"):
        _send(email_config(free_port()))
    with socket.socket() as silent:  # accepts connections (the kernel does) but never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        with pytest.raises(SendFailed, match=r"email: no answer from the SMTP server within 0.3s \(connect\)"):
            _send(email_config(silent.getsockname()[1], delivery={"timeout": "300ms"}))
        assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(("fields", "error"), [
    ({"host_env": None}, "channels.email.host_env must name the environment variable"),
    ({"host": "smtp.bank.example"}, "channels.email.host is not a known field"),
    ({"tls": "ssl"}, "channels.email.tls must be one of starttls, implicit, none"),
    ({"port": "587"}, "channels.email.port must be a port number such as 587"),
    ({"to": None}, r"channels.email.to is missing: give to: \(a list of recipient addresses\) or to_env:"),
    ({"to_env": "T_TO"}, "channels.email.to and to_env are both given: keep one"),
    ({"to": ["data@bank.example", "not an address"]}, "channels.email.to must be a list of email addresses"),
    ({"from": ["a@bank.example", "b@bank.example"]}, "channels.email.from must be an email address"),
    ({"username_env": "T_SMTP_USER"}, "channels.email.password_env is needed too"),
    ({"password": "hunter22"}, r"channels.email.password is not a known field \(secrets belong in the environment\)"),
])
def test_email_channel_errors_name_the_file_the_field_and_the_fix(fields, error):
    channel = {"type": "email", "host_env": "T_SMTP_HOST", "from": SENDER, "to": ["data@bank.example"]}
    channel = {k: v for k, v in {**channel, **fields}.items() if v is not None}
    with pytest.raises(alert_config.AlertConfigError, match=f"^alerts.yaml: {error}"):
        alert_config.parse({"channels": {"email": channel}, "routes": [{"default": True, "channels": ["email"]}]},
                           {})


def test_recipients_and_sender_may_come_from_the_environment(mail_servers):
    server = mail_servers()
    config = alert_config.parse({
        "channels": {"email": {"type": "email", "host_env": "T_SMTP_HOST", "port": server.port, "tls": "none",
                               "from_env": "T_FROM", "to_env": "T_TO"}},
        "routes": [{"default": True, "channels": ["email"]}],
    }, {"T_SMTP_HOST": "127.0.0.1", "T_FROM": "hb@bank.example", "T_TO": " data@bank.example ,risk@bank.example"})
    _send(config)
    assert server.envelopes == [("hb@bank.example", ["data@bank.example", "risk@bank.example"])]
    assert alert_config.parse({"channels": {"email": {"type": "email", "host_env": "T_SMTP_HOST",
                                                      "from_env": "T_FROM", "to_env": "T_TO"}},
                               "routes": [{"default": True, "channels": ["email"]}]},
                              {"T_SMTP_HOST": "x"}).channels["email"].missing == ["T_FROM", "T_TO"]


@pytest.mark.parametrize(("payload", "subject"), [
    ({"kind": "value", "transition": "firing", "severity": "amber", "title": "🟠 Approval crossed its amber line",
      "value_text": "93.0%", "line_text": "95.0%"},
     "[Heartbeat] AMBER: Approval crossed its amber line (93.0% vs 95.0%)"),
    ({"kind": "value", "transition": "firing", "severity": "red", "title": "🔴 Approval is red", "line_text": None},
     "[Heartbeat] RED: Approval is red"),
    ({"kind": "value", "transition": "resolved", "severity": "red", "line_text": "90.0%", "value_text": "99.0%",
      "title": "✅ Resolved: Approval is back within its lines (lasted 2h)"},
     "[Heartbeat] Resolved: Approval is back within its lines (lasted 2h)"),
    ({"kind": "error", "transition": "firing", "severity": "error",
      "title": "⚠️ Approval failed to compute 3 times in a row"},
     "[Heartbeat] ERROR: Approval failed to compute 3 times in a row"),
    ({"kind": "stale", "transition": "reminder", "severity": "stale", "title": "⏳ Data late for card/core since x"},
     "[Heartbeat] STALE: Data late for card/core since x"),
    ({"kind": "group", "transition": "firing", "severity": "red", "title": "🔴 2 alerts firing for credit"},
     "[Heartbeat] RED: 2 alerts firing for credit"),
    (messages.test_message("email", "http://hb"), "[Heartbeat] Heartbeat test message for channel email"),
])
def test_an_email_subject_says_how_bad_first_and_a_value_against_its_line(payload, subject):
    assert messages.email_subject(payload) == subject


def test_the_repository_email_channel_is_declared_but_unconfigured_and_unrouted():
    config = alert_config.load(ROOT / "alerts.yaml", {})
    email = config.channels["email"]
    assert email.type == "email" and not email.configured
    assert email.missing == ["HEARTBEAT_SMTP_HOST", "HEARTBEAT_ALERT_EMAIL_FROM", "HEARTBEAT_ALERT_EMAIL_TO",
                             "HEARTBEAT_SMTP_USERNAME", "HEARTBEAT_SMTP_PASSWORD"]
    # Declared only: the demo's alerts do not gain a skipped email row each.
    assert all("email" not in route.channels for route in config.routes)
