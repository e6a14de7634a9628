"""The parsers of the metric commands; their bodies live in ``engine.cli_metrics`` (imported on use)."""

from __future__ import annotations

import argparse
from typing import Any, Callable


def add_metric_commands(commands: argparse._SubParsersAction, formatter: type, wrap: Callable[[str], Any]) -> None:
    """Register the metric commands on the top-level parser."""
    metrics = commands.add_parser("metrics", help="manage the metric registry", formatter_class=formatter)
    metrics_commands = metrics.add_subparsers(title="metrics commands", metavar="COMMAND")
    sync = metrics_commands.add_parser(
        "sync", help="bring the registry in line with metrics/*.sql (nothing changes if any file is broken)",
        formatter_class=formatter,
    )
    sync.set_defaults(handler=wrap("engine.cli_metrics:cmd_sync"))
    metrics.set_defaults(handler=None, subparser=metrics)

    comp = commands.add_parser(
        "compute", help="compute metrics now from the marts (no ingest)",
        description="Run the value SQL of the named metrics (default: all active) on the marts and write "
        "today's history. Exit status 1 when any failed.", formatter_class=formatter,
    )
    comp.add_argument("ids", nargs="*", metavar="ID", help="metric ids (file names without .sql)")
    comp.set_defaults(handler=wrap("engine.cli_metrics:cmd_compute"))

    bench = commands.add_parser("benchmarks", help="μ/σ bands of rolling_stat metrics", formatter_class=formatter)
    bench_commands = bench.add_subparsers(title="benchmarks commands", metavar="COMMAND")
    refresh = bench_commands.add_parser(
        "refresh", help="recompute every band from history (today excluded)", formatter_class=formatter
    )
    refresh.set_defaults(handler=wrap("engine.cli_metrics:cmd_benchmarks"))
    bench.set_defaults(handler=None, subparser=bench)

    fill = commands.add_parser(
        "backfill", help="fill past daily values from each metric's history_sql", formatter_class=formatter
    )
    fill.add_argument("--days", type=int, default=90, help="how many past days (default 90)")
    fill.set_defaults(handler=wrap("engine.cli_metrics:cmd_backfill"))

    metric = commands.add_parser("metric", help="inspect one metric", formatter_class=formatter)
    metric_commands = metric.add_subparsers(title="metric commands", metavar="COMMAND")
    validate = metric_commands.add_parser(
        "validate", help="run one metric's SQL with timing, plan checks and what its tile would show",
        formatter_class=formatter,
    )
    validate.add_argument("metric_id", metavar="ID")
    validate.set_defaults(handler=wrap("engine.cli_metrics:cmd_validate"))
    metric.set_defaults(handler=None, subparser=metric)
