"""`heartbeat ingest` and `heartbeat sources`: land sources with live progress, list their state."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from rich.console import Console
from rich.live import Live
from rich.table import Table

from engine import ingest, sources
from engine.cli.common import Formatter, printing
from engine.core import formatting
from engine.ingest.ledger import SyncOutcome, last_syncs
from engine.ingest.report import replace_tables
from engine.runtime import Runtime


class IngestDisplay:
    """A live table: one row per (source, schema), its phase and the rows of each table so far."""

    def __init__(self, pairs: list[tuple[sources.SourceSpec, str]]) -> None:
        self.state: dict[str, dict] = {
            f"{spec.name}.{schema}": {"phase": "waiting", "tables": {}, "result": ""} for spec, schema in pairs
        }

    def update(self, event: ingest.Progress) -> None:
        entry = self.state[f"{event.source}.{event.schema}"]
        entry["phase"] = event.phase
        if event.table:
            entry["tables"][event.table] = event.rows

    def finish(self, outcome: SyncOutcome) -> None:
        entry = self.state[f"{outcome.source}.{outcome.schema}"]
        entry["phase"] = "[green]done[/]" if outcome.ok else "[red]failed[/]"
        entry["result"] = (
            f"{outcome.rows_total:,} rows in {formatting.duration(outcome.duration_ms / 1000)}"
            if outcome.ok
            else (outcome.error or "")
        )

    def render(self) -> Table:
        table = Table(title="Ingest", expand=True)
        table.add_column("source", no_wrap=True)
        table.add_column("phase", no_wrap=True)
        table.add_column("tables (rows read)")
        table.add_column("result")
        for name, entry in self.state.items():
            tables = ", ".join(f"{t} {n:,}" for t, n in entry["tables"].items())
            table.add_row(name, entry["phase"], tables, entry["result"])
        return table


def cmd_ingest(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    pairs = ingest.plan(args.sources)
    ctx = ingest.context_for(rt.settings, rt.db)
    display = IngestDisplay(pairs)
    outcomes = []
    with Live(display.render(), console=console, refresh_per_second=4, transient=False) as live:
        def on_progress(event: ingest.Progress) -> None:
            display.update(event)
            live.update(display.render())

        for outcome in ingest.run_many(pairs, ctx, on_progress=on_progress):
            display.finish(outcome)
            live.update(display.render())
            outcomes.append(outcome)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        console.print(f"[red]error:[/] {len(failed)} of {len(outcomes)} source schemas failed; the others landed")
        return 1
    return 0


def cmd_sources(rt: Runtime, args: argparse.Namespace, console: Console) -> int:
    ledger = last_syncs(rt.db.engine())
    now = datetime.now(timezone.utc)
    table = Table(title="Sources", expand=True)
    for column in ("source", "kind", "lands in", "last sync", "status", "rows", "last success"):
        table.add_column(column, no_wrap=True)
    table.add_column("error", overflow="fold")
    for spec in sources.SOURCES:
        for schema in spec.schemas:
            last = ledger.get((spec.name, schema))
            status = last.status if last else "never synced"
            colour = {"succeeded": "green", "failed": "red", "running": "yellow"}.get(status, "dim")
            table.add_row(
                f"{spec.name}.{schema}",
                spec.kind,
                spec.dataset(schema),
                formatting.age(last.started_at, now) if last else "—",
                f"[{colour}]{status}[/]",
                f"{last.rows_total:,}" if last and last.rows_total is not None else "—",
                formatting.age(last.last_success_at, now) if last else "—",
                (last.error or "") if last else "",
            )
    console.print(table)
    if args.replace:
        ctx = ingest.context_for(rt.settings, rt.db)
        report = Table(title="Tables landed with replace (full reload every run)")
        for column in ("source", "table", "rows", "size"):
            report.add_column(column)
        for item in replace_tables(ctx):
            report.add_row(f"{item.source}.{item.schema}", item.table, f"{item.rows:,}", f"{item.bytes / 1024:,.0f} KiB")
        console.print(report)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat ingest [SOURCE[.SCHEMA] ...]`` and ``heartbeat sources [--replace]``."""
    ingest = commands.add_parser(
        "ingest", help="land sources into the marts now (all, a source, or source.schema)",
        description="Land the named sources (default: all) into the marts with dlt, showing rows per table "
        "as they stream. A failing source fails alone; the exit code is 1 when any failed.",
        formatter_class=Formatter,
    )
    ingest.add_argument("sources", nargs="*", metavar="SOURCE[.SCHEMA]", help="e.g. webbank or webbank.core")
    ingest.set_defaults(handler=printing(cmd_ingest))

    sources = commands.add_parser(
        "sources", help="list registered sources with their last sync",
        description="List every registered source schema, where it lands, and its last sync from the ledger.",
        formatter_class=Formatter,
    )
    sources.add_argument(
        "--replace", action="store_true", help="also list tables landed with replace (full reload every run) and sizes"
    )
    sources.set_defaults(handler=printing(cmd_sources))
