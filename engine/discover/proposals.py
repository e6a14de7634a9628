"""Where proposals live: ``metrics/proposed/<id>.sql`` (``state: proposed``), their evidence, and the rejections.

A proposal is a complete metric file that the registry never reads (``load_directory``
reads ``metrics/*.sql`` only and skips any ``state: proposed`` file), so it reaches
no tile, alert or MCP answer. Promoting moves it into ``metrics/`` without the
``state`` line: the next sync registers it, unverified like every new metric.
Rejecting deletes it and records why in ``rejected.yaml``, which every later
discovery reads, so the same proposal does not come back.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from engine.core.errors import HeartbeatError
from engine.discover.rules import Candidate
from engine.metrics.files import HEADER_FENCE, METRIC_ID

PROPOSED = "proposed"
EVIDENCE_FILE = "evidence.json"
REJECTED_FILE = "rejected.yaml"
STATE_LINE = "-- state: proposed"


class ProposalError(HeartbeatError):
    """A proposal cannot be promoted or rejected as asked; the message says why."""


def proposed_dir(metrics_dir: Path) -> Path:
    return Path(metrics_dir) / PROPOSED


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else ">" if len(value) > 90 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def render(candidate: Candidate) -> str:
    """The metric file of a candidate: the header as a YAML comment block, then the value SQL."""
    header = yaml.dump(candidate.header(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    lines = [HEADER_FENCE, *(f"-- {line}".rstrip() for line in header.splitlines()), HEADER_FENCE]
    return "\n".join(lines) + "\n" + candidate.value_sql.rstrip().rstrip(";") + ";\n"


def write(metrics_dir: Path, candidate: Candidate) -> Path:
    folder = proposed_dir(metrics_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{candidate.id}.sql"
    path.write_text(render(candidate), encoding="utf-8")
    return path


def clear(metrics_dir: Path) -> None:
    """Remove the proposals of an earlier run (rejections stay)."""
    folder = proposed_dir(metrics_dir)
    for path in folder.glob("*.sql"):
        path.unlink()
    (folder / EVIDENCE_FILE).unlink(missing_ok=True)


def rejected(metrics_dir: Path) -> dict[str, dict[str, Any]]:
    """Rejected proposal ids with why, when and by whom."""
    path = proposed_dir(metrics_dir) / REJECTED_FILE
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def _checked(metrics_dir: Path, proposal_id: str) -> Path:
    if not METRIC_ID.match(proposal_id):
        raise ProposalError(f"{proposal_id!r} is not a proposal id (lower_snake_case, as listed by `heartbeat discover`)")
    path = proposed_dir(metrics_dir) / f"{proposal_id}.sql"
    if not path.exists():
        known = sorted(p.stem for p in proposed_dir(metrics_dir).glob("*.sql"))
        raise ProposalError(f"no proposal {proposal_id!r} in {proposed_dir(metrics_dir)}; "
                            f"{'known: ' + ', '.join(known[:10]) if known else 'run `heartbeat discover` first'}")
    return path


def _forget_evidence(metrics_dir: Path, proposal_id: str) -> None:
    path = proposed_dir(metrics_dir) / EVIDENCE_FILE
    if not path.exists():
        return
    evidence = json.loads(path.read_text(encoding="utf-8"))
    evidence["proposals"] = [p for p in evidence.get("proposals", []) if p["id"] != proposal_id]
    path.write_text(json.dumps(evidence, indent=1), encoding="utf-8")


def promote(metrics_dir: Path, proposal_id: str) -> Path:
    """Move a proposal into ``metrics/`` as a real (unverified) metric; returns its new path."""
    path = _checked(metrics_dir, proposal_id)
    target = Path(metrics_dir) / path.name
    if target.exists():
        raise ProposalError(f"metrics/{path.name} already exists: reject the proposal or rename one of them")
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.strip() != STATE_LINE]
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    path.unlink()
    _forget_evidence(metrics_dir, proposal_id)
    return target


def reject(metrics_dir: Path, proposal_id: str, reason: str, by: str = "cli") -> None:
    """Delete a proposal and record why, so discovery does not propose it again."""
    if not reason or len(reason.strip()) < 3:
        raise ProposalError("say why the proposal is rejected (--reason), so the next person knows")
    path = _checked(metrics_dir, proposal_id)
    records = rejected(metrics_dir)
    records[proposal_id] = {"reason": reason.strip(), "by": by,
                            "at": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}
    (proposed_dir(metrics_dir) / REJECTED_FILE).write_text(
        "# Proposals rejected with `heartbeat discover reject`: discovery never proposes these ids again.\n"
        + yaml.safe_dump(records, sort_keys=True, allow_unicode=True), encoding="utf-8")
    path.unlink()
    _forget_evidence(metrics_dir, proposal_id)
