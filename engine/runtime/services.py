"""What an app process does at start and stop: migrate, notice dead jobs, run the scheduler.

Called from the UI's lifespan task (never at import time), once per worker.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass

from engine import alerts, refresh, runtime
from engine.alerts.outbox import Dispatcher
from engine.audit import registry as audit_registry
from engine.core.embedded import pid_alive
from engine.core.logs import setup_logging
from engine.refresh.scheduler import Scheduler
from engine.runtime import wiring
from engine.store import migrations, roles

log = logging.getLogger(__name__)


@dataclass
class AppServices:
    scheduler: Scheduler | None
    dispatcher: Dispatcher | None = None

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop()


def start() -> AppServices:
    """Prepare the database, start the alert dispatcher and the scheduler (it leads only if no other process does)."""
    rt = runtime.get()
    setup_logging(rt.settings)
    rt.db.ensure_database()
    migrations.upgrade(rt.db.engine())
    problem = roles.ensure_compute_role(rt.db, rt.settings.marts_database, rt.settings.compute_database_url)
    if problem:
        log.warning("metrics cannot compute: %s", problem)
    if rt.settings.parent_pid:
        watch_parent(rt.settings.parent_pid)
    abandoned = refresh.mark_abandoned(rt.db)
    if abandoned:
        log.warning("%s refresh job(s) were left running by a process that stopped; marked abandoned", abandoned)
    sync_cuts(rt.settings, rt.db)
    # The dispatcher resumes rows an earlier process left.
    dispatcher = alerts.start_dispatcher(rt.settings, rt.db)
    scheduler = None
    if rt.settings.scheduler:
        scheduler = Scheduler(rt.db, wiring.scheduled_jobs(rt.settings, rt.db))
        scheduler.start()
    return AppServices(scheduler, dispatcher)


def sync_cuts(settings, db) -> None:
    """Registry sync of cuts/ on start: a broken cut file is logged (naming it) and leaves the registry as it was."""
    try:
        report = audit_registry.sync(db.engine(), settings.cuts_dir)
        log.info("audit cuts synced: %s active", len(report.definitions))
    except Exception as exc:
        log.warning("audit cut registry not synced on start: %s", exc)


def watch_parent(pid: int, every: float = 1.0) -> threading.Thread:
    """Stop this app (its whole process group: `reflex run` and its server) once ``pid`` is gone.

    ``heartbeat serve`` starts the app in a session of its own and names itself in
    HEARTBEAT_PARENT_PID; after a ``kill -9`` of it, the app would otherwise keep the
    port and the scheduler lease. SIGTERM lets the app stop its services cleanly.
    """
    def run() -> None:
        while pid_alive(pid):
            threading.Event().wait(every)
        log.warning("heartbeat serve (pid %s) is gone; stopping this app with it", pid)
        try:
            os.killpg(os.getpgrp(), signal.SIGTERM)
        except OSError:
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=run, name="parent-watch", daemon=True)
    thread.start()
    return thread
