"""Proposals stay apart until promoted: never registered, on /api/cockpit, in alerts or in MCP; promote and reject round trip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.alerts.evaluate import evaluate
from engine.core.settings import load_settings
from engine.discover import proposals
from engine.discover.proposals import ProposalError
from engine.mcp import tools
from engine.read.triage import triage
from engine.runtime import Runtime
from tests.support.alerting import make_config
from tests.support.factories import add_value, metric_text
from tests.support.served_api import ServedApi

HEARTBEAT = str(Path(sys.executable).parent / "heartbeat")
ROOT = Path(__file__).resolve().parents[2]


def _proposal(folder: Path, proposal_id: str, where: str = "proposed") -> Path:
    """A proposal file as `heartbeat discover` writes it (red if it were judged: 80 under the 90 line)."""
    target = folder / where if where else folder
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{proposal_id}.sql"
    path.write_text(metric_text("SELECT 80", name=f"Proposed {proposal_id}").replace(
        "-- ---\nSELECT", "-- state: proposed\n-- ---\nSELECT"))
    return path


def _registered(db) -> set[str]:
    with db.engine().connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT id FROM heartbeat.metric_registry WHERE retired_at IS NULL"))}


def _cli(world, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **world.env, "HEARTBEAT_DATABASE_URL": world.db.url().render_as_string(hide_password=False)}
    return subprocess.run([HEARTBEAT, "discover", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_proposals_never_reach_the_registry_the_cockpit_the_alerts_or_mcp(world, receivers) -> None:
    world.folder.write("real_one", name="Real one")
    _proposal(world.folder.path, "proposed_one")
    _proposal(world.folder.path, "misplaced_one", where="")  # a proposal file dropped into metrics/ itself
    world.folder.sync(world.db)
    assert _registered(world.db) == {"real_one"}
    add_value(world.db, "real_one", 80.0, status="red")
    evaluate(world.db.engine(), make_config(webhook=receivers()), link_base="http://hb",
             computed=["real_one", "proposed_one", "misplaced_one"])
    with world.db.engine().connect() as conn:
        subjects = " ".join(r[0] for r in conn.execute(text("SELECT subject FROM heartbeat.alert_state")))
        outbox = " ".join(str(r[0]) for r in conn.execute(text("SELECT payload FROM heartbeat.alert_outbox")))
    assert "real_one" in subjects and "proposed_one" not in subjects and "misplaced_one" not in subjects
    assert "Real one" in outbox and "Proposed" not in outbox
    rt = Runtime(settings=load_settings(world.env), db=world.db)
    with ServedApi(rt) as served, served.client() as http:
        cockpit = http.get("/api/cockpit").json()
        assert [m["id"] for m in cockpit["metrics"]] == ["real_one"]
        assert http.get("/api/metrics/proposed_one").status_code == 404
        assert "proposed_one" not in http.get("/api/metrics").text
    # Nor MCP: its triage and its metric list read the same registry.
    subjects = [item.subject for item in triage(world.db.engine(), link_base="http://hb").items]
    assert subjects == ["real_one"]
    listed = tools.list_metrics(world.db.engine(), status=None, tag=None, owner=None, verified=None)
    assert [m.id for m in listed.metrics] == ["real_one"]


def test_promote_puts_a_proposal_on_the_wall_as_unverified_and_reject_keeps_it_away(world) -> None:
    folder = world.folder.path
    _proposal(folder, "good_idea")
    _proposal(folder, "bad_idea")
    promoted = _cli(world, "promote", "good_idea")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert "unverified" in promoted.stdout
    moved = folder / "good_idea.sql"
    assert moved.exists() and not (folder / "proposed" / "good_idea.sql").exists()
    assert "state: proposed" not in moved.read_text()
    with world.db.engine().connect() as conn:
        state = conn.execute(text("SELECT verification_state FROM heartbeat.metric_registry WHERE id = 'good_idea'"))
        assert state.scalar_one() == "unverified"
    add_value(world.db, "good_idea", 80.0, status="red")
    rt = Runtime(settings=load_settings(world.env), db=world.db)
    with ServedApi(rt) as served, served.client() as http:
        assert [m["id"] for m in http.get("/api/cockpit").json()["metrics"]] == ["good_idea"]

    no_reason = _cli(world, "reject", "bad_idea", "--reason", "")
    assert no_reason.returncode == 1 and "say why" in no_reason.stderr and "Traceback" not in no_reason.stderr
    rejected = _cli(world, "reject", "bad_idea", "--reason", "same as payments_24h")
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    assert not (folder / "proposed" / "bad_idea.sql").exists()
    assert proposals.rejected(folder)["bad_idea"]["reason"] == "same as payments_24h"
    assert _registered(world.db) == {"good_idea"}


def test_unknown_or_hostile_ids_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    _proposal(tmp_path, "known_one")
    with pytest.raises(ProposalError, match="no proposal 'nope_nope'.*known: known_one"):
        proposals.promote(tmp_path, "nope_nope")
    with pytest.raises(ProposalError, match="not a proposal id"):
        proposals.promote(tmp_path, "../../etc/passwd")
    (tmp_path / "known_one.sql").write_text("-- a metric of the same name already exists\n")
    with pytest.raises(ProposalError, match="already exists"):
        proposals.promote(tmp_path, "known_one")
    assert (tmp_path / "proposed" / "known_one.sql").exists()  # nothing lost
