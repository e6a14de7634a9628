"""The cockpit as a TV for ≥ 1,000 refreshes: first render, bytes per refresh, heap and DOM over time.

Run on demand: `.venv/bin/python benchmarks/tv_endurance.py [--data-dir .heartbeat] [--refreshes 1000]`.
It serves the demo (prepare it first with `heartbeat demo --no-serve`) with a
short refresh interval, opens `/?kiosk=1` in headless Debian Chromium and
counts the websocket updates the server pushes. Targets (issue #6): first
render ≤ 2 s, ≤ 50 KB per refresh, JS heap and DOM nodes flat (end ≤ 1.1 ×
start after warm-up).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._support.tv_tab import open_tv_tab, tab_metrics  # noqa: E402
from tests.browser.conftest import CHROMIUM  # noqa: E402
from tests.support.running_app import RunningApp  # noqa: E402

console = Console()
WARM_UP = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(ROOT / ".heartbeat"))
    parser.add_argument("--refreshes", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    app = RunningApp({"HEARTBEAT_DATA_DIR": args.data_dir, "HEARTBEAT_TV_REFRESH_SECONDS": str(args.interval),
                      "HEARTBEAT_SCHEDULER": "off"}, name="tv-endurance")
    app.start()
    console.print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, Chromium {CHROMIUM}; "
                  f"serving {args.data_dir} on {app.url}, refresh every {args.interval}s")
    frames: list[int] = []
    try:
        with sync_playwright() as playwright:
            browser, page, cdp = open_tv_tab(playwright)
            cdp.send("Network.enable")
            cdp.on("Network.webSocketFrameReceived",
                   lambda event: frames.append(len(event["response"]["payloadData"].encode())))
            began = time.perf_counter()
            page.goto(app.url + "/?kiosk=1")
            page.locator(".metric-tile").first.wait_for(state="visible", timeout=30_000)
            first_render = time.perf_counter() - began
            while len(frames) < WARM_UP:
                page.wait_for_timeout(200)
            start = tab_metrics(cdp)
            start_frames, start_bytes = len(frames), sum(frames)
            deadline = time.monotonic() + args.refreshes * args.interval * 3 + 60
            while len(frames) - start_frames < args.refreshes and time.monotonic() < deadline:
                page.wait_for_timeout(1000)
            end = tab_metrics(cdp)
            refreshes = len(frames) - start_frames
            per_refresh = (sum(frames) - start_bytes) / max(refreshes, 1)
            tiles = page.locator(".metric-tile").count()
            browser.close()
    finally:
        app.stop()

    table = Table(title=f"TV endurance: {refreshes} refreshes after {WARM_UP} warm-up, {tiles} tiles")
    for column in ("measure", "value", "target", "result"):
        table.add_column(column)
    table.add_row("first render", f"{first_render:.2f} s", "≤ 2 s", "PASS" if first_render <= 2 else "FAIL")
    table.add_row("bytes per refresh", f"{per_refresh / 1024:.2f} KB", "≤ 50 KB",
                  "PASS" if per_refresh <= 50 * 1024 else "FAIL")
    table.add_row("JS heap start → end", f"{start['heap_mb']:.1f} → {end['heap_mb']:.1f} MB", "end ≤ 1.1 × start",
                  "PASS" if end["heap_mb"] <= 1.1 * start["heap_mb"] else "FAIL")
    table.add_row("DOM nodes start → end", f"{start['nodes']:.0f} → {end['nodes']:.0f}", "end ≤ 1.1 × start",
                  "PASS" if end["nodes"] <= 1.1 * start["nodes"] else "FAIL")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
