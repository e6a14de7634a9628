"""The embedded PostgreSQL server a benchmark fills, and the line that says what it ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import psycopg

from engine.core.db import Database, open_database
from engine.core.settings import load_settings


def bench_server(data_dir: Path | str) -> tuple[Database, str]:
    """The embedded server of ``data_dir`` (started if need be) and "machine: N cores, arch, Python …,
    PostgreSQL … (embedded, unix socket)" for the figures' heading."""
    server = open_database(load_settings({"HEARTBEAT_DATA_DIR": str(data_dir)}))
    with psycopg.connect(server.dsn("postgres")) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    return server, (f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
                    f"PostgreSQL {pg_version} (embedded, unix socket)")
