"""The demo metric set (metrics/*.sql) on a landed demo: every file, and the planted incidents.

Parametrized over the files, so a new metric file is tested without writing a
test: it parses, its SQL runs on the demo data within the 5 s gate and returns
one number, its history (if any) backfills. On the demo, the metrics that watch
a planted incident are red and no other metric is.

The demo is built and landed once per module, the way ``heartbeat demo`` does
it: sources at scale 0.05, ingest of every source (rates API served), sync of
the real metrics folder, backfill, bands, compute. Every database it creates is
dropped at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.core.db import Database
from engine.demo import INCIDENTS
from engine.metrics import backfill, bands
from engine.metrics.bands import BandResult
from engine.metrics.compute import ComputeContext, ComputeResult, compute_many, today
from engine.metrics.files import parse_file
from tests.support.demo import INCIDENT_METRICS, METRICS_DIR, landed_demo

FILES = sorted(METRICS_DIR.glob("*.sql"))
GATE_MS = 5000

# The metrics each planted incident (engine/demo/incidents.py) must turn red.
# Amber that the data explains: none since the 24 h volumes are compared with the same hour of the week
SEASONAL_AMBER: set[str] = set()
# Metrics documented to return NULL (no data) on the demo; none today.
NULL_ON_DEMO: set[str] = set()


@dataclass
class Landed:
    ctx: ComputeContext
    results: dict[str, ComputeResult]
    backfilled: dict[str, backfill.BackfillResult]
    bands: dict[str, BandResult]


@pytest.fixture(scope="module")
def landed(server: Database, tmp_path_factory) -> Landed:
    with landed_demo(server, tmp_path_factory, "cat") as demo:
        ctx = ComputeContext(demo.app, demo.marts, statement_timeout=60.0, workers=4)
        # As `heartbeat demo` does: past days first, then bands, then today against the bands.
        filled = {r.metric_id: r for r in backfill.backfill(ctx, days=90)}
        learned = {r.metric_id: r for r in bands.refresh(demo.app.engine(), today(), marts=ctx)}
        results = {r.metric_id: r for r in compute_many(ctx)}
        yield Landed(ctx, results, filled, learned)


def _definition(path: Path):
    definition, errors = parse_file(path)
    assert not errors, "\n".join(str(e) for e in errors)
    return definition


def test_the_set_is_complete() -> None:
    """30+ metrics, every period, both directions, several units, targets and bands."""
    headers = [_definition(path).header for path in FILES]
    assert len(headers) >= 30
    assert {h.period for h in headers} == {"snapshot", "24h", "7d", "30d", "funnel"}
    assert {h.direction for h in headers} == {"higher_is_better", "lower_is_better"}
    assert {"count", "money", "percent", "seconds"} <= {h.unit for h in headers}
    assert sum(h.target is not None and h.target_due_date is not None for h in headers) >= 3
    rolling = [h for h in headers if h.benchmark is not None]
    assert len(rolling) >= 6
    assert all(h.history_sql for h in rolling), "a rolling_stat metric needs history_sql for its band"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_parses(path: Path) -> None:
    definition = _definition(path)
    assert definition.id == path.stem
    assert definition.header.owner and definition.header.methodology and definition.header.tags


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_sql_runs_within_the_gate_and_returns_a_number(landed: Landed, path: Path) -> None:
    result = landed.results[path.stem]
    assert result.ok, result.error
    assert result.duration_ms < GATE_MS, f"{path.stem} took {result.duration_ms} ms"
    if result.value is None:
        assert path.stem in NULL_ON_DEMO, f"{path.stem} returned NULL (no data) on the demo"
    else:
        assert isinstance(result.value, float)


@pytest.mark.parametrize("path", [p for p in FILES if _definition(p).header.history_sql], ids=lambda p: p.stem)
def test_history_backfills(landed: Landed, path: Path) -> None:
    filled = landed.backfilled[path.stem]
    assert filled.error is None, filled.error
    assert filled.days_written >= 28, f"only {filled.days_written} past days"
    if _definition(path).header.benchmark is not None:
        assert not landed.bands[path.stem].learning, "no band although history was backfilled"


@pytest.mark.parametrize("incident", INCIDENTS, ids=[i.id for i in INCIDENTS])
def test_planted_incident_turns_its_metrics_red(landed: Landed, incident) -> None:
    watched = INCIDENT_METRICS[incident.id]
    statuses = {metric_id: landed.results[metric_id].status for metric_id in watched}
    assert set(statuses.values()) == {"red"}, statuses


def test_no_other_metric_is_red_and_amber_is_explained(landed: Landed) -> None:
    assert set(INCIDENT_METRICS) == {i.id for i in INCIDENTS}, "map every planted incident to its metrics"
    expected_red = set().union(*INCIDENT_METRICS.values())
    by_status: dict[str, set[str]] = {}
    for metric_id, result in landed.results.items():
        by_status.setdefault(result.status, set()).add(metric_id)
    assert by_status.get("red", set()) == expected_red
    assert by_status.get("amber", set()) <= SEASONAL_AMBER, {
        m: landed.results[m].value for m in by_status.get("amber", set())
    }
    assert not by_status.get("error") and not by_status.get("no_data"), by_status
