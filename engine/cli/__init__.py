"""The ``heartbeat`` command: one place to run, migrate and operate Heartbeat.

Each command group lives in its own module with its parsers and bodies together
(``serve``, ``sources``, ``metrics``, ``cuts``, ``refresh``, ``alerts``, ``today``, ``mcp``); this module is
the error edge. Errors print as one line; the traceback of an unexpected one
goes to the log file, never to the terminal.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from engine import runtime
from engine.cli import alerts, cuts, discover, mcp, metrics, refresh, serve, sources, today
from engine.cli.common import Formatter, Handler, console
from engine.core.errors import HeartbeatError
from engine.core.logs import LOG_FILE_NAME, setup_logging

log = logging.getLogger("heartbeat.cli")

GROUPS = (serve, sources, metrics, discover, cuts, alerts, refresh, today, mcp)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heartbeat",
        description="Heartbeat: the always-on TV cockpit of the business. "
        "Lands source data with dlt, computes metrics from SQL, shows red first.",
        epilog="Settings come from HEARTBEAT_* environment variables; see docs/configuration.md.",
        formatter_class=Formatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for group in GROUPS:
        group.add_parser(commands)
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
