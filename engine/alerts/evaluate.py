"""Evaluate alerts after a refresh: judge each computed metric with the read model, step its state machine,
and write the state and its notifications in one transaction.

The status comes from ``cards.metric_cards`` — the contract's function,
against the registry's current thresholds — so an alert can never disagree
with the tile. This module only decides *when to tell whom*.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, text

from engine import contract
from engine.alerts import messages, outbox
from engine.alerts.config import AlertConfig, Worsening
from engine.alerts.machine import Reading, Rule, State, Step, step
from engine.core import formatting
from engine.ingest import ledger
from engine.read.cards import MetricCard, metric_cards
from engine.read.evidence import first_cut_evidence
from engine.read.streaks import Streak, current_streaks

log = logging.getLogger(__name__)

BAD_STATUSES = ("red", "amber")


@dataclass
class Summary:
    transitions: dict[str, str] = field(default_factory=dict)  # alert key → transition
    notifications: int = 0
    held_back: list[str] = field(default_factory=list)  # metrics whose value alerts stale data suppressed
    silenced: list[str] = field(default_factory=list)


_STATE_COLUMNS = ("state", "severity", "bad_count", "good_count", "episode", "reminders", "since", "fired_at",
                  "resolved_at", "last_notified_at")
# What the last message told (State.told_*) is kept in the row's ``detail`` under "told", not in columns.

_UPSERT = text(
    """
    INSERT INTO heartbeat.alert_state (key, kind, subject, state, severity, bad_count, good_count, episode,
        reminders, since, fired_at, resolved_at, last_notified_at, suppressed_by, detail, updated_at)
    VALUES (:key, :kind, :subject, :state, :severity, :bad_count, :good_count, :episode, :reminders, :since,
        :fired_at, :resolved_at, :last_notified_at, :suppressed_by, CAST(:detail AS jsonb), :now)
    ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, severity = EXCLUDED.severity,
        bad_count = EXCLUDED.bad_count, good_count = EXCLUDED.good_count, episode = EXCLUDED.episode,
        reminders = EXCLUDED.reminders, since = EXCLUDED.since, fired_at = EXCLUDED.fired_at,
        resolved_at = EXCLUDED.resolved_at, last_notified_at = EXCLUDED.last_notified_at,
        suppressed_by = EXCLUDED.suppressed_by, detail = EXCLUDED.detail, updated_at = EXCLUDED.updated_at,
        -- an acknowledgement ends with the episode it acknowledged
        acked_by = CASE WHEN EXCLUDED.state IN ('ok', 'resolved') THEN NULL ELSE heartbeat.alert_state.acked_by END,
        ack_comment = CASE WHEN EXCLUDED.state IN ('ok', 'resolved') THEN NULL
                           ELSE heartbeat.alert_state.ack_comment END,
        acked_until = CASE WHEN EXCLUDED.state IN ('ok', 'resolved') THEN NULL
                           ELSE heartbeat.alert_state.acked_until END
    """
)


def _active_silences(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(
        "SELECT id, metric_id, tag, reason, created_by, ends_at FROM heartbeat.alert_silence "
        "WHERE created_at <= :now AND ends_at > :now"), {"now": now}).mappings()]


def silenced_by(silences: list[dict[str, Any]], metric_id: str, tags: Iterable[str]) -> dict[str, Any] | None:
    tags = set(tags)
    for silence in silences:
        if silence["metric_id"] == metric_id or (silence["tag"] and silence["tag"] in tags):
            return silence
    return None


class _Writer:
    """Collects state rows and notifications of one evaluation; flushes them in the caller's transaction."""

    def __init__(self, conn: Connection, config: AlertConfig, prior: dict[str, Any], now: datetime,
                 summary: Summary) -> None:
        self.conn, self.config, self.prior, self.now, self.summary = conn, config, prior, now, summary
        self.rows: list[dict[str, Any]] = []
        self.pending: list[tuple] = []

    def state_of(self, key: str) -> tuple[State, Any]:
        row = self.prior.get(key)
        if row is None:
            return State(), None
        told = (row["detail"] or {}).get("told") or {}
        return State(**{c: row[c] for c in _STATE_COLUMNS},
                     told_value=told.get("value"), told_z=told.get("z"),
                     told_at=datetime.fromisoformat(told["at"]) if told.get("at") else None,
                     worsened=int(told.get("worsened") or 0)), row

    def record(self, key: str, kind: str, subject: str, result: Step, detail: dict[str, Any],
               suppressed_by: str | None = None) -> None:
        state = result.state
        if state.told_at is not None:
            detail = {**detail, "told": {"value": state.told_value, "z": state.told_z,
                                         "at": state.told_at.isoformat(), "worsened": state.worsened}}
        self.rows.append({"key": key, "kind": kind, "subject": subject, **{c: getattr(state, c) for c in
                          _STATE_COLUMNS}, "suppressed_by": suppressed_by,
                          "detail": json.dumps(detail, default=str), "now": self.now})
        if result.transition:
            self.summary.transitions[key] = result.transition

    def notify(self, key: str, state: State, transition: str, channels: tuple[str, ...],
               payload: dict[str, Any], group: str | None = None) -> None:
        suffix = f"{transition}{state.reminders}" if transition == "reminder" else transition
        if transition == "worse":
            suffix = f"worse{state.worsened}"
        if transition == "escalated":
            suffix = f"escalated-{state.severity}"
        self.pending.append((f"{key}:{state.episode}:{suffix}", key, transition, channels,
                             {**payload, "alert_key": key}, group))

    def flush(self) -> None:
        if self.rows:
            self.conn.execute(_UPSERT, self.rows)
        groups: dict[tuple, list] = defaultdict(list)
        for note in self.pending:
            ident, key, transition, channels, payload, group = note
            groups[(group, transition, channels) if group else (ident,)].append(note)
        rows: list[dict[str, Any]] = []
        for members in groups.values():
            ident, key, transition, channels, payload, group = members[0]
            if len(members) > 1:
                # One message for the group; its key is derived from its members', so a retry of the same
                # evaluation can never yield a second row.
                digest = hashlib.sha1("|".join(sorted(m[0] for m in members)).encode()).hexdigest()[:16]
                ident, key = f"group:{group}:{transition}:{digest}", None
                payload = messages.group_message([m[4] for m in members], transition)
            rows.extend(outbox.rows_for(self.config, key=ident, alert_key=key, transition=transition,
                                        channels=channels, payload=payload))
        self.summary.notifications += outbox.write(self.conn, rows)


def _acked(row: Any, now: datetime) -> bool:
    return row is not None and row["acked_until"] is not None and row["acked_until"] > now


def evaluate(engine: Engine, config: AlertConfig, *, link_base: str, computed: Iterable[str] | None = None,
             now: datetime | None = None) -> Summary:
    """Step every alert the latest computations inform; ``computed``: the metrics this refresh computed
    (None: all). Staleness is judged for every (source, schema) that active metrics read."""
    now = now or datetime.now(timezone.utc)
    summary = Summary()
    cards = {card.id: card for card in metric_cards(engine, now, history_days=0)}
    with engine.connect() as conn:
        reads = {row.id: [tuple(s.split(".", 1)) for s in (row.source_schemas or []) if "." in s]
                 for row in conn.execute(text(
                     "SELECT id, source_schemas FROM heartbeat.metric_registry WHERE retired_at IS NULL"))}
    syncs = ledger.last_syncs(engine)
    # The first cut of each metric and its top rows, quoted by value alerts (read before the lock: snapshots only).
    proof = first_cut_evidence(engine, list(cards), link_base)
    # How long each bad metric has been bad, from its history ("red since …"; read before the lock too).
    judged = None if computed is None else set(computed)
    streaks = current_streaks(engine, [c for i, c in cards.items() if judged is None or i in judged])
    readers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for metric_id, pairs in reads.items():
        if metric_id in cards:
            for pair in pairs:
                readers[pair].append(metric_id)

    with engine.begin() as conn:
        # One evaluation at a time (the refresh is single-flight, but an API call may evaluate too).
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": 0x4842_414C})  # "HBAL"
        prior = {row["key"]: row for row in conn.execute(
            text("SELECT * FROM heartbeat.alert_state")).mappings()}
        silences = _active_silences(conn, now)
        writer = _Writer(conn, config, prior, now, summary)
        stale = _evaluate_stale(writer, cards, readers, syncs, silences, link_base)
        ids = list(cards) if computed is None else [i for i in computed if i in cards]
        for metric_id in ids:
            _evaluate_metric(writer, cards[metric_id], reads.get(metric_id, []), stale, silences, link_base,
                             proof.get(metric_id), streaks.get(metric_id))
        writer.flush()
        _expired_silences(writer, cards, link_base)
    if summary.notifications:
        outbox.wake()
    return summary


def _evaluate_stale(writer: _Writer, cards: dict[str, Any], readers: dict[tuple[str, str], list[str]],
                    syncs: dict[tuple[str, str], Any], silences: list[dict[str, Any]],
                    link_base: str) -> set[tuple[str, str]]:
    """One alert per (source, schema) whose last successful sync is older than its readers allow."""
    config, now = writer.config, writer.now
    stale: set[tuple[str, str]] = set()
    for pair, metric_ids in sorted(readers.items()):
        last = syncs.get(pair)
        if last is None:
            continue  # never attempted: no ledger, nothing to judge
        # The shortest limit of the metrics reading it: the most demanding reader decides.
        limit = min(contract.FRESHNESS_LIMITS[cards[i].period].stale_after for i in metric_ids)
        bad = last.last_success_at is None or now - last.last_success_at > limit
        if bad:
            stale.add(pair)
        key = f"stale:{pair[0]}.{pair[1]}"
        prev, row = writer.state_of(key)
        result = step(prev, bad, "stale", Rule(config.pending.get("stale", 1), 1, config.reminders), now,
                      remind=not _acked(row, now))
        owners = sorted({cards[i].owner for i in metric_ids if cards[i].owner})
        routes = [config.route_for(i, cards[i].tags) for i in metric_ids]
        channels = tuple(dict.fromkeys(c for r in routes if "stale" in r.severities for c in r.channels))
        payload = messages.stale_message(pair[0], pair[1], last.last_success_at, limit.total_seconds(), owners,
                                         sorted(metric_ids), result.transition or "firing", link_base,
                                         result.state.fired_at, now)
        writer.record(key, "stale", f"{pair[0]}.{pair[1]}", result, payload)
        all_silenced = all(silenced_by(silences, i, cards[i].tags) for i in metric_ids)
        if result.transition and channels:
            if all_silenced:
                writer.summary.silenced.append(key)
            else:
                writer.notify(key, result.state, result.transition, channels, payload)
    return stale


def reading_of(card: MetricCard, worsen: Worsening) -> Reading:
    """What a red or amber card measures, and the step past which it counts as materially worse.

    Past a line: a count metric worsens by ``worsen.count`` more; any other by ``worsen.step`` of the
    distance between its amber and red lines (of the crossed line's own distance from zero when it has one
    line, or both at one value). Outside its typical band: |z| ``worsen.z`` higher.
    """
    crossing = card.crossing
    z = contract.z_score(card.value, card.benchmark_mean, card.benchmark_stddev) if card.value is not None else None
    sign = -1 if card.direction == contract.Direction.HIGHER_IS_BETTER else 1
    if crossing is None or not worsen.enabled:
        return Reading(card.value, z, "value", sign, None)
    if crossing.line == "band":
        return Reading(card.value, z, "z", sign, worsen.z)
    if card.unit == "count":
        return Reading(card.value, z, "value", sign, worsen.count)
    lines = [x for x in (card.norm_value, card.alert_value) if x is not None]
    distance = abs(lines[0] - lines[1]) if len(lines) == 2 else 0.0
    distance = distance or abs(crossing.line_value)
    return Reading(card.value, z, "value", sign, worsen.step * distance if distance else None)


def _evaluate_metric(writer: _Writer, card: Any, pairs: list[tuple[str, str]], stale: set[tuple[str, str]],
                     silences: list[dict[str, Any]], link_base: str, evidence: dict[str, Any] | None = None,
                     streak: Streak | None = None) -> None:
    config, now = writer.config, writer.now
    route = config.route_for(card.id, card.tags)
    silence = silenced_by(silences, card.id, card.tags)
    facts = messages.metric_facts(card, link_base, now)
    status = str(card.status)

    # Errors: their own alert, after N failures in a row; never "red".
    key = f"error:{card.id}"
    if "error" in route.severities or key in writer.prior:
        prev, row = writer.state_of(key)
        failing = card.status is contract.Status.ERROR
        result = step(prev, failing, "error", Rule(config.error_after, 1, config.reminders), now,
                      remind=not _acked(row, now))
        payload = messages.error_message(facts, result.transition or "firing", result.state.bad_count,
                                         fired_at=result.state.fired_at, now=now)
        writer.record(key, "error", card.id, result, payload)
        if result.transition and "error" in route.severities:
            if silence:
                writer.summary.silenced.append(key)
            else:
                writer.notify(key, result.state, result.transition, route.channels, payload)

    # Values: no data and errors say nothing about the value (no information, nothing moves);
    # a value read only from stale data is not news — the stale alert speaks for it.
    key = f"value:{card.id}"
    suppressed = None
    if status in ("error", "no_data"):
        bad: bool | None = None
    elif pairs and all(p in stale for p in pairs):
        bad = None
        suppressed = ", ".join(f"stale:{s}.{sc}" for s, sc in pairs)
        writer.summary.held_back.append(card.id)
    else:
        bad = status in BAD_STATUSES and status in route.severities
    severity = status if bad else None
    prev, row = writer.state_of(key)
    rule = Rule(config.pending_for(route, severity or "red"), config.clear_for(route), config.reminders)
    reading = reading_of(card, config.worsen_for(route)) if bad else None
    result = step(prev, bad, severity, rule, now, remind=not _acked(row, now), reading=reading)
    shown = result.state.severity or status
    payload = messages.value_message({**facts, "evidence": evidence} if evidence else facts,
                                     result.transition or "firing", shown, since=result.state.since,
                                     fired_at=result.state.fired_at, now=now, streak=streak,
                                     was=_was(card, prev, reading) if result.transition == "worse" else None)
    writer.record(key, "value", card.id, result, payload, suppressed)
    if result.transition:
        if silence:
            writer.summary.silenced.append(key)
        else:
            group = (card.owner or "nobody") if route.group_by == "owner" else None
            writer.notify(key, result.state, result.transition, route.channels, payload, group)


def _was(card: MetricCard, prev: State, reading: Reading | None) -> dict[str, Any]:
    """What the message before this worsening told: the value (and z), and when — firing or a worsening;
    with the measure that judged it (``by``) and the z now."""
    if prev.worsened:
        event = "last got worse"
    elif prev.told_at == prev.fired_at:
        event = "fired"
    else:
        event = "turned red"  # an escalation from amber told it last
    return {"value": prev.told_value, "z": prev.told_z, "at": prev.told_at, "event": event,
            "value_text": formatting.value(prev.told_value, card.unit, card.currency),
            "by": reading.by if reading else "value", "z_now": reading.z if reading else None}


def _expired_silences(writer: _Writer, cards: dict[str, Any], link_base: str) -> None:
    """A silence never ends quietly: tell its channels it expired and what is firing now."""
    conn, config, now = writer.conn, writer.config, writer.now
    expired = [dict(r) for r in conn.execute(text(
        "SELECT id, metric_id, tag, reason, created_by, ends_at FROM heartbeat.alert_silence "
        "WHERE ends_at <= :now AND expiry_notified_at IS NULL FOR UPDATE"), {"now": now}).mappings()]
    for silence in expired:
        covered = [c for c in cards.values()
                   if c.id == silence["metric_id"] or (silence["tag"] and silence["tag"] in c.tags)]
        firing = [row[0] for row in conn.execute(text(
            "SELECT key FROM heartbeat.alert_state WHERE state = 'firing' AND subject = ANY(:ids) ORDER BY key"),
            {"ids": [c.id for c in covered]})]
        routes = [config.route_for(c.id, c.tags) for c in covered] or [config.route_for("", ())]
        channels = tuple(dict.fromkeys(ch for r in routes for ch in r.channels))
        payload = messages.silence_expired_message(silence, firing, link_base)
        writer.summary.notifications += outbox.enqueue(
            conn, config, key=f"silence:{silence['id']}:expired", alert_key=None, transition="expired",
            channels=channels, payload=payload)
        conn.execute(text("UPDATE heartbeat.alert_silence SET expiry_notified_at = :now WHERE id = :id"),
                     {"now": now, "id": silence["id"]})
