"""GET /api/cockpit latency at 1,000 metrics × 730 days vs 30 × 7, and 100 concurrent recomputes.

Run on demand: `.venv/bin/python benchmarks/cockpit_read.py`. It fills two
scratch databases on the embedded server (in .heartbeat/bench), serves the
real API with uvicorn in a separate process, and measures over real HTTP.
Targets (issue #5): p95 ≤ 20 ms at 1,000 × 730 and ≤ 2× the 30 × 7 figure;
100 concurrent POST /api/metrics/recompute → exactly one job id.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._support import world  # noqa: E402
from benchmarks._support.machine import bench_server  # noqa: E402
from benchmarks._support.served_api import ServedApi, percentiles  # noqa: E402
from engine.core.db import Database  # noqa: E402
from tests.support.databases import scratch_database  # noqa: E402

TOKEN = "bench-operator-token"
console = Console()


def fill(db: Database, metrics: int, days: int) -> None:
    """All four periods, both directions, a quarter with an OKR target; a green history around 100."""
    world.fill(db, metrics, days, registry={
        "period": "(ARRAY['24h','7d','30d','snapshot'])[1 + g % 4]",
        "direction": "CASE WHEN g % 2 = 0 THEN 'higher_is_better' ELSE 'lower_is_better' END",
        "norm_value": "CASE WHEN g % 2 = 0 THEN 90 ELSE 110 END",
        "alert_value": "CASE WHEN g % 2 = 0 THEN 80 ELSE 120 END",
        # a quarter of the metrics have a target with a due date: their OKR pace is read too
        "target_value": "CASE WHEN g % 4 = 0 THEN 105 END",
        "target_due_date": "CASE WHEN g % 4 = 0 THEN current_date + 90 END",
    }, history={"value": "100 + 15 * sin(g + d)"})


def measure(url: str, requests: int) -> dict[str, float]:
    timings = []
    size = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(20):  # warm-up: pools, plans, caches
            client.get("/api/cockpit")
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get("/api/cockpit")
            timings.append((time.perf_counter() - began) * 1000)
            size = len(response.content)
            assert response.status_code == 200
    return {**percentiles(timings), "kib": size / 1024}


def build_time(db: Database, repeat: int = 5) -> float:
    """Milliseconds to build the cockpit body from the database (what a change costs once), best of ``repeat``."""
    from engine.api.metrics import _render_cockpit

    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        _render_cockpit(db.engine())
        best = min(best, (time.perf_counter() - began) * 1000)
    return best


def concurrent_recompute(url: str, metrics_dir: Path) -> tuple[int, int, int]:
    ids, codes = [], []
    lock = threading.Lock()

    def post() -> None:
        response = httpx.post(f"{url}/api/metrics/recompute", json={"metric_ids": "all", "trigger": "api"},
                              headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        with lock:
            codes.append(response.status_code)
            if response.status_code == 202:
                ids.append(response.json()["job_id"])

    threads = [threading.Thread(target=post) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(set(ids)), len(ids), sum(1 for c in codes if c != 202)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--metrics", type=int, default=1000, help="the large wall (against 30 × 7)")
    parser.add_argument("--days", type=int, default=730, help="the long history (against 7 days)")
    parser.add_argument("--data-dir", default=str(ROOT / ".heartbeat" / "bench"))
    args = parser.parse_args()
    server, machine = bench_server(args.data_dir)
    console.print(machine)
    metrics_dir = Path(args.data_dir) / "empty-metrics"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    builds = {}
    big_key, wide_key = (args.metrics, args.days), (args.metrics, 7)
    for metrics, days in ((30, 7), wide_key, big_key):
        with scratch_database(server, f"hb_bench_{metrics}x{days}") as db:
            began = time.perf_counter()
            fill(db, metrics, days)
            console.print(f"filled {metrics} metrics × {days} days in {time.perf_counter() - began:.1f} s")
            environ = {"HEARTBEAT_OPERATOR_TOKEN": TOKEN, "HEARTBEAT_METRICS_DIR": str(metrics_dir)}
            with ServedApi(db, environ) as api:
                results[(metrics, days)] = measure(api.url, args.requests)
                builds[(metrics, days)] = build_time(db)
                if (metrics, days) == wide_key:
                    results["recompute"] = concurrent_recompute(api.url, metrics_dir)

    table = Table(title=f"GET /api/cockpit over HTTP ({args.requests} requests after warm-up)")
    for column in ("metrics × days", "p50 ms", "p95 ms", "max ms", "response KiB", "build after a change ms"):
        table.add_column(column, justify="right")
    for key in ((30, 7), wide_key, big_key):
        r = results[key]
        table.add_row(f"{key[0]} × {key[1]}", f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['max']:.1f}", f"{r['kib']:.0f}",
                      f"{builds[key]:.0f}")
    console.print(table)
    big, small = results[big_key], results[(30, 7)]
    console.print(f"target p95 ≤ 20 ms at {args.metrics:,} × {args.days}: {'PASS' if big['p95'] <= 20 else 'FAIL'} ({big['p95']:.1f} ms)")
    ratio = big["p95"] / small["p95"]
    console.print(f"p95({args.metrics:,} × {args.days}) / p95(30 × 7): {ratio:.1f} (the body is "
                  f"{big['kib'] / small['kib']:.0f}× larger: {args.metrics / 30:.0f}× the metrics)")
    history = big["p95"] / results[wide_key]["p95"]
    console.print(f"target: cost does not grow with history length — p95({args.metrics:,} × {args.days}) / "
                  f"p95({args.metrics:,} × 7): {history:.2f} {'PASS' if history <= 2 else 'FAIL'}; "
                  f"build {builds[big_key]:.0f} ms vs {builds[wide_key]:.0f} ms")
    distinct, accepted, refused = results["recompute"]
    console.print(f"100 concurrent POST /api/metrics/recompute: {accepted} accepted, {refused} refused, "
                  f"{distinct} distinct job id(s) — {'PASS' if distinct == 1 and refused == 0 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
