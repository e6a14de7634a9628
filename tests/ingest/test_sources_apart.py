"""The demo's source databases on a PostgreSQL server of their own (HEARTBEAT_DEMO_SOURCES_DATABASE_URL,
issue #17 part 3).

Two fresh embedded servers: A holds Heartbeat's own database and the marts, B the demo sources. The operator's
whole path runs — `heartbeat demo --no-serve` with only environment variables naming the servers — and then:
the demo was built on B by a login that may create databases but is no superuser, ingest read B and landed
every source row in the marts on A, A holds no source database, B holds no marts nor Heartbeat database,
every metric computed, and B's password is nowhere: not on the terminal, not in the data folder, not in the
ledger, not in a failure's message.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL

from engine.core.db import Database, open_database
from engine.core.logs import RedactSecrets, secrets_of
from engine.core.settings import SettingsError, load_settings
from engine.demo.build import DEMO_COMMENT, SOURCE_TABLES
from tests.support.databases import second_server
from tests.support.demo import INCIDENT_METRICS, ROOT

HEARTBEAT = str(Path(sys.executable).parent / "heartbeat")
SOURCE_DATABASES = set(SOURCE_TABLES)  # webbank, aml, card_management
SERVER_DATABASES = {"postgres", "template0", "template1"}
# What an operator grants on the sources server: a login that may create databases, nothing more.
SOURCES_ROLE = "hb_demo_sources"
SOURCES_PASSWORD = "src-Pa55-9f3c1e77"


@dataclass
class Apart:
    app_server: Database  # A: Heartbeat's own database and the marts
    sources_server: Database  # B: the demo sources
    sources_url: URL
    env: dict[str, str]
    data_dir: Path
    demo: subprocess.CompletedProcess


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([HEARTBEAT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def apart(tmp_path_factory: pytest.TempPathFactory) -> Apart:
    base = tmp_path_factory.mktemp("sources-apart")
    with second_server(base / "app-pg") as app_server, second_server(base / "sources-pg") as sources_server:
        with sources_server.admin() as admin:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                sql.Identifier(SOURCES_ROLE), sql.Literal(SOURCES_PASSWORD)))
        sources_url = sources_server.server_url.set(
            drivername="postgresql", username=SOURCES_ROLE, password=SOURCES_PASSWORD, database="postgres")
        data_dir = base / "data"
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("HEARTBEAT_", "SOURCES__"))}
        env.update({
            "HEARTBEAT_DATABASE_URL": app_server.url().render_as_string(hide_password=False),
            "HEARTBEAT_DEMO_SOURCES_DATABASE_URL": sources_url.render_as_string(hide_password=False),
            "HEARTBEAT_DATA_DIR": str(data_dir),
            "HEARTBEAT_DEMO_RATES_PORT": str(_free_port()),
            "HEARTBEAT_COMPUTE_WORKERS": "2",
            "COLUMNS": "200",
        })
        demo = _run(env, "demo", "--no-serve")
        yield Apart(app_server, sources_server, sources_url, env, data_dir, demo)


def _databases(server: Database) -> dict[str, tuple[str, str | None]]:
    """Every database of ``server`` but the built-in ones: name -> (owner, comment)."""
    with server.admin() as admin:
        rows = admin.execute("SELECT datname, pg_get_userbyid(datdba), shobj_description(oid, 'pg_database') "
                             "FROM pg_database").fetchall()
    return {name: (owner, comment) for name, owner, comment in rows if name not in SERVER_DATABASES}


def _count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*table.split(".")))
                                ).fetchone()[0])


def test_the_demo_builds_its_sources_on_their_own_server(apart: Apart) -> None:
    assert apart.demo.returncode == 0, apart.demo.stdout + apart.demo.stderr
    assert "demo sources built on " in apart.demo.stderr  # the operator sees where they went (rich: stderr)
    built = _databases(apart.sources_server)
    assert set(built) == SOURCE_DATABASES, built  # no marts, no Heartbeat database on the sources server
    for name, (owner, comment) in built.items():
        assert (owner, comment) == (SOURCES_ROLE, DEMO_COMMENT), name


def test_the_app_server_holds_heartbeat_and_the_marts_and_no_source(apart: Apart) -> None:
    assert apart.demo.returncode == 0, apart.demo.stdout + apart.demo.stderr
    assert set(_databases(apart.app_server)) == {"heartbeat", "marts"}


def test_ingest_lands_every_source_row_in_the_marts_on_the_app_server(apart: Apart) -> None:
    assert apart.demo.returncode == 0, apart.demo.stdout + apart.demo.stderr
    marts = apart.app_server.dsn("marts")
    with psycopg.connect(apart.app_server.dsn()) as conn:
        synced = dict(conn.execute("SELECT source, status FROM heartbeat.source_sync "
                                   "WHERE source = ANY(%s)", (sorted(SOURCE_DATABASES),)).fetchall())
    assert synced == dict.fromkeys(SOURCE_DATABASES, "succeeded"), synced
    for database, tables in SOURCE_TABLES.items():
        source = apart.sources_server.dsn(database)
        with psycopg.connect(source) as conn:
            built = conn.execute("SELECT row_counts FROM public.demo_meta").fetchone()[0]
        for table in tables:
            schema, name = table.split(".")
            landed = _count(marts, f"{database}_{schema}.{name}")
            # The live appender may have added rows since the build (never fewer); all built rows landed.
            assert built[table] <= landed <= _count(source, table), (database, table, built[table], landed)
            assert landed > 0, (database, table)


def test_every_metric_computes_and_the_planted_incidents_are_red(apart: Apart) -> None:
    assert apart.demo.returncode == 0, apart.demo.stdout + apart.demo.stderr
    with psycopg.connect(apart.app_server.dsn()) as conn:
        status, error, outcomes = conn.execute(
            "SELECT status, error, metric_outcomes FROM heartbeat.refresh_job ORDER BY id DESC LIMIT 1").fetchone()
        metrics = conn.execute("SELECT count(*) FROM heartbeat.metric_registry WHERE retired_at IS NULL").fetchone()[0]
    failed = {metric: outcome["error"] for metric, outcome in outcomes.items() if not outcome["ok"]}
    assert status == "succeeded", (status, error)
    assert len(outcomes) == metrics > 20 and not failed, failed
    # The wall tells the demo's story from sources it read on the other server: every planted incident is red.
    red = {metric for metric, outcome in outcomes.items() if outcome["status"] == "red"}
    assert set().union(*INCIDENT_METRICS.values()) <= red, red


def test_the_sources_password_is_never_printed_nor_kept(apart: Apart) -> None:
    assert apart.demo.returncode == 0, apart.demo.stdout + apart.demo.stderr
    assert SOURCES_PASSWORD not in apart.demo.stdout + apart.demo.stderr
    kept = [path for path in apart.data_dir.rglob("*")
            if path.is_file() and SOURCES_PASSWORD.encode() in path.read_bytes()]
    assert kept == []
    with psycopg.connect(apart.app_server.dsn()) as conn:
        rows = conn.execute("SELECT count(*) FROM heartbeat.source_sync WHERE error LIKE %s OR tables::text LIKE %s",
                            (f"%{SOURCES_PASSWORD}%",) * 2).fetchone()[0]
    assert rows == 0


def test_an_unreachable_sources_server_fails_in_one_line_without_its_password(apart: Apart) -> None:
    dead = apart.sources_url.set(host="127.0.0.1", port=_free_port(), query={})
    env = {**apart.env, "HEARTBEAT_DEMO_SOURCES_DATABASE_URL": dead.render_as_string(hide_password=False)}
    demo = _run(env, "demo", "--no-serve", timeout=300)
    assert demo.returncode != 0
    output = demo.stdout + demo.stderr
    assert "cannot reach PostgreSQL at" in output and "127.0.0.1" in output, output
    assert "Traceback" not in output and SOURCES_PASSWORD not in output, output
    # Ingest of a moved-away source: a failed outcome in the ledger naming the source, and still no password.
    ingest = _run(env, "ingest", "webbank", timeout=300)
    assert ingest.returncode == 1, ingest.stdout + ingest.stderr
    assert "Traceback" not in ingest.stdout + ingest.stderr and SOURCES_PASSWORD not in ingest.stdout + ingest.stderr
    with psycopg.connect(apart.app_server.dsn()) as conn:
        error = conn.execute("SELECT error FROM heartbeat.source_sync WHERE source = 'webbank' "
                             "ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert error and "webbank.core" in error and SOURCES_PASSWORD not in error, error


def test_settings_place_the_demo_sources_and_keep_their_secret() -> None:
    settings = load_settings({
        "HEARTBEAT_DATABASE_URL": "postgresql://hb:pw@app-host:5432/heartbeat",
        "HEARTBEAT_DEMO_SOURCES_DATABASE_URL": "postgresql://builder:s3cret-src@sources-host:6543/ignored",
    })
    assert "sources-host" not in repr(settings)
    # A driver's error may quote the password outside any URL: the log filter masks it all the same.
    record = logging.LogRecord("ingest", logging.WARNING, __file__, 1, "login %s refused", ("s3cret-src",), None)
    RedactSecrets(secrets_of(settings)).filter(record)
    assert record.getMessage() == "login *** refused"
    db = open_database(settings)  # a configured server: nothing connects yet
    assert db.url("webbank").host == "app-host"  # placing the sources moves no database of Heartbeat's own
    webbank = db.sources.url("webbank")
    assert (webbank.host, webbank.port, webbank.username, webbank.database) == ("sources-host", 6543, "builder",
                                                                                 "webbank")
    assert open_database(load_settings({"HEARTBEAT_DATABASE_URL": "postgresql://hb@h/heartbeat"})).sources.url(
        "webbank").host == "h"  # unset: the sources are databases on Heartbeat's own server
    with pytest.raises(SettingsError) as raised:
        load_settings({"HEARTBEAT_DEMO_SOURCES_DATABASE_URL": "mysql://builder:s3cret-src@sources-host/x"})
    assert "HEARTBEAT_DEMO_SOURCES_DATABASE_URL" in str(raised.value) and "s3cret-src" not in str(raised.value)
