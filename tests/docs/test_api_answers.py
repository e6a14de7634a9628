"""The reference tells the truth: the real answers of the API on the landed demo conform to the response
models its OpenAPI document declares, and every route documents a body for its success status.

The models forbid fields they do not declare, so an answer that grows a field its model lacks fails here
as surely as one that loses a field or changes a type.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from engine.api import create_api
from engine.api.schemas.base import answers
from engine.core.settings import load_settings
from engine.read import screens
from engine.runtime import Runtime
from tests.docs.conftest import ROOT
from tests.support.answers import declared_models, mismatch
from tests.support.demo import LandedDemo
from tests.support.served_api import TOKEN, ServedApi, auth

MODELS = declared_models(create_api())


@dataclass(frozen=True)
class Served:
    http: httpx.Client
    demo: LandedDemo


@pytest.fixture(scope="module")
def served(docs_demo: LandedDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    env = {"HEARTBEAT_OPERATOR_TOKEN": TOKEN, "HEARTBEAT_MARTS_DATABASE": docs_demo.marts,
           "HEARTBEAT_METRICS_DIR": str(ROOT / "metrics"), "HEARTBEAT_CUTS_DIR": str(ROOT / "cuts"),
           "HEARTBEAT_DATA_DIR": str(tmp_path_factory.mktemp("answers-data"))}
    rt = Runtime(settings=load_settings(env), db=docs_demo.app)
    # A TV showing the wall, so /api/screens lists one.
    screens.beat(docs_demo.app.engine(), "answers-tv", path="/?kiosk=1", kiosk=True, user_agent="Chromium TV")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in docs_demo.sources_env.items():  # where dlt finds the demo's sources
            patch.setenv(name, value)
        with ServedApi(rt) as api, api.client() as http:
            yield Served(http, docs_demo)


def conforms(http: httpx.Client, method: str, template: str, url: str, **kwargs) -> httpx.Response:
    """Call ``url`` and hold its 2xx answer to the model ``method template`` declares."""
    response = http.request(method, url, **kwargs)
    assert response.is_success, (url, response.status_code, response.text[:300])
    problem = mismatch(MODELS[f"{method} {template}"], response)
    assert problem is None, f"{method} {url}: {problem}\n{response.text[:600]}"
    return response


def test_every_route_documents_a_body_for_its_success_status():
    document = create_api().openapi()
    components = document["components"]["schemas"]
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
            assert successes, f"{method.upper()} {path} documents no success status"
            for status, response in successes.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                name = schema.get("$ref", "").rsplit("/", 1)[-1]
                body = components.get(name, {})
                if not body.get("properties") or not body.get("examples"):
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == [], "no response schema with fields and an example: " + ", ".join(missing)


def test_every_route_documents_its_errors_with_their_body():
    document = create_api().openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            if path != "/api/health":
                assert {"401", "503"} <= statuses, f"{method.upper()} {path}: {sorted(statuses)}"
            if method != "get":
                assert {"400", "403", "413", "422", "429"} <= statuses, f"{method.upper()} {path}"
            for status in statuses - {"200", "201", "202"}:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema.get("$ref"), f"{method.upper()} {path} {status} has no body schema"


def test_the_read_routes_answer_what_they_declare_on_the_landed_demo(served):
    http = served.http
    cockpit = conforms(http, "GET", "/api/cockpit", "/api/cockpit").json()
    assert len(cockpit["metrics"]) >= 20
    red = [m for m in cockpit["metrics"] if m["status"] == "red"]
    assert red and red[0]["crossed"] is not None, "the demo plants incidents: a red metric says which line"
    assert any(m["pace"] for m in cockpit["metrics"]), "active_cards has a target with a due date"
    conforms(http, "GET", "/api/cockpit", "/api/cockpit", headers={"Accept-Encoding": "gzip"})
    conforms(http, "GET", "/api/metrics", "/api/metrics")
    conforms(http, "GET", "/api/metrics", "/api/metrics?status=red&tag=money")
    for metric in ("active_cards", "collateral_covered_by_company", red[0]["id"]):
        detail = conforms(http, "GET", "/api/metrics/{metric_id}", f"/api/metrics/{metric}?days=30").json()
        assert detail["computations"] and detail["history"]["values"]
    conforms(http, "GET", "/api/health", "/api/health")
    conforms(http, "GET", "/api/scheduler", "/api/scheduler")
    assert conforms(http, "GET", "/api/screens", "/api/screens").json()["screens"]
    conforms(http, "GET", "/api/alerts", "/api/alerts")
    registry = conforms(http, "GET", "/api/audit/registry", "/api/audit/registry").json()["cuts"]
    assert len(registry) == len([p for p in (ROOT / "cuts").glob("*.py") if not p.name.startswith("_")])
    for page in ("overview", "clients", "journeys"):
        conforms(http, "GET", "/api/audit/pages/{page}", f"/api/audit/pages/{page}")
    for cut in registry:
        conforms(http, "GET", "/api/audit/cuts/{cut_id}", f"/api/audit/cuts/{cut['id']}")


def test_a_refresh_job_answers_what_it_declares_from_start_to_end(served):
    http = served.http
    started = conforms(http, "POST", "/api/metrics/recompute", "/api/metrics/recompute", headers=auth(),
                       json={"metric_ids": ["active_cards", "collateral_covered_by_company"], "trigger": "api"})
    job_id = started.json()["job_id"]
    deadline = time.monotonic() + 180
    while True:  # a running job (phase, step, outcomes so far) conforms as well as a finished one
        job = conforms(http, "GET", "/api/metrics/recompute/{job_id}", f"/api/metrics/recompute/{job_id}").json()
        conforms(http, "GET", "/api/metrics/active-job", "/api/metrics/active-job")
        if job["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert job["status"] in ("succeeded", "partial"), job
    assert set(job["metric_outcomes"]) == {"active_cards", "collateral_covered_by_company"}
    assert job["source_outcomes"], "the job ingested the metrics' sources"
    jobs = conforms(http, "GET", "/api/jobs", "/api/jobs?limit=5").json()["jobs"]
    assert jobs[0]["id"] == job_id
    # After the refresh the alerts were evaluated: the overview lists what fires, with the tiles' marks.
    alerts = conforms(http, "GET", "/api/alerts", "/api/alerts").json()
    assert alerts["firing"] or alerts["pending"]


def test_a_watchlist_round_trip_answers_what_it_declares(served):
    http = served.http
    saved = conforms(http, "PUT", "/api/watchlists/{name}", "/api/watchlists/answers-team", headers=auth(),
                     json={"title": "Answers team", "metrics": ["active_cards"], "tags": ["money"]})
    assert saved.status_code == 201
    conforms(http, "PUT", "/api/watchlists/{name}", "/api/watchlists/answers-team", headers=auth(),
             json={"title": "Answers team", "tags": ["money"]})
    conforms(http, "GET", "/api/watchlists", "/api/watchlists")
    detail = conforms(http, "GET", "/api/watchlists/{name}", "/api/watchlists/answers-team").json()
    assert detail["changes"]
    conforms(http, "DELETE", "/api/watchlists/{name}", "/api/watchlists/answers-team", headers=auth())


def test_a_model_that_lacks_a_field_of_the_answer_is_caught(served):
    # The check itself can fail: an answer with a field its model does not declare is a mismatch.
    response = served.http.get("/api/metrics/active-job")
    grown = httpx.Response(200, content=response.content[:-1] + b', "extra": 1}')
    assert "extra" in (mismatch(MODELS["GET /api/metrics/active-job"], grown) or "")


def test_every_example_of_the_reference_is_an_answer_its_model_accepts():
    # The examples are what a reader copies: each must be a body the route could really send.
    document = create_api().openapi()
    checked = 0
    for name, model in answers().items():
        for body in (model.model_config.get("json_schema_extra") or {}).get("examples", []):
            model.model_validate(body)
            assert document["components"]["schemas"][name]["examples"] == [body], name
            checked += 1
    assert checked >= 20
