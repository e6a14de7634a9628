"""Fixtures for alert tests: a database of their own and hand-built metrics in it."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from engine.core.db import Database
from tests.support import factories
from tests.support.databases import scratch_database
from tests.support.factories import MetricFolder


@pytest.fixture()
def alert_db(server: Database):
    """A migrated database of its own: alert state and outbox start empty."""
    with scratch_database(server, "hb_alerts") as database:
        yield database


@pytest.fixture()
def metrics(alert_db: Database, tmp_path: Path):
    return Metrics(alert_db, MetricFolder(tmp_path / "metrics"))


class Metrics:
    """Hand-built metrics in ``db``: files synced into the registry, values written straight into history."""

    def __init__(self, db: Database, folder: MetricFolder) -> None:
        self.db, self.folder = db, folder

    def add(self, metric_id: str, *, owner: str | None = None, **fields: str | None) -> None:
        factories.add_metric(self.db, self.folder, metric_id, owner=owner, **fields)

    def value(self, metric_id: str, value: float | None, *, error: str | None = None,
              as_of: datetime | None = None, day: date | None = None) -> None:
        # Fresh unless told otherwise: a value without a source time would be judged on its value alone.
        factories.add_value(self.db, metric_id, value, day=day, error=error,
                            source_as_of=as_of or datetime.now(timezone.utc))

    def synced(self, source: str, schema: str, started_at: datetime, status: str = "succeeded") -> None:
        factories.add_sync(self.db, source, schema, started_at, status)

    def outbox(self) -> list[dict[str, Any]]:
        return factories.outbox_rows(self.db)
