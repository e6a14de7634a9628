"""OKR pace over the REST API: the cockpit carries each target's pace; targets are tuned like thresholds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from tests.support.factories import add_values
from tests.support.served_api import auth


@pytest.fixture()
def targeted(api):
    """A growing client count (+2 a day for 90 days, 278 today) with a target of 300 due in 30 days; one untargeted."""
    today = datetime.now(timezone.utc).date()
    api.folder.write("clients", name="Active clients", unit="count", norm="150", alert="100", target="300",
                     target_due_date=(today + timedelta(days=30)).isoformat())
    api.folder.write("plain", name="Plain metric")
    api.folder.sync(api.db)
    add_values(api.db, "clients", {back: 100.0 + 2 * (89 - back) for back in range(89, -1, -1)})
    add_values(api.db, "plain", {0: 97.0})
    return api


def _metric(http, metric_id: str) -> dict:
    return next(m for m in http.get("/api/cockpit").json()["metrics"] if m["id"] == metric_id)


def _trail(db, field: str) -> list[tuple]:
    with db.engine().connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT old_value, new_value, changed_by FROM heartbeat.registry_change "
            "WHERE entity_id = 'clients' AND field = :field ORDER BY id"), {"field": field})]


def test_cockpit_carries_each_targets_pace_beside_an_unchanged_status(targeted):
    clients = _metric(targeted.http, "clients")
    assert clients["status"] == "green"
    pace = clients["pace"]
    assert pace["state"] == "on_pace" and pace["label"] == "on pace"
    assert pace["projected"] == pytest.approx(338)  # 278 + 2 × 30
    assert pace["slope_per_day"] == pytest.approx(2)
    assert pace["trend_points"] == 28
    assert pace["days_left"] == 30
    assert 0 < pace["progress"] <= 1 and 0 < pace["expected_progress"] <= 1
    assert pace["start_day"] is not None and pace["start_value"] is not None
    assert _metric(targeted.http, "plain")["pace"] is None
    # The metric's own route says the same.
    assert targeted.http.get("/api/metrics/clients").json()["pace"]["state"] == "on_pace"


def test_operator_tunes_target_and_due_date_through_the_trail_and_the_pace_follows(targeted):
    http, db = targeted.http, targeted.db
    due = (datetime.now(timezone.utc).date() + timedelta(days=10)).isoformat()
    response = http.patch("/api/metrics/clients/thresholds", json={"target_value": 320, "target_due_date": due},
                          headers=auth())
    assert response.status_code == 200
    assert set(response.json()["changed"]) == {"target_value", "target_due_date"}
    assert _trail(db, "target_value") == [(300.0, 320.0, "operator")]
    assert [(new, who) for _, new, who in _trail(db, "target_due_date")] == [(due, "operator")]
    pace = _metric(http, "clients")["pace"]
    # 278 + 2 × 10 = 298 of 320, measured from today's 278 (a new target starts its period today): off track.
    assert pace["state"] == "off_track"
    assert pace["start_day"] == datetime.now(timezone.utc).date().isoformat()
    assert pace["progress"] == 0


@pytest.mark.parametrize("headers", [{}, auth("not-the-operator-token")])
def test_a_target_edit_without_the_operator_token_is_refused_and_changes_nothing(targeted, headers):
    http, db = targeted.http, targeted.db
    response = http.patch("/api/metrics/clients/thresholds", json={"target_value": 1, "target_due_date": None},
                          headers=headers)
    assert response.status_code in (401, 403)
    assert "token" in response.text.lower()
    assert _trail(db, "target_value") == [] and _trail(db, "target_due_date") == []
    clients = _metric(http, "clients")
    assert (clients["target_value"], clients["pace"]["state"]) == (300.0, "on_pace")


def test_a_due_date_in_the_past_or_without_a_target_is_refused_naming_the_field(targeted):
    http = targeted.http
    past = http.patch("/api/metrics/clients/thresholds", json={"target_due_date": "2020-01-01"}, headers=auth())
    assert past.status_code == 422 and "target_due_date" in past.text and "past" in past.text
    orphan = http.patch("/api/metrics/clients/thresholds", json={"target_value": None}, headers=auth())
    assert orphan.status_code == 422 and "a due date needs a target_value" in orphan.text
    assert _metric(http, "clients")["pace"]["state"] == "on_pace"
