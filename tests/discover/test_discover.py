"""Metric discovery on the demo: profiling, proposals that pass the gate, the backtest, and the usefulness promise.

The demo is landed once for the module; discovery runs with the hand-written metrics set aside (an empty
metrics folder), so every catch below is the proposals' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.cli.discover import known_incidents
from engine.core.db import Database
from engine.demo import INCIDENTS
from engine.discover import proposals
from engine.discover.backtest import CAUGHT_WITHIN_DAYS
from engine.discover.profile import TableProfile, profile_marts
from engine.discover.run import Discovery, discover
from engine.metrics.compute import ComputeContext
from engine.metrics.files import parse_file
from engine.metrics.validate import validate
from tests.support.demo import landed_demo


@dataclass
class Found:
    ctx: ComputeContext
    metrics_dir: Path
    discovery: Discovery
    profiles: dict[str, TableProfile]
    incidents: list


@pytest.fixture(scope="module")
def found(server: Database, tmp_path_factory) -> Found:
    with landed_demo(server, tmp_path_factory, "disc") as demo:
        ctx = ComputeContext(demo.app, demo.marts, statement_timeout=60.0, workers=2)
        metrics_dir = Path(tmp_path_factory.mktemp("disc-metrics"))  # the hand-written metrics set aside
        incidents = known_incidents(server, demo.prefix)
        with ctx.connect() as conn:
            profiles = {p.qualified: p for p in profile_marts(conn)}
        discovery = discover(ctx, metrics_dir, incidents)
        yield Found(ctx, metrics_dir, discovery, profiles, incidents)


def test_profiling_finds_keys_cursors_states_and_money(found: Found) -> None:
    payment = found.profiles["webbank_core.payment"]
    assert payment.primary_key == ["id"] and payment.cursor == "update_time"
    assert (payment.created, payment.updated) == ("create_time", "update_time")
    assert payment.foreign_keys == {"type_id": "payment_type", "state_id": "payment_state"}
    assert "declined" in payment.states["state_id"].labels.values()  # read through the lookup table
    assert payment.money == {"amount": "EUR"}
    log = found.profiles["webbank_core.client_profile_state_log"]
    assert log.cursor == "id" and log.created == "timestamp"
    assert {"approved", "rejected"} <= set(log.states["profile_state"].values)
    aml = found.profiles["aml_aml.aml_retrospective"]
    assert aml.created == "create_at" and aml.terminal == ["closed_at"] and aml.sampled
    assert {"open", "in_review", "closed"} <= set(aml.states["status"].values)
    invoice = found.profiles["webbank_core.card_collateral_invoice"]
    assert invoice.money == {"amount_due": "EUR", "covered_amount": "EUR"}
    assert invoice.foreign_keys == {"client_profile_id": "client_profile"}
    assert "covered_by_company" in invoice.states
    rates = found.profiles["currency_rate_files_daily.rates_daily"]
    assert rates.primary_key == ["date", "base", "quote"] and rates.created == "date"
    assert found.profiles["webbank_core.payment_state"].lookup


def test_every_proposal_is_a_valid_metric_file_that_passes_the_gate(found: Found) -> None:
    folder = proposals.proposed_dir(found.metrics_dir)
    files = sorted(folder.glob("*.sql"))
    assert len(files) == len(found.discovery.proposals) >= 15
    rules = set()
    for path in files:
        definition, errors = parse_file(path)
        assert not errors, errors
        assert definition.proposed and definition.header.history_sql
        assert definition.header.benchmark is not None or definition.header.alert is not None, path.name
        rules.update(definition.header.tags[1:2])
    assert {"volume", "state_share", "ageing_backlog", "time_between", "freshness", "money_sum", "ratio"} <= rules
    for path in files[:: max(1, len(files) // 6)]:  # the gate itself, again, on a spread of them
        check = validate(path.stem, found.ctx, folder)
        assert check.passed, (path.name, check.error, check.warnings)


def test_every_planted_incident_is_caught_early_by_a_quiet_proposal(found: Found) -> None:
    """The usefulness promise: for each incident a proposal red within two days of its start, with at most
    one false red per month on normal days."""
    assert {i.id for i in found.incidents} == {i.id for i in INCIDENTS}
    for incident in found.incidents:
        catchers = [p for p in found.discovery.proposals
                    if any(c.incident == incident.id and c.caught for c in p.result.catches)
                    and p.result.false_reds_per_month <= 1.0]
        assert catchers, f"no quiet proposal caught {incident.id} within {CAUGHT_WITHIN_DAYS} days"


def test_proposals_are_ranked_catchers_first(found: Found) -> None:
    ranked = found.discovery.proposals
    assert [p.result.usefulness for p in ranked] == sorted((p.result.usefulness for p in ranked), reverse=True)
    top = ranked[:5]
    assert all(p.result.caught and p.result.false_reds_per_month <= 1.0 for p in top), \
        [(p.candidate.id, p.result.usefulness) for p in top]


def test_a_rejected_proposal_does_not_come_back(found: Found, tmp_path: Path) -> None:
    victim = found.discovery.proposals[-1].candidate.id
    proposals.reject(found.metrics_dir, victim, "a duplicate of the payments tile")
    assert not (proposals.proposed_dir(found.metrics_dir) / f"{victim}.sql").exists()
    again = discover(found.ctx, found.metrics_dir, found.incidents)
    assert victim not in {p.candidate.id for p in again.proposals}
    assert again.skipped[victim].startswith("rejected: a duplicate")


def test_the_proposed_page_lists_what_is_still_proposed_with_its_chart(found: Found) -> None:
    from engine.read.proposals import load
    from heartbeat_app.display.proposed import page

    view = load(found.metrics_dir)
    assert [p["id"] for p in view.proposals] == [p.candidate.id for p in found.discovery.proposals
                                                 if (proposals.proposed_dir(found.metrics_dir) / f"{p.candidate.id}.sql").exists()]
    shown = page(view)
    first = shown["cards"][0]
    assert first["rank"] == "1" and first["caught"].startswith("Would have caught")
    assert "false reds a month" in first["false_alarms"]
    figure = shown["figures"][first["id"]]
    values = next(t for t in figure["data"] if t.get("name") == "value")
    assert 80 <= len(values["x"]) <= 91  # its last 90 days
    assert load(found.metrics_dir / "nowhere").problem.startswith("No proposals yet")
