"""The audit REST routes over real HTTP: registry, page, cut, refresh and verification, and their errors."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from engine.audit import registry
from engine.core.settings import load_settings
from engine.metrics.registry import sync as sync_metrics
from engine.runtime import Runtime
from tests.support.served_api import ServedApi, auth

CUT = """
    META = {
        "page": "clients", "title": "Ledger of the test", "order": 1, "kind": "table",
        "metrics": ["approval_rate"], "sources": ["webbank.core"], "windows": ["7d", "30d"],
        "window_default": "30d", "prose_before": "Before.", "prose_after": "After.",
    }

    def compute(conn, *, window):
        [(n,)] = conn.rows("SELECT 41 + 1")
        return {"kind": "table", "columns": ["window", "n"], "rows": [[window, n]]}
"""


@pytest.fixture()
def served(world, tmp_path: Path) -> Iterator:
    world.folder.write("approval_rate")
    sync_metrics(world.db.engine(), world.folder.path)
    cuts = tmp_path / "cuts"
    cuts.mkdir()
    (cuts / "ledger.py").write_text(textwrap.dedent(CUT))
    rt = Runtime(settings=load_settings({**world.env, "HEARTBEAT_CUTS_DIR": str(cuts)}), db=world.db)
    with ServedApi(rt) as api, api.client() as http:
        yield http, cuts


def test_refresh_syncs_first_and_needs_the_operator(served) -> None:
    http, _ = served
    assert http.post("/api/audit/cuts/ledger/refresh").status_code == 401
    assert http.get("/api/audit/cuts/ledger").status_code == 404  # not synced yet
    refreshed = http.post("/api/audit/cuts/ledger/refresh", headers=auth())
    assert refreshed.status_code == 200, refreshed.text
    assert http.get("/api/audit/cuts/ledger").json()["snapshot"]["payload"]["rows"] == [["30d", 42]]


def test_routes(world, served) -> None:
    http, cuts = served
    registry.sync(world.db.engine(), cuts)
    refreshed = http.post("/api/audit/cuts/ledger/refresh", headers=auth())
    assert refreshed.status_code == 200, refreshed.text
    assert [r["ok"] for r in refreshed.json()["results"]] == [True, True]

    [entry] = http.get("/api/audit/registry").json()["cuts"]
    assert entry["id"] == "ledger" and entry["page"] == "clients" and "snapshots" not in entry

    page = http.get("/api/audit/pages/clients").json()
    assert page["cuts"][0]["snapshots"]["7d"]["payload"]["rows"] == [["7d", 42]]
    assert http.get("/api/audit/pages/overview").json()["cuts"] == []

    cut = http.get("/api/audit/cuts/ledger", params={"window": "7d"}).json()
    assert cut["window"] == "7d" and cut["snapshot"]["payload"]["rows"] == [["7d", 42]]
    assert cut["tiles"][0]["id"] == "approval_rate" and cut["prose_before"] == "Before."
    assert http.get("/api/audit/cuts/ledger").json()["window"] == "30d"


def test_errors_name_the_field(world, served) -> None:
    http, cuts = served
    registry.sync(world.db.engine(), cuts)
    missing = http.get("/api/audit/cuts/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    bad_id = http.get("/api/audit/cuts/Bad-Id")
    assert bad_id.status_code == 422 and "cut_id" in bad_id.text
    bad_window = http.get("/api/audit/cuts/ledger", params={"window": "month"})
    assert bad_window.status_code == 422 and "window" in bad_window.text
    other_window = http.get("/api/audit/cuts/ledger", params={"window": "90d"})
    assert other_window.status_code == 422 and "window" in other_window.text
    page = http.get("/api/audit/pages/nowhere")
    assert page.status_code == 422 and "page" in page.text
    assert http.post("/api/audit/cuts/nope/refresh", headers=auth()).status_code == 404


def test_verification_needs_the_token(world, served) -> None:
    http, cuts = served
    registry.sync(world.db.engine(), cuts)
    body = {"verification_state": "verified", "owner": "risk@example.com"}
    assert http.patch("/api/audit/cuts/ledger/verification", json=body).status_code == 401
    assert http.patch("/api/audit/cuts/ledger/verification", json=body, headers=auth("wrong")).status_code == 403
    done = http.patch("/api/audit/cuts/ledger/verification", json=body, headers=auth())
    assert done.status_code == 200, done.text
    assert done.json()["cut"]["verification_state"] == "verified" and done.json()["cut"]["owner"] == "risk@example.com"
    owner_only = http.patch("/api/audit/cuts/ledger/verification", json={"owner": "bad"}, headers=auth())
    assert owner_only.status_code == 422 and "owner" in owner_only.text
    assert http.patch("/api/audit/cuts/ledger/verification", json={}, headers=auth()).status_code == 422
    changes = http.get("/api/audit/cuts/ledger").json()["changes"]
    assert {c["field"] for c in changes} >= {"owner", "verification_state"}
