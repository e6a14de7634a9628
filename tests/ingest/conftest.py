"""Fixtures for ingest tests: a marts database and an ingest context of this session."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from engine.core.db import Database
from engine.ingest import IngestContext
from tests.support.databases import scratch_database


@pytest.fixture(scope="session")
def session_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}_"


@pytest.fixture(scope="session")
def marts(server: Database, session_prefix: str) -> str:
    with scratch_database(server, session_prefix, migrate=False, name=f"{session_prefix}marts") as marts:
        yield marts.app_database


@pytest.fixture(scope="session")
def ingest_ctx(db: Database, marts: str, session_prefix: str, tmp_path_factory) -> IngestContext:
    return IngestContext(
        db=db,
        marts_database=marts,
        pipelines_dir=Path(tmp_path_factory.mktemp("dlt")),
        source_database_prefix=session_prefix,
    )
