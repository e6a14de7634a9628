"""The parsers of the alert commands; their bodies live in ``engine.cli_alerts`` (imported on use)."""

from __future__ import annotations

import argparse
from typing import Any, Callable


def add_alert_commands(commands: argparse._SubParsersAction, formatter: type, wrap: Callable[[str], Any]) -> None:
    """``heartbeat alerts`` (list) and ``heartbeat alerts test CHANNEL``; bodies in ``engine.cli_alerts``."""
    alerts = commands.add_parser(
        "alerts", help="list firing, pending, silenced and acknowledged alerts, channels and recent deliveries",
        description="Show what fires and what was delivered per channel (same data as GET /api/alerts).",
        formatter_class=formatter,
    )
    alerts.set_defaults(handler=wrap("engine.cli_alerts:cmd_list"))
    alerts_commands = alerts.add_subparsers(title="alerts commands", metavar="COMMAND")
    test = alerts_commands.add_parser(
        "test", help="send a test message to one channel of alerts.yaml and report the outcome",
        formatter_class=formatter,
    )
    test.add_argument("channel", metavar="CHANNEL", help="a channel name from alerts.yaml, e.g. slack")
    test.set_defaults(handler=wrap("engine.cli_alerts:cmd_test"))

    silence = alerts_commands.add_parser(
        "silence", help="silence a metric or a tag for a while, with a reason (at most 30 days)",
        formatter_class=formatter,
    )
    target = silence.add_mutually_exclusive_group(required=True)
    target.add_argument("--metric", metavar="ID", help="the metric to silence")
    target.add_argument("--tag", metavar="TAG", help="silence every metric with this tag")
    silence.add_argument("--for", dest="duration", required=True, metavar="DURATION",
                         help="how long, e.g. 2h, 90min, 3d")
    silence.add_argument("--reason", required=True, help="why (shown while the silence lasts)")
    silence.set_defaults(handler=wrap("engine.cli_alerts:cmd_silence"))

    ack = alerts_commands.add_parser(
        "ack", help="acknowledge a firing alert: no reminders for a while", formatter_class=formatter,
    )
    ack.add_argument("alert_id", type=int, metavar="ID", help="the alert id `heartbeat alerts` shows")
    ack.add_argument("--by", required=True, help="who takes it")
    ack.add_argument("--for", dest="duration", required=True, metavar="DURATION", help="how long, e.g. 4h")
    ack.add_argument("--comment", default="", help="what is being done")
    ack.set_defaults(handler=wrap("engine.cli_alerts:cmd_ack"))
