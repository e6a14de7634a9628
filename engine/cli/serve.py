"""``heartbeat demo``, ``serve``, ``scheduler`` and ``db upgrade``: the long-running processes and the schema."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from engine.cli.common import Formatter, console, upgrade
from engine.cli.refresh import send_queued_alerts
from engine.runtime import Runtime


def cmd_db_upgrade(rt: Runtime, args: argparse.Namespace) -> int:
    revision = upgrade(rt)
    console.print(f"[green]✓[/] database is at revision {revision} (head)")
    return 0


def cmd_serve(rt: Runtime, args: argparse.Namespace) -> int:
    from engine.runtime import server  # starting a web server pulls in more than the other commands need

    workers = getattr(args, "workers", 1)
    scheduler = not getattr(args, "no_scheduler", False)
    server.check_workers(rt, workers)  # before anything else: a refusal changes nothing
    revision = upgrade(rt)
    where = "embedded PostgreSQL in " + str(rt.settings.data_dir / "pg") if rt.settings.embedded else "configured database"
    console.print(f"[green]✓[/] {where}, schema at {revision}")
    shape = f"{workers} worker{'s' if workers > 1 else ''}" + (", Redis-shared tabs" if rt.settings.redis_url else "")
    shape += "" if scheduler else ", no scheduler (a separate `heartbeat scheduler` runs it)"
    console.print(f"[bold]Heartbeat[/] starting on [link]http://localhost:{rt.settings.port}[/] ({shape}; "
                  "Ctrl+C stops it)")
    return server.serve(rt, workers=workers, scheduler=scheduler)


def cmd_demo(rt: Runtime, args: argparse.Namespace) -> int:
    from engine.demo import session

    upgrade(rt)
    services = session.prepare(rt, console, scale=args.scale)
    try:
        send_queued_alerts(rt, console)  # now, not once the app has started
        if args.no_serve:
            return 0
        if not rt.settings.operator_token:
            token = session.operator_token(rt)
            os.environ["HEARTBEAT_OPERATOR_TOKEN"] = token  # handed to the app process only
            console.print(f"operator token for edits in the app: [bold]{token}[/] "
                          f"(kept in {rt.settings.data_dir / session.TOKEN_FILE})")
        return cmd_serve(rt, args)
    finally:
        services.stop()


def cmd_scheduler(rt: Runtime, args: argparse.Namespace) -> int:
    from engine import alerts
    from engine.refresh.scheduler import Scheduler
    from engine.runtime import wiring

    upgrade(rt)
    # The refreshes this process runs queue alerts; it sends them too, so a deployment without the
    # app still delivers (beside an app, the outbox lease keeps two dispatchers from double-sending).
    dispatcher = alerts.start_dispatcher(rt.settings, rt.db)
    scheduler = Scheduler(rt.db, wiring.scheduled_jobs(rt.settings, rt.db))
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


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat demo``, ``serve``, ``scheduler`` and ``db upgrade``."""
    demo = commands.add_parser(
        "demo", help="run Heartbeat with its demo data on the embedded database",
        description="Build demo source systems (once), land them with dlt, compute every metric, backfill "
        "history, then serve Heartbeat on http://localhost:PORT while the demo sources keep moving. The "
        "sources are databases on Heartbeat's own server, or on HEARTBEAT_DEMO_SOURCES_DATABASE_URL's.",
        formatter_class=Formatter,
    )
    demo.add_argument("--scale", type=float, default=0.05,
                      help="size of the demo sources; 1 ≈ 2 M payments (default 0.05, builds in seconds)")
    demo.add_argument("--no-serve", action="store_true",
                      help="prepare the demo data (sources, marts, metrics) and exit without serving")
    demo.set_defaults(handler=cmd_demo)

    serve = commands.add_parser(
        "serve", help="serve the app (pages, websocket and REST API on one port)",
        description="Apply migrations, then serve Heartbeat in production mode on HEARTBEAT_PORT.",
        formatter_class=Formatter,
    )
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="app worker processes on the one port (default 1); more than 1 needs "
                       "HEARTBEAT_REDIS_URL, where the workers share the tabs' state")
    serve.add_argument("--no-scheduler", action="store_true",
                       help="run no scheduler in the app (a separate `heartbeat scheduler` process runs it)")
    serve.set_defaults(handler=cmd_serve)

    sched = commands.add_parser(
        "scheduler", help="run the scheduler on its own (for deployments that separate it from the app)",
        description="Run the hourly refresh and daily jobs in this process, and send the alerts they queue. "
        "Exactly one process leads across every app and scheduler process; the others stand by and take over "
        "if the leader dies (within one lease, engine/refresh/scheduler.py). Start the app with `heartbeat serve "
        "--no-scheduler` (or HEARTBEAT_SCHEDULER=off) when this runs it.",
        formatter_class=Formatter,
    )
    sched.set_defaults(handler=cmd_scheduler)

    db = commands.add_parser("db", help="manage Heartbeat's own database", formatter_class=Formatter)
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = db_commands.add_parser(
        "upgrade", help="apply migrations up to the newest (safe to repeat)", formatter_class=Formatter
    )
    upgrade.set_defaults(handler=cmd_db_upgrade)
    db.set_defaults(handler=None, subparser=db)
