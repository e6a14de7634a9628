"""Security tests replay attacks against the real app (the session's `app`), with a browser where one is needed.

The browser tests hold a sync Playwright on the main thread for the whole session, and one thread can run only
one; so each test here that needs a browser runs it on a thread of its own (``in_browser``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

T = TypeVar("T")


def in_browser(run: Callable[..., T]) -> T:
    """``run(context)`` with a fresh 1920x1080 Chromium context, on a worker thread."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium: apt-get install -y chromium")

    def work() -> T:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1920, "height": 1080})
                return run(context)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()
