"""The alert state machine, pure: ok → pending → firing → resolved, one step per computation.

No I/O: the evaluation feeds it one observation per computed subject and
writes what it returns (and the notification it asks for) in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from engine.alerts.config import Reminders


@dataclass(frozen=True)
class State:
    state: str = "ok"  # ok | pending | firing | resolved
    severity: str | None = None
    bad_count: int = 0
    good_count: int = 0
    episode: int = 0  # how many times it has fired: part of every idempotency key
    reminders: int = 0
    since: datetime | None = None  # first bad observation of the current run
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    last_notified_at: datetime | None = None


@dataclass(frozen=True)
class Rule:
    pending: int  # N consecutive bad observations before firing
    clear: int  # M consecutive good observations before resolving
    reminders: Reminders


@dataclass(frozen=True)
class Step:
    state: State
    transition: str | None  # "firing" | "reminder" | "escalated" | "resolved" | None


_RANK = {"amber": 1, "red": 2}


def step(prev: State, bad: bool | None, severity: str | None, rule: Rule, now: datetime,
         *, remind: bool = True) -> Step:
    """Advance by one observation. ``bad=None`` means "no information" (held back): nothing moves.

    ``remind=False`` (acknowledged) keeps a firing alert quiet without changing its state.
    """
    if bad is None:
        return Step(prev, None)
    if bad:
        if prev.state == "firing":
            state = replace(prev, good_count=0, bad_count=prev.bad_count + 1)
            if _RANK.get(severity or "", 0) > _RANK.get(prev.severity or "", 0):
                return Step(replace(state, severity=severity, last_notified_at=now), "escalated")
            due = prev.last_notified_at is None or (
                (now - prev.last_notified_at).total_seconds() >= rule.reminders.interval(prev.reminders)
            )
            if remind and due:
                return Step(replace(state, reminders=prev.reminders + 1, last_notified_at=now), "reminder")
            return Step(state, None)
        count = prev.bad_count + 1 if prev.state == "pending" else 1
        since = prev.since if prev.state == "pending" else now
        worst = severity if prev.state != "pending" or _RANK.get(severity or "", 0) >= _RANK.get(
            prev.severity or "", 0) else prev.severity
        if count >= rule.pending:
            return Step(State("firing", worst, count, 0, prev.episode + 1, 0, since, now, None, now), "firing")
        return Step(replace(prev, state="pending", severity=worst, bad_count=count, good_count=0, since=since), None)
    # A good observation.
    if prev.state == "firing":
        good = prev.good_count + 1
        if good >= rule.clear:
            return Step(replace(prev, state="resolved", good_count=good, bad_count=0, resolved_at=now,
                                last_notified_at=now), "resolved")
        return Step(replace(prev, good_count=good), None)
    if prev.state == "pending":
        # Never fired: a good value cancels it quietly (that is what the pending period is for).
        return Step(replace(prev, state="ok", bad_count=0, good_count=1, since=None, severity=None), None)
    return Step(replace(prev, good_count=prev.good_count + 1, bad_count=0), None)
