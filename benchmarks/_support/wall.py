"""A wall of 40 hand-built metrics served by the real app, and websocket sessions that open it as a TV tab
does: what the session and TV-fleet benchmarks share."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil
from sqlalchemy import text

from engine.core.db import Database, open_database
from engine.core.settings import load_settings
from engine.store.write_guard import open_for_sync
from tests.security.raw_socket import RawSession
from tests.support.databases import scratch_database
from tests.support.running_app import ROOT, RunningApp

TEST_DATA_DIR = ROOT / ".heartbeat" / "test"
ROOT_STATE = "reflex___state____state"
METRICS = 40


def _fill(db: Database) -> None:
    with db.engine().begin() as conn:
        open_for_sync(conn)
        for i in range(METRICS):
            value = [99, 93, 50][i % 3]
            conn.execute(text(
                "INSERT INTO heartbeat.metric_registry (id, name, value_sql, period, unit, direction, norm_value, "
                "alert_value, config_hash, definition_hash) VALUES (:id, :name, 'SELECT 1', '24h', 'percent', "
                "'higher_is_better', 95, 90, 'h', 'd')"), {"id": f"metric_{i:02d}", "name": f"Metric number {i}"})
            conn.execute(text(
                "INSERT INTO heartbeat.metric_history (metric_id, day, value, status, source_as_of) "
                "VALUES (:id, current_date, :v, 'x', now())"), {"id": f"metric_{i:02d}", "v": value})
        conn.execute(text("INSERT INTO heartbeat.refresh_job (trigger, requested, status, phase, finished_at) "
                          "VALUES ('cron', '\"all\"', 'succeeded', 'done', now())"))


@contextmanager
def wall(test_data_dir: Path, prefix: str, *, interval: float, sessions: int) -> Iterator[tuple[Database, dict[str, str]]]:
    """A scratch database on the test PostgreSQL server holding the wall (green, amber and red tiles, one
    finished refresh), and the environment of a `heartbeat serve` over it that lets ``sessions`` tabs in and
    refreshes every ``interval`` seconds (no scheduler, no metric files); dropped afterwards."""
    server = open_database(load_settings({"HEARTBEAT_DATA_DIR": str(test_data_dir), "HEARTBEAT_DATABASE_URL": ""}))
    try:
        with scratch_database(server, prefix, name=f"{prefix}_{uuid.uuid4().hex[:6]}") as db:
            _fill(db)
            (test_data_dir / "no-metrics").mkdir(parents=True, exist_ok=True)
            yield db, {
                "HEARTBEAT_DATABASE_URL": db.url().render_as_string(hide_password=False),
                "HEARTBEAT_DATA_DIR": str(test_data_dir), "HEARTBEAT_METRICS_DIR": str(test_data_dir / "no-metrics"),
                "HEARTBEAT_TV_REFRESH_SECONDS": str(interval), "HEARTBEAT_SCHEDULER": "off",
                "HEARTBEAT_MAX_SESSIONS_PER_ADDRESS": str(sessions + 10),
            }
    finally:
        server.dispose()


def open_tab(app: RunningApp, timeout: float = 60) -> RawSession:
    """A websocket session that hydrates and loads `/`, as a tab does (its refresh loop starts), once the
    wall has arrived."""
    session = RawSession("127.0.0.1", app.port, str(uuid.uuid4()))
    session.emit(f"{ROOT_STATE}.hydrate_and_load", {}, "/")
    session.wait_for(lambda frame: "metric_0" in frame or "Metric number" in frame, timeout=timeout)
    return session


def memory_kb(app: RunningApp) -> float:
    """Memory of the app and all its children (heartbeat serve, reflex run, the web server's workers).

    PSS, not RSS: the workers are forked from the process that prepared the app, so a page they share counts
    once, and a page a session's objects make private (copy-on-write) counts in full; a sum of RSS would count
    the shared pages once per process and never see those copies. RSS where PSS cannot be read."""
    parent = psutil.Process(app.process.pid)
    total = 0
    for proc in [parent, *parent.children(recursive=True)]:
        try:
            try:
                total += proc.memory_full_info().pss
            except (psutil.AccessDenied, AttributeError):
                total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total / 1024


def offer_compression_like_a_browser() -> None:
    """Chromium offers permessage-deflate on every websocket; the raw client would not (a server that accepts
    it keeps a zlib context per connection, which is part of what a real tab costs)."""
    import simple_websocket.ws
    from wsproto.extensions import PerMessageDeflate

    plain = simple_websocket.ws.Request

    class Offering(plain):
        def __init__(self, **kw):
            # A fresh extension per connection: it holds that connection's compression state.
            super().__init__(extensions=[PerMessageDeflate()], **kw)

    if simple_websocket.ws.Request is plain and plain.__name__ == "Request":
        simple_websocket.ws.Request = Offering
