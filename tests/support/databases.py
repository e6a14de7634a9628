"""Scratch databases on the test server: created for one test (or module), dropped afterwards."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

from engine.core.db import Database
from engine.store import migrations


@contextmanager
def scratch_database(server: Database, prefix: str, migrate: bool = True, *,
                     name: str | None = None) -> Iterator[Database]:
    """A database of its own named ``<prefix>_<random>`` (or exactly ``name``), dropped afterwards.

    With ``migrate`` it holds schema ``heartbeat`` at head, as Heartbeat's own database; without it, it is
    empty (a marts or source database, or a database the test migrates itself). Its name is
    ``database.app_database``.
    """
    name = name or f"{prefix}_{uuid.uuid4().hex[:8]}"
    server.ensure_database(name)
    database = Database(server.url(name))
    try:
        if migrate:
            migrations.upgrade(database.engine())
        yield database
    finally:
        database.dispose()
        server.drop_database(name)
