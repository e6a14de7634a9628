"""The notification outbox and its dispatcher: at-least-once delivery that never blocks a refresh.

The evaluation writes rows in the transaction of the state change that
caused them. The dispatcher claims due rows with ``FOR UPDATE SKIP LOCKED``
and a lease (``next_attempt_at`` moves past the send timeout), so several
processes can run one each, and a row whose sender died is picked up again
when the lease runs out — on the next start at the latest.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import httpx
from sqlalchemy import Connection, Engine, text

from engine.alerts import channels as channel_io
from engine.alerts.config import AlertConfig
from engine.errors import HeartbeatError

log = logging.getLogger(__name__)

BATCH = 50
SENDERS = 4  # one slow channel must not hold up the others

_INSERT = text(
    "INSERT INTO heartbeat.alert_outbox (idempotency_key, alert_key, transition, channel, payload, status, "
    "last_error) VALUES (:key, :alert_key, :transition, :channel, CAST(:payload AS jsonb), :status, :error) "
    "ON CONFLICT (idempotency_key, channel) DO NOTHING"
)


def rows_for(config: AlertConfig, *, key: str, alert_key: str | None, transition: str,
             channels: tuple[str, ...] | list[str], payload: dict[str, Any]) -> list[dict[str, Any]]:
    """One outbox row per channel. A channel that is not configured gets a ``skipped`` row, so an
    operator sees what would have been sent and why it was not."""
    rows = []
    body = json.dumps(payload, default=str)
    for name in channels:
        channel = config.channels.get(name)
        configured = channel is not None and channel.configured
        missing = channel.missing if channel is not None else []
        rows.append({
            "key": key, "alert_key": alert_key, "transition": transition, "channel": name, "payload": body,
            "status": "pending" if configured else "skipped",
            "error": None if configured else f"not configured: set {', '.join(missing) or 'the channel'}",
        })
    return rows


def write(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert outbox rows in the caller's transaction (the one that changed the state)."""
    if rows:
        conn.execute(_INSERT, rows)
    return len(rows)


def enqueue(conn: Connection, config: AlertConfig, *, key: str, alert_key: str | None, transition: str,
            channels: tuple[str, ...] | list[str], payload: dict[str, Any]) -> int:
    """Write one row per channel in the caller's transaction; returns rows written."""
    return write(conn, rows_for(config, key=key, alert_key=alert_key, transition=transition, channels=channels,
                                payload=payload))


_CLAIM_SQL = (
    """
    UPDATE heartbeat.alert_outbox o
    SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => :lease)
    FROM (
        SELECT id FROM heartbeat.alert_outbox
        WHERE status = 'pending' AND next_attempt_at <= now() {only}
        ORDER BY id
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    ) due
    WHERE o.id = due.id
    RETURNING o.id, o.idempotency_key, o.channel, o.payload, o.attempts
    """
)


@dataclass(frozen=True)
class Outcome:
    id: int
    channel: str
    ok: bool
    error: str | None
    status: str


def deliver_due(engine: Engine, config: AlertConfig, *, client: httpx.Client | None = None,
                only_ids: list[int] | None = None) -> list[Outcome]:
    """Claim the due rows and send them once each; record sent, retry later, or dead-letter."""
    delivery = config.delivery
    lease = delivery.timeout_seconds * 2 + 30
    only = "AND id = ANY(:ids)" if only_ids is not None else ""
    params: dict[str, Any] = {"lease": lease, "batch": BATCH}
    if only_ids is not None:
        params["ids"] = only_ids
    with engine.begin() as conn:
        claimed = conn.execute(text(_CLAIM_SQL.format(only=only)), params).all()
    if not claimed:
        return []
    own_client = client is None
    client = client or httpx.Client()
    try:
        def one(row: Any) -> Outcome:
            channel = config.channels.get(row.channel)
            try:
                if channel is None:
                    raise channel_io.SendFailed(f"channel {row.channel} is no longer in the routing file")
                channel_io.send(client, channel, row.payload, row.idempotency_key, delivery.timeout_seconds)
                return Outcome(row.id, row.channel, True, None, "sent")
            except channel_io.SendFailed as exc:
                error = config.mask(str(exc))
            except Exception as exc:  # a bug in a sender must not kill the dispatcher
                error = config.mask(f"{row.channel}: unexpected {type(exc).__name__}")
            dead = row.attempts >= delivery.max_attempts
            return Outcome(row.id, row.channel, False, error, "dead" if dead else "pending")

        with ThreadPoolExecutor(max_workers=min(SENDERS, len(claimed))) as pool:
            outcomes = list(pool.map(one, claimed))
    finally:
        if own_client:
            client.close()
    attempts = {row.id: row.attempts for row in claimed}
    sent = [outcome.id for outcome in outcomes if outcome.ok]
    failed = [outcome for outcome in outcomes if not outcome.ok]
    with engine.begin() as conn:
        # Two statements per batch, not one per row: the sends are what should take the time.
        if sent:
            conn.execute(text("UPDATE heartbeat.alert_outbox SET status = 'sent', sent_at = now(), "
                              "last_error = NULL WHERE id = ANY(:ids)"), {"ids": sent})
        if failed:
            conn.execute(
                text("UPDATE heartbeat.alert_outbox SET status = :status, last_error = :error, "
                     "next_attempt_at = now() + make_interval(secs => :wait) WHERE id = :id"),
                [{"status": outcome.status, "error": outcome.error, "id": outcome.id,
                  "wait": delivery.backoff(attempts[outcome.id])} for outcome in failed],
            )
    for outcome in failed:
        log.warning("alert delivery %s to %s failed (attempt %s%s): %s", outcome.id, outcome.channel,
                    attempts[outcome.id], ", dead letter" if outcome.status == "dead" else "", outcome.error)
    return outcomes


def next_due_in(engine: Engine) -> float | None:
    """Seconds until the next pending row is due (0 if one is due now), None when nothing is pending."""
    with engine.connect() as conn:
        seconds = conn.execute(text(
            "SELECT extract(epoch FROM min(next_attempt_at) - now()) FROM heartbeat.alert_outbox "
            "WHERE status = 'pending'")).scalar()
    return None if seconds is None else max(float(seconds), 0.0)


_wake = threading.Event()


def wake() -> None:
    """Tell a dispatcher of this process that rows were written (it also polls)."""
    _wake.set()


class Dispatcher:
    """A daemon thread draining the outbox: sends, backs off, dead-letters; resumes on start."""

    def __init__(self, engine: Engine, load_config: Callable[[], AlertConfig], poll_seconds: float = 5.0) -> None:
        self.engine = engine
        self.load_config = load_config
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Dispatcher":
        self._thread = threading.Thread(target=self._run, name="alert-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        _wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        reported: str | None = None
        with httpx.Client() as client:
            while not self._stop.is_set():
                wait = self.poll_seconds
                try:
                    try:
                        config = self.load_config()
                    except HeartbeatError as exc:
                        # A broken routing file: say so once, keep the rows, retry on the next tick.
                        if str(exc) != reported:
                            log.error("alert dispatcher paused: %s", exc)
                            reported = str(exc)
                        _wake.wait(wait)
                        _wake.clear()
                        continue
                    reported = None
                    if deliver_due(self.engine, config, client=client):
                        continue  # more may be due right away
                    due = next_due_in(self.engine)
                    if due is not None:
                        wait = min(wait, max(due, 0.05))
                except Exception:  # the database may be briefly away; try again on the next tick
                    log.exception("alert dispatcher tick failed")
                _wake.wait(wait)
                _wake.clear()
