"""``heartbeat alerts``: what fires and what was delivered; ``heartbeat alerts test CHANNEL`` sends a test."""

from __future__ import annotations

import argparse
import time
import getpass
from datetime import datetime, timedelta, timezone

from rich.console import Console
from rich.table import Table

from engine.alerts import config as alert_config
from engine.alerts import messages, operator, outbox
from engine.errors import HeartbeatError
from engine.formatting import age
from engine.runtime import Runtime


def cmd_list(rt: Runtime, args: argparse.Namespace, out: Console) -> int:
    config = alert_config.load(rt.settings.alerts_file)
    view = operator.overview(rt.db.engine(), config, deliveries_per_channel=20)
    now = datetime.now(timezone.utc)
    alerts = Table(title="Alerts", title_justify="left")
    for column in ("id", "state", "kind", "subject", "since", "what", "ack"):
        alerts.add_column(column)
    for row in view["firing"] + view["pending"]:
        ack = f"{row['acked_by']} until {row['acked_until']:%Y-%m-%d %H:%M}" if row in view["acknowledged"] else ""
        alerts.add_row(str(row["id"]), row["state"], row["kind"], row["subject"], age(row["since"], now),
                       row["title"] or "", ack)
    out.print(alerts if alerts.rows else "nothing firing or pending")
    if view["silenced"]:
        silences = Table(title="Silences", title_justify="left")
        for column in ("id", "target", "until", "reason", "by"):
            silences.add_column(column)
        for s in view["silenced"]:
            silences.add_row(str(s["id"]), s["metric_id"] or f"tag {s['tag']}", f"{s['ends_at']:%Y-%m-%d %H:%M}",
                             s["reason"], s["created_by"])
        out.print(silences)
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
        from sqlalchemy import text

        row_id = conn.execute(text("SELECT id FROM heartbeat.alert_outbox WHERE idempotency_key = :k"),
                              {"k": key}).scalar_one()
    results = outbox.deliver_due(engine, config, only_ids=[row_id])
    if results and results[0].ok:
        out.print(f"[green]✓[/] test message delivered to {channel.name}")
        return 0
    error = results[0].error if results else "another process is sending it"
    out.print(f"[red]✗[/] test message to {channel.name} failed: {error} (the dispatcher retries it)")
    return 1


def _duration(raw: str) -> timedelta:
    from engine.alerts.config import AlertConfigError, _duration as parse

    try:
        return timedelta(seconds=parse(raw, "--for", "value"))
    except AlertConfigError:
        raise HeartbeatError(f"--for {raw!r}: use a duration such as 2h, 90min or 3d") from None


def cmd_silence(rt: Runtime, args: argparse.Namespace, out: Console) -> int:
    now = datetime.now(timezone.utc)
    try:
        silence = operator.add_silence(rt.db.engine(), metric_id=args.metric, tag=args.tag,
                                       ends_at=now + _duration(args.duration), reason=args.reason,
                                       created_by=f"cli:{getpass.getuser()}", now=now)
    except operator.AlertInputError as exc:
        raise HeartbeatError(f"{'--for' if exc.field == 'ends_at' else '--' + exc.field}: {exc.reason}") from None
    target = f"metric {silence['metric_id']}" if silence["metric_id"] else f"tag {silence['tag']}"
    out.print(f"[green]✓[/] silence {silence['id']} on {target} until {silence['ends_at']:%Y-%m-%d %H:%M} UTC")
    return 0


def cmd_ack(rt: Runtime, args: argparse.Namespace, out: Console) -> int:
    now = datetime.now(timezone.utc)
    try:
        row = operator.acknowledge(rt.db.engine(), args.alert_id, by=args.by, comment=args.comment,
                                   until=now + _duration(args.duration), now=now)
    except operator.AlertInputError as exc:
        raise HeartbeatError(f"{'--for' if exc.field == 'until' else '--' + exc.field}: {exc.reason}") from None
    out.print(f"[green]✓[/] {row['key']} acknowledged by {row['acked_by']} until "
              f"{row['acked_until']:%Y-%m-%d %H:%M} UTC")
    return 0
