"""Every runbook works to the letter: its marked blocks (```bash runbook) run, in order, on a scratch
data folder over the landed demo — a fresh Heartbeat database, copies of metrics/, cuts/ and
alerts.yaml, the demo's sources and a local stand-in for Slack. A runbook that stops working fails CI.

A block marked ``requires=COMMAND`` runs only once ``heartbeat COMMAND`` exists; until then the test
runs the others and is reported skipped with the reason. ``exit=0,1`` lists the exit statuses a block
may end with (``heartbeat today`` says "something is red" with 1); the default is 0 only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.audit import registry as cut_registry
from engine.cli import build_parser
from engine.core.db import Database
from engine.metrics import registry
from tests.support.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "docs" / "runbooks"
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^(?P<indent>[ \t]*)```bash runbook(?P<options>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.MULTILINE | re.DOTALL)
EXPECTED = {"add-a-metric", "onboard-a-new-source", "investigate-a-stalled-sync", "tune-or-draft-an-alert-rule",
            "add-an-audit-cut", "daily-triage"}


@dataclass(frozen=True)
class Block:
    commands: str
    requires: str | None
    exits: tuple[int, ...] = (0,)


def blocks(markdown: str) -> list[Block]:
    """The marked blocks of a runbook, dedented, in order."""
    found = []
    for match in FENCE.finditer(markdown):
        options = dict(part.split("=", 1) for part in match["options"].split() if "=" in part)
        body = textwrap.dedent(match["body"]).strip()
        exits = tuple(int(code) for code in options.get("exit", "0").split(","))
        found.append(Block(body, options.get("requires"), exits))
    return found


def registered_commands() -> set[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return set(action.choices)


def test_every_runbook_is_there_numbered_and_has_steps_ci_runs():
    found = {p.stem for p in RUNBOOKS.glob("*.md")}
    assert EXPECTED <= found
    for path in RUNBOOKS.glob("*.md"):
        text_ = path.read_text()
        assert text_.startswith("# Runbook: "), path.name
        assert re.search(r"^1\. \*\*", text_, re.MULTILINE) and re.search(r"^2\. \*\*", text_, re.MULTILINE), path.name
        assert blocks(text_), f"{path.name} has no ```bash runbook block: CI would not run it"


def test_the_block_marker_reads_indented_fences_and_options():
    sample = ("1. **Do**\n\n   ```bash runbook requires=today exit=0,1\n   heartbeat today\n   ```\n\n"
              "```bash\nnot run\n```\n\n```bash runbook\nheartbeat sources\n```\n")
    assert blocks(sample) == [Block("heartbeat today", "today", (0, 1)), Block("heartbeat sources", None)]


@pytest.fixture()
def checkout(docs_demo, server: Database, tmp_path: Path, receivers):
    """A scratch install: its own Heartbeat database (registry synced like a running app's), copies of the
    config folders, the demo's sources and marts, and a local Slack; yields (cwd, env, db, slack)."""
    folder = tmp_path / "heartbeat"
    shutil.copytree(ROOT / "metrics", folder / "metrics")
    shutil.copytree(ROOT / "cuts", folder / "cuts")
    shutil.copy(ROOT / "alerts.yaml", folder / "alerts.yaml")
    slack = receivers()
    with scratch_database(server, "hb_runbook") as db:
        registry.sync(db.engine(), folder / "metrics")
        cut_registry.sync(db.engine(), folder / "cuts")
        env = {
            **os.environ,
            **docs_demo.sources_env,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HEARTBEAT_DATABASE_URL": db.url().render_as_string(hide_password=False),
            "HEARTBEAT_MARTS_DATABASE": docs_demo.marts,
            "HEARTBEAT_DATA_DIR": str(folder / ".heartbeat"),
            "HEARTBEAT_METRICS_DIR": str(folder / "metrics"),
            "HEARTBEAT_CUTS_DIR": str(folder / "cuts"),
            "HEARTBEAT_ALERTS_FILE": str(folder / "alerts.yaml"),
            "HEARTBEAT_SLACK_WEBHOOK_URL": f"{slack.url}/services/runbook",
            "COLUMNS": "200",
        }
        yield folder, env, db, slack


def _run(runbook: str, folder: Path, env: dict[str, str]) -> list[str]:
    """Run each marked block of ``runbook`` in order; the skipped blocks' reasons."""
    skipped = []
    commands = registered_commands()
    for number, block in enumerate(blocks((RUNBOOKS / f"{runbook}.md").read_text()), start=1):
        if block.requires and block.requires not in commands:
            skipped.append(f"block {number} (`{block.commands}`) needs `heartbeat {block.requires}`, "
                           "which is not a registered command yet")
            continue
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.commands], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode in block.exits, (f"{runbook}.md block {number} failed (exit {done.returncode}):\n"
                                      f"$ {block.commands}\n{done.stdout}\n{done.stderr}")
    return skipped


@pytest.mark.parametrize("runbook", sorted(EXPECTED))
def test_runbook_runs_to_the_letter(runbook, checkout):
    folder, env, db, slack = checkout
    skipped = _run(runbook, folder, env)
    engine = db.engine()
    with engine.connect() as conn:
        if runbook == "add-a-metric":
            row = conn.execute(text("SELECT h.value FROM heartbeat.metric_registry r JOIN heartbeat.metric_history h "
                                    "ON h.metric_id = r.id WHERE r.id = 'clients_total' AND r.retired_at IS NULL"
                                    )).first()
            assert row is not None and row.value > 0, "the new metric is registered and computed"
        elif runbook == "add-an-audit-cut":
            snapshots = conn.execute(text("SELECT count(*) FROM heartbeat.audit_cut_snapshot "
                                          "WHERE cut_id = 'payments_rows_check' AND error IS NULL")).scalar()
            assert snapshots == 3, "a snapshot per window of the new cut"
        elif runbook == "tune-or-draft-an-alert-rule":
            assert conn.execute(text("SELECT alert_value FROM heartbeat.metric_registry "
                                     "WHERE id = 'payment_approval_rate_24h'")).scalar() == 88
            assert slack.bodies and "test message" in slack.bodies[0]["text"]
        elif runbook in ("onboard-a-new-source", "investigate-a-stalled-sync"):
            status = conn.execute(text("SELECT status FROM heartbeat.source_sync WHERE source = 'card_management' "
                                       "ORDER BY started_at DESC LIMIT 1")).scalar()
            assert status == "succeeded"
    if skipped:
        pytest.skip(f"{runbook}: every other block ran and passed; " + "; ".join(skipped))
