"""What an idle cockpit session costs the server, and whether a dropped one gives it back.

Run on demand: `.venv/bin/python benchmarks/sessions.py [--sessions 200] [--interval 5]`.
It serves a wall of 40 hand-built metrics from a scratch database on the test PostgreSQL server
(`.heartbeat/test`), opens N websocket sessions the way a tab does (hydrate and load `/`, so each starts its
refresh loop), lets them idle for two refresh intervals, drops them all, and waits one refresh interval (plus
the loop's 3 s disconnect grace). Server memory is the PSS of the app's process tree (shared pages counted once). Targets (issue #16):
≤ 100 KB per idle session; after disconnect the memory is back and no refresh loop still beats.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import psutil
from rich.console import Console
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._support.wall import (  # noqa: E402
    METRICS,
    TEST_DATA_DIR,
    memory_kb,
    offer_compression_like_a_browser,
    open_tab,
    wall,
)  # noqa: E402
from engine.core.db import Database  # noqa: E402
from tests.support.running_app import RunningApp  # noqa: E402

console = Console()
HEAP_PROBE = ROOT / "benchmarks" / "heap_probe"


def beats(db: Database) -> tuple[int, object]:
    with db.engine().connect() as conn:
        row = conn.execute(text("SELECT count(*), max(last_seen) FROM heartbeat.screen")).one()
    return row[0], row[1]


def beating_since(db: Database, seconds: float) -> int:
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM heartbeat.screen WHERE last_seen > now() - "
                                 "make_interval(secs => :s)"), {"s": seconds}).scalar()


class Heap:
    """The Python heap of the serving worker, by tracemalloc snapshots (``--heap``; see heap_probe/)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.snaps: dict[str, tracemalloc.Snapshot] = {}

    def environ(self) -> dict[str, str]:
        if self.folder is None:
            return {}
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.iterdir():
            old.unlink()
        path = os.pathsep.join(p for p in (str(HEAP_PROBE), os.environ.get("PYTHONPATH", "")) if p)
        return {"HEARTBEAT_HEAP_PROBE": str(self.folder), "PYTHONPATH": path}

    def start(self) -> None:
        if self.folder is not None:
            (self.folder / "start").touch()
            time.sleep(1)

    def snap(self, label: str) -> None:
        if self.folder is None:
            return
        (self.folder / f"snap-{label}").touch()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not list(self.folder.glob(f"{label}-*.done")):
            time.sleep(0.5)
        time.sleep(3)  # every serving process answers (the master of a forking server too)
        # The serving worker is the process that holds the most traced memory.
        best = max(self.folder.glob(f"{label}-*.snap"), key=lambda p: p.stat().st_size)
        self.snaps[label] = tracemalloc.Snapshot.load(str(best))
        self.snaps[label + ".pid"] = best.stem.rsplit("-", 1)[1]  # type: ignore[assignment]

    def report(self, sessions: int) -> None:
        if self.folder is None:
            return
        def total(label: str) -> int:
            return sum(s.size for s in self.snaps[label].statistics("filename"))
        base = total("baseline")
        console.print(f"Python heap of the serving worker (pid {self.snaps['idle.pid']}): baseline "
                      f"{base / 1024:.0f} KB, idle {total('idle') / 1024:.0f} KB "
                      f"([bold]{(total('idle') - base) / sessions / 1024:.1f} KB per session[/]), after disconnect "
                      f"{total('after') / 1024:.0f} KB")
        diff = self.snaps["idle"].compare_to(self.snaps["baseline"], "traceback")
        console.print("largest per-session allocations (KB per session, where):")
        for stat in diff[:25]:
            frames = [f"{Path(f.filename).name}:{f.lineno}" for f in stat.traceback
                      if "tracemalloc" not in f.filename][-6:]
            console.print(f"  {stat.size_diff / sessions / 1024:6.2f}  {' < '.join(reversed(frames))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--heap", action="store_true",
                        help="also trace the serving worker's Python heap (slower; diagnostics)")
    parser.add_argument("--test-data-dir", default=str(TEST_DATA_DIR), help="where the test PostgreSQL lives")
    args = parser.parse_args()
    offer_compression_like_a_browser()
    heap = Heap(ROOT / ".heartbeat" / "test" / "heap-probe" if args.heap else None)

    with wall(Path(args.test_data_dir), "hb_bench_sessions", interval=args.interval,
              sessions=args.sessions) as (db, environ):
        app = RunningApp({**environ, **heap.environ()}, name="sessions-bench")
        try:
            app.start()
            return measure(app, db, args, heap)
        finally:
            app.stop()


def measure(app: RunningApp, db: Database, args: argparse.Namespace, heap: Heap) -> int:
    """Tabs open, idle, dropped, a second wave: the figures of the module docstring."""
    console.print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
                  f"Python {platform.python_version()}; {args.sessions} sessions, refresh every {args.interval}s, "
                  f"{METRICS} metrics on the wall")
    heap.start()
    for _ in range(3):  # warm-up: first tabs pay for imports and caches
        open_tab(app).close()
    time.sleep(args.interval + 6)
    heap.snap("baseline")
    baseline = memory_kb(app)
    started = time.monotonic()
    tabs = [open_tab(app) for _ in range(args.sessions)]
    opened_in = time.monotonic() - started
    deadline = time.monotonic() + 2 * args.interval
    while time.monotonic() < deadline:  # idle, answering pings like a tab
        for tab in tabs:
            try:
                frame = tab.ws.receive(timeout=0.001)
                if frame == "2":
                    tab.ws.send("3")  # Engine.IO pong
            except Exception:  # the server closed it: counted as gone
                pass
        time.sleep(0.2)
    idle = memory_kb(app)
    heap.snap("idle")
    screens_open, _ = beats(db)
    for tab in tabs:
        tab.close()
    closed_at = time.monotonic()
    time.sleep(args.interval + 3 + 2)  # one refresh interval, the loop's disconnect grace, a margin
    after = memory_kb(app)
    after_s = time.monotonic() - closed_at
    heap.snap("after")
    _, last_beat_1 = beats(db)
    time.sleep(args.interval + 1)
    _, last_beat_2 = beats(db)
    still = beating_since(db, args.interval + 1)
    # A second wave: memory given back (to the OS or to the allocator) is taken again instead of grown.
    second = [open_tab(app) for _ in range(args.sessions)]
    time.sleep(2 * args.interval)
    idle_again = memory_kb(app)
    for tab in second:
        tab.close()
    per_session = (idle - baseline) / args.sessions
    held = idle - baseline
    released = (idle - after) / held if held > 0 else 1.0
    console.print(f"opened {args.sessions} sessions in {opened_in:.1f}s; screens recorded: {screens_open}")
    console.print(f"memory (PSS) baseline {baseline / 1024:.1f} MB, idle {idle / 1024:.1f} MB, "
                  f"{after_s:.0f}s after disconnect "
                  f"{after / 1024:.1f} MB")
    console.print(f"[bold]per idle session: {per_session:.0f} KB[/] (target ≤ 100); released after disconnect "
                  f"within one interval + grace: {released:.0%}")
    console.print(f"second wave of {args.sessions}: memory {idle_again / 1024:.1f} MB, grew "
                  f"{(idle_again - after) / args.sessions:.0f} KB per session over the post-disconnect memory "
                  f"(first wave: {per_session:.0f} KB)")
    console.print(f"refresh loops still beating one interval after the disconnect: {still}")
    heap.report(args.sessions)
    return 0 if per_session <= 100 and still == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
