"""A compressed soak: refreshes every second for hours under one TV tab; heap, DOM, RSS and connections flat.

Run on demand (not in the test suite):

    .venv/bin/python benchmarks/soak.py               # 2 h, the issue's soak
    .venv/bin/python benchmarks/soak.py --minutes 5   # a quick look

It runs `heartbeat demo` (the demo sources, the rates API and the live
appender, built once in ``--data-dir``) with the cockpit refreshing every
second, asks for a refresh job every second over the API (a request while a
job runs joins it), and keeps one headless Chromium tab on `/?kiosk=1`. Every
minute it samples the tab's JS heap and DOM node count (after a forced GC),
the app's resident memory (its long-lived process tree, PostgreSQL excepted;
the refresh job's ingest child, which ends with its job, apart) and
the open PostgreSQL client connections. At the end it prints the table and,
per measure, whether it stayed flat after warm-up: the median of the last third of the samples within
10 % of the first third's (connections: the highest sample of the last third within 2 of the first
third's highest, since a sample catches a job in whatever phase it is in).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import psycopg
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._support.tv_tab import open_tv_tab, tab_metrics  # noqa: E402
from tests.support.running_app import free_port  # noqa: E402

console = Console()
TOKEN = "soak-operator-token-0123456789"


class DemoApp:
    """`heartbeat demo` in its own session on free ports; its log in the data folder."""

    def __init__(self, data_dir: Path, tv_seconds: float) -> None:
        self.port, self.rates_port = free_port(), free_port()
        self.url = f"http://localhost:{self.port}"
        self.data_dir = data_dir
        self.env = {
            **os.environ, "HEARTBEAT_DATA_DIR": str(data_dir), "HEARTBEAT_PORT": str(self.port),
            "HEARTBEAT_DEMO_RATES_PORT": str(self.rates_port), "HEARTBEAT_OPERATOR_TOKEN": TOKEN,
            "HEARTBEAT_TV_REFRESH_SECONDS": str(tv_seconds), "HEARTBEAT_SCHEDULER": "off",
            "REFLEX_WEB_WORKDIR": str(ROOT / ".heartbeat" / "test" / "web-soak"),
        }
        self.log_path = data_dir / "soak-serve.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 1800) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([str(Path(sys.executable).parent / "heartbeat"), "demo"], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"heartbeat demo exited; see {self.log_path}")
            try:
                if (httpx.get(self.url + "/api/health", timeout=2).status_code == 200
                        and httpx.get(self.url + "/", timeout=5).status_code == 200):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise TimeoutError(f"heartbeat demo not up after {timeout:.0f}s; see {self.log_path}")

    def rss_mb(self) -> tuple[float, float]:
        """Resident memory of the app — its process and every long-lived descendant (Reflex's workers, the
        ingest fork server), PostgreSQL excepted — and, apart, of the refresh job's ingest child if one is
        running at that moment (it ends with its job: engine/ingest/isolated.py)."""
        assert self.process is not None
        root = psutil.Process(self.process.pid)
        app = child = 0
        for proc in [root, *root.children(recursive=True)]:
            try:
                if proc.name().startswith("postgres"):
                    continue
                parent = proc.parent()
                if parent is not None and "multiprocessing.forkserver" in " ".join(parent.cmdline()):
                    child += proc.memory_info().rss
                else:
                    app += proc.memory_info().rss
            except psutil.Error:
                continue
        return app / 2**20, child / 2**20

    def database_dsn(self) -> str:
        from engine.core.db import open_database
        from engine.core.settings import load_settings

        db = open_database(load_settings({"HEARTBEAT_DATA_DIR": str(self.data_dir)}))
        try:
            return db.dsn()
        finally:
            db.dispose()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def open_connections(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        return conn.execute("SELECT count(*) - 1 FROM pg_stat_activity WHERE backend_type = 'client backend'"
                            ).fetchone()[0]


def refresher(url: str, stop: threading.Event, interval: float, counts: dict[str, int]) -> None:
    """Ask for a refresh job every ``interval`` seconds (a request during a job joins it)."""
    with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        while not stop.wait(interval):
            try:
                answer = http.post("/api/metrics/recompute", json={"metric_ids": "all", "trigger": "api"})
                key = "started" if answer.status_code == 202 and not answer.json()["coalesced"] else \
                    "joined" if answer.status_code == 202 else f"http {answer.status_code}"
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            counts[key] = counts.get(key, 0) + 1


def flat(values: list[float], *, ratio: float = 1.10, slack: float | None = None, envelope: bool = False) -> bool:
    """Whether a measure stayed flat after warm-up (the sample at minute 0 is left out).

    The samples after warm-up are cut in thirds and the last third is compared with the first: their
    medians within ``ratio`` (or ``slack`` absolute), or with ``envelope`` their maxima. Connections are
    judged by their envelope: a sample catches a job in some phase (ingest, four compute workers,
    connectorx's pools), so single samples jump between the low and the high end of what the pools allow;
    a leak raises the ceiling, noise does not. Comparing one sample at minute 1 with the last one, as
    before, called 16 → 30 growth when both ends were inside the range every hour of the run showed.
    """
    after = values[1:]
    if len(after) < 3:
        return True
    third = max(1, len(after) // 3)
    first, last = after[:third], after[-third:]
    pick = max if envelope else statistics.median
    base, end = pick(first), pick(last)
    return end <= base + slack if slack is not None else end <= base * ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120.0, help="how long to soak (default 120)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes (default 1)")
    parser.add_argument("--sample", type=float, default=60.0, help="seconds between samples (default 60)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".heartbeat" / "soak")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    app = DemoApp(args.data_dir.resolve(), args.interval)
    began = time.monotonic()
    app.start()
    console.print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
                  f"Python {platform.python_version()}; demo up on {app.url} in {time.monotonic() - began:.0f} s; "
                  f"soaking {args.minutes:g} min, refresh every {args.interval:g} s")
    dsn = app.database_dsn()
    stop = threading.Event()
    counts: dict[str, int] = {}
    samples: list[dict[str, float]] = []
    try:
        with sync_playwright() as playwright:
            browser, page, cdp = open_tv_tab(playwright)
            page.goto(app.url + "/?kiosk=1")
            page.locator(".metric-tile").first.wait_for(state="visible", timeout=60_000)
            thread = threading.Thread(target=refresher, args=(app.url, stop, args.interval, counts), daemon=True)
            thread.start()
            t0 = time.monotonic()
            end = t0 + args.minutes * 60
            while True:
                rss, child = app.rss_mb()
                sample = {"minute": (time.monotonic() - t0) / 60, **tab_metrics(cdp),
                          "rss_mb": rss, "child_mb": child, "connections": open_connections(dsn)}
                samples.append(sample)
                console.print(f"  {sample['minute']:6.1f} min  heap {sample['heap_mb']:6.1f} MB  "
                              f"DOM {sample['nodes']:6.0f}  RSS {sample['rss_mb']:7.1f} MB  "
                              f"(+ ingest child {sample['child_mb']:5.1f} MB)  "
                              f"connections {sample['connections']:3.0f}  jobs {counts}")
                if time.monotonic() >= end:
                    break
                page.wait_for_timeout(int(min(args.sample, max(end - time.monotonic(), 0.1)) * 1000))
            stop.set()
            thread.join(timeout=35)
            browser.close()
        with httpx.Client(base_url=app.url, timeout=30) as http:
            jobs = http.get("/api/jobs", params={"limit": 500}).json()["jobs"]
    finally:
        stop.set()
        app.stop()

    statuses: dict[str, int] = {}
    for job in jobs:
        statuses[job["status"]] = statuses.get(job["status"], 0) + 1
    table = Table(title=f"Soak: {args.minutes:g} min, refresh every {args.interval:g} s, one TV tab")
    for column in ("minute", "JS heap MB", "DOM nodes", "server RSS MB", "ingest child MB", "PG connections"):
        table.add_column(column, justify="right")
    for s in samples:
        table.add_row(f"{s['minute']:.1f}", f"{s['heap_mb']:.1f}", f"{s['nodes']:.0f}", f"{s['rss_mb']:.0f}",
                      f"{s['child_mb']:.0f}", f"{s['connections']:.0f}")
    console.print(table)
    verdicts = {
        "JS heap": flat([s["heap_mb"] for s in samples]),
        "DOM nodes": flat([s["nodes"] for s in samples]),
        "server RSS": flat([s["rss_mb"] for s in samples]),
        "PG connections": flat([s["connections"] for s in samples], slack=2, envelope=True),
    }
    for name, ok in verdicts.items():
        console.print(f"{name}: {'flat' if ok else 'GREW'}")
    console.print(f"refresh requests: {counts}; last {len(jobs)} jobs in the ledger by status: {statuses}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
