"""`heartbeat metrics sync|compute|benchmarks|backfill|metric validate`: the metric lifecycle from a terminal."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine import backfill, benchmarks, compute, metric_validate, registry
from engine.compute import ComputeContext, ComputeResult
from engine.runtime import Runtime

STATUS_STYLE = {"red": "red", "amber": "yellow", "green": "green", "no_data": "dim", "error": "magenta"}


def cmd_sync(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    report = registry.sync(rt.db.engine(), rt.settings.metrics_dir)
    console.print(f"[green]✓[/] metric registry in line with metrics/: {report.summary()}")
    return 0


def cmd_compute(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ctx = ComputeContext.from_settings(rt.settings, rt.db)
    metrics = compute.active_metrics(rt.db.engine(), args.ids or None)
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
    results = benchmarks.refresh(rt.db.engine(), compute.today())
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
    result = metric_validate.validate(args.metric_id, ctx, rt.settings.metrics_dir)
    for line in metric_validate.render(result):
        console.print(line, markup=False)
    return 0 if result.passed else 1
