"""The command-line reference, generated from the parser the ``heartbeat`` command itself uses."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from engine.docs.markdown import cell, code, table


@dataclass(frozen=True)
class Command:
    """One leaf command: ``heartbeat metric validate`` with its help and arguments."""

    name: str
    help: str
    description: str
    usage: str
    arguments: tuple[tuple[str, str], ...]


def _arguments(parser: argparse.ArgumentParser) -> tuple[tuple[str, str], ...]:
    found = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = ", ".join(action.option_strings) or (action.metavar or action.dest)
        if action.option_strings and action.nargs != 0:
            name += f" {action.metavar or action.dest.upper()}"
        found.append((str(name), action.help or ""))
    return tuple(found)


def commands(parser: argparse.ArgumentParser, prefix: str = "heartbeat") -> list[Command]:
    """Every leaf command of ``parser``, in the parser's order."""
    found: list[Command] = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            full = f"{prefix} {name}"
            nested = commands(sub, full)
            # A group with a body of its own (`heartbeat alerts` lists) is a command too.
            if not nested or sub.get_default("handler") is not None:
                usage = " ".join(sub.format_usage().split()).removeprefix("usage: ").removeprefix("Usage: ")
                found.append(Command(full, helps.get(name, ""), sub.description or "", usage, _arguments(sub)))
            found.extend(nested)
    return found


def cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """A section per command: what it does, its usage line and its arguments."""
    if parser is None:
        from engine.cli import build_parser

        parser = build_parser()
    found = commands(parser)
    parts = [
        "## Reference (generated from the command's parser)",
        f"{len(found)} commands, read from `heartbeat --help` itself each time this page is built.",
        table(("Command", "What it does"), [(code(c.name), c.help) for c in found]),
    ]
    for command in found:
        parts.append(f"### {command.name}")
        parts.append(cell(command.description or command.help))
        parts.append(f"```\n{command.usage}\n```")
        if command.arguments:
            parts.append(table(("Argument", "Meaning"), [(code(n), h) for n, h in command.arguments]))
    return "\n\n".join(parts) + "\n"
