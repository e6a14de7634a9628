"""Alerting: the same contract as the screen, told to people through an outbox.

May import ``engine.read``, ``engine.ingest.ledger``, ``engine.contract`` and ``engine.core`` — never
``engine.refresh``: a refresh reaches alerting through the hook ``evaluator`` returns, wired by
``engine.runtime.wiring``.

Modules: ``config`` (the routing file), ``machine`` (the pure state machine),
``evaluate`` (after each refresh: states + notifications in one transaction),
``messages`` (what a notification says), ``channels/`` (HTTP: Slack, Telegram,
webhook; SMTP: email), ``outbox`` (the dispatcher), ``silences`` (silences,
acknowledgements, the overview).
"""

from __future__ import annotations

import logging
from typing import Callable

from engine.alerts import config as alert_config
from engine.alerts.evaluate import evaluate
from engine.alerts.outbox import Dispatcher, Outcome, deliver_due
from engine.core.db import Database
from engine.core.settings import Settings

log = logging.getLogger(__name__)

def loader(settings: Settings) -> Callable[[], alert_config.AlertConfig]:
    """Read the routing file on each use: it is small, and an edit takes effect on the next refresh.

    A broken edit must not silence alerting: the last valid routing stays in force (said once in
    the log, and shown by GET /api/alerts as ``config_error``) until the file is fixed.
    """
    last: dict[str, object] = {}

    def load() -> alert_config.AlertConfig:
        try:
            config = alert_config.load(settings.alerts_file)
        except alert_config.AlertConfigError as exc:
            if "config" not in last:
                raise
            if last.get("reported") != str(exc):
                log.error("%s — alerts keep the last valid routing until it is fixed", exc)
                last["reported"] = str(exc)
            return last["config"]  # type: ignore[return-value]
        last["config"], last["reported"] = config, None
        return config

    return load


def evaluator(settings: Settings, db: Database) -> Callable[[int, list], None]:
    """The after-compute hook of a refresh on ``db``: evaluate the rules of the metrics it computed.

    The hook only writes rows; sending is the dispatcher's job, so a slow
    channel never holds up a refresh.
    """
    load = loader(settings)

    def after_compute(job_id: int, results: list) -> None:
        summary = evaluate(db.engine(), load(), link_base=settings.link_base,
                           computed=[r.metric_id for r in results])
        if summary.transitions:
            log.info("alerts after job %s: %s", job_id, summary.transitions)

    return after_compute


def start_dispatcher(settings: Settings, db: Database) -> Dispatcher:
    """The outbox dispatcher of this process; it resumes whatever an earlier process left pending."""
    return Dispatcher(db.engine(), loader(settings)).start()


def dispatch_once(settings: Settings, db: Database, *, passes: int = 10) -> list[Outcome]:
    """Send what is due now, one attempt per row, and return — for processes that exit (the CLI).

    A row that fails keeps its backoff and stays pending for a running dispatcher (app or
    ``heartbeat scheduler``) or the next call; rows being sent by another process are leased and
    skipped, so this is safe beside a running dispatcher.
    """
    config = loader(settings)()
    outcomes: list[Outcome] = []
    for _ in range(passes):  # a pass claims at most one batch; a failed row is not due again at once
        sent = deliver_due(db.engine(), config)
        if not sent:
            break
        outcomes.extend(sent)
    return outcomes


__all__ = ["evaluate", "evaluator", "start_dispatcher", "dispatch_once", "Dispatcher", "loader"]
