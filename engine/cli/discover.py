"""`heartbeat discover [promote ID | reject ID --reason …]`: propose metrics from the landed data, then decide."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.cli.common import Formatter, printing
from engine.core.db import Database
from engine.demo import read_meta
from engine.demo.incident_starts import incident_starts
from engine.demo.plan import Plan
from engine.demo.webbank import DATABASE as WEBBANK_DATABASE
from engine.discover import proposals
from engine.discover.backtest import KnownIncident
from engine.discover.run import discover
from engine.metrics import registry
from engine.metrics.compute import ComputeContext
from engine.runtime import Runtime

TOP = 10


def known_incidents(db: Database, prefix: str = "") -> list[KnownIncident]:
    """The planted incidents of the demo build on this server (none outside the demo)."""
    meta = read_meta(db, prefix + WEBBANK_DATABASE)
    if meta is None:
        return []
    plan = Plan(seed=int(meta["seed"]), scale=float(meta["scale"]), now=meta["now"])
    return [KnownIncident(i, start, sources) for i, start, sources in incident_starts(plan)]


def _late(days: int | None) -> str:
    return "—" if days is None else "same day" if days == 0 else f"+{days} d"


def cmd_discover(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ctx = ComputeContext.from_settings(rt.settings, rt.db)
    incidents = known_incidents(rt.db)
    if not incidents:
        console.print("[dim]no known incidents (not a demo build): the backtest measures false alarms only[/]")
    found = discover(ctx, rt.settings.metrics_dir, incidents, on_step=lambda m: console.print(f"[dim]{m}[/]"))
    table = Table(title=f"top {min(TOP, len(found.proposals))} of {len(found.proposals)} proposals "
                        f"(metrics/proposed/, ranked by usefulness)")
    table.add_column("#")
    table.add_column("proposal", no_wrap=True)
    for column in ("caught (days after start)", "false reds / month", "false ambers / week", "duplicate of"):
        table.add_column(column)
    for rank, proposal in enumerate(found.proposals[: args.top], start=1):
        r = proposal.result
        caught = ", ".join(f"{c.incident} {_late(c.days_late)}" for c in r.caught) or "—"
        table.add_row(str(rank), proposal.candidate.id, caught, f"{r.false_reds_per_month:.2f}",
                      f"{r.false_ambers_per_week:.2f}", r.duplicate_of or "")
    console.print(table)
    caught = {c.incident for p in found.proposals for c in p.result.caught if p.result.false_reds_per_month <= 1}
    if incidents:
        console.print(f"incidents caught within 2 days by a proposal with at most one false red a month: "
                      f"{len(caught)} of {len(incidents)}"
                      + (f" (missed: {', '.join(sorted({i.id for i in incidents} - caught))})"
                         if len(caught) < len(incidents) else ""))
    if found.dropped:
        console.print(f"[yellow]{len(found.dropped)} candidate(s) dropped (the metric-validate gate, a failing "
                      "history, or nothing to judge them by):[/]")
        for candidate_id, why in sorted(found.dropped.items()):
            console.print(f"  {candidate_id}: {escape(why)}")
    console.print(f"[green]✓[/] {len(found.proposals)} proposals in {found.timings['total_s']:.1f} s; "
                  "promote with `heartbeat discover promote ID`, reject with `heartbeat discover reject ID "
                  "--reason …`")
    return 0


def cmd_promote(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    path = proposals.promote(rt.settings.metrics_dir, args.proposal_id)
    report = registry.sync(rt.db.engine(), rt.settings.metrics_dir)
    console.print(f"[green]✓[/] {args.proposal_id} promoted to {path}: on the wall as unverified "
                  f"({report.summary()}); verify it in the app once its numbers are checked")
    return 0


def cmd_reject(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    proposals.reject(rt.settings.metrics_dir, args.proposal_id, args.reason)
    console.print(f"[green]✓[/] {args.proposal_id} rejected; recorded in metrics/proposed/{proposals.REJECTED_FILE} "
                  "so discovery does not propose it again")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat discover``, ``discover promote ID``, ``discover reject ID --reason …``."""
    parser = commands.add_parser(
        "discover", help="propose metrics from the landed data, backtested (metrics/proposed/)",
        description="Profile every landed table, propose candidate metrics, put each through the "
        "metric-validate gate and backtest it over the landed history (false alarms on normal days, planted "
        "incidents caught). Proposals never reach the wall, alerts or MCP until promoted.",
        formatter_class=Formatter,
    )
    parser.add_argument("--top", type=int, default=TOP, help=f"how many proposals to list (default {TOP})")
    parser.set_defaults(handler=printing(cmd_discover))
    actions = parser.add_subparsers(title="discover commands", metavar="COMMAND")
    promote = actions.add_parser("promote", help="move a proposal into metrics/ (unverified) and sync",
                                 formatter_class=Formatter)
    promote.add_argument("proposal_id", metavar="ID")
    promote.set_defaults(handler=printing(cmd_promote))
    reject = actions.add_parser("reject", help="delete a proposal and record why, so it does not come back",
                                formatter_class=Formatter)
    reject.add_argument("proposal_id", metavar="ID")
    reject.add_argument("--reason", required=True, help="why it is not worth a tile")
    reject.set_defaults(handler=printing(cmd_reject))
