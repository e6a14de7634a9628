"""Fixtures for alert tests: real HTTP receivers on localhost standing in for Slack, Telegram and a webhook."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from engine.alerts import config as alert_config
from engine.core.db import Database
from engine.metrics.registry import sync
from tests.support.receiver import Receiver
from tests.conftest import scratch_database
from tests.metrics.conftest import MetricFolder


@pytest.fixture()
def receivers():
    made: list[Receiver] = []

    def make(script: list[Any] | None = None) -> Receiver:
        made.append(Receiver(script))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture()
def alert_db(server: Database):
    """A migrated database of its own."""
    with scratch_database(server, "hb_alerts") as database:
        yield database


@pytest.fixture()
def metrics(alert_db: Database, tmp_path: Path):
    folder = MetricFolder(tmp_path / "metrics")
    folder.path.mkdir()
    return Metrics(alert_db, folder)


class Metrics:
    """Hand-built metrics: files synced into the registry, values written straight into history."""

    def __init__(self, db: Database, folder: MetricFolder) -> None:
        self.db, self.folder = db, folder

    def add(self, metric_id: str, *, owner: str | None = None, **fields: str | None) -> None:
        self.folder.write(metric_id, **fields)
        sync(self.db.engine(), self.folder.path)
        if owner:
            with self.db.engine().begin() as conn:
                conn.execute(text("UPDATE heartbeat.metric_registry SET owner = :o WHERE id = :id"),
                             {"o": owner, "id": metric_id})

    def value(self, metric_id: str, value: float | None, *, error: str | None = None,
              as_of: datetime | None = None, day: date | None = None) -> None:
        with self.db.engine().begin() as conn:
            conn.execute(text(
                "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of, error) "
                "VALUES (:id, :day, :value, 'green', :as_of, :error) ON CONFLICT (metric_id, day) DO UPDATE "
                "SET value = coalesce(EXCLUDED.value, heartbeat.metric_history.value), error = EXCLUDED.error, "
                "source_as_of = EXCLUDED.source_as_of, computed_at = now()"),
                {"id": metric_id, "day": day or datetime.now(timezone.utc).date(), "value": value,
                 "as_of": as_of or datetime.now(timezone.utc), "error": error})

    def synced(self, source: str, schema: str, started_at: datetime, status: str = "succeeded") -> None:
        with self.db.engine().begin() as conn:
            conn.execute(text(
                "INSERT INTO heartbeat.source_sync (source, schema_name, dataset, status, started_at, finished_at) "
                "VALUES (:s, :sc, :s || '_' || :sc, :st, :at, :at)"),
                {"s": source, "sc": schema, "st": status, "at": started_at})

    def outbox(self) -> list[dict[str, Any]]:
        with self.db.engine().connect() as conn:
            return [dict(r) for r in conn.execute(text(
                "SELECT * FROM heartbeat.alert_outbox ORDER BY id")).mappings()]


def make_config(*, slack: Receiver | None = None, telegram: Receiver | None = None,
                webhook: Receiver | None = None, routes: list[dict] | None = None, rules: dict | None = None,
                delivery: dict | None = None, slack_url: str | None = None) -> alert_config.AlertConfig:
    """A routing config whose channels point at local receivers (secrets passed as the environment)."""
    env: dict[str, str] = {}
    channels: dict[str, Any] = {}
    if slack is not None or slack_url:
        channels["slack"] = {"type": "slack", "url_env": "T_SLACK_URL"}
        env["T_SLACK_URL"] = slack_url or f"{slack.url}/services/T000/B000/slack-secret-path"
    if telegram is not None:
        channels["telegram"] = {"type": "telegram", "bot_token_env": "T_TG_TOKEN", "chat_id_env": "T_TG_CHAT",
                                "api_base": telegram.url}
        env |= {"T_TG_TOKEN": "123456:telegram-secret-token", "T_TG_CHAT": "-1001"}
    if webhook is not None:
        channels["webhook"] = {"type": "webhook", "url_env": "T_HOOK_URL"}
        env["T_HOOK_URL"] = f"{webhook.url}/hook"
    data = {
        "channels": channels,
        "rules": {"clear": 2, "error_after": 3, **(rules or {})},
        "delivery": {"backoff": "20ms", "backoff_max": "100ms", "timeout": "2s", **(delivery or {})},
        "routes": routes or [{"default": True, "channels": list(channels)}],
    }
    return alert_config.parse(data, env)
