"""The ``heartbeat`` command: one place to run, migrate and operate Heartbeat.

Errors print as one line; the traceback of an unexpected one goes to the log
file, never to the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import os
import logging
import sys
from collections.abc import Callable, Sequence

from rich.console import Console
from rich_argparse import RichHelpFormatter

from engine import migrations, runtime
from engine.cli_alert_parsers import add_alert_commands
from engine.cli_metric_parsers import add_metric_commands
from engine.errors import HeartbeatError
from engine.logs import LOG_FILE_NAME, setup_logging
from engine.runtime import Runtime

console = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)
log = logging.getLogger("heartbeat.cli")

Handler = Callable[[Runtime, argparse.Namespace], int]


def _upgrade(rt: Runtime) -> str:
    rt.db.ensure_database()
    return migrations.upgrade(rt.db.engine())


def cmd_db_upgrade(rt: Runtime, args: argparse.Namespace) -> int:
    revision = _upgrade(rt)
    console.print(f"[green]✓[/] database is at revision {revision} (head)")
    return 0


def cmd_serve(rt: Runtime, args: argparse.Namespace) -> int:
    from engine import server  # starting a web server pulls in more than the other commands need

    revision = _upgrade(rt)
    where = "embedded PostgreSQL in " + str(rt.settings.data_dir / "pg") if rt.settings.embedded else "configured database"
    console.print(f"[green]✓[/] {where}, schema at {revision}")
    console.print(f"[bold]Heartbeat[/] starting on [link]http://localhost:{rt.settings.port}[/] (Ctrl+C stops it)")
    return server.serve(rt)


def cmd_demo(rt: Runtime, args: argparse.Namespace) -> int:
    from engine import demo_session
    from engine.cli_refresh import send_queued_alerts

    _upgrade(rt)
    services = demo_session.prepare(rt, console, scale=args.scale)
    try:
        send_queued_alerts(rt, console)  # now, not once the app has started
        if args.no_serve:
            return 0
        if not rt.settings.operator_token:
            token = demo_session.operator_token(rt)
            os.environ["HEARTBEAT_OPERATOR_TOKEN"] = token  # handed to the app process only
            console.print(f"operator token for edits in the app: [bold]{token}[/] "
                          f"(kept in {rt.settings.data_dir / demo_session.TOKEN_FILE})")
        return cmd_serve(rt, args)
    finally:
        services.stop()


def cmd_scheduler(rt: Runtime, args: argparse.Namespace) -> int:
    import signal
    import threading

    from engine import alerts
    from engine.scheduler import Scheduler, default_jobs

    _upgrade(rt)
    # The refreshes this process runs queue alerts; it sends them too, so a deployment without the
    # app still delivers (beside an app, the outbox lease keeps two dispatchers from double-sending).
    alerts.install(rt.settings, rt.db)
    dispatcher = alerts.start_dispatcher(rt.settings, rt.db)
    scheduler = Scheduler(rt.db, default_jobs(rt.settings, rt.db))
    scheduler.start()
    console.print("scheduler and alert dispatcher running (the scheduler leads when no other process does); "
                  "Ctrl+C stops them")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    scheduler.stop()
    dispatcher.stop()
    return 0




def _with_output(target: str) -> Handler:
    """A handler for ``module:function`` that migrates first, then runs it printing to stdout.

    The module is imported only when the command runs, so ``--help`` stays quick.
    """

    def handler(rt: Runtime, args: argparse.Namespace) -> int:
        module_name, _, function = target.partition(":")
        command = getattr(importlib.import_module(module_name), function)
        _upgrade(rt)
        return command(rt, args, out)

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heartbeat",
        description="Heartbeat: the always-on TV cockpit of the business. "
        "Lands source data with dlt, computes metrics from SQL, shows red first.",
        epilog="Settings come from HEARTBEAT_* environment variables; see docs/configuration.md.",
        formatter_class=RichHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="run Heartbeat with its demo data on the embedded database",
        description="Build demo source systems (once), land them with dlt, compute every metric, backfill "
        "history, then serve Heartbeat on http://localhost:PORT while the demo sources keep moving.",
        formatter_class=RichHelpFormatter,
    )
    demo.add_argument("--scale", type=float, default=0.05,
                      help="size of the demo sources; 1 ≈ 2 M payments (default 0.05, builds in seconds)")
    demo.add_argument("--no-serve", action="store_true",
                      help="prepare the demo data (sources, marts, metrics) and exit without serving")
    demo.set_defaults(handler=cmd_demo)

    serve = commands.add_parser(
        "serve", help="serve the app (pages, websocket and REST API on one port)",
        description="Apply migrations, then serve Heartbeat in production mode on HEARTBEAT_PORT.",
        formatter_class=RichHelpFormatter,
    )
    serve.set_defaults(handler=cmd_serve)

    ingest = commands.add_parser(
        "ingest", help="land sources into the marts now (all, a source, or source.schema)",
        description="Land the named sources (default: all) into the marts with dlt, showing rows per table "
        "as they stream. A failing source fails alone; the exit code is 1 when any failed.",
        formatter_class=RichHelpFormatter,
    )
    ingest.add_argument("sources", nargs="*", metavar="SOURCE[.SCHEMA]", help="e.g. webbank or webbank.core")
    ingest.set_defaults(handler=_with_output("engine.cli_sources:cmd_ingest"))

    sources = commands.add_parser(
        "sources", help="list registered sources with their last sync",
        description="List every registered source schema, where it lands, and its last sync from the ledger.",
        formatter_class=RichHelpFormatter,
    )
    sources.add_argument(
        "--replace", action="store_true", help="also list tables landed with replace (full reload every run) and sizes"
    )
    sources.set_defaults(handler=_with_output("engine.cli_sources:cmd_sources"))

    add_metric_commands(commands, RichHelpFormatter, _with_output)
    add_alert_commands(commands, RichHelpFormatter, _with_output)

    refresh = commands.add_parser(
        "refresh", help="ingest + compute now: the one refresh job (joins a running one)",
        description="Run the refresh job: sync metrics, ingest the sources the metrics read, compute them, "
        "then send the alerts it queued (one attempt; what fails stays queued for the app or the scheduler). "
        "If a refresh is already running anywhere (app, scheduler, another terminal), this joins it.",
        formatter_class=RichHelpFormatter,
    )
    refresh.add_argument("ids", nargs="*", metavar="ID", help="metric ids (default: all)")
    refresh.set_defaults(handler=_with_output("engine.cli_refresh:cmd_refresh"))

    sched = commands.add_parser(
        "scheduler", help="run the scheduler on its own (for deployments that separate it from the app)",
        description="Run the hourly refresh and daily jobs in this process, and send the alerts they queue. "
        "Exactly one process leads across every app and scheduler process; the others stand by and take over "
        "if the leader dies. Set HEARTBEAT_SCHEDULER=off on the app when this runs it.",
        formatter_class=RichHelpFormatter,
    )
    sched.set_defaults(handler=cmd_scheduler)

    db = commands.add_parser("db", help="manage Heartbeat's own database", formatter_class=RichHelpFormatter)
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = db_commands.add_parser(
        "upgrade", help="apply migrations up to the newest (safe to repeat)", formatter_class=RichHelpFormatter
    )
    upgrade.set_defaults(handler=cmd_db_upgrade)
    db.set_defaults(handler=None, subparser=db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        (getattr(args, "subparser", None) or parser).print_help()
        return 2
    # Until the log file is set up, an unexpected error must not print a traceback.
    logging.getLogger().addHandler(logging.NullHandler())
    try:
        rt = runtime.get()
        setup_logging(rt.settings)
        return handler(rt, args)
    except HeartbeatError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.exception("command failed")
        console.print(
            f"[red]error:[/] unexpected failure ({type(exc).__name__}); "
            f"details in {LOG_FILE_NAME} under the data folder"
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
