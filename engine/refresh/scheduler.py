"""The in-process scheduler: hourly refresh, daily bands, daily snapshots — with one leader.

Every app process (and `heartbeat scheduler`) runs a ``Scheduler``; only the
one holding a Postgres advisory lock schedules anything. When the leader dies
its connection closes, the lock frees, and another process takes over within
``FOLLOW_SECONDS``. Missed runs coalesce: a machine that slept through twelve
ticks runs one catch-up, not twelve.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, text

from engine import refresh
from engine.core.db import Database
from engine.core.settings import Settings
from engine.metrics import bands, compute
from engine.refresh import RefreshRequest

log = logging.getLogger(__name__)

LEADER_KEY = 0x4842_5343  # "HBSC"
# The lease: how often a follower tries to take over, and the leader beats. A killed leader's lock frees at
# once (its connection closes), so a standby leads within one lease; a vanished host's within one lease plus
# KEEPALIVE_SECONDS (the server's keepalive ends the dead session).
FOLLOW_SECONDS = 10.0
KEEPALIVE_SECONDS = 11.0  # tcp_keepalives_idle 5 + interval 2 × count 3
MISFIRE_GRACE_SECONDS = 6 * 3600


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    cron: str
    description: str
    run: Callable[[], str]


def _recorded(engine: Engine, job_id: str, body: Callable[[], str]) -> Callable[[], None]:
    """Wrap a job so each run lands in scheduler_run with its outcome."""

    def wrapper() -> None:
        with engine.begin() as conn:
            run_id = conn.execute(
                text("INSERT INTO heartbeat.scheduler_run (job) VALUES (:job) RETURNING id"), {"job": job_id}
            ).scalar_one()
        try:
            detail, outcome = body(), "ok"
        except Exception as exc:  # recorded and logged; the schedule goes on
            log.exception("scheduled job %s failed", job_id)
            detail, outcome = f"{type(exc).__name__}: {exc}"[:500], "failed"
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE heartbeat.scheduler_run SET finished_at = now(), outcome = :o, detail = :d WHERE id = :id"),
                {"o": outcome, "d": detail, "id": run_id},
            )

    return wrapper


def _nothing() -> str:
    return "nothing to do"


def default_jobs(settings: Settings, db: Database, make_context: Callable[[], refresh.RefreshContext], *,
                 audit: Callable[[], str] = _nothing, segments: Callable[[], str] = _nothing) -> list[ScheduledJob]:
    """Heartbeat's schedules; ``make_context`` builds the refresh context, ``audit`` and ``segments`` are the
    bodies of the audit-snapshot and client-segment jobs — all from the composition root
    (``engine/runtime/wiring.py``), since this layer may not import ``engine.audit``."""

    def run_refresh() -> str:
        started, state = refresh.run(make_context(), RefreshRequest("all", "cron"))
        if started.coalesced:
            return f"joined running job {started.job_id}"
        return f"job {started.job_id} {state.status if state else '?'}"

    def run_benchmarks() -> str:
        learned = bands.refresh(db.engine(), compute.today())
        return f"{sum(not b.learning for b in learned)} bands, {sum(b.learning for b in learned)} learning"

    return [
        ScheduledJob("refresh", settings.schedule_refresh, "ingest + compute every metric", run_refresh),
        ScheduledJob("benchmarks", settings.schedule_benchmarks, "bands of benchmarked metrics", run_benchmarks),
        ScheduledJob("segments", settings.schedule_segments, "client-segment snapshot", segments),
        ScheduledJob("audit", settings.schedule_audit, "audit cut snapshots (every cut × window)", audit),
    ]


class Scheduler:
    """Leader election plus an APScheduler that runs only while this process leads."""

    def __init__(self, db: Database, jobs: list[ScheduledJob]) -> None:
        self.db = db
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_conn: psycopg.Connection | None = None
        self._aps: BackgroundScheduler | None = None

    @property
    def leading(self) -> bool:
        return self._aps is not None

    def start(self) -> None:
        """Start following (and leading when possible) in a background thread."""
        self._thread = threading.Thread(target=self._loop, name="scheduler-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=FOLLOW_SECONDS + 5)
        self._resign()

    def _try_lead(self) -> bool:
        try:
            # Keepalives both ways: a leader whose host vanishes (no FIN, unlike a killed process) loses the
            # lock within ~KEEPALIVE_SECONDS, and a leader cut off from the server notices it as quickly.
            conn = psycopg.connect(self.db.dsn(), autocommit=True, connect_timeout=10, keepalives=1,
                                   keepalives_idle=5, keepalives_interval=2, keepalives_count=3)
            conn.execute("SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; "
                         "SET tcp_keepalives_count = 3")
        except psycopg.Error:
            return False
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_KEY,)).fetchone()[0]:
            self._lock_conn = conn
            return True
        conn.close()
        return False

    def _beat(self, first: bool = False) -> None:
        with self.db.engine().begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO heartbeat.scheduler_leader (id, pid, host, since, heartbeat_at) "
                    "VALUES (1, :pid, :host, now(), now()) ON CONFLICT (id) DO UPDATE SET pid = EXCLUDED.pid, "
                    "host = EXCLUDED.host, heartbeat_at = now()"
                    + (", since = now()" if first else "")
                ),
                {"pid": os.getpid(), "host": socket.gethostname()},
            )

    def _lead(self) -> None:
        aps = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        engine = self.db.engine()
        for job in self.jobs:
            aps.add_job(_recorded(engine, job.id, job.run), CronTrigger.from_crontab(job.cron, timezone="UTC"),
                        id=job.id, name=job.description)
        aps.start()
        self._aps = aps
        self._beat(first=True)
        log.info("scheduler: this process (%s) leads", os.getpid())

    def _resign(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        if self._lock_conn is not None:
            try:
                self._lock_conn.close()
            finally:
                self._lock_conn = None

    def _still_holding(self) -> bool:
        try:
            assert self._lock_conn is not None
            self._lock_conn.execute("SELECT 1")
            return True
        except Exception:
            return False

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.leading:
                    if self._try_lead():
                        self._lead()
                elif self._still_holding():
                    self._beat()
                else:
                    log.warning("scheduler: lost the leader lock; following again")
                    self._resign()
            except Exception:
                log.exception("scheduler leader loop")
                self._resign()
            self._stop.wait(FOLLOW_SECONDS)

    def next_runs(self) -> dict[str, datetime | None]:
        """Next run time of each job, when this process leads (else computed from the cron)."""
        if self._aps is not None:
            return {job.id: job.next_run_time for job in self._aps.get_jobs()}
        now = datetime.now(timezone.utc)
        return {job.id: CronTrigger.from_crontab(job.cron, timezone="UTC").get_next_fire_time(None, now)
                for job in self.jobs}


def status(engine: Engine, jobs: list[ScheduledJob], now: datetime | None = None) -> dict[str, Any]:
    """The scheduler as any process sees it: leader, its heartbeat, each job's next run and last outcome."""
    now = now or datetime.now(timezone.utc)
    with engine.connect() as conn:
        leader = conn.execute(text("SELECT pid, host, since, heartbeat_at FROM heartbeat.scheduler_leader")).first()
        last = {
            row.job: row
            for row in conn.execute(
                text(
                    "SELECT DISTINCT ON (job) job, started_at, finished_at, outcome, detail "
                    "FROM heartbeat.scheduler_run ORDER BY job, started_at DESC"
                )
            )
        }
    alive = leader is not None and (now - leader.heartbeat_at).total_seconds() < 3 * FOLLOW_SECONDS
    return {
        "leader": None if leader is None else {
            "pid": leader.pid, "host": leader.host, "since": leader.since, "heartbeat_at": leader.heartbeat_at,
            "alive": alive,
        },
        "lease_seconds": FOLLOW_SECONDS,
        "jobs": [
            {
                "id": job.id,
                "cron": job.cron,
                "description": job.description,
                "next_run_at": CronTrigger.from_crontab(job.cron, timezone="UTC").get_next_fire_time(None, now),
                "last_run": None if job.id not in last else {
                    "started_at": last[job.id].started_at, "finished_at": last[job.id].finished_at,
                    "outcome": last[job.id].outcome, "detail": last[job.id].detail,
                },
            }
            for job in jobs
        ],
    }
