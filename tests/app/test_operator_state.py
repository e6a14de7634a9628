"""Operator mode of the app, at the state level: every write event checks the token it carries, on the server.

The browser tests show that no edit controls appear without a valid token;
these show that a write event sent anyway (a stale tab, a rotated token, a
hand-crafted event) is refused and changes nothing.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import reflex as rx
from sqlalchemy import text

from engine import runtime
from engine.core.auth import AttemptLimiter
from engine.core.db import Database
from engine.core.settings import load_settings
from engine.runtime import Runtime
from engine.store.write_guard import open_for_sync
from heartbeat_app.state import operator
from heartbeat_app.state.detail import DetailState
from heartbeat_app.state.operator import OperatorState
from tests.conftest import app_environ
from tests.support.factories import add_values

METRIC = "operator_mode_metric"
TOKEN = "state-test-operator-token"


def _clear(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text("DELETE FROM heartbeat.registry_change WHERE entity_id = :id"), {"id": METRIC})
        conn.execute(text("DELETE FROM heartbeat.metric_registry WHERE id = :id"), {"id": METRIC})


@pytest.fixture()
def metric(db: Database):
    _clear(db)
    with db.engine().begin() as conn:
        open_for_sync(conn)
        conn.execute(text(
            "INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, unit, direction, norm_value, "
            "alert_value, owner, config_hash, definition_hash) VALUES (:id, 'Operator mode metric', 'SELECT 1', "
            "'24h', 'percent', 'higher_is_better', 95, 90, 'ops@example.com', 'h', 'd')"), {"id": METRIC})
    yield db
    _clear(db)


def _use_runtime(monkeypatch, db: Database, operator_token: str) -> None:
    settings = load_settings(app_environ(db, HEARTBEAT_OPERATOR_TOKEN=operator_token))
    monkeypatch.setattr(runtime, "_current", Runtime(settings=settings, db=db))
    monkeypatch.setattr(operator, "ATTEMPTS", AttemptLimiter())  # each test starts with no wrong attempts


@pytest.fixture()
def page(monkeypatch, metric) -> DetailState:
    """The page's state as the server holds it for one browser tab, looking at METRIC."""
    _use_runtime(monkeypatch, metric, TOKEN)  # never the environment's (developer) database
    monkeypatch.setattr(DetailState, "_metric_id", lambda self: METRIC)
    root = rx.State(_reflex_internal_init=True)
    operator = root.substates[OperatorState.get_name()]
    state = operator.substates[DetailState.get_name()]
    _call(state, "load")
    assert state.found
    return state


def _call(state: DetailState, event: str, *args):
    """Run one event handler to the end, as the server would for a browser event; what it returned."""
    # In a thread of its own: a session-wide Playwright loop may already own this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, getattr(DetailState, event).fn(state, *args)).result()


def _owner(db: Database) -> str | None:
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT owner FROM heartbeat.metric_registry WHERE id = :id"), {"id": METRIC}).scalar()


def _trail(db: Database) -> list:
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT field FROM heartbeat.registry_change WHERE entity_id = :id"),
                            {"id": METRIC}).scalars().all()


@pytest.mark.parametrize(
    ("server_token", "browser_token", "message"),
    [
        (TOKEN, "a-wrong-token", operator.WRONG_TOKEN),
        (TOKEN, "", operator.NO_TOKEN),
        ("", TOKEN, operator.WRITES_DISABLED),
    ],
)
def test_every_write_event_checks_the_token_on_the_server(
    monkeypatch, metric, page, server_token, browser_token, message
):
    _use_runtime(monkeypatch, metric, server_token)
    for event, args in (
        ("save_owner", ("intruder@example.com",)),
        ("save_verification", ("verified",)),
        ("save_thresholds", ({"norm_value": "99", "alert_value": "90", "target_value": "",
                              "target_due_date": ""},)),
    ):
        page.operator = True  # as if the controls were on screen (a stale tab, a crafted event)
        _call(page, event, *args, browser_token)  # the token the event carries (read from localStorage)
        assert page.operator_message == message, event
        assert page.operator is False
    assert _owner(metric) == "ops@example.com"
    assert _trail(metric) == []


def test_the_right_token_writes_through_the_engine(monkeypatch, metric, page):
    _use_runtime(monkeypatch, metric, TOKEN)
    _call(page, "save_owner", "lead@example.com", TOKEN)
    assert page.operator_message == "" and page.owner_message == ""
    assert _owner(metric) == "lead@example.com"
    assert _trail(metric) == ["owner"]
    assert page.changes[0]["new"] == "lead@example.com"  # the page re-read its change history


def test_unlock_keeps_only_a_token_the_server_accepts(monkeypatch, metric, page):
    _use_runtime(monkeypatch, metric, TOKEN)
    assert _call(page, "unlock", {"token": "guess"}) is None  # nothing stored in the browser
    assert page.operator is False
    assert "Wrong operator token" in page.operator_message
    kept = _call(page, "unlock", {"token": f"  {TOKEN} "})
    assert TOKEN in str(kept.args)  # the browser that presented it stores it in its localStorage
    assert TOKEN not in str(page.dict())  # and the server keeps no copy in state
    # The controls wait for the browser to say it holds the token (a reload before that would lose it).
    assert (page.operator, page.operator_message) == (False, "")
    _call(page, "kept_in_browser", TOKEN)
    assert (page.operator, page.operator_message) == (True, "")


def test_a_browser_that_could_not_keep_the_token_stays_locked_and_says_why(monkeypatch, metric, page):
    _use_runtime(monkeypatch, metric, TOKEN)
    _call(page, "unlock", {"token": TOKEN})
    _call(page, "kept_in_browser", "")  # localStorage blocked: the read-back comes back empty
    assert page.operator is False
    assert page.operator_message == operator.NOT_KEPT


def test_a_write_event_without_the_token_is_refused_even_after_unlock(monkeypatch, metric, page):
    _use_runtime(monkeypatch, metric, TOKEN)
    _call(page, "unlock", {"token": TOKEN})
    _call(page, "save_owner", "intruder@example.com")  # an event with no token: a reused session id
    assert page.operator_message == operator.NO_TOKEN
    assert _owner(metric) == "ops@example.com"
    assert _trail(metric) == []


def test_five_wrong_tokens_lock_the_connection_out_even_for_the_right_one(monkeypatch, metric, page):
    _use_runtime(monkeypatch, metric, TOKEN)
    for _ in range(5):
        _call(page, "unlock", {"token": "guess"})
    _call(page, "unlock", {"token": TOKEN})
    assert page.operator is False
    assert "Too many wrong operator tokens" in page.operator_message


def test_a_target_and_due_date_set_in_the_app_land_in_the_trail_and_the_pace_shows(monkeypatch, metric, page):
    _use_runtime(monkeypatch, metric, TOKEN)
    add_values(metric, METRIC, {back: 90.0 + 0.2 * (29 - back) for back in range(29, -1, -1)})  # 95.8 today, rising
    due = (datetime.now(timezone.utc).date() + timedelta(days=20)).isoformat()
    form = {"norm_value": "95", "alert_value": "90", "target_value": "99", "target_due_date": due}
    _call(page, "save_thresholds", {**form, "target_value": "98"}, "")  # no token: refused, nothing written
    assert page.operator_message == operator.NO_TOKEN and _trail(metric) == []
    _call(page, "save_thresholds", form, TOKEN)
    assert page.thresholds_message == "" and sorted(_trail(metric)) == ["target_due_date", "target_value"]
    # 95.8 + 0.2 × 16 = 99: on pace, meeting the target in 16 days, named on the page under the lines.
    meets = datetime.now(timezone.utc).date() + timedelta(days=16)
    assert page.header["pace"].startswith(f"on pace · trend meets the target around {meets:%d %b %Y}")
