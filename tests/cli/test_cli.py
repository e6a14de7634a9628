"""The `heartbeat` command as a user runs it: clear help, one-line errors, idempotent upgrade."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core.db import Database
from engine.store import migrations
from tests.support.databases import scratch_database

HEARTBEAT = str(Path(sys.executable).parent / "heartbeat")
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HEARTBEAT, *args], cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120
    )


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    for command in ("demo", "serve", "db"):
        assert command in result.stdout


def test_bare_command_prints_help_not_a_traceback():
    result = run()
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "COMMAND" in result.stdout


def test_db_upgrade_migrates_a_new_database_and_is_idempotent(server: Database):
    with scratch_database(server, "hb_cli", migrate=False) as database:
        env = {"HEARTBEAT_DATABASE_URL": database.url().render_as_string(hide_password=False)}
        first = run("db", "upgrade", env=env)
        assert first.returncode == 0, first.stderr
        assert migrations.head_revision() in first.stderr
        second = run("db", "upgrade", env=env)
        assert second.returncode == 0, second.stderr
        assert migrations.current_revision(database.engine()) == migrations.head_revision()


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"HEARTBEAT_PORT": "not-a-port"}, "HEARTBEAT_PORT"),
        ({"HEARTBEAT_DATABASE_URL": "postgresql://u:s3cr3t-pw@127.0.0.1:9/x"}, "cannot reach PostgreSQL"),
    ],
)
def test_errors_are_one_line_without_traceback_or_secret(env, expected):
    result = run("db", "upgrade", env=env)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert expected in output
    assert "Traceback" not in output
    assert "s3cr3t-pw" not in output
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
