"""The triage on the demo (engine.read.triage): the planted incidents first, worst first, stale feeds as
stale, each item with an owner and a why; and `heartbeat today` printing it with exit code 1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.read.triage import triage
from tests.mcp.conftest import McpDemo
from tests.support.demo import INCIDENT_METRICS

ROOT = Path(__file__).resolve().parents[2]
LINK_BASE = "http://localhost:3000"
STOPPED = {"card_management.cards": "card_feed_lag", "currency_rate_files.daily": "rates_file_feed_lag"}
RED_INCIDENTS = set().union(*(m for i, m in INCIDENT_METRICS.items() if i != "stale_feed"))


def test_the_planted_incidents_come_first_worst_first_with_owner_why_and_since(mcp_demo: McpDemo):
    answer = triage(mcp_demo.db.engine(), link_base=LINK_BASE)
    reds = [item for item in answer.items if item.kind == "red"]
    assert [item.rank for item in reds] == list(range(1, len(reds) + 1)), "reds come first"
    assert {item.subject for item in reds} == RED_INCIDENTS
    assert [item.severity for item in reds] == sorted((item.severity for item in reds), reverse=True)
    first = answer.items[0]
    assert first.subject == "collateral_covered_by_company"
    assert first.why.startswith("Card collateral covered by us (unpaid) is €100k, €90k above the €10k red line")
    assert "rising for 3 months" in first.why
    assert first.owner == "credit-risk@satchel.example"
    assert first.link == f"{LINK_BASE}/metrics/collateral_covered_by_company"
    assert first.cut is not None and first.cut.link.startswith(f"{LINK_BASE}/audit/")
    assert first.alert is not None and first.alert.state == "firing" and first.alert.notified_at is not None
    for item in reds:
        assert item.owner and item.why.endswith(".") and item.since is not None, item
        assert len(item.last_7_days) == 7 and item.last_7_days[-1] is not None


def test_stopped_feeds_are_stale_never_red(mcp_demo: McpDemo):
    answer = triage(mcp_demo.db.engine(), link_base=LINK_BASE, limit=50)
    by_subject = {item.subject: item for item in answer.items}
    for source, lag_metric in STOPPED.items():
        item = by_subject[source]
        assert item.kind == "stale" and item.freshness == "stale"
        assert lag_metric in item.metrics
        assert item.why.startswith(f"No new data from {source} for ") and "not judged" in item.why
        assert item.owner
        assert lag_metric not in by_subject, f"{lag_metric} is read from stale data: stale, not red"
    kinds = [item.kind for item in answer.items]
    assert kinds == sorted(kinds, key=["red", "error", "amber", "stale"].index)


def test_the_order_is_stable_and_the_limit_counts_the_rest(mcp_demo: McpDemo):
    engine = mcp_demo.db.engine()
    full = triage(engine, link_base=LINK_BASE, limit=50)
    again = triage(engine, link_base=LINK_BASE, limit=50)
    assert [i.subject for i in full.items] == [i.subject for i in again.items]
    three = triage(engine, link_base=LINK_BASE, limit=3)
    assert [i.subject for i in three.items] == [i.subject for i in full.items[:3]]
    assert three.more == len(full.items) - 3
    assert three.counts == full.counts and full.counts.red == len(RED_INCIDENTS)


def _today(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    heartbeat = str(Path(sys.executable).parent / "heartbeat")
    return subprocess.run([heartbeat, "today", *args], cwd=ROOT, env={**os.environ, **env, "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=120)


def test_heartbeat_today_prints_the_triage_and_exits_1_when_anything_is_red(mcp_demo: McpDemo):
    done = _today(mcp_demo.env)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "6 red" in out and "2 stale" in out
    lines = out.splitlines()
    first_row = next(line for line in lines if "collateral_covered_by_company" in line)
    assert "credit-risk@satchel.example" in first_row and "red" in first_row
    assert "1. collateral_covered_by_company" in out
    assert "Card collateral covered by us (unpaid) is €100k, €90k above the €10k red line" in out
    assert "evidence: " in out and "/audit/" in out
    # Exactly the first three are expanded with their why.
    expanded = [line for line in lines if line[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert [line.split(". ")[0] for line in expanded] == ["1", "2", "3"], out
    for source in STOPPED:
        row = next(line for line in lines if source in line)
        assert "stale" in row and "red" not in row.split(source)[0].split("│")[-2]


def test_heartbeat_today_on_a_calm_heartbeat_exits_0(world):
    done = _today(world.env | {"HEARTBEAT_DATABASE_URL": world.db.url().render_as_string(hide_password=False)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Nothing is wrong" in done.stdout


@pytest.mark.parametrize("bad", ["0", "51", "ten"])
def test_heartbeat_today_refuses_a_bad_limit_in_one_line(mcp_demo: McpDemo, bad: str):
    done = _today(mcp_demo.env, "--limit", bad)
    assert done.returncode == 2
    assert "--limit" in done.stderr and "Traceback" not in done.stderr


def test_the_served_answer_follows_an_acknowledgement_at_once(mcp_demo: McpDemo):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import text

    from engine.alerts import silences
    from engine.read.triage import FINGERPRINT_CHECK_SECONDS, current

    engine = mcp_demo.db.engine()
    before = {i.subject: i for i in current(engine, link_base=LINK_BASE, limit=50).items}
    assert before["aml_backlog_checks"].alert.acknowledged_by is None
    with engine.connect() as conn:
        alert_id = conn.execute(text("SELECT id FROM heartbeat.alert_state WHERE key = 'value:aml_backlog_checks'")).scalar()
    silences.acknowledge(engine, alert_id, by="mlro", comment="on it",
                         until=datetime.now(timezone.utc) + timedelta(hours=2))
    time.sleep(FINGERPRINT_CHECK_SECONDS + 0.1)  # what changed is asked at most every 0.5 s
    after = {i.subject: i for i in current(engine, link_base=LINK_BASE, limit=50).items}
    assert after["aml_backlog_checks"].alert.acknowledged_by == "mlro"
    assert [i.subject for i in current(engine, link_base=LINK_BASE, limit=4).items] == list(after)[:4]
