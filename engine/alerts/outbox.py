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
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import httpx
import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy import exc as sa_exc

from engine.alerts import channels as channel_io
from engine.alerts.config import AlertConfig
from engine.core.errors import HeartbeatError

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


def ids_of(conn: Connection, idempotency_key: str) -> list[int]:
    """The outbox rows written under one idempotency key (one per channel)."""
    return list(conn.execute(text("SELECT id FROM heartbeat.alert_outbox WHERE idempotency_key = :k ORDER BY id"),
                             {"k": idempotency_key}).scalars())


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


def _lane_filter(channel: str | None, other_than: list[str] | None) -> tuple[str, dict[str, Any]]:
    """SQL and parameters restricting rows to one channel, or to channels not in ``other_than``."""
    if channel is not None:
        return "AND channel = :channel", {"channel": channel}
    if other_than is not None:
        return "AND channel <> ALL(:known)", {"known": other_than}
    return "", {}


def deliver_due(engine: Engine, config: AlertConfig, *, client: httpx.Client | None = None,
                only_ids: list[int] | None = None, channel: str | None = None,
                other_than: list[str] | None = None) -> list[Outcome]:
    """Claim the due rows (of one channel, if given) and send them once each; record sent, retry
    later, or dead-letter."""
    delivery = config.delivery
    lease = delivery.timeout_seconds * 2 + 30
    only, params = _lane_filter(channel, other_than)
    params.update({"lease": lease, "batch": BATCH})
    if only_ids is not None:
        only += " AND id = ANY(:ids)"
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


def next_due_in(engine: Engine, channel: str | None = None, other_than: list[str] | None = None) -> float | None:
    """Seconds until the next pending row is due (0 if one is due now), None when nothing is pending."""
    only, params = _lane_filter(channel, other_than)
    with engine.connect() as conn:
        seconds = conn.execute(text(
            "SELECT extract(epoch FROM min(next_attempt_at) - now()) FROM heartbeat.alert_outbox "
            f"WHERE status = 'pending' {only}"), params).scalar()
    return None if seconds is None else max(float(seconds), 0.0)


_listeners: set[threading.Event] = set()
_listeners_lock = threading.Lock()


def wake() -> None:
    """Tell the dispatchers of this process that rows were written (they also poll)."""
    with _listeners_lock:
        for event in _listeners:
            event.set()


# The lane of rows whose channel is no longer in the routing file (they fail, then dead-letter).
_OTHERS = ""


class Dispatcher:
    """Daemon threads draining the outbox: sends, backs off, dead-letters; resumes on start.

    One lane per channel: a batch waits for its slowest send, so a channel that hangs until its
    timeout must hold up only its own rows, never another channel's (measured with one lane for
    all: a webhook fell from ~900 to 3.6 messages/s while Slack hung).
    """

    def __init__(self, engine: Engine, load_config: Callable[[], AlertConfig], poll_seconds: float = 5.0) -> None:
        self.engine = engine
        self.load_config = load_config
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lanes: dict[str, threading.Thread] = {}

    def start(self) -> "Dispatcher":
        self._thread = threading.Thread(target=self._supervise, name="alert-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        wake()
        # One deadline for all lanes: a lane stuck in a hung send is a daemon thread and may be left.
        deadline = time.monotonic() + timeout
        for thread in [self._thread, *self._lanes.values()]:
            if thread is not None:
                thread.join(max(deadline - time.monotonic(), 0))

    def _config(self) -> AlertConfig | None:
        try:
            return self.load_config()
        except HeartbeatError:
            return None  # the supervisor says so; the rows wait

    def _supervise(self) -> None:
        """Keep one lane running per channel of the routing file (an edit may add one)."""
        reported: str | None = None
        while not self._stop.is_set():
            try:
                config = self.load_config()
                reported = None
                for name in [*config.channels, _OTHERS]:
                    if name not in self._lanes or not self._lanes[name].is_alive():
                        lane = threading.Thread(target=self._run, args=(name,), daemon=True,
                                                name=f"alert-dispatcher-{name or 'others'}")
                        self._lanes[name] = lane
                        lane.start()
            except HeartbeatError as exc:
                # A broken routing file: say so once, keep the rows, retry on the next tick.
                if str(exc) != reported:
                    log.error("alert dispatcher paused: %s", exc)
                    reported = str(exc)
            except Exception:
                log.exception("alert dispatcher supervisor tick failed")
            self._stop.wait(self.poll_seconds)

    def _run(self, name: str) -> None:
        wakeup = threading.Event()
        with _listeners_lock:
            _listeners.add(wakeup)
        try:
            with httpx.Client() as client:
                down = False
                while not self._stop.is_set():
                    wait = self.poll_seconds
                    try:
                        config = self._config()
                        if config is not None:
                            lane = ({"channel": name} if name != _OTHERS
                                    else {"other_than": list(config.channels)})
                            if deliver_due(self.engine, config, client=client, **lane):
                                continue  # more may be due right away
                            due = next_due_in(self.engine, **lane)
                            if due is not None:
                                wait = min(wait, max(due, 0.05))
                    except (sa_exc.OperationalError, sa_exc.InterfaceError, psycopg.OperationalError) as exc:
                        # The database is away (restarting, or gone): one line per outage, not a traceback
                        # per lane per tick; the rows wait in the outbox and go out when it is back.
                        if not down:
                            log.warning("alert dispatcher (%s): database unreachable (%s); retrying every %gs",
                                        name or "others", type(exc).__name__, self.poll_seconds)
                        down = True
                    except Exception:
                        log.exception("alert dispatcher tick failed (%s)", name or "others")
                    else:
                        if down:
                            log.warning("alert dispatcher (%s): database reachable again", name or "others")
                        down = False
                    wakeup.wait(wait)
                    wakeup.clear()
        finally:
            with _listeners_lock:
                _listeners.discard(wakeup)
