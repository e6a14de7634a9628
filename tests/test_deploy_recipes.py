"""The deployment recipes (docs/deploy/) stay runnable: their commands parse, their settings exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from engine.cli import build_parser
from engine.core.settings import SETTINGS, load_settings

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy"
KNOWN = {s.env for s in SETTINGS} | {"HEARTBEAT_WEB_WORKERS"}  # the recipes' own knob for --workers


def _commands() -> list[list[str]]:
    found = []
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line and not line.startswith("#"):
            found.append(shlex.split(line.split(":", 1)[1]))
    for unit in (DEPLOY / "systemd").glob("*.service"):
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                found.append(shlex.split(line.removeprefix("ExecStart=")))
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    found += [s["command"] for s in compose["services"].values() if s.get("command", [""])[0] == "heartbeat"]
    return found


def test_every_recipe_command_is_a_heartbeat_command_that_parses():
    commands = _commands()
    assert len(commands) == 6  # web and scheduler in the Procfile, the units and the compose file
    for command in commands:
        args = [re.sub(r"\$\{HEARTBEAT_WEB_WORKERS(:-2)?\}", "2", a) for a in command[1:]]
        parsed = build_parser().parse_args(args)
        assert parsed.handler.__name__ in ("cmd_serve", "cmd_scheduler"), command
        if parsed.handler.__name__ == "cmd_serve":
            assert parsed.workers == 2 and parsed.no_scheduler, command


def test_every_setting_a_recipe_names_exists_and_the_example_is_valid():
    text = "\n".join(p.read_text() for p in DEPLOY.rglob("*") if p.is_file())
    named = set(re.findall(r"\bHEARTBEAT_[A-Z_]+", text))
    assert named - KNOWN == set()
    example = dict(line.split("=", 1) for line in (DEPLOY / "heartbeat.env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    settings = load_settings(example)
    assert settings.redis_url and settings.database_url and not settings.scheduler
