"""`heartbeat cut new <id>`: a new cut module from a template that names every META key.

The module it writes is valid as written — `heartbeat cuts refresh <id>` stores its snapshot on a
landed source — so an analyst starts from a chart that works and changes one thing at a time.
"""

from __future__ import annotations

from pathlib import Path

from engine.audit.files import CUT_ID, PAGES, load_directory
from engine.core.errors import ConfigError
from engine.metrics.scaffold import source_table

TEMPLATE = '''\
"""{title}: what this chart shows, in one line (the cut catalogue and the audit page quote META)."""

# Every key of META; the optional ones show their default. See /docs/audit and /docs/audit/catalog.
META = {{
    # page (required): the audit page it appears on: overview, clients or journeys.
    "page": "{page}",
    # title (required): the heading of the chart.
    "title": "{title}",
    # order (required): its position on the page; unique per page.
    "order": {order},
    # kind (required): timeseries, bars, funnel, histogram, table or heatmap — the shape compute returns.
    "kind": "table",
    # metrics (required): ids of the metrics this cut explains (their tiles link here), may be empty.
    "metrics": {metrics},
    # sources (required): the source schemas compute reads, as source.schema.
    "sources": ["{source}"],
    # windows: the periods a reader can choose; window_default: the one shown first.
    "windows": ["7d", "30d", "90d"],
    "window_default": "30d",
    # owner: who answers for the chart (an email address), or None.
    "owner": None,
    # prose_before / prose_after: Markdown above and below the chart — what to look at, what to do.
    "prose_before": "Every row of {dataset}.{table}, whatever the window. Replace this text: say what to look at.",
    "prose_after": "",
}}


def compute(conn, *, window: str) -> dict:
    """Runs read-only on the marts with the metric statement timeout; returns the payload of META['kind']."""
    # engine.audit.windows.days(window) turns "30d" into 30, to filter a time column by the window.
    rows = conn.rows("SELECT count(*) FROM {dataset}.{table}")
    return {{
        "kind": "table",
        "columns": ["Window", "Rows"],
        "rows": [[window, int(rows[0][0])]],
        "headline": f"{{int(rows[0][0]):,}} rows",
    }}
'''


def render(cut_id: str, folder: Path, *, page: str = "overview", metrics: list[str] | None = None,
           source: str | None = None, table: str | None = None) -> str:
    if page not in PAGES:
        raise ConfigError(f"--page must be one of {', '.join(PAGES)}, got {page!r}")
    source, dataset, table = source_table(source, table)
    taken = [d.order for d in load_directory(folder) if d.page == page] if folder.is_dir() else []
    return TEMPLATE.format(page=page, title=cut_id.replace("_", " ").capitalize(), order=max(taken, default=0) + 10,
                           metrics=repr(list(metrics or [])), source=source,
                           dataset=dataset, table=table)


def create(folder: Path, cut_id: str, **options) -> Path:
    """Write ``folder/<cut_id>.py``; never overwrites a cut that exists."""
    if not CUT_ID.match(cut_id):
        raise ConfigError(f"{cut_id!r} is not a cut id: use lower_snake_case, e.g. payments_by_hour")
    path = folder / f"{cut_id}.py"
    if path.exists():
        raise ConfigError(f"{path} already exists: edit it, or choose another id")
    text = render(cut_id, folder, **options)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
