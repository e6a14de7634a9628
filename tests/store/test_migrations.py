"""Migrations: up from an empty database, idempotent, in step with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from alembic import command
from engine.core.db import Database
from engine.store import migrations
from engine.store.models import SCHEMA, metadata
from tests.support.databases import scratch_database

TABLES = {
    "metric_registry", "metric_history", "audit_cut_registry", "audit_cut_snapshot",
    "refresh_job", "registry_change", "source_sync", "scheduler_leader", "scheduler_run", "screen", "read_model_version", "alembic_version",
    "alert_state", "alert_outbox", "alert_silence", "watchlist",
}


@pytest.fixture()
def empty_db(server: Database):
    """A database without schema heartbeat: the tests migrate it themselves."""
    with scratch_database(server, "hb_empty", migrate=False) as database:
        yield database


def test_upgrade_from_empty_creates_every_table(empty_db: Database):
    assert migrations.current_revision(empty_db.engine()) is None
    revision = migrations.upgrade(empty_db.engine())
    assert revision == migrations.head_revision()
    assert migrations.current_revision(empty_db.engine()) == revision
    assert TABLES <= set(inspect(empty_db.engine()).get_table_names(schema=SCHEMA))


def test_upgrade_twice_changes_nothing(empty_db: Database):
    migrations.upgrade(empty_db.engine())
    with empty_db.engine().connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                   "WHERE n.nspname = 'heartbeat'")).scalar()
    migrations.upgrade(empty_db.engine())
    with empty_db.engine().connect() as conn:
        after = conn.execute(text("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                  "WHERE n.nspname = 'heartbeat'")).scalar()
    assert before == after
    assert migrations.current_revision(empty_db.engine()) == migrations.head_revision()


def test_migrations_match_the_models(db: Database):
    with db.engine().connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, parent: type_ != "schema" or name == SCHEMA,
                "compare_type": True,
            },
        )
        diff = [d for d in compare_metadata(context, metadata) if "alembic_version" not in repr(d)]
    assert diff == [], f"models and migrations disagree: {diff}"


def test_downgrade_to_base_and_back(empty_db: Database):
    migrations.upgrade(empty_db.engine())
    cfg = migrations.alembic_config()
    with empty_db.engine().begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert not (TABLES - {"alembic_version"}) & set(inspect(empty_db.engine()).get_table_names(schema=SCHEMA))
    migrations.upgrade(empty_db.engine())
    assert migrations.current_revision(empty_db.engine()) == migrations.head_revision()
