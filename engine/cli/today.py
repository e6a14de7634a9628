"""`heartbeat today`: what is wrong today, ranked — the triage the MCP tool ``whats_wrong_today`` answers.

A table of every item, then the first three expanded with their why and links. Exit code 1 when anything
is red (a morning script can gate on it), 0 otherwise; stale data is listed as stale and never makes it 1.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.cli.common import Formatter, printing
from engine.core import formatting
from engine.read.triage import MAX_LIMIT, Triage, TriageItem, triage
from engine.runtime import Runtime

EXPANDED = 3
COLOURS = {"red": "bold red", "error": "magenta", "amber": "yellow", "stale": "cyan"}
SPARK = "▁▂▃▄▅▆▇█"


def spark(values: list[float | None]) -> str:
    """Seven daily values as a tiny bar chart; a gap is a space."""
    shown = [v for v in values if v is not None]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    span = (high - low) or 1.0
    return "".join(" " if v is None else SPARK[round((v - low) / span * (len(SPARK) - 1))] for v in values)


def _alert(item: TriageItem) -> str:
    alert = item.alert
    if alert is None:
        return "—"
    parts = [alert.state]
    if alert.notified_at:
        parts.append("notified")
    if alert.acknowledged_by:
        parts.append(f"acked by {alert.acknowledged_by}")
    if alert.silenced_until:
        parts.append(f"silenced until {formatting.when(alert.silenced_until)}")
    if alert.held_back_by:
        parts.append(f"held back by {alert.held_back_by}")
    return ", ".join(parts)


def _since(item: TriageItem) -> str:
    if item.since is None:
        return "—"
    return f"{item.since}" + (" or earlier" if item.since_history_start else "")


def render(answer: Triage, console: Console) -> None:
    counts = answer.counts
    console.print(f"[bold]Heartbeat today[/] — [bold red]{counts.red} red[/], {counts.error} error, "
                  f"[yellow]{counts.amber} amber[/], [cyan]{counts.stale} stale[/], {counts.green} green "
                  f"({formatting.when(answer.generated_at)})")
    if not answer.items:
        console.print("[green]Nothing is wrong: every metric is green and every source is fresh.[/]")
        return
    table = Table(show_lines=False, expand=False)
    for column in ("#", "kind", "what", "owner", "since", "last 7 days", "alert"):
        table.add_column(column, overflow="fold")
    for item in answer.items:
        colour = COLOURS[item.kind]
        table.add_row(str(item.rank), f"[{colour}]{item.kind}[/]", escape(item.subject),
                      escape(item.owner or "nobody"), _since(item), spark(item.last_7_days), escape(_alert(item)))
    console.print(table)
    if answer.more:
        console.print(f"… and {answer.more} more (use --limit)")
    for item in answer.items[:EXPANDED]:
        console.print(f"\n[{COLOURS[item.kind]}]{item.rank}. {escape(item.subject)}[/]")
        console.print(f"   {escape(item.why)}")
        console.print(f"   owner: {escape(item.owner or 'nobody')} · since {_since(item)} · data {item.freshness}")
        if item.link:
            console.print(f"   metric: {escape(item.link)}")
        if item.cut:
            console.print(f"   evidence: {escape(item.cut.title)} — {escape(item.cut.link)}")
        if item.metrics:
            console.print(f"   holds back: {escape(', '.join(item.metrics))}")


def cmd_today(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    answer = triage(rt.db.engine(), link_base=rt.settings.link_base, limit=args.limit)
    render(answer, console)
    return 1 if answer.counts.red else 0


def _limit(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"use 1 to {MAX_LIMIT}")
    return value


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat today [--limit N]``."""
    today = commands.add_parser(
        "today", help="what is wrong today, ranked (exit 1 when anything is red)",
        description="The morning triage: red values first (most severe first), then failed computations, amber "
        "values and stale sources, each with why, owner, since when, the last 7 days and the alert's state; the "
        "first three expanded with their links. Exit code 1 when anything is red, so a script can gate on it. "
        "The same ranking the MCP tool whats_wrong_today answers.",
        formatter_class=Formatter,
    )
    today.add_argument("--limit", type=_limit, default=10, metavar="N", help=f"items to show (1–{MAX_LIMIT})")
    today.set_defaults(handler=printing(cmd_today))
