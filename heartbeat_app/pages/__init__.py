"""One module per route; each declares its route, title and on_load with ``@page`` (``route.py``) beside its code.

Importing this package imports every page module, which declares them; ``heartbeat_app.heartbeat_app`` adds them.
"""

from heartbeat_app.pages import alerts, audit, cockpit, docs, metric_detail, okr, proposed, watchlists
from heartbeat_app.pages.route import DECLARED

__all__ = ["DECLARED", "alerts", "audit", "cockpit", "docs", "metric_detail", "okr", "proposed", "watchlists"]
