"""Alerts benchmark (issue #7): evaluating 1,000 metrics, dispatch throughput, a refresh beside a hung channel.

Run on demand (not a test)::

    .venv/bin/python benchmarks/alerts.py [--data-dir .heartbeat/bench] [--metrics 1000] [--owners 20] [--repeat 5]

It starts (or joins) the embedded PostgreSQL in ``--data-dir``, works in
scratch databases of its own (dropped at the end) and measures three things:

1. ``engine.alerts.evaluate`` over 1,000 metrics (metric files synced into the
   registry, spread over ``--owners`` owners): all turning red in one refresh, the
   next refresh with nothing new (still firing), and all resolving (the second
   green refresh, ``clear: 2``) — routed as ``alerts.yaml`` routes them
   (Slack, grouped per owner) and without ``group_by``. Target: ≤ 1 s each.
2. The ``Dispatcher`` draining a few thousand Slack-shaped outbox rows to a
   real HTTP server on localhost (in a process of its own), answering at once
   or after ``--latency``: notifications per second; and how many a fast
   webhook gets in ``--hung-window`` seconds while Slack, in the same outbox,
   never answers.
3. A real ``engine.refresh.run`` (ingest of a small webbank.core, compute,
   the alert hook ``engine.alerts.evaluator`` returns) beside a running
   dispatcher, with the receiver answering at once and with it hanging:
   the refresh must take as long either way (the hook only writes rows).

Figures are the best and the median of the repeats; every run goes to a JSON
file in ``--data-dir``. Exit code 1 when a target is missed. About a minute.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import alerts, refresh  # noqa: E402
from engine.alerts import config as alert_config  # noqa: E402
from engine.alerts import outbox
from engine.alerts.outbox import Dispatcher  # noqa: E402
from engine.core.db import Database, open_database  # noqa: E402
from engine.core.settings import load_settings  # noqa: E402
from engine.ingest import IngestContext  # noqa: E402
from engine.metrics import registry
from engine.metrics.compute import ComputeContext  # noqa: E402
from engine.read import cards
from engine.refresh import RefreshContext, RefreshRequest  # noqa: E402
from engine.store import migrations

EVALUATION_TARGET_S = 1.0
# A refresh beside a hung channel may take this much longer than beside a fast one (medians; the box is
# shared). Had it waited for a send, it would have taken the 10 s delivery timeout more.
NOT_BLOCKED_SLACK_S = 0.5
RED, GREEN = 80.0, 99.0  # the metrics below: higher is better, amber under 95, red under 90
LINK = "https://heartbeat.example"
SLACK_ENV = "HEARTBEAT_SLACK_WEBHOOK_URL"
HOOK_ENV = "HB_BENCH_WEBHOOK_URL"
HANG_S = 3600.0
HUNG_TIMEOUT_S = 1.0  # delivery timeout beside a hung channel (the default 10 s makes it 10× slower still)
METRIC = """-- ---
-- name: Benchmark metric {n}
-- how_to_read: A benchmark metric, red under 90.
-- sources: [webbank.core]
-- period: 24h
-- unit: percent
-- direction: higher_is_better
-- norm: 95
-- alert: 90
-- owner: owner{owner:02d}@bank.example
-- ---
SELECT value FROM bench.level
"""
console = Console()


def _serve(delay, received, port) -> None:  # the receiver process
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Slack and Telegram answer
        # Headers and body go out in two writes: with Nagle on, the client's delayed ACK adds ~40 ms to each.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with received.get_lock():
                received.value += 1
            until = time.monotonic() + delay.value
            while delay.value and time.monotonic() < until:  # a hang ends when the benchmark releases it
                time.sleep(0.02)
            body = b'{"ok": true}'
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the dispatcher gave up waiting

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


class Receiver:
    """A recording HTTP server on localhost in its own process, so it never competes for the dispatcher's GIL."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.delay, self.received, port = ctx.Value("d", 0.0), ctx.Value("q", 0), ctx.Value("i", 0)
        self.process = ctx.Process(target=_serve, args=(self.delay, self.received, port), daemon=True)
        self.process.start()
        while not port.value:
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port.value}/services/T0/B0/benchmark"

    def answer_after(self, seconds: float) -> None:
        self.delay.value = seconds

    def close(self) -> None:
        self.process.terminate()
        self.process.join(5)


def write_metrics(folder: Path, count: int, owners: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"bench_{n:04d}" for n in range(count)]
    for n, metric_id in enumerate(ids):
        (folder / f"{metric_id}.sql").write_text(METRIC.format(n=n, owner=n % owners))
    return ids


def routing(grouped: bool, **rules: Any) -> dict[str, Any]:
    """Routing as the shipped alerts.yaml routes an untagged metric: red, error and stale to Slack, per owner.

    Its own copy, so that an edit of alerts.yaml cannot change what this measures; delivery keeps the
    defaults (10 s timeout, 6 attempts, backoff from 2 s).
    """
    route: dict[str, Any] = {"default": True, "severities": ["red", "error", "stale"], "channels": ["slack"]}
    if grouped:
        route["group_by"] = "owner"
    return {"channels": {"slack": {"type": "slack", "url_env": SLACK_ENV}},
            "rules": {"pending": {"red": 1}, "clear": 2, **rules}, "routes": [route]}


def set_values(engine: Engine, value: float) -> None:
    """Today's value of every metric, as a compute would write it."""
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of) "
            "SELECT id, current_date, :v, 'green', now() FROM heartbeat.metric_registry "
            "ON CONFLICT (metric_id, day) DO UPDATE SET value = EXCLUDED.value, computed_at = now()"), {"v": value})


def evaluation_round(engine: Engine, config, ids: list[str], statements: list[int]) -> dict[str, dict]:
    """Fire, stay firing, resolve: one timed evaluation each, from an empty alert state."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE heartbeat.alert_state, heartbeat.alert_outbox"))
    start = datetime.now(timezone.utc)
    out: dict[str, dict] = {}
    for name, value, minutes in (("firing", RED, 0), ("unchanged", None, 10), ("green once", GREEN, 20),
                                 ("resolving", None, 30)):
        if value is not None:
            set_values(engine, value)
        now = start + timedelta(minutes=minutes)
        began = time.perf_counter()
        cards.metric_cards(engine, now, history_days=0)
        cards_s = time.perf_counter() - began
        before, began = statements[0], time.perf_counter()
        summary = alerts.evaluate(engine, config, link_base=LINK, computed=ids, now=now)
        out[name] = {"seconds": time.perf_counter() - began, "cards_seconds": cards_s,
                     "transitions": len(summary.transitions), "outbox_rows": summary.notifications,
                     "statements": statements[0] - before}
    return out


def dispatch_round(engine: Engine, config, receiver: Receiver, payload: dict, count: int, latency: float) -> dict:
    """Seconds for a fresh Dispatcher to deliver ``count`` pending rows (until the last is marked sent)."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE heartbeat.alert_outbox"))
        outbox.write(conn, [row for n in range(count) for row in outbox.rows_for(
            config, key=f"bench:{n}", alert_key=None, transition="firing", channels=("slack",), payload=payload)])
    receiver.answer_after(latency)
    received = receiver.received.value
    dispatcher = Dispatcher(engine, lambda: config).start()
    began, sent = time.perf_counter(), 0
    while sent < count and time.perf_counter() - began < 120:
        time.sleep(0.02)
        with engine.connect() as conn:
            sent = conn.execute(text("SELECT count(*) FROM heartbeat.alert_outbox WHERE status = 'sent'")).scalar()
    seconds = time.perf_counter() - began
    dispatcher.stop()
    return {"notifications": count, "latency_s": latency, "seconds": seconds, "per_second": sent / seconds,
            "sent": sent, "requests": receiver.received.value - received}


def beside_hung(engine: Engine, hung: Receiver, fast: Receiver, count: int, window: float) -> dict:
    """Seconds until the webhook has all ``count`` notifications (at most ``window``) while Slack, in the same
    outbox, never answers: each channel has a lane of its own, so the webhook should not wait."""
    channels = {"slack": {"type": "slack", "url_env": SLACK_ENV}, "webhook": {"type": "webhook", "url_env": HOOK_ENV}}
    config = alert_config.parse({
        "channels": channels, "delivery": {"timeout": f"{HUNG_TIMEOUT_S:g}s"},
        "routes": [{"default": True, "channels": ["slack", "webhook"]}]}, {SLACK_ENV: hung.url, HOOK_ENV: fast.url})
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE heartbeat.alert_outbox"))
        outbox.write(conn, [row for n in range(count) for row in outbox.rows_for(
            config, key=f"bench:{n}", alert_key=None, transition="firing", channels=("slack", "webhook"),
            payload={"title": "Benchmark metric crossed its red line", "lines": ["Value 80.0%"], "link": LINK})])
    hung.answer_after(HANG_S)
    fast.answer_after(0.0)
    received = fast.received.value
    began = time.monotonic()
    dispatcher = Dispatcher(engine, lambda: config).start()
    while fast.received.value - received < count and time.monotonic() - began < window:
        time.sleep(0.01)
    seconds = time.monotonic() - began
    delivered = fast.received.value - received
    hung.answer_after(0.0)
    dispatcher.stop()
    return {"notifications": count, "window_s": window, "timeout_s": HUNG_TIMEOUT_S, "webhook_delivered": delivered,
            "seconds": seconds, "per_second": delivered / seconds}


def refresh_beside(server: Database, work: Path, receiver: Receiver, metrics: int, repeat: int) -> list[dict]:
    """Real refreshes with the installed alert hook while a dispatcher sends to a fast, then a hung, receiver."""
    tag = uuid.uuid4().hex[:6]
    app, marts, prefix = f"hb_bench_alerts_{tag}", f"hb_bench_marts_{tag}", f"hb_bench_{tag}_"
    for name in (app, marts, prefix + "webbank"):
        server.ensure_database(name)
    db = Database(server.url(app))
    dispatcher = None
    try:
        with psycopg.connect(server.dsn(prefix + "webbank"), autocommit=True) as conn:
            conn.execute("CREATE SCHEMA core")
            conn.execute("CREATE TABLE core.payment (id int PRIMARY KEY, state text, update_time timestamptz NOT NULL)")
            conn.execute("INSERT INTO core.payment SELECT g, 'approved', now() FROM generate_series(1, 500) g")
        with psycopg.connect(server.dsn(marts), autocommit=True) as conn:
            conn.execute("CREATE SCHEMA bench")
            conn.execute("CREATE TABLE bench.level (value float8)")
            conn.execute("INSERT INTO bench.level VALUES (%s)", (RED,))
        migrations.upgrade(db.engine())
        ids = write_metrics(work / "refresh-metrics", metrics, metrics)
        routing_file = work / "alerts.yaml"
        routing_file.write_text(yaml.safe_dump(routing(False, clear=1)))  # red/green alternate: every refresh tells
        os.environ[SLACK_ENV] = receiver.url
        settings = load_settings({"HEARTBEAT_ALERTS_FILE": str(routing_file), "HEARTBEAT_DATA_DIR": str(work),
                                  "HEARTBEAT_METRICS_DIR": str(work / "refresh-metrics")})
        marks: dict[str, float] = {}
        # The hook the composition root wires (alerts.evaluator), between our two marks.
        hooks = (lambda *_: marks.__setitem__("hook", time.perf_counter()), alerts.evaluator(settings, db),
                 lambda *_: marks.__setitem__("hooked", time.perf_counter()))
        ctx = RefreshContext(db, IngestContext(db=db, marts_database=marts, pipelines_dir=work / "dlt",
                                               source_database_prefix=prefix),
                             ComputeContext(db, marts, statement_timeout=30.0, workers=2), work / "refresh-metrics",
                             after_compute=hooks)
        dispatcher = alerts.start_dispatcher(settings, db)
        runs: list[dict] = []
        for receiver_mode, delay in (("fast", 0.0), ("hung", HANG_S)):
            receiver.answer_after(delay)
            for attempt in range(repeat + 1):  # the first of each mode is a warm-up
                with psycopg.connect(server.dsn(marts), autocommit=True) as conn:
                    conn.execute("UPDATE bench.level SET value = %s", (GREEN if len(runs) % 2 else RED,))
                with db.engine().connect() as conn:
                    counts = conn.execute(text("SELECT count(*), count(*) FILTER (WHERE status = 'sent') "
                                               "FROM heartbeat.alert_outbox")).one()
                received, began = receiver.received.value, time.perf_counter()
                _, state = refresh.run(ctx, RefreshRequest(ids, "cli"))
                seconds = time.perf_counter() - began
                with db.engine().connect() as conn:
                    after = conn.execute(text("SELECT count(*), count(*) FILTER (WHERE status = 'sent'), "
                                              "count(*) FILTER (WHERE status = 'pending') "
                                              "FROM heartbeat.alert_outbox")).one()
                runs.append({"receiver": receiver_mode, "warm_up": attempt == 0, "status": state.status,
                             "error": state.error, "seconds": seconds, "hook_seconds": marks["hooked"] - marks["hook"],
                             "rows_written": after[0] - counts[0], "sent_meanwhile": after[1] - counts[1],
                             "requests_meanwhile": receiver.received.value - received, "pending_after": after[2]})
        return runs
    finally:
        receiver.answer_after(0.0)  # releases the hung requests, so the dispatcher stops at once
        if dispatcher is not None:
            dispatcher.stop()
        db.dispose()
        for name in (app, marts, prefix + "webbank"):
            server.drop_database(name)


def best_median(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def verdict(ok: bool) -> str:
    return "[green]pass[/]" if ok else "[red]FAIL[/]"


def part_evaluation(engine: Engine, env: dict[str, str], work: Path, args: argparse.Namespace) -> tuple[dict, bool]:
    """1. Evaluate + enqueue, grouped per owner and not; prints the table, returns the runs and the verdict."""
    ids = write_metrics(work / "metrics", args.metrics, args.owners)
    with console.status(f"syncing {args.metrics} metric files…"):
        registry.sync(engine, work / "metrics")
    statements = [0]
    event.listen(engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    evaluation: dict[str, list[dict]] = {}
    for grouped in (True, False):
        config = alert_config.parse(routing(grouped), env)
        label = "per owner" if grouped else "ungrouped"
        alerts.evaluate(engine, config, link_base=LINK, computed=ids)  # warm-up: pools, plans
        with console.status(f"evaluating, {label}…"):
            evaluation[label] = [evaluation_round(engine, config, ids, statements) for _ in range(args.repeat)]
    table = Table(title=f"1. evaluate + enqueue, {args.metrics:,} metrics of {args.owners} owners in one "
                        f"refresh (best / median of {args.repeat}; target ≤ {EVALUATION_TARGET_S:g} s)")
    for column in ("routing", "refresh", "alerts moved", "outbox rows", "SQL", "best s", "median s", "cards s", ""):
        table.add_column(column, justify="left" if column in ("routing", "refresh") else "right")
    all_ok = True
    for label, rounds in evaluation.items():
        for scenario in ("firing", "unchanged", "green once", "resolving"):
            runs = [r[scenario] for r in rounds]
            best, median = best_median([r["seconds"] for r in runs])
            ok = median <= EVALUATION_TARGET_S
            all_ok &= ok
            table.add_row(label, scenario, f"{runs[0]['transitions']:,}", f"{runs[0]['outbox_rows']:,}",
                          str(runs[0]["statements"]), f"{best:.3f}", f"{median:.3f}",
                          f"{statistics.median(r['cards_seconds'] for r in runs):.3f}", verdict(ok))
    table.caption = ("“green once”: the first green refresh (clear: 2) moves nothing; “resolving” is the "
                     "second. SQL: statements per evaluation; cards s: of which reading the read model (median).")
    console.print(table)
    return evaluation, all_ok


def part_dispatch(engine: Engine, env: dict[str, str], receiver: Receiver, args: argparse.Namespace) -> dict:
    """2. Dispatch throughput to a receiver answering at once and one answering late; prints the table."""
    config = alert_config.parse(routing(False), env)
    with engine.connect() as conn:  # a real value message, as the evaluation wrote it
        payload = conn.execute(text("SELECT payload FROM heartbeat.alert_outbox LIMIT 1")).scalar()
    dispatch: dict[str, list[dict]] = {}
    for label, count, latency in (("answers at once", args.notifications, 0.0),
                                  (f"answers after {args.latency * 1000:g} ms", args.slow_notifications,
                                   args.latency)):
        with console.status(f"dispatching to a receiver that {label}…"):
            dispatch[label] = [dispatch_round(engine, config, receiver, payload, count, latency)
                               for _ in range(args.dispatch_repeat)]
    table = Table(title=f"2. Dispatcher → Slack-shaped POSTs to a local receiver "
                        f"(best / median of {args.dispatch_repeat})")
    for column in ("receiver", "notifications", "best s", "median s", "best msg/s", "median msg/s",
                   "requests / notification"):
        table.add_column(column, justify="left" if column == "receiver" else "right")
    for label, runs in dispatch.items():
        best, median = best_median([r["seconds"] for r in runs])
        count = runs[0]["notifications"]
        table.add_row(label, f"{count:,}", f"{best:.2f}", f"{median:.2f}", f"{count / best:,.0f}",
                      f"{count / median:,.0f}", f"{sum(r['requests'] for r in runs) / (count * len(runs)):.2f}")
    table.caption = (f"{outbox.SENDERS} senders, batches of {outbox.BATCH}: a slow receiver caps a dispatcher at "
                     f"{outbox.SENDERS} / latency = {outbox.SENDERS / args.latency:g} msg/s.")
    console.print(table)
    hung = Receiver()
    try:
        with console.status("a fast webhook beside a hung Slack…"):
            dispatch["webhook beside a hung slack"] = beside = beside_hung(
                engine, hung, receiver, args.slow_notifications, args.hung_window)
    finally:
        hung.close()
    console.print(f"Webhook beside a hung Slack ({beside['notifications']} notifications to both, timeout "
                  f"{HUNG_TIMEOUT_S:g} s): {beside['webhook_delivered']} webhook messages in {beside['seconds']:.2f} s "
                  f"= {beside['per_second']:.1f} msg/s (no target; one lane per channel)")
    return dispatch


def part_refresh(server: Database, work: Path, receiver: Receiver, args: argparse.Namespace) -> tuple[list, str, bool]:
    """3. Real refreshes beside a fast and a hung receiver; prints the table, returns runs, check and verdict."""
    with console.status("real refreshes beside a fast, then a hung, receiver…"):
        runs = refresh_beside(server, work, receiver, args.refresh_metrics, args.refresh_repeat)
    table = Table(title=f"3. refresh.run of {args.refresh_metrics} metrics (ingest + compute + alert hook) beside "
                        f"a running dispatcher (best / median of {args.refresh_repeat}, after one warm-up)")
    for column in ("receiver", "best s", "median s", "alert hook ms", "rows written", "sent meanwhile", "status"):
        table.add_column(column, justify="left" if column == "receiver" else "right")
    medians = {}
    for mode in ("fast", "hung"):
        timed = [r for r in runs if r["receiver"] == mode and not r["warm_up"]]
        best, medians[mode] = best_median([r["seconds"] for r in timed])
        table.add_row(mode, f"{best:.2f}", f"{medians[mode]:.2f}",
                      f"{statistics.median(r['hook_seconds'] for r in timed) * 1000:.0f}",
                      "/".join(str(r["rows_written"]) for r in timed),
                      "/".join(str(r["sent_meanwhile"]) for r in timed),
                      ", ".join(sorted({r["status"] for r in timed})))
    table.caption = ("Per timed refresh: outbox rows its alert hook wrote, rows the dispatcher delivered while it ran. "
                     "Hung: the receiver never answers; the dispatcher gives up after the 10 s timeout and retries.")
    console.print(table)
    extra = medians["hung"] - medians["fast"]
    # Every refresh must have succeeded and written its notifications, or there was nothing to block; and
    # nothing may have been delivered beside the hung receiver, or it did not hang.
    all_told = all(r["status"] == "succeeded" and r["rows_written"] for r in runs)
    hung = not any(r["sent_meanwhile"] for r in runs if r["receiver"] == "hung")
    check = (f"refresh not blocked by a hung channel: median {medians['hung']:.2f} s vs {medians['fast']:.2f} s "
             f"({extra * 1000:+.0f} ms, at most +{NOT_BLOCKED_SLACK_S * 1000:.0f} ms)")
    return runs, check, extra <= NOT_BLOCKED_SLACK_S and all_told and hung


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(ROOT / ".heartbeat" / "bench"))
    parser.add_argument("--metrics", type=int, default=1000, help="metrics evaluated at once (default 1000)")
    parser.add_argument("--owners", type=int, default=20, help="owners they are spread over (default 20)")
    parser.add_argument("--repeat", type=int, default=5, help="evaluation rounds per routing (default 5)")
    parser.add_argument("--notifications", type=int, default=3000, help="rows drained from a fast receiver")
    parser.add_argument("--slow-notifications", type=int, default=100, help="rows drained from the slow one")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the slow receiver takes (default 0.2)")
    parser.add_argument("--dispatch-repeat", type=int, default=3)
    parser.add_argument("--hung-window", type=float, default=10.0, help="seconds a webhook is watched beside a hung "
                        "Slack (default 10)")
    parser.add_argument("--refresh-metrics", type=int, default=10, help="metrics of each real refresh")
    parser.add_argument("--refresh-repeat", type=int, default=3, help="timed refreshes per receiver")
    args = parser.parse_args()
    logging.getLogger("engine.alerts.outbox").setLevel(logging.ERROR)  # timeouts against the hung receiver
    data_dir = Path(args.data_dir).resolve()
    work = data_dir / f"alerts-{uuid.uuid4().hex[:6]}"
    began, load_before = time.perf_counter(), os.getloadavg()
    server = open_database(load_settings({"HEARTBEAT_DATA_DIR": str(data_dir)}))
    with psycopg.connect(server.dsn("postgres")) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    console.print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
                  f"PostgreSQL {pg_version} (embedded); load average {load_before[0]:.2f} at the start")
    results: dict[str, Any] = {"args": vars(args), "load_average_start": load_before}
    receiver = Receiver()
    try:
        name = f"hb_bench_alerts_{uuid.uuid4().hex[:6]}"
        server.ensure_database(name)
        db = Database(server.url(name))
        try:
            migrations.upgrade(db.engine())
            env = {SLACK_ENV: receiver.url}
            results["evaluation"], evaluation_ok = part_evaluation(db.engine(), env, work, args)
            results["dispatch"] = part_dispatch(db.engine(), env, receiver, args)
        finally:
            db.dispose()
            server.drop_database(name)
        results["refresh"], refresh_check, refresh_ok = part_refresh(server, work, receiver, args)
    finally:
        receiver.close()
        shutil.rmtree(work, ignore_errors=True)

    checks = [(f"evaluate + enqueue ≤ {EVALUATION_TARGET_S:g} s for {args.metrics:,} metrics (every case, median)",
               evaluation_ok), (refresh_check, refresh_ok)]
    for label, ok in checks:
        console.print(f"{verdict(ok)} {label}")
    load_after = os.getloadavg()
    results |= {"load_average_end": load_after, "total_s": time.perf_counter() - began}
    out = data_dir / f"alerts-benchmark-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    console.print(f"load average {load_after[0]:.2f} at the end; took {results['total_s']:.0f} s; runs saved to {out}")
    server.dispose()
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
