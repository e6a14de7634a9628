"""What search looks through: every docs page, and every entry of the three catalogues.

The pages are built once per process (they change only with the code); the catalogue entries are
read from the registries at most once per ``CATALOG_TTL`` seconds, so typing a query costs a few
string scans, not a database read per keystroke.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from sqlalchemy import Engine

from engine.docs import catalogs
from engine.docs.pages import DocPage, load_docs
from engine.docs.search import Searchable

log = logging.getLogger(__name__)
CATALOG_TTL = 60.0
_lock = threading.Lock()
_cached: tuple[float, list[Searchable]] | None = None


@functools.cache
def docs_pages() -> tuple[DocPage, ...]:
    return tuple(load_docs())


def catalog_entries(engine: Engine) -> list[Searchable]:
    """One searchable per metric, cut and source, each pointing at its catalogue."""
    built = [catalogs.metrics_catalog(engine), catalogs.cuts_catalog(engine), catalogs.sources_catalog(engine)]
    return [
        Searchable(f"{catalog.route}#{entry.id}", f"{entry.title} — {catalog.title}", entry.markdown)
        for catalog in built
        for entry in catalog.entries
    ]


def searchables(engine: Engine | None) -> list[Searchable]:
    """The docs pages, then the catalogue entries (left out, and logged, when the database cannot be read)."""
    global _cached
    found = [Searchable(p.route, p.title, p.body) for p in docs_pages()]
    if engine is None:
        return found
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > CATALOG_TTL:
            try:
                _cached = (time.monotonic(), catalog_entries(engine))
            except Exception:
                log.warning("docs search: the catalogues could not be read; searching the pages only",
                            exc_info=True)
                return found
        return found + _cached[1]
