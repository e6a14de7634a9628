"""Memory per refresh job: run the refresh job N times in one process and report RSS, threads, fds and maps per job.

Run on demand (not in the test suite), one variant per process:

    .venv/bin/python benchmarks/job_memory.py --jobs 100                     # the product as configured
    MALLOC_ARENA_MAX=2 .venv/bin/python benchmarks/job_memory.py --jobs 100  # an allocator variant
    .venv/bin/python benchmarks/job_memory.py --jobs 100 --arrow-pool system --trim

It builds (once) the demo in ``--data-dir`` on its own embedded PostgreSQL, with the rates API and the live
appender running as in ``heartbeat demo``, and then runs the refresh job as the API does: one job at a
time, each on a thread of its own, through the wiring every entry point uses. After every job it samples
the process's RSS and anonymous memory, glibc's heap (``mallinfo2``: bytes in use vs. held free), Arrow's
pool, the thread, file-descriptor and memory-map counts, and writes them to ``--out`` (CSV). At the end it
prints the growth per job after the warm-up (a least-squares slope over the jobs after ``--warmup``).
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import gc
import logging
import os
import platform
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Not this folder: benchmarks/mcp.py would shadow the mcp package the CLI imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


_libc = ctypes.CDLL("libc.so.6")
_libc.mallinfo2.restype = _MallInfo2


def _kb(field: str, path: str) -> int:
    with open(path) as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def sample() -> dict[str, float]:
    """The process's memory and handles now (sizes in MB)."""
    import pyarrow as pa

    maps = anon = 0
    with open("/proc/self/maps") as fh:
        for line in fh:
            maps += 1
            if len(line.split()) < 6:
                anon += 1
    info = _libc.mallinfo2()
    return {
        "rss_mb": _kb("VmRSS", "/proc/self/status") / 1024,
        "anon_mb": _kb("Anonymous", "/proc/self/smaps_rollup") / 1024,
        "malloc_used_mb": info.uordblks / 2**20,  # glibc heap bytes in use (all arenas)
        "malloc_free_mb": info.fordblks / 2**20,  # held by glibc, free: fragmentation when it only grows
        "malloc_mmap_mb": info.hblkhd / 2**20,
        "arrow_mb": pa.total_allocated_bytes() / 2**20,
        "threads": len(os.listdir("/proc/self/task")),
        "fds": len(os.listdir("/proc/self/fd")),
        "maps": maps,
        "anon_maps": anon,
        "py_objects": len(gc.get_objects()),
    }


def slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=20, help="jobs left out of the slope (default 20)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".heartbeat" / "jobmem")
    parser.add_argument("--scale", type=float, default=0.05, help="demo scale (default 0.05, the demo's)")
    parser.add_argument("--arrow-pool", choices=("default", "system", "jemalloc", "mimalloc"), default="default")
    parser.add_argument("--jemalloc-decay0", action="store_true", help="pyarrow.jemalloc_set_decay(0)")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) after each job")
    parser.add_argument("--out", type=Path, default=None, help="CSV of the samples (default: in the data folder)")
    args = parser.parse_args()

    data_dir = args.data_dir.resolve()
    os.environ["HEARTBEAT_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("HEARTBEAT_SCHEDULER", "off")
    from tests.support.running_app import free_port

    os.environ.setdefault("HEARTBEAT_DEMO_RATES_PORT", str(free_port()))
    import pyarrow as pa

    if args.arrow_pool != "default":
        pa.set_memory_pool({"system": pa.system_memory_pool, "jemalloc": pa.jemalloc_memory_pool,
                            "mimalloc": pa.mimalloc_memory_pool}[args.arrow_pool]())
    if args.jemalloc_decay0:
        pa.jemalloc_set_decay(0)
    from rich.console import Console

    from engine import refresh, runtime
    from engine.cli.common import upgrade
    from engine.demo import session
    from engine.refresh import RefreshRequest
    from engine.runtime import wiring

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console()
    rt = runtime.get()
    upgrade(rt)
    services = session.prepare(rt, console, scale=args.scale)
    variant = (f"arrow pool {pa.default_memory_pool().backend_name}"
               f"{' decay0' if args.jemalloc_decay0 else ''}{' trim' if args.trim else ''}"
               f"{' MALLOC_ARENA_MAX=' + os.environ['MALLOC_ARENA_MAX'] if 'MALLOC_ARENA_MAX' in os.environ else ''}")
    console.print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; variant: {variant}; "
                  f"load average {os.getloadavg()[0]:.1f}")
    out = args.out or data_dir / f"job_memory-{int(time.time())}.csv"
    rows: list[dict[str, float]] = []
    statuses: dict[str, int] = {}
    began = time.monotonic()
    try:
        with open(out, "w", newline="") as fh:
            writer = None
            for n in range(1, args.jobs + 1):
                # As the API does it: every job on a thread of its own.
                box: dict[str, object] = {}
                ctx = wiring.refresh_context(rt.settings, rt.db)
                worker = threading.Thread(target=lambda: box.update(r=refresh.run(ctx, RefreshRequest("all", "api"))),
                                          name=f"refresh-{n}")
                worker.start()
                worker.join()
                state = box["r"][1]  # type: ignore[index]
                status = state.status if state is not None else "coalesced"
                statuses[status] = statuses.get(status, 0) + 1
                if args.trim:
                    _libc.malloc_trim(0)
                row = {"job": n, "seconds": round(time.monotonic() - began, 1), **sample(),
                       "load1": os.getloadavg()[0]}
                rows.append(row)
                if writer is None:
                    writer = csv.DictWriter(fh, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(row)
                fh.flush()
                if n == 1 or n % 10 == 0:
                    console.print(f"job {n:4d} {row['seconds']:7.0f}s  RSS {row['rss_mb']:7.1f}  anon "
                                  f"{row['anon_mb']:7.1f}  malloc used {row['malloc_used_mb']:6.1f} free "
                                  f"{row['malloc_free_mb']:6.1f} mmap {row['malloc_mmap_mb']:6.1f}  arrow "
                                  f"{row['arrow_mb']:5.1f}  threads {row['threads']:3d}  fds {row['fds']:3d}  maps "
                                  f"{row['maps']:5d} (anon {row['anon_maps']:4d})  objects {row['py_objects']:8d}  "
                                  f"load {row['load1']:.1f}  {status}")
    finally:
        services.stop()
        runtime.reset()

    after = [r for r in rows if r["job"] > args.warmup]
    jobs = [r["job"] for r in after]
    console.print(f"variant: {variant}; {len(rows)} jobs in {rows[-1]['seconds'] if rows else 0:.0f} s; "
                  f"statuses {statuses}; samples in {out}")
    if len(after) >= 2:
        for key in ("rss_mb", "anon_mb", "malloc_used_mb", "malloc_free_mb", "malloc_mmap_mb", "arrow_mb",
                    "threads", "fds", "maps", "py_objects"):
            per_job = slope(jobs, [r[key] for r in after])
            unit = " KB" if key.endswith("_mb") else ""
            value = per_job * 1024 if key.endswith("_mb") else per_job
            console.print(f"  {key:15s} job {args.warmup + 1}: {after[0][key]:10.1f}  job {rows[-1]['job']}: "
                          f"{rows[-1][key]:10.1f}  per job after warm-up: {value:+9.1f}{unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
