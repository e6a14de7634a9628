"""The demo landed once for the docs tests: its metrics computed and its cuts registered, so the
catalogues have something real to list and the runbooks a marts database to run against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.audit import registry as cut_registry
from engine.core.db import Database
from engine.metrics import compute, registry
from engine.metrics.compute import ComputeContext
from tests.support.demo import LandedDemo, landed_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="package")
def docs_demo(server: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LandedDemo]:
    with landed_demo(server, tmp_path_factory, "docs") as demo:
        cut_registry.sync(demo.app.engine(), ROOT / "cuts")
        ctx = ComputeContext(demo.app, demo.marts, statement_timeout=30.0, workers=2)
        compute.compute_many(ctx, [m.id for m in registry.active_metrics(demo.app.engine())])
        yield demo
