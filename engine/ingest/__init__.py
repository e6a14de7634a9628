"""Land one (source, schema) into the marts with dlt, and keep the sync ledger.

May import ``engine.sources``, ``engine.store`` and ``engine.core``. Modules: ``context`` (where
ingest reads and writes), ``pipeline`` (dlt: ``run_one`` / ``run_many`` / ``plan``), ``tables``
(post-load indexes, ANALYZE, a feed's newest row), ``deferred`` (index builds overlapping the next load), ``isolated`` (a refresh job's ingest in a child process), ``ledger`` (``source_sync``: ``source_as_of``),
``failures`` (one redacted sentence per failure), ``report`` (replace-table costs).
"""

from engine.ingest.context import DEMO_FOLDER, IngestContext, context_for, dlt_credentials
from engine.ingest.deferred import DeferredIndexes
from engine.ingest.pipeline import Progress, ProgressFn, configure_dlt, plan, run_many, run_one
from engine.ingest.tables import marts_table_rows

__all__ = [
    "DEMO_FOLDER", "DeferredIndexes", "IngestContext", "Progress", "ProgressFn", "configure_dlt", "context_for", "dlt_credentials",
    "marts_table_rows", "plan", "run_many", "run_one",
]
