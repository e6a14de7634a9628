"""Who sends: every process that evaluates alerts also delivers them, and two dispatchers never double-send.

`heartbeat refresh` sends what its refresh queued before it exits (a crontab may be the only scheduler);
`heartbeat scheduler` runs a dispatcher beside its schedule (a deployment may run no app). Beside a running
app both are safe: a claimed row is leased, so another dispatcher skips it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from engine.alerts import outbox
from engine.alerts.outbox import Dispatcher
from tests.support.alerting import make_config
from tests.support.factories import outbox_rows
from tests.support.running_app import stop_group

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT = str(Path(sys.executable).parent / "heartbeat")
APPROVAL = "SELECT 100.0 * count(*) FILTER (WHERE state = 'approved') / count(*) FROM webbank_core.payment"


def _routing(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text("channels:\n  slack: {type: slack, url_env: HB_TEST_SLACK_URL}\n"
                    "delivery: {backoff: 20ms, timeout: 2s}\n"
                    "routes:\n  - {default: true, channels: [slack]}\n")
    return path


def _environ(refresh_env, tmp_path: Path, slack) -> dict[str, str]:
    """A Heartbeat process on the refresh_env world: its database, marts, metrics, source and routing."""
    ctx, folder = refresh_env.ctx, refresh_env.folder
    prefix = ctx.ingest.source_database_prefix
    source = ctx.db.url().set(database=prefix + "webbank").render_as_string(hide_password=False)
    return {
        **os.environ,
        "HEARTBEAT_DATABASE_URL": ctx.db.url().render_as_string(hide_password=False),
        "HEARTBEAT_MARTS_DATABASE": ctx.ingest.marts_database,
        "HEARTBEAT_METRICS_DIR": str(folder.path),
        "HEARTBEAT_DATA_DIR": str(tmp_path / "data"),
        "HEARTBEAT_ALERTS_FILE": str(_routing(tmp_path)),
        "HEARTBEAT_SCHEDULE_REFRESH": "0 0 1 1 *",  # the scheduler test must not refresh on its own
        "SOURCES__WEBBANK__CREDENTIALS": source,
        "HB_TEST_SLACK_URL": f"{slack.url}/services/test",
    }


def test_heartbeat_refresh_sends_what_its_refresh_queued_before_it_exits(refresh_env, receivers, tmp_path):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    slack = receivers()
    folder.write("approval_rate", APPROVAL, norm="97", alert="95")  # 90 % approved: red
    proc = subprocess.run([HEARTBEAT, "refresh", "approval_rate"], cwd=ROOT, env=_environ(refresh_env, tmp_path, slack),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "alerts: 1 notification(s) sent" in proc.stdout
    assert [b["text"] for b in slack.bodies] == ["🔴 Payment approval rate crossed its red line"]
    assert [(r["alert_key"], r["status"]) for r in outbox_rows(ctx.db)] == [("value:approval_rate", "sent")]


def test_a_failed_send_stays_queued_for_a_running_dispatcher(refresh_env, receivers, tmp_path):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    slack = receivers([500])
    folder.write("approval_rate", APPROVAL, norm="97", alert="95")
    proc = subprocess.run([HEARTBEAT, "refresh", "approval_rate"], cwd=ROOT, env=_environ(refresh_env, tmp_path, slack),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 failed and stay queued" in proc.stdout
    [row] = outbox_rows(ctx.db)
    assert row["status"] == "pending" and row["attempts"] == 1 and "HTTP 500" in row["last_error"]


def test_heartbeat_scheduler_runs_a_dispatcher(refresh_env, receivers, tmp_path):
    ctx, folder = refresh_env.ctx, refresh_env.folder
    slack = receivers()
    folder.write("approval_rate", APPROVAL)
    config = make_config(slack=slack)
    with ctx.db.engine().begin() as conn:  # queued by a refresh of a process that is gone
        outbox.enqueue(conn, config, key="value:m:1:firing", alert_key="value:m", transition="firing",
                       channels=["slack"], payload={"title": "m crossed its red line", "lines": [], "link": "l"})
    process = subprocess.Popen([HEARTBEAT, "scheduler"], cwd=ROOT, env=_environ(refresh_env, tmp_path, slack),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not slack.bodies and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert [b["text"] for b in slack.bodies] == ["m crossed its red line"]
        # The receiver answers before the dispatcher records the outcome: give it a moment.
        while outbox_rows(ctx.db)[0]["status"] != "sent" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert outbox_rows(ctx.db)[0]["status"] == "sent"
    finally:
        stop_group(process, timeout=30)


def test_two_dispatchers_on_one_outbox_send_each_row_once(alert_db, receivers):
    slack = receivers([("sleep", 0.01)] * 150)
    config = make_config(slack=slack)
    with alert_db.engine().begin() as conn:
        for i in range(150):  # three claim batches' worth
            outbox.enqueue(conn, config, key=f"value:m{i}:1:firing", alert_key=f"value:m{i}", transition="firing",
                           channels=["slack"], payload={"title": f"m{i}", "lines": [], "link": "l"})
    dispatchers = [Dispatcher(alert_db.engine(), lambda: config, poll_seconds=0.02).start() for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(r["status"] != "sent" for r in outbox_rows(alert_db)):
            time.sleep(0.1)
    finally:
        for dispatcher in dispatchers:
            dispatcher.stop()
    rows = outbox_rows(alert_db)
    assert {r["status"] for r in rows} == {"sent"} and {r["attempts"] for r in rows} == {1}
    keys = [r["headers"]["Idempotency-Key"] for r in slack.requests]
    assert len(keys) == 150 and len(set(keys)) == 150
