"""Audit benchmark (issue #12): every (cut × window) computed on a landed demo, and the page API over HTTP.

Run on demand (not a test): `.venv/bin/python benchmarks/audit.py [--scale 1] [--requests 300]`.
It builds the demo sources into scratch databases on the embedded server (in
.heartbeat/bench), lands them, counts the client segments (the daily job the
``client_segments`` cut draws), times ``engine.audit.snapshots.refresh`` per
(cut × window), then serves the real API with uvicorn in a separate process
and measures ``GET /api/audit/pages/{page}`` over real HTTP, then starts the real
app on the same databases and times each audit page's first render in a fresh
headless Chromium tab. Targets: each cut ≤ 5 s and all ≤ 60 s at scale 1; page
p95 ≤ 20 ms; first render ≤ 2 s. Exit code 1 when one is missed. The scratch
databases are dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._support.served_api import ServedApi, percentiles  # noqa: E402
from engine.core.db import Database, open_database  # noqa: E402
from engine.core.settings import load_settings  # noqa: E402
from engine.store import migrations  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.running_app import RunningApp  # noqa: E402

CUT_GATE_S = 5.0
ALL_CUTS_S = 60.0
FIRST_RENDER_S = 2.0
PAGE_PATHS = ("/audit", "/audit/clients", "/audit/journeys")
PAGE_P95_MS = 20.0
console = Console()


def land(server: Database, scale: float, prefix: str, work: Path):
    """Build the demo at ``scale`` and land it; returns (app db, marts name, build seconds, source rows)."""
    from engine import ingest
    from engine.demo import build_demo, serve_rates
    from engine.ingest import IngestContext

    began = time.perf_counter()
    report = build_demo(server, files_dir=work / "files", scale=scale, prefix=prefix)
    built = time.perf_counter() - began
    app_name, marts = prefix + "app", prefix + "marts"
    server.ensure_database(app_name)
    server.ensure_database(marts)
    app = Database(server.url(app_name))
    migrations.upgrade(app.engine())
    with serve_rates(report.files_dir) as api:
        ctx = IngestContext(db=app, marts_database=marts, pipelines_dir=work / "dlt", source_database_prefix=prefix,
                            locations={"currency_rate": api.url,
                                       "currency_rate_files": str(report.files_dir / "currency_rates")})
        outcomes = list(ingest.run_many(ingest.plan(None), ctx))
    failed = [o.error for o in outcomes if o.status != "succeeded"]
    if failed:
        raise SystemExit(f"landing failed: {failed}")
    return app, marts, built, report.total_rows, list(report.databases.values())


def time_cuts(app: Database, marts: str):
    from engine.audit import segments, snapshots
    from engine.metrics import registry
    from engine.metrics.compute import ComputeContext

    registry.sync(app.engine(), ROOT / "metrics")
    ctx = ComputeContext(app, marts, statement_timeout=60.0, workers=1)
    began = time.perf_counter()
    segments.snapshot(ctx)
    seg_s = time.perf_counter() - began
    began = time.perf_counter()
    results = snapshots.refresh(ctx, folder=ROOT / "cuts")
    return seg_s, time.perf_counter() - began, results


def measure_pages(url: str, requests: int) -> dict[str, dict[str, float]]:
    import httpx

    figures = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for page in ("overview", "clients", "journeys"):
            for _ in range(20):  # warm-up: pools, plans
                client.get(f"/api/audit/pages/{page}")
            timings = []
            for _ in range(requests):
                began = time.perf_counter()
                response = client.get(f"/api/audit/pages/{page}")
                timings.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.text[:200]
            figures[page] = {**percentiles(timings), "kib": len(response.content) / 1024}
    return figures


def served(app: Database, requests: int) -> dict[str, dict[str, float]]:
    with ServedApi(app, {"HEARTBEAT_METRICS_DIR": str(ROOT / "metrics")}) as api:
        return measure_pages(api.url, requests)


def first_renders(app: Database, marts: str, data_dir: str) -> dict[str, float]:
    """Seconds from navigation to the first cut's chart or table on each audit page, in a fresh browser tab
    of the real app (compiled once before timing; each page opened once to warm the server, then timed)."""
    from playwright.sync_api import sync_playwright

    running = RunningApp({"HEARTBEAT_DATABASE_URL": app.url().render_as_string(hide_password=False),
                          "HEARTBEAT_MARTS_DATABASE": marts, "HEARTBEAT_DATA_DIR": data_dir,
                          "HEARTBEAT_SCHEDULER": "off"}, name="audit-bench")
    running.start()
    figures: dict[str, float] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for path in PAGE_PATHS:
                for timed in (False, True):
                    tab = browser.new_page(viewport={"width": 1920, "height": 1080})
                    began = time.perf_counter()
                    tab.goto(running.url + path)
                    tab.locator(".hb-cut-chart, .cut-table").first.wait_for(state="visible", timeout=60_000)
                    if timed:
                        figures[path] = time.perf_counter() - began
                    tab.close()
            browser.close()
    finally:
        running.stop()
    return figures


def report(results, seg_s: float, all_s: float, pages: dict, renders: dict[str, float]) -> bool:
    cuts = Table(title=f"{len(results)} cut × window snapshots (seconds)")
    for column in ("cut", "window", "s", "ok"):
        cuts.add_column(column, justify="right" if column == "s" else "left")
    for r in sorted(results, key=lambda r: r.duration_ms, reverse=True):
        cuts.add_row(r.cut_id, r.window, f"{r.duration_ms / 1000:.3f}", "✓" if r.ok else f"✗ {r.error}")
    console.print(cuts)
    table = Table(title="GET /api/audit/pages/{page} over HTTP (ms)")
    for column in ("page", "p50", "p95", "KiB"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for page, f in pages.items():
        table.add_row(page, f"{f['p50']:.1f}", f"{f['p95']:.1f}", f"{f['kib']:.0f}")
    console.print(table)
    rendered = Table(title="Audit page first render in a fresh Chromium tab (s)")
    for column in ("page", "seconds"):
        rendered.add_column(column)
    for path, seconds in renders.items():
        rendered.add_row(path, f"{seconds:.2f}")
    console.print(rendered)
    slowest = max(r.duration_ms for r in results) / 1000
    checks = [(f"each cut ≤ {CUT_GATE_S:g} s", slowest <= CUT_GATE_S, f"slowest {slowest:.2f} s"),
              (f"all cuts ≤ {ALL_CUTS_S:g} s", all_s <= ALL_CUTS_S, f"{all_s:.1f} s (segment job {seg_s:.1f} s)"),
              ("no cut failed", all(r.ok for r in results), ""),
              (f"page p95 ≤ {PAGE_P95_MS:g} ms", max(f["p95"] for f in pages.values()) <= PAGE_P95_MS,
               f"worst {max(f['p95'] for f in pages.values()):.1f} ms"),
              (f"page first render ≤ {FIRST_RENDER_S:g} s", max(renders.values()) <= FIRST_RENDER_S,
               f"slowest {max(renders.values()):.2f} s")]
    for name, ok, detail in checks:
        console.print(f"{'[green]✓[/]' if ok else '[red]✗[/]'} {name}: {detail}")
    return all(ok for _, ok, _ in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--data-dir", default=str(ROOT / ".heartbeat" / "bench"))
    args = parser.parse_args()
    server = open_database(load_settings({"HEARTBEAT_DATA_DIR": args.data_dir}))
    console.print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; demo scale {args.scale:g}")
    prefix = f"hb_bench_audit_{uuid.uuid4().hex[:6]}_"
    sources: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as work:
            app, marts, built, rows, sources = land(server, args.scale, prefix, Path(work))
            console.print(f"demo built: {rows:,} source rows in {built:.1f} s, landed")
            seg_s, all_s, results = time_cuts(app, marts)
            pages = served(app, args.requests)
            renders = first_renders(app, marts, args.data_dir)
            app.dispose()
            return 0 if report(results, seg_s, all_s, pages, renders) else 1
    finally:
        for name in [*sources, prefix + "app", prefix + "marts"]:
            server.drop_database(name)


if __name__ == "__main__":
    sys.exit(main())
