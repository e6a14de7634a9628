"""Fixtures for metric tests: a fresh migrated database and a folder of metric files."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.db import Database
from tests.support.databases import scratch_database
from tests.support.factories import MetricFolder


@pytest.fixture()
def fresh_db(server: Database):
    """A migrated database of its own, so a sync can retire freely."""
    with scratch_database(server, "hb_metrics") as database:
        yield database


@pytest.fixture()
def folder(tmp_path: Path) -> MetricFolder:
    return MetricFolder(tmp_path)
