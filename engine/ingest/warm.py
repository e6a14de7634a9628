"""Imported by the ingest fork server only (``engine/ingest/isolated.py``), never by the app.

Each refresh job lands its sources in a child forked from that server. What the server has imported
and set up, every child starts with; what it has not, each child would pay for on its first run —
dlt's source modules and the readers and writers they import lazily, and dlt's configuration context
(together about 0.8 s a job, docs/performance.md, "Soak"). Nothing here opens a connection, a file or
a thread: those must not be shared by forked children.
"""

from __future__ import annotations

import adbc_driver_postgresql.dbapi  # noqa: F401
import connectorx  # noqa: F401
import dlt.sources.filesystem  # noqa: F401
import dlt.sources.rest_api  # noqa: F401
import dlt.sources.sql_database  # noqa: F401
import pyarrow.csv  # noqa: F401
import pyarrow.dataset  # noqa: F401
import pyarrow.parquet  # noqa: F401
import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401

from engine.ingest.pipeline import configure_dlt

configure_dlt()
