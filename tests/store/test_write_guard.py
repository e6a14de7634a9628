"""The write guard: config columns of metric_registry change only inside the metric sync."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine.core.db import Database
from engine.store.models import CONFIG_COLUMNS
from engine.store.write_guard import open_for_sync

ROW = {
    "id": "guard_probe", "name": "Guard probe", "value_sql": "SELECT 1", "period": "24h",
    "direction": "higher_is_better", "config_hash": "h1", "definition_hash": "d1",
}

# A new value per config column, of the column's type.
NEW_VALUES = {
    "id": "'guard_probe_renamed'", "name": "'Renamed'", "how_to_read": "'x'", "methodology": "'x'",
    "sources": "'x'", "source_schemas": "'[\"core\"]'::jsonb", "value_sql": "'SELECT 2'",
    "history_sql": "'SELECT 3'", "period": "'7d'", "unit": "'percent'", "currency": "'EUR'",
    "direction": "'lower_is_better'", "benchmark_kind": "'rolling_stat'", "benchmark_window_days": "28",
    "tags": "'[\"x\"]'::jsonb", "related_cuts": "'[\"c\"]'::jsonb", "file_thresholds": "'{\"norm_value\": 1}'::jsonb",
    "config_hash": "'h2'", "definition_hash": "'d2'", "synced_at": "now() - interval '1 day'",
    "retired_at": "now()",
}

OPERATOR_VALUES = {
    "norm_value": "5", "alert_value": "1", "target_value": "50", "target_due_date": "current_date + 30",
    "owner": "'ops@example.com'", "verification_state": "'verified'", "verified_by": "'ops@example.com'",
    "verified_at": "now()", "verified_hash": "'d1'", "benchmark_mean": "10", "benchmark_stddev": "2",
    "benchmark_computed_at": "now()", "threshold_set_by": "'{\"norm_value\": \"operator\"}'::jsonb",
}


@pytest.fixture()
def probe(db: Database):
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.metric_registry WHERE id LIKE 'guard_probe%'"))
        conn.execute(
            text(
                "INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, direction, config_hash, "
                "definition_hash) VALUES (:id, :name, :value_sql, :period, :direction, :config_hash, :definition_hash)"
            ),
            ROW,
        )
    yield db
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.metric_registry WHERE id LIKE 'guard_probe%'"))


def test_every_config_column_has_a_probe_value():
    assert set(NEW_VALUES) == set(CONFIG_COLUMNS)


def test_migration_guards_exactly_the_config_columns():
    source = next(Path(__file__).resolve().parents[2].glob("alembic/versions/0001_*.py")).read_text()
    guarded = re.search(r"GUARDED = \((.*?)\)", source, re.S).group(1)
    assert set(re.findall(r'"(\w+)"', guarded)) == set(CONFIG_COLUMNS)


@pytest.mark.parametrize("column", CONFIG_COLUMNS)
def test_guard_refuses_a_direct_update_of_a_config_column(probe: Database, column: str):
    with pytest.raises(DBAPIError, match="change only by the metric sync"):
        with probe.engine().begin() as conn:
            conn.execute(text(f"UPDATE heartbeat.metric_registry SET {column} = {NEW_VALUES[column]} "
                              "WHERE id = 'guard_probe'"))
    with probe.engine().connect() as conn:
        assert conn.execute(text("SELECT value_sql FROM heartbeat.metric_registry "
                                 "WHERE id = 'guard_probe'")).scalar() == "SELECT 1"


@pytest.mark.parametrize("column", sorted(OPERATOR_VALUES))
def test_guard_lets_operator_columns_change(probe: Database, column: str):
    with probe.engine().begin() as conn:
        conn.execute(text(f"UPDATE heartbeat.metric_registry SET {column} = {OPERATOR_VALUES[column]} "
                          "WHERE id = 'guard_probe'"))
        changed = conn.execute(text(f"SELECT {column} IS NOT NULL FROM heartbeat.metric_registry "
                                    "WHERE id = 'guard_probe'")).scalar()
    assert changed


def test_guard_refuses_insert_and_delete_outside_the_sync(probe: Database):
    with pytest.raises(DBAPIError, match="only by the metric sync"):
        with probe.engine().begin() as conn:
            conn.execute(text("INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, direction, "
                              "config_hash, definition_hash) VALUES ('guard_probe_2', 'x', 'SELECT 1', '24h', "
                              "'higher_is_better', 'h', 'd')"))
    with pytest.raises(DBAPIError, match="only by the metric sync"):
        with probe.engine().begin() as conn:
            conn.execute(text("DELETE FROM heartbeat.metric_registry WHERE id = 'guard_probe'"))


def test_sync_flag_opens_config_columns_for_that_transaction_only(probe: Database):
    with probe.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("UPDATE heartbeat.metric_registry SET value_sql = 'SELECT 2' WHERE id = 'guard_probe'"))
    with pytest.raises(DBAPIError, match="change only by the metric sync"):
        with probe.engine().begin() as conn:
            conn.execute(text("UPDATE heartbeat.metric_registry SET value_sql = 'SELECT 3' "
                              "WHERE id = 'guard_probe'"))
    with probe.engine().connect() as conn:
        assert conn.execute(text("SELECT value_sql FROM heartbeat.metric_registry "
                                 "WHERE id = 'guard_probe'")).scalar() == "SELECT 2"
