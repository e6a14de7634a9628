"""Guessing the operator token over the REST API: a brute force from one address is locked out (429 with
Retry-After, one aggregated log line, never the token), while the operator at another address still writes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from engine.core.settings import load_settings
from engine.runtime import Runtime
from tests.conftest import app_environ
from tests.support.databases import scratch_database
from tests.support.factories import MetricFolder, add_metric
from tests.support.served_api import ServedApi, auth

OPERATOR = "api-guessing-operator-token-0123456789"
SILENCE = {"tag": "guessing-test", "reason": "brute-force replay",
           "ends_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()}


@pytest.fixture()
def served(server, tmp_path):
    with scratch_database(server, "hb_guess") as db:
        add_metric(db, MetricFolder(tmp_path / "metrics"), "approval", tags="[guessing-test]")
        settings = load_settings(app_environ(db, HEARTBEAT_OPERATOR_TOKEN=OPERATOR))
        with ServedApi(Runtime(settings=settings, db=db)) as api:
            yield api


def _client(served: ServedApi, address: str) -> httpx.Client:
    """A client whose connections leave from ``address`` (any 127.x.y.z reaches the server on 127.0.0.1)."""
    return httpx.Client(base_url=served.url, timeout=30, transport=httpx.HTTPTransport(local_address=address))


def test_a_brute_force_of_operator_tokens_is_locked_out_per_address(served, caplog):
    with _client(served, "127.0.0.2") as attacker, _client(served, "127.0.0.3") as operator:
        answers = [attacker.post("/api/alerts/silences", json=SILENCE, headers=auth(f"guess-{n:04d}"))
                   for n in range(12)]
        codes = [a.status_code for a in answers]
        assert codes[:5] == [403] * 5, codes  # five wrong guesses are told "wrong"
        assert codes[5:] == [429] * 7, codes  # then every attempt is refused without being checked
        refused = answers[-1]
        assert 240 <= int(refused.headers["retry-after"]) <= 300
        assert "too many wrong operator tokens" in refused.json()["error"]
        # The right token from the locked address is refused as well: a guess that hits gets no signal.
        right_from_attacker = attacker.post("/api/alerts/silences", json=SILENCE, headers=auth(OPERATOR))
        assert right_from_attacker.status_code == 429

        # The operator, elsewhere, is not locked out by someone else's guessing.
        written = operator.post("/api/alerts/silences", json=SILENCE, headers=auth(OPERATOR))
        assert written.status_code == 201, written.text

    # One aggregated warning for all of it, naming the address and never a presented token.
    served_app_log = served.server.config.app.state.operator_attempts[1]
    with caplog.at_level(logging.WARNING, logger="engine.api.deps"):
        served_app_log.flush()
    lines = [r.getMessage() for r in caplog.records if r.name == "engine.api.deps"]
    assert len(lines) == 1, lines
    assert "5 wrong and 8 refused" in lines[0] and "127.0.0.2 x13" in lines[0] and "1 lockout(s)" in lines[0]
    assert OPERATOR not in lines[0] and "guess-" not in lines[0]


def test_a_missing_token_is_not_counted_as_a_guess(served):
    with _client(served, "127.0.0.4") as client:
        for _ in range(8):
            assert client.post("/api/alerts/silences", json=SILENCE).status_code == 401
        assert client.post("/api/alerts/silences", json=SILENCE, headers=auth(OPERATOR)).status_code == 201
