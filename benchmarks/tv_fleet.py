"""A fleet of TVs on one app worker: server CPU and bytes per refresh interval, change-to-screen time, memory.

Run on demand: `.venv/bin/python benchmarks/tv_fleet.py [--sessions 100] [--interval 30] [--workers 1]`.
It serves a wall of 40 hand-built metrics from a scratch database on the test PostgreSQL server
(`.heartbeat/test`) and opens N websocket sessions the way a TV tab does (hydrate and load `/`, then stay
connected, answering pings; one reader thread per session timestamps every frame). Then:

- steady state: over `--steady` refresh intervals with no change, the server's CPU (user + system of the app's
  process tree) per interval, as a share of one core, and the bytes each session receives per interval;
- change-to-screen: `--changes` times, one metric's value is written in the database at a random moment of the
  interval; the time until the new value arrives at each session (p50 / p95 / max over every session × change);
- memory: the server's memory (PSS) growth per open session.

Targets (issue #17): 100 TVs ≤ 10 % of one core at a 30 s interval; p95 change-to-screen ≤ 1 interval + 1 s.
With `--workers N` (N > 1) it starts a Redis (tests/support/redis_server.py) and serves with
`heartbeat serve --workers N`, for the "when to split what" figures in docs/operations.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil
from rich.console import Console
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._support.wall import METRICS, TEST_DATA_DIR, memory_kb, open_tab, wall  # noqa: E402
from engine.core.db import Database  # noqa: E402
from tests.support.running_app import RunningApp  # noqa: E402

console = Console()
# Red at 50: red tiles are on every page of the rotation, so every TV shows it on every tick; the changes
# keep it red, the rest of the wall stays.
WATCHED = "metric_02"


class Tv:
    """One TV session and the frames it received, timestamped by a reader thread."""

    def __init__(self, app: RunningApp) -> None:
        self.session = open_tab(app, timeout=120)
        self.frames: list[tuple[float, int, str]] = []
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        ws = self.session.ws
        while not self.closed:
            try:
                frame = ws.receive(timeout=1)
            except Exception:  # closed by the server: the TV would reconnect; here it is counted as gone
                return
            if frame is None:
                continue
            if frame == "2":
                ws.send("3")  # Engine.IO pong, like a browser
                continue
            with self.lock:
                self.frames.append((time.monotonic(), len(frame.encode()), frame))

    def bytes_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(size for at, size, _ in self.frames if start <= at < end)

    def first_with(self, needle: str, after: float) -> float | None:
        with self.lock:
            return next((at for at, _, frame in self.frames if at >= after and needle in frame), None)

    def close(self) -> None:
        self.closed = True
        self.session.close()


def cpu_seconds(app: RunningApp) -> float:
    """User + system CPU of the app's whole process tree so far."""
    parent = psutil.Process(app.process.pid)
    total = 0.0
    for proc in [parent, *parent.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def set_value(db: Database, value: float) -> None:
    with db.engine().begin() as conn:
        conn.execute(text("UPDATE heartbeat.metric_history SET value = :v WHERE metric_id = :id"),
                     {"v": value, "id": WATCHED})


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--interval", type=float, default=30.0)
    parser.add_argument("--steady", type=int, default=4, help="refresh intervals measured with no change")
    parser.add_argument("--changes", type=int, default=3, help="database changes timed to every screen")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--test-data-dir", default=str(TEST_DATA_DIR), help="where the test PostgreSQL lives")
    args = parser.parse_args()

    with wall(Path(args.test_data_dir), "hb_bench_fleet", interval=args.interval,
              sessions=args.sessions) as (db, environ):
        redis_server = None
        if args.workers > 1:
            from tests.support.redis_server import RedisServer

            redis_server = RedisServer().start()
            environ["HEARTBEAT_REDIS_URL"] = redis_server.url
        app = RunningApp(environ, name="fleet-bench", args=("--workers", str(args.workers)))
        tvs: list[Tv] = []
        try:
            app.start()
            return measure(app, db, tvs, args, redis=redis_server is not None)
        finally:
            for tv in tvs:
                tv.close()
            app.stop()
            if redis_server is not None:
                redis_server.stop()


def measure(app: RunningApp, db: Database, tvs: list["Tv"], args: argparse.Namespace, *, redis: bool) -> int:
    """Steady state, change-to-screen and memory with ``args.sessions`` TVs (the module docstring)."""
    console.print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
                  f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}; "
                  f"{args.sessions} TV sessions on {args.workers} worker(s)"
                  f"{' with Redis' if redis else ''}, refresh every {args.interval:g}s, "
                  f"{METRICS} metrics on the wall")
    for _ in range(3):  # warm-up: the first tabs pay for imports and caches
        Tv(app).close()
    time.sleep(5)
    baseline = memory_kb(app)
    started = time.monotonic()
    for _ in range(args.sessions):
        tvs.append(Tv(app))
    console.print(f"opened {args.sessions} sessions in {time.monotonic() - started:.1f}s")
    time.sleep(args.interval + 2)  # every loop past its first tick
    rss = memory_kb(app)

    steady_start, cpu_start = time.monotonic(), cpu_seconds(app)
    time.sleep(args.steady * args.interval)
    steady_end, cpu_end = time.monotonic(), cpu_seconds(app)
    cpu_per_interval = (cpu_end - cpu_start) / args.steady
    core_share = (cpu_end - cpu_start) / (steady_end - steady_start)
    steady_bytes = [tv.bytes_between(steady_start, steady_end) / args.steady for tv in tvs]

    latencies: list[float] = []
    worst: list[float] = []
    missing = 0
    change_bytes: list[float] = []
    rng = random.Random(17)
    for round_ in range(args.changes):
        time.sleep(rng.uniform(0, args.interval))
        value = 41.0 + round_ + rng.randint(1, 8) / 10  # still red, and a text no other tile shows
        needle = f"{value:.1f}%"
        changed = time.monotonic()
        set_value(db, value)
        deadline = changed + 2 * args.interval + 5
        while time.monotonic() < deadline and any(tv.first_with(needle, changed) is None for tv in tvs):
            time.sleep(0.2)
        arrived = [tv.first_with(needle, changed) for tv in tvs]
        missing += sum(a is None for a in arrived)
        round_latencies = [a - changed for a in arrived if a is not None]
        latencies += round_latencies
        worst.append(max(round_latencies, default=float("nan")))
        change_bytes += [tv.bytes_between(changed, changed + args.interval) for tv in tvs]
        time.sleep(1)

    target_cpu = core_share <= 0.10
    p95 = percentile(latencies, 0.95) if latencies else float("nan")
    target_latency = bool(latencies) and missing == 0 and p95 <= args.interval + 1
    console.print(f"[bold]server CPU: {cpu_per_interval:.2f} CPU-s per {args.interval:g}s interval = "
                  f"{core_share:.1%} of one core[/] (target ≤ 10 % for 100 TVs at 30 s: "
                  f"{'met' if target_cpu else 'NOT met'})")
    console.print(f"bytes per session per refresh, unchanged wall: median {statistics.median(steady_bytes):.0f} B, "
                  f"max {max(steady_bytes):.0f} B; in an interval with one changed tile: median "
                  f"{statistics.median(change_bytes):.0f} B")
    console.print(f"[bold]change-to-screen over {len(latencies)} arrivals ({args.changes} changes × "
                  f"{args.sessions} TVs): p50 {statistics.median(latencies):.1f}s, p95 {p95:.1f}s, "
                  f"max {max(latencies):.1f}s[/]; slowest TV per change: "
                  f"{', '.join(f'{w:.1f}s' for w in worst)}; never arrived: {missing} "
                  f"(target p95 ≤ {args.interval + 1:g}s: {'met' if target_latency else 'NOT met'})")
    console.print(f"[bold]server memory (PSS) per session: {(rss - baseline) / args.sessions:.0f} KB[/] "
                  f"(baseline {baseline / 1024:.1f} MB, with {args.sessions} TVs {rss / 1024:.1f} MB)")
    return 0 if target_cpu and target_latency else 1


if __name__ == "__main__":
    sys.exit(main())
