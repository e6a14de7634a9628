"""Near-real-time refresh (issue #17, part 5): what one refresh job costs with a trickle of changes, and how
long a row written in a source takes to turn a tile red and to reach an alert receiver.

    PYTHONPATH=. .venv/bin/python benchmarks/refresh_latency.py [--scale 1] [--jobs 5] [--samples 6]

Everything is real and local: the demo sources at ``--scale`` in an embedded PostgreSQL of the data folder
(built once, reused), landed with dlt, the repository's metrics and cuts, alert routing to a webhook served
by ``tests.support.receiver`` on localhost, the in-process dispatcher. Two parts:

1. **The refresh job with a trickle.** ``--jobs`` times: the demo's live appender adds what happened in the
   sources since the last tick (as ``heartbeat demo`` does every minute), then ``engine.refresh.run`` of
   every metric — incremental ingest of every source, compute, cut recompute, alert evaluation. Wall time,
   CPU of this process (its ingest children included) and of the PostgreSQL server, and the share of the box a 5-minute and a 1-minute
   schedule would take (CPU seconds / (interval × cores)).
2. **Write → red tile → alert at a 1-minute schedule.** A scheduler thread starts the refresh job at every
   minute (a job still running makes the next tick skip, as APScheduler's coalescing does), the live
   appender ticks every minute, and ``--samples`` times, at a random second, one payment with a reserved
   negative id is written to the webbank source. A probe metric per sample (``latency_probe_<n>``: red when
   that payment exists) turns red; the benchmark notes when the read model shows it red and when the
   receiver gets its alert.

Figures are written to ``<data-dir>/refresh-latency-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import statistics
import sys
import threading
import time
import uuid
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import psycopg  # noqa: E402
import yaml  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from engine import alerts, refresh  # noqa: E402
from engine.core.db import Database, open_database  # noqa: E402
from engine.core.settings import load_settings  # noqa: E402
from engine.demo import build_demo, serve_rates  # noqa: E402
from engine.demo.live import append_live  # noqa: E402
from engine.demo.session import first_refresh  # noqa: E402
from engine.ingest import IngestContext  # noqa: E402
from engine.metrics.compute import ComputeContext  # noqa: E402
from engine.read.cards import metric_cards  # noqa: E402
from engine.refresh import RefreshContext, RefreshRequest  # noqa: E402
from engine.runtime.wiring import cut_recompute  # noqa: E402
from engine.store import migrations  # noqa: E402
from tests.support.receiver import Receiver  # noqa: E402

PREFIX = "hbrl_"
PROBE_ID = -1000  # probe payments get ids PROBE_ID - n: the live appender only ever uses max(id) + 1
TARGET_JOB_S = 15.0
TARGET_P95_S = 90.0
TARGET_SHARE_5MIN = 0.10
WEBHOOK_ENV = "HEARTBEAT_ALERT_WEBHOOK_URL"
console = Console() if sys.stdout.isatty() else Console(width=160)


def probe_file(n: int) -> str:
    return f"""-- ---
-- name: Latency probe {n}
-- how_to_read: >-
--   Benchmark only (benchmarks/refresh_latency.py): red once probe payment {n} has landed.
-- methodology: >-
--   Counts the payment with the reserved id {PROBE_ID - n} in the landed webbank.core.
-- sources: [webbank.core]
-- period: snapshot
-- unit: count
-- direction: lower_is_better
-- norm: 0.25
-- alert: 0.5
-- owner: bench@satchel.example
-- tags: [latency-probe]
-- ---
SELECT count(*) FROM webbank_core.payment AS p WHERE p.id = {PROBE_ID - n};
"""


def routing() -> dict[str, Any]:
    return {
        "channels": {"webhook": {"type": "webhook", "url_env": WEBHOOK_ENV}},
        "rules": {"pending": {"red": 1, "amber": 3, "stale": 1}, "clear": 2, "error_after": 3},
        "routes": [{"default": True, "severities": ["red"], "channels": ["webhook"]}],
        "delivery": {"max_attempts": 3, "backoff": "1s", "backoff_max": "5s", "timeout": "5s"},
    }


def server_cpu_s(db: Database) -> float:
    """CPU seconds (user + system) of the embedded PostgreSQL and its backends so far."""
    pid = db.embedded.pid if db.embedded else None
    if not pid:
        return 0.0
    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                t = proc.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0.0


def own_cpu_s() -> float:
    """CPU seconds of this process and of the refresh jobs' ingest children (engine/ingest/isolated.py)."""
    from engine.ingest.isolated import ingest_cpu_seconds

    t = psutil.Process().cpu_times()
    return t.user + t.system + ingest_cpu_seconds()


def write_probe(server: Database, n: int) -> float:
    """One payment with a reserved id, stamped now, like the newest real one; returns when it was committed."""
    with psycopg.connect(server.dsn(PREFIX + "webbank"), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO core.payment (id, type_id, state_id, amount, currency, sender_profile_id, create_time, "
            "update_time) SELECT %s, type_id, state_id, amount, currency, sender_profile_id, now(), now() "
            "FROM core.payment WHERE id > 0 ORDER BY id DESC LIMIT 1", (PROBE_ID - n,))
    return time.time()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class Schedule(threading.Thread):
    """Runs the refresh job at every ``interval`` boundary and the live appender just before it."""

    def __init__(self, ctx: RefreshContext, server: Database, interval: float) -> None:
        super().__init__(daemon=True, name="bench-schedule")
        self.ctx, self.server, self.interval = ctx, server, interval
        self.stop = threading.Event()
        self.jobs: list[dict[str, Any]] = []

    def run(self) -> None:
        start = time.time()
        tick = 0
        while not self.stop.is_set():
            tick += 1
            due = start + tick * self.interval
            if self.stop.wait(max(0.0, due - time.time())):
                return
            if time.time() - due > self.interval:  # the previous job overran a whole tick: skip (coalesce)
                continue
            append_live(self.server, prefix=PREFIX)
            began = time.time()
            _, state = refresh.run(self.ctx, RefreshRequest("all", "cron"))
            self.jobs.append({"started": began, "seconds": time.time() - began,
                              "status": state.status if state else "coalesced"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale of the sources (default 1)")
    parser.add_argument("--data-dir", default="/tmp/hb-refresh-latency", help="embedded PostgreSQL and dlt")
    parser.add_argument("--jobs", type=int, default=5, help="timed refresh jobs with a trickle (part 1)")
    parser.add_argument("--samples", type=int, default=6, help="source writes timed to red and alert (part 2)")
    parser.add_argument("--interval", type=float, default=60.0, help="schedule of part 2, seconds (default 60)")
    parser.add_argument("--backfill-days", type=int, default=30, help="history before the first refresh")
    args = parser.parse_args()

    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore")
    data_dir = Path(args.data_dir).expanduser().resolve()
    work = data_dir / f"run-{uuid.uuid4().hex[:6]}"
    work.mkdir(parents=True)
    results: dict[str, Any] = {"scale": args.scale, "started_at": datetime.now(timezone.utc).isoformat(),
                               "cores": psutil.cpu_count(), "load_avg_start": os.getloadavg()}
    server = open_database(load_settings({"HEARTBEAT_DATA_DIR": str(data_dir), "HEARTBEAT_DATABASE_URL": ""}))
    console.print(f"[bold]Refresh latency benchmark[/] — scale {args.scale:g}, {psutil.cpu_count()} cores, "
                  f"load average {os.getloadavg()[0]:.1f} at start (a shared box inflates every figure)")
    report = build_demo(server, files_dir=data_dir / "demo-files", scale=args.scale, prefix=PREFIX)
    console.print(f"  sources {'reused' if report.reused else 'built'}: {report.total_rows:,} rows")
    tag = uuid.uuid4().hex[:6]
    app_name, marts = f"hbrl_app_{tag}", f"hbrl_marts_{tag}"
    for name in (app_name, marts):
        server.ensure_database(name)
    db = Database(server.url(app_name))
    migrations.upgrade(db.engine())
    metrics_dir = work / "metrics"
    shutil.copytree(ROOT / "metrics", metrics_dir)
    for n in range(args.samples):
        (metrics_dir / f"latency_probe_{n}.sql").write_text(probe_file(n))
    (work / "alerts.yaml").write_text(yaml.safe_dump(routing()))
    receiver = Receiver()
    os.environ[WEBHOOK_ENV] = receiver.url
    settings = load_settings({"HEARTBEAT_DATA_DIR": str(work), "HEARTBEAT_METRICS_DIR": str(metrics_dir),
                              "HEARTBEAT_ALERTS_FILE": str(work / "alerts.yaml"), "HEARTBEAT_MARTS_DATABASE": marts,
                              "HEARTBEAT_CUTS_DIR": str(ROOT / "cuts"), "HEARTBEAT_COMPUTE_WORKERS": "2"})
    dispatcher = None
    try:
        with serve_rates(report.files_dir) as rates:
            ingest_ctx = IngestContext(
                db=db, marts_database=marts, pipelines_dir=work / "dlt", source_database_prefix=PREFIX,
                locations={"currency_rate": rates.url, "currency_rate_files": str(report.files_dir / "currency_rates")})
            ctx = RefreshContext(db, ingest_ctx, ComputeContext.from_settings(settings, db), metrics_dir,
                                 after_compute=(cut_recompute(settings, db), alerts.evaluator(settings, db)))
            append_live(server, prefix=PREFIX)  # catch the sources up to now
            began = time.perf_counter()
            first_refresh(ctx, days=args.backfill_days)
            results["first_refresh_s"] = time.perf_counter() - began
            console.print(f"  full load + {args.backfill_days} days of history + first refresh: "
                          f"{results['first_refresh_s']:.0f} s")
            dispatcher = alerts.start_dispatcher(settings, db)

            # 1. The refresh job with a trickle ------------------------------------------------------------
            jobs: list[dict[str, Any]] = []
            for _ in range(args.jobs + 1):  # the first is a warm-up
                time.sleep(max(0.0, 60.0 - (time.time() % 60.0)) if args.interval >= 60 else 0)
                live = append_live(server, prefix=PREFIX)
                cpu, pg = own_cpu_s(), server_cpu_s(server)
                t0 = time.perf_counter()
                _, state = refresh.run(ctx, RefreshRequest("all", "cron"))
                seconds = time.perf_counter() - t0
                jobs.append({"seconds": seconds, "cpu_s": own_cpu_s() - cpu, "pg_cpu_s": server_cpu_s(server) - pg,
                             "new_rows": live.total_new_rows, "status": state.status if state else "?",
                             "load_avg": os.getloadavg()[0],
                             "sources_ms": {k: v.get("duration_ms") for k, v in (state.source_outcomes or {}).items()
                                            if isinstance(v, dict)} if state else {}})
            timed = jobs[1:]
            results["jobs"] = jobs
            med = statistics.median(j["seconds"] for j in timed)
            cpu_med = statistics.median(j["cpu_s"] + j["pg_cpu_s"] for j in timed)
            cores = psutil.cpu_count() or 2
            table = Table(title="1. One refresh job (ingest every source + compute every metric + cuts + alerts) "
                                "after one minute of demo activity")
            for col in ("job", "new source rows", "wall s", "CPU s (app)", "CPU s (PostgreSQL)", "load avg"):
                table.add_column(col, justify="right")
            for i, j in enumerate(timed, 1):
                table.add_row(str(i), f"{j['new_rows']:,}", f"{j['seconds']:.1f}", f"{j['cpu_s']:.1f}",
                              f"{j['pg_cpu_s']:.1f}", f"{j['load_avg']:.1f}")
            share5, share1 = cpu_med / (300 * cores), cpu_med / (60 * cores)
            table.caption = (f"median {med:.1f} s wall, {cpu_med:.1f} CPU s → a 5-minute schedule uses "
                             f"{share5:.1%} of the box's {cores} cores, a 1-minute one {share1:.1%}")
            console.print(table)
            per_source: dict[str, list[float]] = {}
            for j in timed:
                for name, ms in j["sources_ms"].items():
                    if ms is not None:
                        per_source.setdefault(name, []).append(ms / 1000)
            results["per_source_s"] = {k: statistics.median(v) for k, v in per_source.items()}
            results["job_median_s"], results["job_cpu_median_s"] = med, cpu_med
            results["share_5min"], results["share_1min"] = share5, share1
            if per_source:
                src = Table(title="Ingest per source inside the job (median s)")
                src.add_column("source")
                src.add_column("s", justify="right")
                for name, value in sorted(results["per_source_s"].items()):
                    src.add_row(name, f"{value:.2f}")
                console.print(src)

            # 2. Write → red tile → alert at a 1-minute schedule -------------------------------------------
            schedule = Schedule(ctx, server, args.interval)
            schedule.start()
            samples: list[dict[str, Any]] = []
            try:
                for n in range(args.samples):
                    time.sleep(random.uniform(0, args.interval))
                    written = write_probe(server, n)
                    probe, red_at, alert_at = f"latency_probe_{n}", None, None
                    deadline = written + 6 * args.interval
                    while time.time() < deadline and (red_at is None or alert_at is None):
                        if red_at is None:
                            cards = metric_cards(db.engine(), history_days=0, ids=[probe])
                            if cards and cards[0].status == "red":
                                red_at = time.time()
                        if alert_at is None and any(probe in json.dumps(r["json"]) for r in receiver.requests):
                            alert_at = time.time()
                        time.sleep(0.25)
                    samples.append({"probe": probe, "red_s": red_at - written if red_at else None,
                                    "alert_s": alert_at - written if alert_at else None})
                    console.print(f"  sample {n + 1}: red after "
                                  f"{samples[-1]['red_s'] or float('nan'):.1f} s, alert after "
                                  f"{samples[-1]['alert_s'] or float('nan'):.1f} s")
            finally:
                schedule.stop.set()
                schedule.join(timeout=600)
            results["samples"], results["schedule_jobs"] = samples, schedule.jobs
            reds = [s["red_s"] for s in samples if s["red_s"] is not None]
            sent = [s["alert_s"] for s in samples if s["alert_s"] is not None]
            table = Table(title=f"2. Source write → red tile and → alert delivered, refresh every {args.interval:g} s")
            for col in ("", "samples", "median s", "p95 s", "max s", f"target p95 ≤ {TARGET_P95_S:g} s"):
                table.add_column(col, justify="right")
            for label, values in (("red in the read model", reds), ("alert at the receiver", sent)):
                p95 = percentile(values, 0.95)
                table.add_row(label, f"{len(values)}/{len(samples)}",
                              f"{statistics.median(values):.1f}" if values else "-", f"{p95:.1f}",
                              f"{max(values):.1f}" if values else "-",
                              "pass" if values and len(values) == len(samples) and p95 <= TARGET_P95_S else "FAIL")
            sched = [j["seconds"] for j in schedule.jobs]
            table.caption = (f"scheduled jobs meanwhile: {len(sched)}, median {statistics.median(sched):.1f} s. "
                             "A TV shows the red tile at its next read (HEARTBEAT_TV_REFRESH_SECONDS, 30 s)."
                             if sched else "no scheduled job finished")
            console.print(table)
            results["red_p95_s"], results["alert_p95_s"] = percentile(reds, 0.95), percentile(sent, 0.95)

            summary = Table(title="Targets (issue #17)")
            for col in ("target", "measured", "result"):
                summary.add_column(col)
            summary.add_row(f"refresh job with a trickle ≤ {TARGET_JOB_S:g} s", f"median {med:.1f} s",
                            "pass" if med <= TARGET_JOB_S else "FAIL")
            summary.add_row("5-minute schedule < 10 % of the box", f"{share5:.1%}",
                            "pass" if share5 < TARGET_SHARE_5MIN else "FAIL")
            summary.add_row(f"write → red tile p95 ≤ {TARGET_P95_S:g} s", f"{results['red_p95_s']:.1f} s",
                            "pass" if results["red_p95_s"] <= TARGET_P95_S else "FAIL")
            summary.add_row(f"write → alert delivered p95 ≤ {TARGET_P95_S:g} s", f"{results['alert_p95_s']:.1f} s",
                            "pass" if results["alert_p95_s"] <= TARGET_P95_S else "FAIL")
            console.print(summary)
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        receiver.close()
        db.dispose()
        for name in (app_name, marts):
            server.drop_database(name)
        server.dispose()
        results["load_avg_end"] = os.getloadavg()
        out = data_dir / f"refresh-latency-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.json"
        out.write_text(json.dumps(results, indent=2, default=str))
        shutil.rmtree(work, ignore_errors=True)
        console.print(f"figures saved to {out}")


if __name__ == "__main__":
    main()
