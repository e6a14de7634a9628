"""The connection a cut's ``compute`` receives: read-only rows from the marts, as metric SQL runs.

Every query goes through ``engine.metrics.sql.run_readonly``: the compute role,
one statement, a READ ONLY transaction that is rolled back, the statement
timeout. A cut therefore can neither write nor outrun the metric gate.
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy.engine import Engine

from engine.audit import segments
from engine.metrics.sql import run_readonly


class CutConnection:
    """What ``compute(conn, *, window)`` gets: ``rows(sql)`` and ``dicts(sql)``, nothing that writes."""

    def __init__(self, conn: psycopg.Connection, timeout_seconds: float, source: str,
                 app: Engine | None = None) -> None:
        self._conn = conn
        self._timeout = timeout_seconds
        self._source = source
        self._app = app

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """All rows of one SELECT (no placeholders: format only validated integers into it)."""
        return run_readonly(self._conn, sql, self._timeout, self._source)

    def dicts(self, sql: str, columns: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
        """``rows`` as dicts keyed by ``columns``, in order."""
        return [dict(zip(columns, row)) for row in self.rows(sql)]

    def segment_history(self, since_days: int) -> list[tuple[Any, str, int]]:
        """(day, segment, clients) from ``heartbeat.client_segment_day`` (engine/audit/segments.py).

        The one surface table a cut may read: it lives in Heartbeat's database, not in the marts, and
        is filled by the daily segment job — so the cut is a read of a few hundred rows, not a pass
        over every payment.
        """
        if self._app is None:
            raise RuntimeError("this cut connection has no Heartbeat database to read the segment history from")
        return segments.history(self._app, since_days)
