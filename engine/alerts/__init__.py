"""Alerting: the same contract as the screen, told to people through an outbox.

Modules: ``config`` (the routing file), ``machine`` (the pure state machine),
``evaluate`` (after each refresh: states + notifications in one transaction),
``messages`` (what a notification says), ``channels`` (Slack, Telegram,
webhook over HTTP), ``smtp`` (email), ``outbox`` (the dispatcher),
``operator`` (silences, acknowledgements, the overview).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Callable

from sqlalchemy import text

from engine.alerts import config as alert_config
from engine.alerts.evaluate import evaluate
from engine.alerts.outbox import Dispatcher, Outcome, deliver_due
from engine.db import Database
from engine.settings import Settings

log = logging.getLogger(__name__)

_installed: dict[str, Callable] = {}
_lock = threading.Lock()


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


def install(settings: Settings, db: Database) -> None:
    """Register the evaluation in ``refresh.AFTER_COMPUTE`` once per database (idempotent).

    The hook only writes rows; sending is the dispatcher's job, so a slow
    channel never holds up a refresh.
    """
    from engine import refresh  # engine.refresh imports this package lazily; avoid a cycle

    key = db.url().render_as_string(hide_password=True)
    with _lock:
        if key in _installed:
            return
        load = loader(settings)

        def after_compute(job_id: int, results: list) -> None:
            # The hook list is per process and knows no database; a process that serves several
            # databases (tests do) must evaluate only the one this job runs on.
            if not _runs_here(db, job_id):
                return
            summary = evaluate(db.engine(), load(), link_base=settings.link_base,
                               computed=[r.metric_id for r in results])
            if summary.transitions:
                log.info("alerts after job %s: %s", job_id, summary.transitions)

        _installed[key] = after_compute
        refresh.AFTER_COMPUTE.append(after_compute)


def _runs_here(db: Database, job_id: int) -> bool:
    """True when ``job_id`` is running in this process on ``db`` (the ledger records pid and host)."""
    try:
        with db.engine().connect() as conn:
            return conn.execute(
                text("SELECT 1 FROM heartbeat.refresh_job WHERE id = :id AND status = 'running' "
                     "AND pid = :pid AND host = :host"),
                {"id": job_id, "pid": os.getpid(), "host": socket.gethostname()},
            ).first() is not None
    except Exception:  # another process's database, or one that is gone: not ours
        log.debug("alert hook: job %s is not on %s", job_id, db.url().render_as_string(hide_password=True))
        return False


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


__all__ = ["evaluate", "install", "start_dispatcher", "dispatch_once", "Dispatcher", "loader"]
