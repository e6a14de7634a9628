"""`heartbeat refresh`: the same single-flight job the app and the scheduler run, with progress bars."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine import alerts, refresh
from engine.cli.common import Formatter, printing
from engine.core.errors import HeartbeatError
from engine.refresh import JobState, RefreshRequest
from engine.runtime import Runtime, wiring


def cmd_refresh(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ctx = wiring.refresh_context(rt.settings, rt.db)
    request = RefreshRequest(metric_ids=args.ids or "all", trigger="cli")
    with Progress(TextColumn("[bold]{task.fields[phase]:<8}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.description}"), console=console) as progress:
        task = progress.add_task("", total=None, phase="starting")

        def on_progress(state: JobState) -> None:
            progress.update(task, phase=state.phase, total=state.total or None, completed=state.step,
                            description=state.current_item or "")

        started, state = refresh.run(ctx, request, on_progress=on_progress)
    if started.coalesced:
        console.print(f"a refresh is already running (job {started.job_id}); this request joined it")
        return 0
    assert state is not None
    colour = {"succeeded": "green", "partial": "yellow"}.get(state.status, "red")
    console.print(f"job {state.id}: [{colour}]{state.status}[/]"
                  f" — {len(state.source_outcomes)} source schema(s), {len(state.metric_outcomes)} metric(s)")
    if state.error:
        console.print(f"  {state.error}", markup=False)
    send_queued_alerts(rt, console)
    return 0 if state.status == "succeeded" else 1


def send_queued_alerts(rt: Runtime, console: Console) -> None:
    """Send the notifications the refresh queued before this process exits (a crontab may be all there is).

    One attempt each; what fails stays queued for the app's or ``heartbeat scheduler``'s dispatcher.
    """
    try:
        outcomes = alerts.dispatch_once(rt.settings, rt.db)
    except HeartbeatError as exc:
        console.print(f"alerts not sent now ({exc}); they stay queued", markup=False)
        return
    if not outcomes:
        return
    failed = [o for o in outcomes if not o.ok]
    line = f"alerts: {len(outcomes) - len(failed)} notification(s) sent"
    if failed:
        line += (f", {len(failed)} failed and stay queued for retry by the app or `heartbeat scheduler` "
                 "(see `heartbeat alerts`)")
    console.print(line, markup=False)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat refresh [ID ...]``."""
    refresh = commands.add_parser(
        "refresh", help="ingest + compute now: the one refresh job (joins a running one)",
        description="Run the refresh job: sync metrics, ingest the sources the metrics read, compute them, "
        "then send the alerts it queued (one attempt; what fails stays queued for the app or the scheduler). "
        "If a refresh is already running anywhere (app, scheduler, another terminal), this joins it.",
        formatter_class=Formatter,
    )
    refresh.add_argument("ids", nargs="*", metavar="ID", help="metric ids (default: all)")
    refresh.set_defaults(handler=printing(cmd_refresh))
