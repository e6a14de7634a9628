"""The REST API over real HTTP: read model order and fields, auth, validation, edits, recompute."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import text

from engine.core.settings import load_settings
from engine.runtime import Runtime
from tests.support.factories import add_value
from tests.support.served_api import ServedApi, auth

NO_LINES = {"norm": None, "alert": None}


def _value(db, metric_id, value, *, days_ago=0, error=None, synced_hours_ago=1.0):
    synced_at = datetime.now(timezone.utc) - timedelta(hours=synced_hours_ago)
    add_value(db, metric_id, value, days_ago=days_ago, error=error, source_as_of=synced_at)


@pytest.fixture()
def populated(api):
    """Seven metrics, one per way the wall can judge a metric (see the comment beside each)."""
    db, folder = api.db, api.folder
    # approval: higher is better, norm 95, alert 90
    folder.write("red_small", name="Red small breach")                       # 89 → red, 1 past alert
    folder.write("red_big", name="Red big breach")                           # 50 → red, 40 past alert
    folder.write("amber_one", name="Amber metric")                           # 93 → amber
    folder.write("green_one", name="Green metric", target="97")              # 98 → green, target hit
    folder.write("green_stale", name="Green but stale")                      # 99, synced 4 days ago
    folder.write("failing", name="Failing metric")                           # error, last good 96
    folder.write("empty", name="Empty metric")                               # no value → no_data
    folder.sync(db)
    _value(db, "red_small", 89)
    _value(db, "red_big", 50)
    _value(db, "amber_one", 93)
    _value(db, "green_one", 98)
    _value(db, "green_stale", 99, synced_hours_ago=96)
    _value(db, "failing", 96, days_ago=1)
    _value(db, "failing", None, error="SQL error: relation gone")
    return api


def test_cockpit_orders_red_amber_error_nodata_green_and_judges_each(populated):
    body = populated.http.get("/api/cockpit").json()
    order = [(m["id"], m["status"]) for m in body["metrics"]]
    assert order == [
        ("red_big", "red"), ("red_small", "red"), ("amber_one", "amber"), ("failing", "error"),
        ("empty", "no_data"), ("green_stale", "green"), ("green_one", "green"),
    ]
    by_id = {m["id"]: m for m in body["metrics"]}
    assert by_id["red_big"]["crossed"] == {"line": "alert", "line_value": 90.0, "by": 40.0}
    assert by_id["amber_one"]["crossed"]["line"] == "norm"
    assert by_id["green_one"]["target_hit"] is True and by_id["green_one"]["crossed"] is None
    assert by_id["green_stale"]["freshness"] == "stale" and by_id["green_one"]["freshness"] == "fresh"
    assert by_id["failing"]["value"] == 96 and "relation gone" in by_id["failing"]["last_error"]
    assert by_id["empty"]["value"] is None and by_id["empty"]["freshness"] == "unknown"
    assert by_id["red_big"]["value_text"] == "50.0%"
    assert by_id["red_big"]["history"]["values"][-1] == 50
    assert body["active_job"] is None


def test_metric_detail_and_list_filters(populated):
    http = populated.http
    detail = http.get("/api/metrics/red_big", params={"days": 7}).json()
    assert detail["status"] == "red" and detail["computations"][0]["value"] == 50
    assert [c["field"] for c in detail["changes"]] == ["metric"]
    assert http.get("/api/metrics/nope_nope").status_code == 404
    reds = http.get("/api/metrics", params={"status": "red"}).json()["metrics"]
    assert {m["id"] for m in reds} == {"red_big", "red_small"}


WRITES = [
    ("patch", "/api/metrics/amber_one/verification", {"owner": "ops@example.com"}),
    ("patch", "/api/metrics/amber_one/thresholds", {"norm_value": 92}),
    ("post", "/api/metrics/recompute", {"metric_ids": ["amber_one"], "trigger": "ui"}),
]


@pytest.mark.parametrize("method,path,body", WRITES, ids=[w[1] for w in WRITES])
def test_every_write_needs_the_operator_token(populated, method, path, body):
    http = populated.http
    missing = getattr(http, method)(path, json=body)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = getattr(http, method)(path, json=body, headers=auth("not-the-token"))
    assert wrong.status_code == 403
    right = getattr(http, method)(path, json=body, headers=auth())
    assert right.status_code in (200, 202), right.text


def test_writes_are_refused_when_no_token_is_configured(world):
    world.folder.write("amber_one")
    world.folder.sync(world.db)
    rt = Runtime(settings=load_settings({**world.env, "HEARTBEAT_OPERATOR_TOKEN": ""}), db=world.db)
    with ServedApi(rt) as served, served.client() as http:
        response = http.patch("/api/metrics/amber_one/verification", json={"owner": "a@b.co"}, headers=auth())
    assert response.status_code == 403 and "HEARTBEAT_OPERATOR_TOKEN" in response.json()["error"]


def test_read_token_closes_reads_when_set(world):
    rt = Runtime(settings=load_settings({**world.env, "HEARTBEAT_READ_TOKEN": "tv-read-token"}), db=world.db)
    with ServedApi(rt) as served, served.client() as http:
        assert http.get("/api/cockpit").status_code == 401
        assert http.get("/api/cockpit", params={"token": "tv-read-token"}).status_code == 200
        assert http.get("/api/cockpit", headers=auth("tv-read-token")).status_code == 200


def test_threshold_edit_recolours_at_once_and_lands_in_the_trail(populated):
    http, db = populated.http, populated.db
    response = http.patch("/api/metrics/amber_one/thresholds", json={"norm_value": 92.5}, headers=auth())
    assert response.status_code == 200
    assert response.json()["changed"] == {"norm_value": {"old": 95.0, "new": 92.5}}
    assert response.json()["metric"]["status"] == "green"
    with db.engine().connect() as conn:
        trail = conn.execute(text("SELECT field, old_value, new_value, changed_by FROM heartbeat.registry_change "
                                  "WHERE entity_id = 'amber_one' AND field = 'norm_value'")).one()
    assert tuple(trail) == ("norm_value", 95.0, 92.5, "operator")


def test_verification_records_who_when_and_the_definition(populated):
    db = populated.db
    response = populated.http.patch("/api/metrics/green_one/verification",
                                    json={"verification_state": "verified"}, headers=auth())
    assert response.status_code == 200
    with db.engine().connect() as conn:
        row = conn.execute(text("SELECT verified_by, verified_at, verified_hash, definition_hash, owner "
                                "FROM heartbeat.metric_registry WHERE id = 'green_one'")).one()
    assert row.verified_by == "operator" and row.verified_at is not None
    assert row.verified_hash == row.definition_hash and row.owner is None  # owner untouched


@pytest.mark.parametrize(
    "path,body,field,reason",
    [
        ("thresholds", {"norm_value": 80}, "norm_value", "must sit above the red line"),
        ("thresholds", {"alert_value": 99}, "alert_value", "must sit above the red line"),
        ("thresholds", {"target_due_date": "2001-01-01"}, "target_due_date", "must not be in the past"),
        ("thresholds", {"norm_value": "high"}, "norm_value", "valid number"),
        ("thresholds", {"colour": "red"}, "colour", "Extra inputs are not permitted"),
        ("verification", {"owner": "not-an-email"}, "owner", "must be an email address"),
        ("verification", {"verification_state": "maybe"}, "verification_state", "'verified' or 'unverified'"),
    ],
)
def test_invalid_edits_get_422_naming_field_and_reason_and_change_nothing(populated, path, body, field, reason):
    db = populated.db
    response = populated.http.patch(f"/api/metrics/amber_one/{path}", json=body, headers=auth())
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert any(p["field"] == field and reason in p["reason"] for p in problems), problems
    with db.engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM heartbeat.registry_change WHERE entity_id = 'amber_one' "
                                 "AND field <> 'metric'")).scalar() == 0


def test_nan_and_infinity_are_refused(populated):
    for raw in ('{"norm_value": NaN}', '{"alert_value": Infinity}', '{"target_value": -Infinity}'):
        response = populated.http.patch("/api/metrics/amber_one/thresholds", content=raw,
                                        headers={**auth(), "content-type": "application/json"})
        assert response.status_code == 422, raw


BATTERY = [
    b"", b"null", b"[]", b"42", b'"text"', b"{", b'{"norm_value": }', b'{"norm_value": [1, 2]}',
    b'{"norm_value": {"$gt": 1}}', b'{"norm_value": "1; DROP TABLE heartbeat.metric_registry; --"}',
    b'{"owner": "\' OR 1=1 --@x.io"}', b'{"owner": "' + "ü" .encode() * 300 + b'"}',
    b'{"owner": "' + b"a" * 10_000 + b'@x.io"}', b'{"norm_value": 1e309}', b'{"target_due_date": "2027-02-30"}',
    b'{"target_due_date": 20270101}', b'{"metric_ids": "some"}', b'{"metric_ids": []}',
    b'{"metric_ids": ["Robert\'); DROP TABLE"]}', b'{"metric_ids": [1, 2]}', b'{"trigger": "hacker"}',
    b"\xff\xfe\x00garbage", b'{"verification_state": null, "owner": null, "extra": 1}',
    "{\"owner\": \"\u202eevil@x.io\"}".encode(),
]


@pytest.mark.parametrize("path", ["/api/metrics/amber_one/thresholds", "/api/metrics/amber_one/verification",
                                  "/api/metrics/recompute"])
def test_malformed_bodies_never_get_a_5xx(populated, path):
    http = populated.http
    method = http.post if path.endswith("recompute") else http.patch
    for raw in BATTERY:
        response = method(path, content=raw, headers={**auth(), "content-type": "application/json"})
        assert 400 <= response.status_code < 500 or response.status_code in (200, 202), (raw[:60], response.text)
        assert "Traceback" not in response.text


def test_oversized_body_is_refused_with_413(populated):
    response = populated.http.patch("/api/metrics/amber_one/thresholds", content=b'{"x": "' + b"a" * 40_000 + b'"}',
                                    headers={**auth(), "content-type": "application/json"})
    assert response.status_code == 413


def test_unknown_metric_gets_404_on_every_route(populated):
    http = populated.http
    assert http.patch("/api/metrics/ghost_metric/thresholds", json={"norm_value": 1}, headers=auth()).status_code == 404
    assert http.patch("/api/metrics/ghost_metric/verification", json={"owner": "a@b.co"}, headers=auth()).status_code == 404
    assert http.post("/api/metrics/recompute", json={"metric_ids": ["ghost_metric"]}, headers=auth()).status_code == 404
    assert http.get("/api/metrics/recompute/999999").status_code == 404


def test_recompute_starts_one_job_and_concurrent_requests_coalesce(populated):
    populated.folder.write("slow_metric", "SELECT 1 FROM pg_sleep(2)", **NO_LINES)
    populated.folder.sync(populated.db)
    answers = []

    def post():
        answers.append(httpx.post(f"{populated.url}/api/metrics/recompute", json={"metric_ids": ["slow_metric"]},
                                  headers=auth(), timeout=30))

    threads = [threading.Thread(target=post) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} == {202}
    ids = {a.json()["job_id"] for a in answers}
    assert len(ids) == 1
    assert sum(not a.json()["coalesced"] for a in answers) == 1
    job_id = ids.pop()
    http = populated.http
    active = http.get("/api/metrics/active-job").json()["job"]
    assert active is not None and active["id"] == job_id
    deadline = time.monotonic() + 60
    while http.get(f"/api/metrics/recompute/{job_id}").json()["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    job = http.get(f"/api/metrics/recompute/{job_id}").json()
    assert job["metric_outcomes"]["slow_metric"]["ok"] is True
    assert http.get("/api/metrics/active-job").json()["job"] is None
    assert http.get("/api/jobs", params={"limit": 5}).json()["jobs"][0]["id"] == job_id


def test_scheduler_endpoint_lists_the_schedules(populated):
    body = populated.http.get("/api/scheduler").json()
    jobs = {j["id"]: j for j in body["jobs"]}
    assert jobs["refresh"]["cron"] == "17 * * * *"
    assert jobs["benchmarks"]["cron"] == "23 4 * * *"
    assert jobs["refresh"]["next_run_at"]


def test_openapi_documents_every_route(populated):
    paths = populated.http.get("/api/openapi.json").json()["paths"]
    for path in ("/api/cockpit", "/api/metrics", "/api/metrics/{metric_id}", "/api/metrics/{metric_id}/thresholds",
                 "/api/metrics/{metric_id}/verification", "/api/metrics/recompute", "/api/metrics/active-job",
                 "/api/jobs", "/api/scheduler", "/api/health"):
        assert path in paths, path
