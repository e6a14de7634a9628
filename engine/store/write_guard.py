"""The database write guard of ``metric_registry``, seen from Python.

The trigger (migration 0001) refuses changes to config columns unless the
transaction set ``heartbeat.sync = 'on'``. Only the metric sync calls
``open_for_sync``; an operator edit goes through untouched columns only.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

SYNC_FLAG = "heartbeat.sync"


def open_for_sync(conn: Connection) -> None:
    """Let this transaction (and only it) write config columns of metric_registry."""
    conn.execute(text("SELECT set_config(:flag, 'on', true)"), {"flag": SYNC_FLAG})
