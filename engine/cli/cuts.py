"""`heartbeat cuts sync|refresh [id]`, `heartbeat cut new <id>`: the audit cuts from a terminal — the way to test a new cut."""

from __future__ import annotations

import argparse

from rich.console import Console

from engine.audit import registry, scaffold, snapshots
from engine.audit.snapshots import SnapshotResult
from engine.cli.common import Formatter, printing
from engine.metrics.compute import ComputeContext
from engine.runtime import Runtime


def cmd_sync(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    report = registry.sync(rt.db.engine(), rt.settings.cuts_dir)
    console.print(f"[green]✓[/] cut registry in line with cuts/: {report.summary()}")
    return 0


def cmd_refresh(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ctx = ComputeContext.from_settings(rt.settings, rt.db)

    def done(result: SnapshotResult) -> None:
        if result.ok:
            console.print(f"[green]✓[/] {result.cut_id} {result.window}  {result.duration_ms} ms")
        else:
            console.print(f"[magenta]✗ {result.cut_id} {result.window}[/]: {result.error}", markup=True)

    results = snapshots.refresh(ctx, args.ids or None, folder=rt.settings.cuts_dir,
                                windows=[args.window] if args.window else None, on_result=done)
    failed = sum(not r.ok for r in results)
    console.print(f"{len(results) - failed} snapshot(s) stored, {failed} failed")
    return 1 if failed or not results else 0


def cmd_new(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    path = scaffold.create(rt.settings.cuts_dir, args.cut_id, page=args.page, metrics=args.metric,
                           source=args.source, table=args.table)
    console.print(f"[green]✓[/] wrote {path}")
    console.print(f"  next: edit it, then `heartbeat cuts refresh {args.cut_id}`", markup=False, soft_wrap=True)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat cuts sync`` and ``heartbeat cuts refresh [ID ...] [--window 30d]``."""
    cuts = commands.add_parser("cuts", help="audit cuts: sync cuts/*.py, refresh snapshots",
                               formatter_class=Formatter)
    cuts_commands = cuts.add_subparsers(title="cuts commands", metavar="COMMAND")
    sync = cuts_commands.add_parser(
        "sync", help="bring the cut registry in line with cuts/*.py (nothing changes if any module is broken)",
        formatter_class=Formatter,
    )
    sync.set_defaults(handler=printing(cmd_sync))
    refresh = cuts_commands.add_parser(
        "refresh", help="sync, then compute the snapshots of the named cuts (default: all) for each window",
        description="Runs each cut's compute read-only on the marts, validates the payload and stores it per "
        "window. A failing cut keeps its last good snapshot. Exit status 1 when any failed.",
        formatter_class=Formatter,
    )
    refresh.add_argument("ids", nargs="*", metavar="ID", help="cut ids (file names in cuts/ without .py)")
    refresh.add_argument("--window", help="only this window (e.g. 30d); cuts that do not offer it are skipped")
    refresh.set_defaults(handler=printing(cmd_refresh))
    cuts.set_defaults(handler=None, subparser=cuts)

    cut = commands.add_parser("cut", help="start one audit cut", formatter_class=Formatter)
    cut_commands = cut.add_subparsers(title="cut commands", metavar="COMMAND")
    new = cut_commands.add_parser(
        "new", help="write cuts/ID.py from a template that names every META key (valid as written)",
        description="Writes a new cut module into HEARTBEAT_CUTS_DIR: META with every key explained and a "
        "compute returning a table of one landed table's rows. `heartbeat cuts refresh ID` stores its "
        "snapshot as written; never overwrites an existing file.",
        formatter_class=Formatter,
    )
    new.add_argument("cut_id", metavar="ID", help="the new cut id (lower_snake_case; the file name)")
    new.add_argument("--page", default="overview", help="audit page: overview, clients or journeys (default overview)")
    new.add_argument("--metric", action="append", default=[], metavar="METRIC_ID",
                     help="a metric this cut explains (repeat for more)")
    new.add_argument("--source", help="source.schema compute reads (default: the first registered)")
    new.add_argument("--table", help="table of that schema to count (default: its first declared table)")
    new.set_defaults(handler=printing(cmd_new))
    cut.set_defaults(handler=None, subparser=cut)
