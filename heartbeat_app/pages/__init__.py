"""One module per route; each declares its route, title and on_load with @rx.page. Importing them registers them."""

from heartbeat_app.pages import alerts, audit, cockpit, docs, metric_detail

__all__ = ["alerts", "audit", "cockpit", "docs", "metric_detail"]
