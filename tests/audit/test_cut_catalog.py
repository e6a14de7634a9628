"""The demo cut set (cuts/*.py) on a landed demo: every cut, every window, and the planted incidents.

Parametrized over the folder, so a new cut is tested without writing a test:
it loads, every window computes on the demo data within the 5 s gate, and the
payload is non-empty and valid for its kind. Every planted incident has a cut
that explains one of its metrics, and the collateral ledger names the company
and its unpaid months. A cut that starts failing keeps its last good snapshot.

The demo is built and landed once per module, as in tests/metrics/test_metric_catalog.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.audit import files, kinds, read, segments, snapshots
from engine.audit.snapshots import SnapshotResult
from engine.core.db import Database
from engine.demo import INCIDENTS
from engine.demo.plan import ARREARS_COMPANY, ARREARS_MONTHS
from engine.metrics import registry
from engine.metrics.compute import ComputeContext
from tests.support.databases import scratch_database
from tests.support.demo import INCIDENT_METRICS, METRICS_DIR, landed_demo

ROOT = Path(__file__).resolve().parents[2]
CUTS_DIR = ROOT / "cuts"
CUTS = sorted(p for p in CUTS_DIR.glob("*.py") if not p.name.startswith("_"))
GATE_MS = 5000


@dataclass
class Landed:
    app: Database
    marts: str
    ctx: ComputeContext
    results: dict[tuple[str, str], SnapshotResult]
    seeded: list


@pytest.fixture(scope="module")
def landed(server: Database, tmp_path_factory) -> Landed:
    with landed_demo(server, tmp_path_factory, "cut") as demo:
        ctx = ComputeContext(demo.app, demo.marts, statement_timeout=60.0, workers=1)
        seeded = segments.snapshot(ctx)  # first, as the demo does: the client_segments cut draws it
        results = {(r.cut_id, r.window): r for r in snapshots.refresh(ctx, folder=CUTS_DIR)}
        yield Landed(demo.app, demo.marts, ctx, results, seeded)


def _definition(path: Path) -> files.CutDefinition:
    definition, problems = files.load_cut(path)
    assert not problems, problems
    return definition


def test_the_set_is_complete() -> None:
    definitions = [_definition(p) for p in CUTS]
    assert len(definitions) >= 17
    assert {d.page for d in definitions} == set(files.PAGES)
    assert len({d.kind for d in definitions}) >= 5


@pytest.mark.parametrize("path", CUTS, ids=[p.stem for p in CUTS])
def test_cut_computes_every_window_within_the_gate(landed: Landed, path: Path) -> None:
    definition = _definition(path)
    stored = read.cut(landed.app.engine(), definition.id)
    for window in definition.windows:
        result = landed.results[(definition.id, window)]
        assert result.ok, result.error
        assert result.duration_ms < GATE_MS, f"{definition.id} {window} took {result.duration_ms} ms"
        payload = stored["snapshots"][window]["payload"]
        assert kinds.validate(payload) == [] and payload["kind"] == definition.kind
        assert not kinds.is_empty(payload), f"{definition.id} {window} has nothing to draw on the demo"
        assert stored["snapshots"][window]["source_as_of"] is not None


@pytest.mark.parametrize("incident", INCIDENTS, ids=[i.id for i in INCIDENTS])
def test_every_planted_incident_has_a_cut_that_explains_it(landed: Landed, incident) -> None:
    explaining = {c["id"] for metric_id in INCIDENT_METRICS[incident.id]
                  for c in read.cuts_for_metric(landed.app.engine(), metric_id)}
    assert explaining, f"no cut explains {incident.id}"


def test_the_collateral_ledger_names_the_company_and_its_unpaid_months(landed: Landed) -> None:
    [first] = read.cuts_for_metric(landed.app.engine(), "collateral_covered_by_company")[:1]
    assert first["id"] == "collateral_arrears"
    cut = read.cut(landed.app.engine(), "collateral_arrears")
    payload = cut["snapshots"][cut["window_default"]]["payload"]
    rows = [dict(zip(payload["columns"], row)) for row in payload["rows"]]
    company = [r for r in rows if r["Company"] == ARREARS_COMPANY]
    assert len(company) == ARREARS_MONTHS and rows[:ARREARS_MONTHS] == company
    assert len({r["Month"] for r in company}) == ARREARS_MONTHS


def test_a_failing_cut_keeps_its_last_good_snapshot(landed: Landed, server: Database, tmp_path: Path) -> None:
    folder = tmp_path / "cuts"
    folder.mkdir()
    good = (CUTS_DIR / "collateral_arrears.py").read_text()
    (folder / "collateral_arrears.py").write_text(good)
    (folder / "fx_file_vs_api.py").write_text((CUTS_DIR / "fx_file_vs_api.py").read_text())
    with scratch_database(server, "t_cutfail") as app:
        registry.sync(app.engine(), METRICS_DIR)
        ctx = ComputeContext(app, landed.marts, statement_timeout=60.0, workers=1)
        assert all(r.ok for r in snapshots.refresh(ctx, folder=folder))
        before = read.cut(app.engine(), "collateral_arrears")["snapshots"]["180d"]
        (folder / "collateral_arrears.py").write_text(good.replace("FROM webbank_core.card_collateral_invoice",
                                                                   "FROM webbank_core.no_such_table"))
        results = snapshots.refresh(ctx, folder=folder)
        failed = {(r.cut_id, r.window): r for r in results if not r.ok}
        assert set(failed) == {("collateral_arrears", "180d"), ("collateral_arrears", "365d")}
        assert "no_such_table" in failed[("collateral_arrears", "180d")].error
        after = read.cut(app.engine(), "collateral_arrears")["snapshots"]["180d"]
        assert after["payload"] == before["payload"] and after["computed_at"] == before["computed_at"]
        assert "no_such_table" in after["error"]
        assert all(r.ok for r in results if r.cut_id == "fx_file_vs_api")


def _approved_clients(landed: Landed) -> int:
    with landed.ctx.connect() as conn:
        return conn.execute("SELECT count(DISTINCT client_profile_id) FROM webbank_core.client_profile_state_log "
                            "WHERE profile_state = 'approved'").fetchone()[0]


def test_client_segments_partition_the_approved_clients_and_keep_history(landed: Landed) -> None:
    assert len(landed.seeded) == segments.SEED_WEEKS + 1  # an empty table: the weekly seed, then today
    history = segments.history(landed.app.engine(), 120)
    by_day: dict = {}
    for day, segment, clients in history:
        by_day.setdefault(day, {})[segment] = clients
    assert sorted(by_day) == sorted(landed.seeded)
    today = by_day[landed.seeded[-1]]
    assert set(today) == set(segments.SEGMENTS)
    assert sum(today.values()) == _approved_clients(landed)  # exclusive segments: each client counted once
    assert today["in arrears"] >= 1 and today["active"] > 0  # the planted company stopped paying
    again = segments.snapshot(landed.ctx)  # the daily job: today only, the history stays
    assert again == [landed.seeded[-1]] and len(segments.history(landed.app.engine(), 120)) == len(history)


def test_the_segment_cut_draws_the_daily_table(landed: Landed) -> None:
    cut = read.cut(landed.app.engine(), "client_segments")
    payload = cut["snapshots"]["90d"]["payload"]
    days = sorted({d.isoformat() for d, _, _ in segments.history(landed.app.engine(), 90)})
    assert payload["x"] == days and [s["name"] for s in payload["series"]] == list(segments.SEGMENTS)
