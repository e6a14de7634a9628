"""Compute benchmark (issue #4): every metric of metrics/ against a landed demo, serial and pooled.

Run on demand (not a test), against a data dir where a scale-1 demo has been landed::

    HEARTBEAT_DATA_DIR=/tmp/hbdemo1 .venv/bin/heartbeat demo --no-serve --scale 1   # once, ~3 min
    .venv/bin/python benchmarks/compute.py [--data-dir /tmp/hbdemo1] [--workers 4] [--repeat 1]

It syncs metrics/ into that data dir's registry, runs one untimed warm-up pass
(so both timed passes find the same warm cache), then times
``engine.metrics.compute.compute_many`` over every active metric serially (one worker)
and with the pool, and prints the totals, the five slowest metrics and the
targets of issue #4: every value SQL under 5 s, all metrics within 30 s with
the pool. Like ``heartbeat compute``, each pass writes today's history rows of
that data dir. Exit code 1 when a metric fails or a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GATE_SECONDS = 5.0  # every value SQL (issue #4, the seed's metric SQL rules)
POOL_TARGET_SECONDS = 30.0  # all metrics with the pool
SLOWEST = 5


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _demo_scale(data_dir: Path) -> str:
    meta = data_dir / "demo" / "demo_meta.json"
    try:
        return str(json.loads(meta.read_text()).get("scale", "?"))
    except (OSError, ValueError):
        return "? (no demo_meta.json: not a demo data dir?)"


def _timed_pass(ctx, workers: int, repeat: int):
    """(best wall seconds, results of the best pass) over ``repeat`` passes of compute_many."""
    from engine.metrics.compute import compute_many

    best = None
    for _ in range(repeat):
        started = time.perf_counter()
        results = compute_many(ctx, workers=workers)
        wall = time.perf_counter() - started
        if best is None or wall < best[0]:
            best = (wall, results)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("HEARTBEAT_DATA_DIR", "/tmp/hbdemo1"),
                        help="data dir of a landed demo (default: $HEARTBEAT_DATA_DIR or /tmp/hbdemo1)")
    parser.add_argument("--workers", type=int, default=4, help="pool size of the pooled pass (default 4)")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes of each kind; the best is kept")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up pass")
    args = parser.parse_args(argv)

    data_dir = Path(args.data_dir).expanduser().resolve()
    os.environ["HEARTBEAT_DATA_DIR"] = str(data_dir)  # read by engine.runtime on first use

    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import text

    from engine import runtime
    from engine.metrics import registry
    from engine.metrics.compute import ComputeContext, compute_many

    console = Console()
    rt = runtime.get()
    report = registry.sync(rt.db.engine(), rt.settings.metrics_dir)
    ctx = ComputeContext.from_settings(rt.settings, rt.db)
    with rt.db.engine(ctx.marts_database).connect() as conn:
        server = conn.execute(text("SHOW server_version")).scalar()
        payments = conn.execute(text("SELECT count(*) FROM webbank_core.payment")).scalar()
    memory = _memory_gib()
    console.print(
        f"data dir {data_dir} (demo scale {_demo_scale(data_dir)}, {payments:,} payments); "
        f"{os.cpu_count()} cores, {f'{memory:.0f} GiB' if memory else '? GiB'}, PostgreSQL {server}, "
        f"Python {platform.python_version()}"
    )
    console.print(f"registry: {report.summary()}")

    if not args.no_warmup:
        with console.status("warm-up pass (not timed)…"):
            compute_many(ctx, workers=args.workers)
    with console.status("serial pass (1 worker)…"):
        serial_wall, serial = _timed_pass(ctx, 1, args.repeat)
    with console.status(f"pooled pass ({args.workers} workers)…"):
        pool_wall, pooled = _timed_pass(ctx, args.workers, args.repeat)

    pool_ms = {r.metric_id: r.duration_ms for r in pooled}
    failed = [r for r in serial + pooled if not r.ok]
    slowest_ms = max((r.duration_ms for r in serial), default=0)

    totals = Table(title=f"compute_many over {len(serial)} metrics")
    totals.add_column("pass")
    totals.add_column("workers", justify="right")
    totals.add_column("wall s", justify="right")
    totals.add_column("sum of SQL s", justify="right")
    totals.add_column("target", justify="right")
    totals.add_row("serial", "1", f"{serial_wall:.2f}", f"{sum(r.duration_ms for r in serial) / 1000:.2f}", "")
    totals.add_row("pool", str(args.workers), f"{pool_wall:.2f}", f"{sum(pool_ms.values()) / 1000:.2f}",
                   f"≤ {POOL_TARGET_SECONDS:g} s")
    totals.add_row("speed-up", "", f"{serial_wall / pool_wall:.2f}×" if pool_wall else "—", "", "")
    console.print(totals)

    slow = Table(title=f"{SLOWEST} slowest metrics (value SQL, seconds)")
    slow.add_column("metric")
    slow.add_column("period")
    slow.add_column("serial s", justify="right")
    slow.add_column("in the pool s", justify="right")
    with rt.db.engine().connect() as conn:
        periods = dict(conn.execute(text("SELECT id, period FROM heartbeat.metric_registry")).all())
    for result in sorted(serial, key=lambda r: r.duration_ms, reverse=True)[:SLOWEST]:
        slow.add_row(result.metric_id, periods.get(result.metric_id, "?"), f"{result.duration_ms / 1000:.3f}",
                     f"{pool_ms.get(result.metric_id, 0) / 1000:.3f}")
    console.print(slow)

    checks = [
        (f"every value SQL < {GATE_SECONDS:g} s", slowest_ms / 1000 < GATE_SECONDS, f"slowest {slowest_ms / 1000:.2f} s"),
        (f"all metrics ≤ {POOL_TARGET_SECONDS:g} s with the pool", pool_wall <= POOL_TARGET_SECONDS,
         f"{pool_wall:.2f} s"),
        ("no metric failed", not failed, ", ".join(sorted({r.metric_id for r in failed})) or "none failed"),
    ]
    for name, ok, detail in checks:
        console.print(f"{'[green]✓[/]' if ok else '[red]✗[/]'} {name}: {detail}")
    for result in failed:
        console.print(f"  [magenta]{result.metric_id}[/]: {result.error}")
    runtime.reset()
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
