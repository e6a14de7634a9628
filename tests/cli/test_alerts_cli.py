"""`heartbeat alerts` as a user runs it: a test message, the listing, silences and acks, no secret printed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.alerts import evaluate
from tests.support.alerting import make_config, slack_routing_file
from tests.support.factories import add_value

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT = str(Path(sys.executable).parent / "heartbeat")
SECRET = "super-secret-slack-path-0042"
SMTP_USER, SMTP_PASSWORD = "hb-smtp-user-7731", "correct-horse-battery-staple"


def _environ(world, routing: Path, **extra: str) -> dict[str, str]:
    """A `heartbeat` process on ``world`` with the ``routing`` file (wide COLUMNS: tables never wrap)."""
    return {**os.environ, **world.env, "HEARTBEAT_ALERTS_FILE": str(routing),
            "HEARTBEAT_DATABASE_URL": world.db.url().render_as_string(hide_password=False), "COLUMNS": "200",
            **extra}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HEARTBEAT, "alerts", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_cli_alerts_test_sends_a_message_and_alerts_lists(world, tmp_path, receivers):
    slack = receivers()
    env = _environ(world, slack_routing_file(tmp_path), HB_TEST_SLACK_URL=f"{slack.url}/services/{SECRET}")
    done = _run(env, "test", "slack")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test message delivered to slack" in done.stdout
    assert slack.bodies[0]["text"].startswith("ℹ️ Heartbeat test message for channel slack")
    listed = _run(env)
    assert listed.returncode == 0, listed.stderr
    assert "nothing firing or pending" in listed.stdout and "1 sent" in listed.stdout
    assert SECRET not in listed.stdout + listed.stderr + done.stdout + done.stderr
    unknown = _run(env, "test", "pager")
    assert unknown.returncode == 1 and "no channel 'pager'" in unknown.stdout + unknown.stderr


def test_cli_silence_and_ack(world, tmp_path):
    world.folder.write("approval", "SELECT 80")
    world.folder.sync(world.db)
    add_value(world.db, "approval", 80, status="red")
    evaluate(world.db.engine(), make_config(slack_url="http://127.0.0.1:9/x"), link_base="http://hb")
    env = _environ(world, slack_routing_file(tmp_path))

    done = _run(env, "silence", "--metric", "approval", "--for", "2h", "--reason", "deploy")
    assert done.returncode == 0 and "silence 1 on metric approval until" in done.stdout, done.stderr
    refused = _run(env, "silence", "--tag", "aml", "--for", "90d", "--reason", "forever-ish")
    assert refused.returncode == 1 and "--for: must be within 30 days" in refused.stdout + refused.stderr
    with world.db.engine().connect() as conn:
        alert_id = conn.execute(text("SELECT id FROM heartbeat.alert_state WHERE key = 'value:approval'")).scalar()
    done = _run(env, "ack", str(alert_id), "--by", "ana", "--for", "4h", "--comment", "on it")
    assert done.returncode == 0 and "value:approval acknowledged by ana" in done.stdout, done.stderr
    assert _run(env, "ack", "999", "--by", "ana", "--for", "4h").returncode == 1


def test_cli_alerts_says_since_when_from_the_history(world, tmp_path):
    world.folder.write("approval", "SELECT 80")
    world.folder.sync(world.db)
    add_value(world.db, "approval", 97, days_ago=6)
    for days_ago in range(5, -1, -1):
        add_value(world.db, "approval", 80, days_ago=days_ago, status="red")
    evaluate(world.db.engine(), make_config(slack_url="http://127.0.0.1:9/x"), link_base="http://hb")
    listed = _run(_environ(world, slack_routing_file(tmp_path)))
    assert listed.returncode == 0, listed.stderr
    # Red for six days by the history, although the alert fired a moment ago.
    first_red = (datetime.now(timezone.utc) - timedelta(days=5)).date().isoformat()
    assert f"Red since {first_red} (6 days)" in listed.stdout, listed.stdout
    assert "just now" not in listed.stdout


# The login runs AUTH without TLS on localhost, which aiosmtpd (rightly) warns about.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_cli_alerts_test_email_delivers_a_test_mail(world, tmp_path, mail_servers):
    server = mail_servers(login=(SMTP_USER, SMTP_PASSWORD))
    routing = tmp_path / "alerts.yaml"
    routing.write_text(
        "channels:\n  email:\n    type: email\n    host_env: HB_TEST_SMTP_HOST\n"
        f"    port: {server.port}\n    tls: none\n    from: heartbeat@bank.example\n    to: [data@bank.example]\n"
        "    username_env: HB_TEST_SMTP_USER\n    password_env: HB_TEST_SMTP_PASSWORD\n"
        "delivery:\n  timeout: 5s\nroutes:\n  - default: true\n    channels: [email]\n")
    env = _environ(world, routing, HB_TEST_SMTP_HOST="127.0.0.1",
                   HB_TEST_SMTP_USER=SMTP_USER, HB_TEST_SMTP_PASSWORD=SMTP_PASSWORD)
    done = _run(env, "test", "email")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test message delivered to email" in done.stdout
    assert [m["Subject"] for m in server.mails] == ["[Heartbeat] Heartbeat test message for channel email"]
    listed = _run(env)
    assert listed.returncode == 0 and "1 sent" in listed.stdout, listed.stderr
    output = done.stdout + done.stderr + listed.stdout + listed.stderr
    assert SMTP_PASSWORD not in output and SMTP_USER not in output
