"""Apply and inspect the alembic migrations of schema ``heartbeat``."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from alembic import command
from engine.store.models import SCHEMA

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "alembic/versions holds no migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table_schema": SCHEMA}).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to head (a no-op when it is there) and return the revision."""
    cfg = alembic_config()
    with engine.begin() as conn:
        # Two processes starting at once (app + CLI) must not both migrate.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('heartbeat.migrations'))"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return head_revision()
