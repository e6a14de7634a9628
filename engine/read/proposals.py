"""Proposed metrics as the /metrics/proposed page reads them: the evidence `heartbeat discover` left behind.

Only proposals whose file is still in ``metrics/proposed/`` are listed (a promoted or rejected one
disappears at once), ranked as discovery ranked them. Nothing here reaches the registry, the cockpit
or the alerts: this is the one reader of proposals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVIDENCE = Path("proposed") / "evidence.json"


@dataclass(frozen=True)
class ProposedView:
    proposals: list[dict[str, Any]] = field(default_factory=list)  # ranked; each as evidence.json holds it
    incidents: list[dict[str, Any]] = field(default_factory=list)
    generated_at: str | None = None
    dropped: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why there is nothing to show, in words


def load(metrics_dir: Path) -> ProposedView:
    path = Path(metrics_dir) / EVIDENCE
    if not path.exists():
        return ProposedView(problem="No proposals yet: run 'heartbeat discover' to profile the landed tables.")
    try:
        evidence = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ProposedView(problem="The discovery evidence cannot be read: run 'heartbeat discover' again.")
    folder = path.parent
    present = [p for p in evidence.get("proposals", []) if (folder / f"{p.get('id')}.sql").exists()]
    present.sort(key=lambda p: p.get("rank", 0))
    return ProposedView(present, evidence.get("incidents", []), evidence.get("generated_at"),
                        evidence.get("dropped", {}))
