"""`heartbeat metric new <id>`: a new metric file from a template that names every header key.

The file it writes is valid as written — `heartbeat metric validate <id>` passes on a landed source —
so an analyst starts from something that runs and changes one thing at a time.
"""

from __future__ import annotations

from pathlib import Path

from engine.core.errors import ConfigError
from engine.metrics.files import METRIC_ID, registered_schemas
from engine.sources import INCREMENTAL_PRIORITY, get_source

TEMPLATE = """\
-- ---
-- # A metric file: this YAML header (every line starts with "-- "), then one SELECT returning one number.
-- # Every key is listed; optional ones are commented out. See /docs/metrics and /docs/metrics/catalog.
-- #
-- # name (required): what the tile says, 3–80 characters.
-- name: {name}
-- # how_to_read (required): what the number means, what a change means and whom to ask.
-- how_to_read: >-
--   Rows of {dataset}.{table} right now. Replace this text: say what the number counts,
--   what a rise or a fall means, and whom to ask when it turns red.
-- # methodology: how it is computed, in words (shown on the metric's page and in the catalogue).
-- methodology: >-
--   Count of every row of {dataset}.{table}.
-- # sources (required): the source schemas the SQL reads, as source.schema (`heartbeat sources` lists them).
-- sources: [{source}]
-- # period (required): snapshot, 24h, 7d, 30d or funnel — it also sets when the data counts as late.
-- period: snapshot
-- # unit (required): count, money, percent, seconds or ratio.
-- unit: count
-- # currency: three letters; required with unit money.
-- # currency: EUR
-- # direction (required): higher_is_better or lower_is_better.
-- direction: higher_is_better
-- # norm: the amber line; alert: the red line (a value on a line counts as crossed).
-- # norm: 100
-- # alert: 50
-- # target: where you want it to be, and target_due_date: by when (YYYY-MM-DD).
-- # target: 200
-- # target_due_date: 2027-06-30
-- # benchmark: a typical band learned from the clean history; none by default. seasonal (same weekday) suits
-- # business volumes, robust (median ± MAD) noisy ratios, rolling_stat (μ ± σ) the rest: see docs/metrics.md.
-- # benchmark: {{kind: seasonal, weeks: 8}}
-- # owner: who answers for the number (an email address).
-- # owner: you@example.com
-- # tags: words to filter the wall, the catalogue and alert routes by.
-- tags: [new]
-- # related_cuts: ids of audit cuts (cuts/*.py) that explain this metric.
-- # related_cuts: []
-- # state: proposed only for a discovery proposal in metrics/proposed/ (never on the wall); leave it out here.
-- # history_sql: one row (day, value) per past day, so `heartbeat backfill` can draw history from day one.
-- # history_sql: |
-- #   SELECT d::date AS day, 0 AS value FROM generate_series(now() - interval '90 days', now(), '1 day') AS d
-- ---
-- The value SQL: one SELECT returning a single number, read-only on the marts.
SELECT count(*)
FROM {dataset}.{table};
"""


def _default_table(source: str) -> str:
    prefix = source + "."
    tables = [key.removeprefix(prefix) for key, policy in INCREMENTAL_PRIORITY.items() if key.startswith(prefix)]
    with_cursor = [key.removeprefix(prefix) for key, policy in INCREMENTAL_PRIORITY.items()
                   if key.startswith(prefix) and policy.cursor]
    if not tables:
        raise ConfigError(f"source {source} declares no table yet: pass --table NAME (a table it lands)")
    return (with_cursor or tables)[0]


def source_table(source: str | None, table: str | None) -> tuple[str, str, str]:
    """(source.schema, marts dataset, table) a template reads: the first registered schema by default,
    and its first declared table (one with an update cursor first)."""
    known = registered_schemas()
    source = source or known[0]
    if source not in known:
        raise ConfigError(f"unknown source schema {source!r}; registered: {', '.join(known)}")
    name, schema = source.split(".", 1)
    table = table or _default_table(source)
    if not METRIC_ID.match(table):
        raise ConfigError(f"--table {table!r} is not a table name: use lower_snake_case")
    return source, get_source(name).dataset(schema), table


def render(metric_id: str, source: str | None = None, table: str | None = None) -> str:
    """The text of a new metric file for ``metric_id`` reading ``source`` (source.schema)."""
    source, dataset, table = source_table(source, table)
    return TEMPLATE.format(name=metric_id.replace("_", " ").capitalize(), source=source, dataset=dataset,
                           table=table)


def create(folder: Path, metric_id: str, source: str | None = None, table: str | None = None) -> Path:
    """Write ``folder/<metric_id>.sql``; never overwrites a metric that exists."""
    if not METRIC_ID.match(metric_id):
        raise ConfigError(f"{metric_id!r} is not a metric id: use lower_snake_case, e.g. payments_7d")
    path = folder / f"{metric_id}.sql"
    if path.exists():
        raise ConfigError(f"{path} already exists: edit it, or choose another id")
    text = render(metric_id, source, table)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
