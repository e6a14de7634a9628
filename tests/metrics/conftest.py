"""Fixtures for metric tests: a fresh migrated database and a folder of metric files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.core.db import Database
from tests.conftest import scratch_database


@pytest.fixture()
def fresh_db(server: Database):
    """A migrated database of its own, so a sync can retire freely."""
    with scratch_database(server, "hb_metrics") as database:
        yield database


HEADER = {
    "name": "Payment approval rate",
    "how_to_read": "Share of outgoing payments approved in the last 24 hours.",
    "sources": "[webbank.core]",
    "period": "24h",
    "unit": "percent",
    "direction": "higher_is_better",
    "norm": "95",
    "alert": "90",
}


def metric_text(sql: str = "SELECT 97.5", **fields: str | None) -> str:
    header = {**HEADER, **fields}
    lines = ["-- ---"] + [f"-- {k}: {v}" for k, v in header.items() if v is not None] + ["-- ---", sql]
    return "\n".join(lines) + "\n"


class MetricFolder:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, metric_id: str, sql: str = "SELECT 97.5", **fields: str | None) -> Path:
        path = self.path / f"{metric_id}.sql"
        path.write_text(metric_text(sql, **fields))
        return path

    def write_raw(self, name: str, text: str) -> Path:
        path = self.path / name
        path.write_text(textwrap.dedent(text))
        return path

    def remove(self, metric_id: str) -> None:
        (self.path / f"{metric_id}.sql").unlink()


@pytest.fixture()
def folder(tmp_path: Path) -> MetricFolder:
    return MetricFolder(tmp_path)
