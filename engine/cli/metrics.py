"""`heartbeat metrics sync|compute|benchmarks|backfill|metric validate|metric new`: the metric lifecycle from a terminal."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine.cli.common import Formatter, printing
from engine.metrics import backfill, bands, compute, registry, scaffold, validate
from engine.metrics.compute import ComputeContext, ComputeResult
from engine.runtime import Runtime

STATUS_STYLE = {"red": "red", "amber": "yellow", "green": "green", "no_data": "dim", "error": "magenta"}


def cmd_sync(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    report = registry.sync(rt.db.engine(), rt.settings.metrics_dir)
    console.print(f"[green]✓[/] metric registry in line with metrics/: {report.summary()}")
    return 0


def cmd_compute(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ctx = ComputeContext.from_settings(rt.settings, rt.db)
    metrics = registry.active_metrics(rt.db.engine(), args.ids or None)
    missing = sorted(set(args.ids or []) - {m.id for m in metrics})
    if missing:
        console.print(f"[red]error:[/] unknown or retired metric(s): {', '.join(missing)}; run `heartbeat metrics sync`?")
        return 1
    with Progress(TextColumn("computing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console) as progress:
        task = progress.add_task("", total=len(metrics))

        def done(result: ComputeResult) -> None:
            style = STATUS_STYLE.get(result.status, "")
            progress.update(task, advance=1, description=f"[{style}]{result.metric_id} {result.status}[/]")

        results = compute.compute_many(ctx, [m.id for m in metrics], on_result=done)
    for result in sorted(results, key=lambda r: r.metric_id):
        if not result.ok:
            console.print(f"[magenta]✗ {result.metric_id}[/]: {result.error}")
    failed = sum(not r.ok for r in results)
    console.print(f"{len(results) - failed} computed, {failed} failed")
    return 1 if failed else 0


def cmd_benchmarks(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ctx = ComputeContext.from_settings(rt.settings, rt.db)
    results = bands.refresh(rt.db.engine(), ctx.today(), marts=ctx)
    learning = [r.metric_id for r in results if r.learning]
    console.print(f"[green]✓[/] {len(results) - len(learning)} band(s) refreshed; {len(learning)} still learning"
                  + (f" ({', '.join(learning)})" if learning else ""))
    return 0


def cmd_backfill(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ctx = ComputeContext.from_settings(rt.settings, rt.db)
    results = backfill.backfill(ctx, days=args.days)
    for result in results:
        if result.error:
            console.print(f"[magenta]✗ {result.metric_id}[/]: {result.error}")
    written = sum(r.days_written for r in results)
    console.print(f"[green]✓[/] {written} past day(s) written for {len(results)} metric(s) with history_sql")
    return 1 if any(r.error for r in results) else 0


def cmd_validate(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ctx = ComputeContext.from_settings(rt.settings, rt.db)
    folder = rt.settings.metrics_dir
    if not (folder / f"{args.metric_id}.sql").exists() and (folder / "proposed" / f"{args.metric_id}.sql").exists():
        folder = folder / "proposed"  # a proposal of `heartbeat discover` passes the same gate
    result = validate.validate(args.metric_id, ctx, folder)
    for line in validate.render(result):
        console.print(line, markup=False)
    return 0 if result.passed else 1


def cmd_new(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    path = scaffold.create(rt.settings.metrics_dir, args.metric_id, args.source, args.table)
    console.print(f"[green]✓[/] wrote {path}")
    console.print(f"  next: edit it, then `heartbeat metric validate {args.metric_id}` and `heartbeat metrics sync`",
                  markup=False, soft_wrap=True)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat metrics sync``, ``compute``, ``benchmarks refresh``, ``backfill``, ``metric validate``."""
    metrics = commands.add_parser("metrics", help="manage the metric registry", formatter_class=Formatter)
    metrics_commands = metrics.add_subparsers(title="metrics commands", metavar="COMMAND")
    sync = metrics_commands.add_parser(
        "sync", help="bring the registry in line with metrics/*.sql (nothing changes if any file is broken)",
        formatter_class=Formatter,
    )
    sync.set_defaults(handler=printing(cmd_sync))
    metrics.set_defaults(handler=None, subparser=metrics)

    comp = commands.add_parser(
        "compute", help="compute metrics now from the marts (no ingest)",
        description="Run the value SQL of the named metrics (default: all active) on the marts and write "
        "today's history. Exit status 1 when any failed.", formatter_class=Formatter,
    )
    comp.add_argument("ids", nargs="*", metavar="ID", help="metric ids (file names without .sql)")
    comp.set_defaults(handler=printing(cmd_compute))

    bench = commands.add_parser("benchmarks", help="μ/σ bands of rolling_stat metrics", formatter_class=Formatter)
    bench_commands = bench.add_subparsers(title="benchmarks commands", metavar="COMMAND")
    refresh = bench_commands.add_parser(
        "refresh", help="recompute every band from history (today excluded)", formatter_class=Formatter
    )
    refresh.set_defaults(handler=printing(cmd_benchmarks))
    bench.set_defaults(handler=None, subparser=bench)

    fill = commands.add_parser(
        "backfill", help="fill past daily values from each metric's history_sql", formatter_class=Formatter
    )
    fill.add_argument("--days", type=int, default=90, help="how many past days (default 90)")
    fill.set_defaults(handler=printing(cmd_backfill))

    metric = commands.add_parser("metric", help="inspect one metric", formatter_class=Formatter)
    metric_commands = metric.add_subparsers(title="metric commands", metavar="COMMAND")
    validate = metric_commands.add_parser(
        "validate", help="run one metric's SQL with timing, plan checks and what its tile would show",
        formatter_class=Formatter,
    )
    validate.add_argument("metric_id", metavar="ID")
    validate.set_defaults(handler=printing(cmd_validate))
    new = metric_commands.add_parser(
        "new", help="write metrics/ID.sql from a template that names every header key (valid as written)",
        description="Writes a new metric file into HEARTBEAT_METRICS_DIR: a header with every key explained "
        "(optional ones commented out) and a value SQL counting the rows of one landed table. It passes "
        "`heartbeat metric validate ID` as written; never overwrites an existing file.",
        formatter_class=Formatter,
    )
    new.add_argument("metric_id", metavar="ID", help="the new metric id (lower_snake_case; the file name)")
    new.add_argument("--source", help="source.schema the SQL reads (default: the first registered)")
    new.add_argument("--table", help="table of that schema to count (default: its first declared table)")
    new.set_defaults(handler=printing(cmd_new))
    metric.set_defaults(handler=None, subparser=metric)
