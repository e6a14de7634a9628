"""The import directions of docs/architecture.md hold: the engine never knows the UI."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(folder: str) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in (ROOT / folder).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[path] = names
    return found


def test_engine_never_imports_the_ui():
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in names if n.split(".")[0] == "heartbeat_app")
        for path, names in _imports("engine").items()
        if any(n.split(".")[0] == "heartbeat_app" for n in names)
    }
    assert offenders == {}


def test_engine_never_imports_reflex():
    # The engine serves the CLI, the scheduler and the API without a UI toolkit.
    offenders = [str(p.relative_to(ROOT)) for p, names in _imports("engine").items()
                 if any(n.split(".")[0] == "reflex" for n in names)]
    assert offenders == []


def test_ui_reads_through_the_read_model_only():
    allowed = {"engine", "engine.formatting", "engine.read_model", "engine.runtime", "engine.api",
               "engine.migrations", "engine.contract", "engine.app_services", "engine.operator_edits",
               "engine.refresh", "engine.alerts", "engine.alerts.config", "engine.alerts.operator"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in names if n.startswith("engine") and n not in allowed)
        for path, names in _imports("heartbeat_app").items()
    }
    assert {k: v for k, v in offenders.items() if v} == {}
