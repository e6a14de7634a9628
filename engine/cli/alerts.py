"""``heartbeat alerts``: what fires and what was delivered; ``heartbeat alerts test CHANNEL`` sends a test."""

from __future__ import annotations

import argparse
import getpass
import time
from datetime import datetime, timedelta, timezone

from rich.console import Console
from rich.table import Table

from engine.alerts import config as alert_config
from engine.alerts import messages, outbox, silences
from engine.cli.common import Formatter, printing
from engine.core.durations import parse_duration
from engine.core.errors import FieldRejected, HeartbeatError
from engine.read.streaks import since_text
from engine.runtime import Runtime


def cmd_list(rt: Runtime, args: argparse.Namespace, out: Console) -> int:
    config = alert_config.load(rt.settings.alerts_file)
    view = silences.overview(rt.db.engine(), config, deliveries_per_channel=20)
    now = datetime.now(timezone.utc)
    alerts = Table(title="Alerts", title_justify="left")
    for column in ("id", "state", "kind", "subject", "since", "what", "ack"):
        alerts.add_column(column)
    for row in view["firing"] + view["pending"]:
        ack = f"{row['acked_by']} until {row['acked_until']:%Y-%m-%d %H:%M}" if row in view["acknowledged"] else ""
        alerts.add_row(str(row["id"]), row["state"], row["kind"], row["subject"], since_text(row, now),
                       row["title"] or "", ack)
    out.print(alerts if alerts.rows else "nothing firing or pending")
    if view["silenced"]:
        silenced = Table(title="Silences", title_justify="left")
        for column in ("id", "target", "until", "reason", "by"):
            silenced.add_column(column)
        for s in view["silenced"]:
            silenced.add_row(str(s["id"]), s["metric_id"] or f"tag {s['tag']}", f"{s['ends_at']:%Y-%m-%d %H:%M}",
                             s["reason"], s["created_by"])
        out.print(silenced)
    channels = Table(title="Channels and recent deliveries", title_justify="left")
    for column in ("channel", "type", "configured", "last 20 notifications"):
        channels.add_column(column)
    for channel in view["channels"]:
        recent = view["deliveries"].get(channel["name"], [])
        counts: dict[str, int] = {}
        for row in recent:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        configured = "yes" if channel["configured"] else f"no: set {', '.join(channel['missing_env'])}"
        channels.add_row(channel["name"], channel["type"], configured,
                         ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none")
    out.print(channels)
    if view["dead_letters"]:
        out.print(f"[red]{len(view['dead_letters'])} dead letter(s)[/]: see GET /api/alerts")
    return 0


def cmd_test(rt: Runtime, args: argparse.Namespace, out: Console) -> int:
    """Send a test message through the outbox (so it is recorded like any other) and wait for the outcome."""
    config = alert_config.load(rt.settings.alerts_file)
    channel = config.channels.get(args.channel)
    if channel is None:
        raise HeartbeatError(f"no channel {args.channel!r} in {config.path}; "
                             f"known: {', '.join(config.channels) or 'none'}")
    if not channel.configured:
        raise HeartbeatError(f"channel {channel.name} is not configured: set {', '.join(channel.missing)}")
    engine = rt.db.engine()
    key = f"test:{channel.name}:{time.time_ns()}"
    with engine.begin() as conn:
        outbox.enqueue(conn, config, key=key, alert_key=None, transition="test", channels=[channel.name],
                       payload=messages.test_message(channel.name, rt.settings.link_base))
        row_ids = outbox.ids_of(conn, key)
    results = outbox.deliver_due(engine, config, only_ids=row_ids)
    if results and results[0].ok:
        out.print(f"[green]✓[/] test message delivered to {channel.name}")
        return 0
    error = results[0].error if results else "another process is sending it"
    out.print(f"[red]✗[/] test message to {channel.name} failed: {error} (the dispatcher retries it)")
    return 1


def _duration(raw: str) -> timedelta:
    try:
        return timedelta(seconds=parse_duration(raw))
    except ValueError:
        raise FieldRejected("--for", f"{raw!r} is not a duration; use one such as 2h, 90min or 3d") from None


def cmd_silence(rt: Runtime, args: argparse.Namespace, out: Console) -> int:
    now = datetime.now(timezone.utc)
    try:
        silence = silences.add_silence(rt.db.engine(), metric_id=args.metric, tag=args.tag,
                                       ends_at=now + _duration(args.duration), reason=args.reason,
                                       created_by=f"cli:{getpass.getuser()}", now=now)
    except FieldRejected as exc:
        raise HeartbeatError(f"{'--for' if exc.field == 'ends_at' else '--' + exc.field}: {exc.reason}") from None
    target = f"metric {silence['metric_id']}" if silence["metric_id"] else f"tag {silence['tag']}"
    out.print(f"[green]✓[/] silence {silence['id']} on {target} until {silence['ends_at']:%Y-%m-%d %H:%M} UTC")
    return 0


def cmd_ack(rt: Runtime, args: argparse.Namespace, out: Console) -> int:
    now = datetime.now(timezone.utc)
    try:
        row = silences.acknowledge(rt.db.engine(), args.alert_id, by=args.by, comment=args.comment,
                                   until=now + _duration(args.duration), now=now)
    except FieldRejected as exc:
        raise HeartbeatError(f"{'--for' if exc.field == 'until' else '--' + exc.field}: {exc.reason}") from None
    out.print(f"[green]✓[/] {row['key']} acknowledged by {row['acked_by']} until "
              f"{row['acked_until']:%Y-%m-%d %H:%M} UTC")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat alerts`` (list), ``alerts test CHANNEL``, ``alerts silence``, ``alerts ack``."""
    alerts = commands.add_parser(
        "alerts", help="list firing, pending, silenced and acknowledged alerts, channels and recent deliveries",
        description="Show what fires and what was delivered per channel (same data as GET /api/alerts).",
        formatter_class=Formatter,
    )
    alerts.set_defaults(handler=printing(cmd_list))
    alerts_commands = alerts.add_subparsers(title="alerts commands", metavar="COMMAND")
    test = alerts_commands.add_parser(
        "test", help="send a test message to one channel of alerts.yaml and report the outcome",
        formatter_class=Formatter,
    )
    test.add_argument("channel", metavar="CHANNEL", help="a channel name from alerts.yaml, e.g. slack")
    test.set_defaults(handler=printing(cmd_test))

    silence = alerts_commands.add_parser(
        "silence", help="silence a metric or a tag for a while, with a reason (at most 30 days)",
        formatter_class=Formatter,
    )
    target = silence.add_mutually_exclusive_group(required=True)
    target.add_argument("--metric", metavar="ID", help="the metric to silence")
    target.add_argument("--tag", metavar="TAG", help="silence every metric with this tag")
    silence.add_argument("--for", dest="duration", required=True, metavar="DURATION",
                         help="how long, e.g. 2h, 90min, 3d")
    silence.add_argument("--reason", required=True, help="why (shown while the silence lasts)")
    silence.set_defaults(handler=printing(cmd_silence))

    ack = alerts_commands.add_parser(
        "ack", help="acknowledge a firing alert: no reminders for a while", formatter_class=Formatter,
    )
    ack.add_argument("alert_id", type=int, metavar="ID", help="the alert id `heartbeat alerts` shows")
    ack.add_argument("--by", required=True, help="who takes it")
    ack.add_argument("--for", dest="duration", required=True, metavar="DURATION", help="how long, e.g. 4h")
    ack.add_argument("--comment", default="", help="what is being done")
    ack.set_defaults(handler=printing(cmd_ack))
