"""Post-ingest index builds taken out of the load path: one source's indexes build while the next one lands.

A load is CPU-bound on the client (connectorx, parquet, ADBC) and its index
builds on the server; one after the other, each leaves part of the box idle.
``DeferredIndexes`` runs ``finish_tables`` of a landed source on a background
thread while the caller goes on to extract the next source, and ``wait`` joins
them before anything reads the marts (compute needs the indexes and the fresh
statistics). A failed index build is logged, never a failed sync: the rows
have landed and a metric still runs without the index, only slower; the next
run builds what is missing.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

log = logging.getLogger(__name__)


class DeferredIndexes:
    """A one-thread queue of index builds; ``wait`` (or leaving the ``with`` block) joins them."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-deferred-index")
        self._pending: list[tuple[str, Future]] = []

    def submit(self, label: str, build: Callable[[], None]) -> None:
        self._pending.append((label, self._pool.submit(build)))

    def wait(self) -> list[str]:
        """Join every queued build; returns the labels of those that failed (each logged)."""
        failed = []
        for label, future in self._pending:
            try:
                future.result()
            except Exception as exc:  # noqa: BLE001 - logged; the landed rows stay good
                log.warning("post-ingest indexes of %s failed: %s", label, str(exc).splitlines()[0])
                failed.append(label)
        self._pending.clear()
        return failed

    def __enter__(self) -> "DeferredIndexes":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wait()
        self._pool.shutdown(wait=True)
