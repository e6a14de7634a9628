"""Docs stay honest: every CLI command has its entry in docs/cli.md, every page links resolve."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from engine.cli import build_parser

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(parser: argparse.ArgumentParser, prefix: str = "heartbeat") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(_commands(sub, f"{prefix} {name}"))
    return found


def test_every_cli_command_is_documented():
    text = (DOCS / "cli.md").read_text()
    leaves = [c for c in _commands(build_parser()) if not any(o.startswith(c + " ") for o in _commands(build_parser()))]
    missing = [c for c in leaves if f"`{c}" not in text]
    assert missing == []


def test_in_app_doc_links_point_at_existing_pages():
    pages = {p.stem for p in DOCS.glob("*.md")}
    broken = []
    for path in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(/docs(?:/([\w-]+))?[)#]", path.read_text()):
            if target and target not in pages:
                broken.append(f"{path.name} → /docs/{target}")
    assert broken == []
