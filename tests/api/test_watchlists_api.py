"""Watchlists over the REST API: create, read, replace, delete; the operator token on every write; 4xx naming
the field; and which watchlist each screen is on."""

from __future__ import annotations

import pytest

from engine.read import screens
from tests.support.served_api import auth


@pytest.fixture()
def metrics(api):
    api.folder.write("aml_backlog_checks", name="AML backlog", tags="[aml]")
    api.folder.write("payment_approval_rate_24h", name="Approval rate", tags="[payments]")
    api.folder.write("card_feed_lag", name="Card feed lag")
    api.folder.sync(api.db)
    return api


def test_an_operator_creates_reads_replaces_and_deletes_a_watchlist(metrics):
    http = metrics.http
    body = {"title": "AML team", "metrics": ["card_feed_lag"], "tags": ["aml"], "owners": ["AML@Example.com"]}
    created = http.put("/api/watchlists/aml-team", json=body, headers=auth())
    assert created.status_code == 201, created.text
    assert created.json()["created"] is True
    stored = http.get("/api/watchlists/aml-team").json()
    assert (stored["title"], stored["metrics"], stored["tags"], stored["owners"]) == (
        "AML team", ["card_feed_lag"], ["aml"], ["aml@example.com"])
    assert stored["screen"] == "/?watchlist=aml-team&kiosk=1" and stored["updated_by"] == "operator"

    replaced = http.put("/api/watchlists/aml-team", json={"tags": ["payments"]}, headers=auth())
    assert replaced.status_code == 200 and replaced.json()["created"] is False
    assert http.get("/api/watchlists/aml-team").json()["metrics"] == []  # PUT replaces the whole list
    assert [w["name"] for w in http.get("/api/watchlists").json()["watchlists"]] == ["aml-team"]
    trail = [(c["field"], c["old_value"], c["new_value"], c["changed_by"])
             for c in http.get("/api/watchlists/aml-team").json()["changes"]]
    assert ("tags", ["aml"], ["payments"], "operator") in trail and ("metrics", ["card_feed_lag"], [], "operator") in trail

    assert http.delete("/api/watchlists/aml-team", headers=auth()).status_code == 200
    assert http.get("/api/watchlists/aml-team").status_code == 404
    assert http.delete("/api/watchlists/aml-team", headers=auth()).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_every_watchlist_write_needs_the_operator_token(metrics, method):
    http = metrics.http
    http.put("/api/watchlists/ops", json={"tags": ["aml"]}, headers=auth())
    kwargs = {"json": {"tags": ["payments"]}} if method == "put" else {}
    missing = getattr(http, method)("/api/watchlists/ops", **kwargs)
    assert missing.status_code == 401
    wrong = getattr(http, method)("/api/watchlists/ops", headers=auth("not-the-token"), **kwargs)
    assert wrong.status_code == 403
    assert http.get("/api/watchlists/ops").json()["tags"] == ["aml"]  # nothing changed


@pytest.mark.parametrize("name, body, field", [
    ("aml-team", {}, "metrics"),                                        # selects nothing
    ("aml-team", {"metrics": ["no_such_metric"]}, "metrics"),          # a typo is caught
    ("aml-team", {"metrics": ["Bad Id"]}, "metrics"),
    ("aml-team", {"owners": ["not-an-email"]}, "owners"),
    ("aml-team", {"tags": ["<b>"]}, "tags"),
    ("aml-team", {"tags": ["aml"], "title": "x" * 81}, "title"),
    ("aml-team", {"tags": ["aml"], "colour": "red"}, "colour"),         # unknown fields are refused
    ("aml-team", {"tags": "aml"}, "tags"),                              # a list, not a string
    ("starred", {"tags": ["aml"]}, "name"),                             # the browser's own list
])
def test_bad_watchlists_are_refused_naming_the_field(metrics, name, body, field):
    response = metrics.http.put(f"/api/watchlists/{name}", json=body, headers=auth())
    assert response.status_code == 422, response.text
    assert field in [p["field"] for p in response.json()["problems"]], response.json()
    assert metrics.http.get("/api/watchlists").json()["watchlists"] == []


def test_a_bad_name_in_the_path_is_refused(metrics):
    response = metrics.http.put("/api/watchlists/AML%20Team", json={"tags": ["aml"]}, headers=auth())
    assert response.status_code == 422 and response.json()["problems"][0]["field"] == "path.name"


def test_screens_say_which_watchlist_they_show(metrics):
    engine = metrics.db.engine()
    screens.beat(engine, "scr_team", path="/", kiosk=True, user_agent="TV", watchlist="aml-team")
    screens.beat(engine, "scr_wall", path="/", kiosk=True, user_agent="TV")
    listed = {s["id"]: s for s in metrics.http.get("/api/screens").json()["screens"]}
    assert listed["scr_team"]["watchlist"] == "aml-team" and listed["scr_wall"]["watchlist"] is None
