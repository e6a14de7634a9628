"""Registry sync: files are config truth, operator edits survive, nothing half-written."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine.metrics.files import MetricFilesInvalid
from engine.metrics.registry import sync
from tests.support.factories import add_value, set_registry


def _row(db, metric_id: str):
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT * FROM heartbeat.metric_registry WHERE id = :id"), {"id": metric_id}).one()


def _changes(db, metric_id: str) -> list[tuple[str, str]]:
    with db.engine().connect() as conn:
        return [
            (r.field, r.changed_by)
            for r in conn.execute(
                text("SELECT field, changed_by FROM heartbeat.registry_change WHERE entity_id = :id ORDER BY id"),
                {"id": metric_id},
            )
        ]


def test_new_file_adds_a_metric_with_the_file_thresholds(fresh_db, folder):
    folder.write("approval_rate", owner="pay@example.com")
    report = sync(fresh_db.engine(), folder.path)
    assert report.added == ["approval_rate"]
    row = _row(fresh_db, "approval_rate")
    assert (row.norm_value, row.alert_value, row.owner) == (95.0, 90.0, "pay@example.com")
    assert row.verification_state == "unverified"
    assert row.threshold_set_by["norm_value"] == "file"
    assert ("metric", "sync") in _changes(fresh_db, "approval_rate")


def test_second_sync_writes_nothing(fresh_db, folder):
    folder.write("approval_rate")
    sync(fresh_db.engine(), folder.path)
    before = _row(fresh_db, "approval_rate")
    report = sync(fresh_db.engine(), folder.path)
    assert not report.changed and report.unchanged == 1
    assert _row(fresh_db, "approval_rate").synced_at == before.synced_at


def test_broken_file_leaves_the_registry_untouched_and_names_file_and_line(fresh_db, folder):
    folder.write("approval_rate")
    sync(fresh_db.engine(), folder.path)
    folder.write("approval_rate", "SELECT 1")  # a valid change that must NOT land...
    broken = folder.write("latency", period="weekly")  # ...because another file is broken
    with pytest.raises(MetricFilesInvalid) as info:
        sync(fresh_db.engine(), folder.path)
    assert f"{broken}:5: period" in str(info.value)
    assert _row(fresh_db, "approval_rate").value_sql == "SELECT 97.5"
    with fresh_db.engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM heartbeat.metric_registry")).scalar() == 1


def test_operator_threshold_survives_resync_until_the_file_value_changes(fresh_db, folder):
    folder.write("approval_rate")
    sync(fresh_db.engine(), folder.path)
    set_registry(fresh_db, "approval_rate", norm_value=97.0, owner="ops@example.com")
    folder.write("approval_rate", how_to_read="Reworded explanation of the approval rate.")
    sync(fresh_db.engine(), folder.path)
    row = _row(fresh_db, "approval_rate")
    assert (row.norm_value, row.owner) == (97.0, "ops@example.com")
    folder.write("approval_rate", how_to_read="Reworded explanation of the approval rate.", norm="96")
    sync(fresh_db.engine(), folder.path)
    row = _row(fresh_db, "approval_rate")
    assert row.norm_value == 96.0  # the file changed its value: it applies again
    assert row.owner == "ops@example.com"  # the file did not touch the owner
    assert row.threshold_set_by["norm_value"] == "file"


def test_definition_change_drops_verification_and_records_it(fresh_db, folder):
    folder.write("approval_rate")
    sync(fresh_db.engine(), folder.path)
    set_registry(fresh_db, "approval_rate", verification_state="verified", verified_by="cfo@example.com")
    folder.write("approval_rate", how_to_read="Only the wording changed, not the number at all.")
    sync(fresh_db.engine(), folder.path)
    assert _row(fresh_db, "approval_rate").verification_state == "verified"
    folder.write("approval_rate", "SELECT 97.5 * 1.0", how_to_read="Only the wording changed, not the number at all.")
    report = sync(fresh_db.engine(), folder.path)
    assert report.unverified == ["approval_rate"]
    row = _row(fresh_db, "approval_rate")
    assert row.verification_state == "unverified" and row.verified_by is None
    assert ("verification_state", "sync") in _changes(fresh_db, "approval_rate")
    assert ("value_sql", "sync") in _changes(fresh_db, "approval_rate")


def test_removed_file_retires_the_metric_and_keeps_history(fresh_db, folder):
    folder.write("approval_rate")
    folder.write("latency", direction="lower_is_better", unit="seconds", norm="30", alert="60")
    sync(fresh_db.engine(), folder.path)
    add_value(fresh_db, "latency", 12)
    folder.remove("latency")
    report = sync(fresh_db.engine(), folder.path)
    assert report.retired == ["latency"]
    assert _row(fresh_db, "latency").retired_at is not None
    with fresh_db.engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM heartbeat.metric_history WHERE metric_id = 'latency'")).scalar() == 1
    folder.write("latency", direction="lower_is_better", unit="seconds", norm="30", alert="60")
    assert sync(fresh_db.engine(), folder.path).revived == ["latency"]
    assert _row(fresh_db, "latency").retired_at is None


def test_write_guard_blocks_a_direct_update_of_value_sql(fresh_db, folder):
    folder.write("approval_rate")
    sync(fresh_db.engine(), folder.path)
    with pytest.raises(DBAPIError, match="change only by the metric sync"):
        set_registry(fresh_db, "approval_rate", value_sql="DELETE FROM x")


def test_a_missing_metrics_folder_is_an_error_not_an_empty_registry(fresh_db, folder):
    folder.write("approval_rate")
    sync(fresh_db.engine(), folder.path)
    with pytest.raises(MetricFilesInvalid, match="metrics folder does not exist"):
        sync(fresh_db.engine(), folder.path / "typo")
    assert _row(fresh_db, "approval_rate").retired_at is None
