"""TEMPORARY (not committed): screenshots of /okr on the landed demo."""
from __future__ import annotations

import json

from engine.metrics import backfill, bands
from engine.metrics.compute import ComputeContext, compute_many, today
from engine.read.cards import metric_cards
from tests.browser.conftest import screenshot
from tests.conftest import OPERATOR_TOKEN, app_environ
from tests.support.demo import landed_demo
from tests.support.running_app import RunningApp


def test_demo_okr_shots(server, tmp_path_factory, chromium):
    with landed_demo(server, tmp_path_factory, "okrshot") as demo:
        ctx = ComputeContext(demo.app, demo.marts, statement_timeout=60.0, workers=2)
        list(backfill.backfill(ctx, days=120))
        bands.refresh(demo.app.engine(), today())
        list(compute_many(ctx))
        rows = [(c.id, c.status.value, c.pace.state.value if c.pace else None, c.value,
                 c.pace.projected if c.pace else None, str(c.pace.start_day) if c.pace else None)
                for c in metric_cards(demo.app.engine())]
        print(json.dumps(rows, indent=0, default=str))
        app = RunningApp(app_environ(demo.app, HEARTBEAT_OPERATOR_TOKEN=OPERATOR_TOKEN)).start()
        try:
            for size, name in (((1920, 1080), "demo-okr-1920x1080"),):
                context = chromium.new_context(viewport={"width": size[0], "height": size[1]})
                page = context.new_page()
                page.goto(app.url + "/okr")
                page.locator("#okr-board").wait_for()
                page.wait_for_timeout(1500)
                print("scrollHeight", page.evaluate("document.documentElement.scrollHeight"))
                screenshot(page, name)
                page.goto(app.url + "/okr?by=tag")
                page.locator("#okr-board").wait_for()
                page.wait_for_timeout(1500)
                print("scrollHeight tag", page.evaluate("document.documentElement.scrollHeight"))
                screenshot(page, "demo-okr-by-tag-1920x1080")
                for mid in ("active_cards", "fee_revenue_30d", "payment_approval_rate_24h"):
                    page.goto(app.url + f"/metrics/{mid}")
                    page.locator("#history-chart .main-svg").first.wait_for(timeout=20000)
                    page.wait_for_timeout(1500)
                    screenshot(page, f"demo-metric-{mid}-1920x1080")
                page.goto(app.url + "/")
                page.wait_for_timeout(4000)
                screenshot(page, "demo-cockpit-1920x1080")
                context.close()
        finally:
            app.stop()
