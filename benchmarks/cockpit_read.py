"""GET /api/cockpit latency at 1,000 metrics × 730 days vs 30 × 7, and 100 concurrent recomputes.

Run on demand: `.venv/bin/python benchmarks/cockpit_read.py`. It fills two
scratch databases on the embedded server (in .heartbeat/bench), serves the
real API with uvicorn in a separate process, and measures over real HTTP.
Targets (issue #5): p95 ≤ 20 ms at 1,000 × 730 and ≤ 2× the 30 × 7 figure;
100 concurrent POST /api/metrics/recompute → exactly one job id.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.core.db import Database, open_database  # noqa: E402
from engine.core.settings import load_settings  # noqa: E402
from engine.store import migrations  # noqa: E402

TOKEN = "bench-operator-token"
console = Console()


def fill(db: Database, metrics: int, days: int) -> None:
    """Registry rows and a full daily history, written in bulk by SQL."""
    with psycopg.connect(db.dsn(), autocommit=True) as conn:
        conn.execute("SELECT set_config('heartbeat.sync', 'on', false)")
        conn.execute(
            """
            INSERT INTO heartbeat.metric_registry (id, name, how_to_read, value_sql, period, unit, direction,
                norm_value, alert_value, benchmark_kind, benchmark_mean, benchmark_stddev, config_hash,
                definition_hash, source_schemas, target_value, target_due_date)
            SELECT 'metric_' || g, 'Metric number ' || g, 'A benchmark metric.', 'SELECT 1',
                   (ARRAY['24h','7d','30d','snapshot'])[1 + g %% 4], 'count',
                   CASE WHEN g %% 2 = 0 THEN 'higher_is_better' ELSE 'lower_is_better' END,
                   CASE WHEN g %% 2 = 0 THEN 90 ELSE 110 END, CASE WHEN g %% 2 = 0 THEN 80 ELSE 120 END,
                   'rolling_stat', 100, 5, 'h', 'd', '["webbank.core"]',
                   -- a quarter of the metrics have a target with a due date: their OKR pace is read too
                   CASE WHEN g %% 4 = 0 THEN 105 END, CASE WHEN g %% 4 = 0 THEN current_date + 90 END
            FROM generate_series(1, %s) g
            """,
            (metrics,),
        )
        conn.execute(
            """
            INSERT INTO heartbeat.metric_history (metric_id, day, value, status, computed_at, source_as_of,
                                                  duration_ms)
            SELECT 'metric_' || g, current_date - d, 100 + 15 * sin(g + d), 'green', now() - d * interval '1 day',
                   now() - d * interval '1 day', 12
            FROM generate_series(1, %s) g, generate_series(0, %s - 1) d
            """,
            (metrics, days),
        )
        conn.execute("ANALYZE heartbeat.metric_history")
        conn.execute("ANALYZE heartbeat.metric_registry")


def serve(url: str, port: int, metrics_dir: str) -> None:
    import uvicorn
    from sqlalchemy.engine import make_url

    from engine.api import create_api
    from engine.core.db import Database
    from engine.runtime import Runtime

    settings = load_settings({"HEARTBEAT_OPERATOR_TOKEN": TOKEN, "HEARTBEAT_METRICS_DIR": metrics_dir,
                              "HEARTBEAT_LOG_LEVEL": "WARNING"})
    rt = Runtime(settings=settings, db=Database(make_url(url)))
    uvicorn.run(create_api(lambda: rt), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    timings.sort()
    return {
        "p50": statistics.median(timings),
        "p95": timings[int(len(timings) * 0.95) - 1],
        "max": timings[-1],
        "kib": size / 1024,
    }


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
    parser.add_argument("--data-dir", default=str(ROOT / ".heartbeat" / "bench"))
    args = parser.parse_args()
    server = open_database(load_settings({"HEARTBEAT_DATA_DIR": args.data_dir}))
    with psycopg.connect(server.dsn("postgres")) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    console.print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
                  f"PostgreSQL {pg_version} (embedded, unix socket)")
    metrics_dir = Path(args.data_dir) / "empty-metrics"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    builds = {}
    for metrics, days in ((30, 7), (1000, 7), (1000, 730)):
        name = f"hb_bench_{metrics}x{days}_{uuid.uuid4().hex[:6]}"
        server.ensure_database(name)
        db = Database(server.url(name))
        try:
            migrations.upgrade(db.engine())
            began = time.perf_counter()
            fill(db, metrics, days)
            console.print(f"filled {metrics} metrics × {days} days in {time.perf_counter() - began:.1f} s")
            port = free_port()
            process = multiprocessing.get_context("spawn").Process(
                target=serve, args=(db.url().render_as_string(hide_password=False), port, str(metrics_dir)),
                daemon=True)
            process.start()
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(url + "/api/health", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            results[(metrics, days)] = measure(url, args.requests)
            builds[(metrics, days)] = build_time(db)
            if metrics == 1000:
                results["recompute"] = concurrent_recompute(url, metrics_dir)
            process.terminate()
            process.join(10)
        finally:
            db.dispose()
            server.drop_database(name)

    table = Table(title=f"GET /api/cockpit over HTTP ({args.requests} requests after warm-up)")
    for column in ("metrics × days", "p50 ms", "p95 ms", "max ms", "response KiB", "build after a change ms"):
        table.add_column(column, justify="right")
    for key in ((30, 7), (1000, 7), (1000, 730)):
        r = results[key]
        table.add_row(f"{key[0]} × {key[1]}", f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['max']:.1f}", f"{r['kib']:.0f}",
                      f"{builds[key]:.0f}")
    console.print(table)
    big, small = results[(1000, 730)], results[(30, 7)]
    console.print(f"target p95 ≤ 20 ms at 1,000 × 730: {'PASS' if big['p95'] <= 20 else 'FAIL'} ({big['p95']:.1f} ms)")
    ratio = big["p95"] / small["p95"]
    console.print(f"p95(1,000 × 730) / p95(30 × 7): {ratio:.1f} (the body is {big['kib'] / small['kib']:.0f}× larger: "
                  "33× the metrics)")
    history = big["p95"] / results[(1000, 7)]["p95"]
    console.print(f"target: cost does not grow with history length — p95(1,000 × 730) / p95(1,000 × 7): {history:.2f} "
                  f"{'PASS' if history <= 2 else 'FAIL'}; build {builds[(1000, 730)]:.0f} ms vs "
                  f"{builds[(1000, 7)]:.0f} ms")
    distinct, accepted, refused = results["recompute"]
    console.print(f"100 concurrent POST /api/metrics/recompute: {accepted} accepted, {refused} refused, "
                  f"{distinct} distinct job id(s) — {'PASS' if distinct == 1 and refused == 0 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
