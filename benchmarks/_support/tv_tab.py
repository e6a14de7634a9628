"""A wall tab as a TV shows it, for the browser benchmarks (soak, TV endurance).

Debian's Chromium at 1920×1080 with a DevTools session whose counters — JS heap
after a forced garbage collection, DOM nodes — say whether the tab is flat.
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


def open_tv_tab(playwright: Any) -> tuple[Any, Any, Any]:
    """(browser, page, DevTools session) of a fresh 1920×1080 tab with performance counters on."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    return browser, page, cdp


def tab_metrics(cdp: Any) -> dict[str, float]:
    """JS heap in use (MB, after a garbage collection, so only what the tab holds) and DOM nodes."""
    cdp.send("HeapProfiler.collectGarbage")
    values = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {"heap_mb": values["JSHeapUsedSize"] / 2**20, "nodes": values["Nodes"]}
