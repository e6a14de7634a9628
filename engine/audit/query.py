"""The connection a cut's ``compute`` receives: read-only rows from the marts, as metric SQL runs.

Every query goes through ``engine.metrics.sql.run_readonly``: the compute role,
one statement, a READ ONLY transaction that is rolled back, the statement
timeout. A cut therefore can neither write nor outrun the metric gate.
"""

from __future__ import annotations

from typing import Any

import psycopg

from engine.metrics.sql import run_readonly


class CutConnection:
    """What ``compute(conn, *, window)`` gets: ``rows(sql)`` and ``dicts(sql)``, nothing that writes."""

    def __init__(self, conn: psycopg.Connection, timeout_seconds: float, source: str) -> None:
        self._conn = conn
        self._timeout = timeout_seconds
        self._source = source

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """All rows of one SELECT (no placeholders: format only validated integers into it)."""
        return run_readonly(self._conn, sql, self._timeout, self._source)

    def dicts(self, sql: str, columns: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
        """``rows`` as dicts keyed by ``columns``, in order."""
        return [dict(zip(columns, row)) for row in self.rows(sql)]
