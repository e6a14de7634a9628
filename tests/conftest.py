"""Shared fixtures: a real PostgreSQL (the embedded one), a fresh database per session.

The test server lives in ``.heartbeat/pg-test`` (initdb once, then reused;
stopped when the session ends). Each session migrates a uniquely named
database and drops it afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from engine.core.db import Database, open_database
from engine.core.settings import Settings, load_settings
from engine.store import migrations

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA_DIR = ROOT / ".heartbeat" / "test"
# The operator token of the session app (`app`): browser tests unlock operator mode with it.
OPERATOR_TOKEN = "browser-test-operator-token"


@pytest.fixture(scope="session")
def server() -> Database:
    """The test PostgreSQL server (embedded unless HEARTBEAT_TEST_DATABASE_URL names one)."""
    url = os.environ.get("HEARTBEAT_TEST_DATABASE_URL", "")
    settings = load_settings({"HEARTBEAT_DATA_DIR": str(TEST_DATA_DIR), "HEARTBEAT_DATABASE_URL": url})
    db = open_database(settings)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def db_name(server: Database) -> str:
    """A fresh, migrated database for this session, dropped afterwards."""
    name = f"hb_test_{uuid.uuid4().hex[:10]}"
    server.ensure_database(name)
    yield name
    server.drop_database(name)


@pytest.fixture(scope="session")
def db(server: Database, db_name: str) -> Database:
    """The session's database as Heartbeat's own (schema ``heartbeat`` at head)."""
    database = Database(server.url(db_name))
    migrations.upgrade(database.engine())
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def settings(db: Database) -> Settings:
    """Settings of a Heartbeat process pointed at the session database."""
    return load_settings(app_environ(db))


@contextmanager
def scratch_database(server: Database, prefix: str) -> Iterator[Database]:
    """A migrated database of its own for one test, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    server.ensure_database(name)
    database = Database(server.url(name))
    migrations.upgrade(database.engine())
    try:
        yield database
    finally:
        database.dispose()
        server.drop_database(name)


def app_environ(db: Database, **extra: str) -> dict[str, str]:
    """Environment for a Heartbeat subprocess that uses the session database."""
    env = {
        "HEARTBEAT_DATABASE_URL": db.url().render_as_string(hide_password=False),
        "HEARTBEAT_DATA_DIR": str(TEST_DATA_DIR),
    }
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def app(db: Database):
    """The real app serving the session database over HTTP on a free port."""
    from tests.support.running_app import RunningApp

    running = RunningApp(app_environ(db, HEARTBEAT_OPERATOR_TOKEN=OPERATOR_TOKEN)).start()
    yield running
    running.stop()
