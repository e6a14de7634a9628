"""Shared fixtures: a real PostgreSQL (the embedded one), a fresh database per session, and the worlds
more than one test package builds on (``world``, ``refresh_env``, ``receivers``, ``mail_servers``).

The test server lives in ``.heartbeat/pg-test`` (initdb once, then reused;
stopped when the session ends). Each session migrates a uniquely named
database and drops it afterwards, so runs never see each other's rows.
Plain helpers (scratch databases, data factories, local servers) are in ``tests/support``.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from engine.core.db import Database, open_database
from engine.core.settings import Settings, load_settings
from engine.store import migrations
from tests.support.databases import scratch_database
from tests.support.factories import MetricFolder
from tests.support.mail_server import MailServer
from tests.support.receiver import Receiver
from tests.support.served_api import TOKEN
from tests.support.worlds import RefreshEnv, World, refresh_world

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


@pytest.fixture()
def world(server: Database, tmp_path: Path) -> Iterator[World]:
    """A Heartbeat of its own per test (see World): what the API, CLI and email tests run against."""
    with scratch_database(server, "hb_world") as db, scratch_database(server, "hb_world_marts", migrate=False) as marts:
        folder = MetricFolder(tmp_path / "metrics")
        env = {
            "HEARTBEAT_OPERATOR_TOKEN": TOKEN,
            "HEARTBEAT_MARTS_DATABASE": marts.app_database,
            "HEARTBEAT_METRICS_DIR": str(folder.path),
            "HEARTBEAT_DATA_DIR": str(tmp_path / "data"),
        }
        yield World(db, folder, env)
        _let_refresh_jobs_finish()


def _let_refresh_jobs_finish(timeout: float = 60.0) -> None:
    """A refresh a test started through the API runs on in a thread: dropping its database under it made that
    thread fail ("database hb_world_… does not exist") in whichever test ran next."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name.startswith("refresh-"):
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture()
def refresh_env(server: Database, tmp_path: Path) -> Iterator[RefreshEnv]:
    """A refreshable world per test (see RefreshEnv): the refresh and alert-delivery tests run real refreshes on it."""
    with refresh_world(server, tmp_path) as world:
        yield world


@pytest.fixture()
def receivers() -> Iterator[Callable[..., Receiver]]:
    """Make real HTTP receivers on localhost (standing in for Slack, Telegram, a webhook); closed afterwards."""
    made: list[Receiver] = []

    def make(script: list[Any] | None = None) -> Receiver:
        made.append(Receiver(script))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture()
def mail_servers() -> Iterator[Callable[..., MailServer]]:
    """Make real SMTP servers on localhost (a script of DATA answers, optionally a required login); closed afterwards."""
    made: list[MailServer] = []

    def make(script: list[str] | None = None, login: tuple[str, str] | None = None) -> MailServer:
        made.append(MailServer(script, login))
        return made[-1]

    yield make
    for server in made:
        server.close()
