"""The alert state machine, pure: ok → pending → firing → resolved, one step per computation.

No I/O: the evaluation feeds it one observation per computed subject and
writes what it returns (and the notification it asks for) in one transaction.

While firing, an observation that is materially worse than what was last told (at firing, escalation
or the last "worse" message) notifies at once ("worse"); an improvement says nothing until resolved,
and a value that improves and comes back is not news again (the reference is what was told).
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
    # What the last message told (firing, escalated or worse): the reference a worsening is measured from.
    told_value: float | None = None
    told_z: float | None = None
    told_at: datetime | None = None
    worsened: int = 0  # "worse" messages in this episode: part of their idempotency keys


@dataclass(frozen=True)
class Reading:
    """What a bad observation measured, and how much further past counts as material.

    ``by`` names the measure that judges a worsening: "value" (a line was crossed; ``worse_step`` in the
    metric's unit, in the direction ``sign`` — +1 when a larger value is worse) or "z" (the typical band
    was left; ``worse_step`` in σ of |z|). ``worse_step=None``: this reading never counts as worse.
    """

    value: float | None
    z: float | None = None
    by: str = "value"
    sign: int = 1
    worse_step: float | None = None

    def worse_than(self, state: State) -> bool | None:
        """True when materially worse than what ``state`` told; None when it told nothing comparable."""
        if self.worse_step is None:
            return False
        if self.by == "z":
            if self.z is None or state.told_z is None:
                return None
            return abs(self.z) - abs(state.told_z) >= self.worse_step - 1e-9
        if self.value is None or state.told_value is None:
            return None
        return (self.value - state.told_value) * self.sign >= self.worse_step - 1e-9

    def told(self, now: datetime) -> dict:
        return {"told_value": self.value, "told_z": self.z, "told_at": now}


@dataclass(frozen=True)
class Rule:
    pending: int  # N consecutive bad observations before firing
    clear: int  # M consecutive good observations before resolving
    reminders: Reminders


@dataclass(frozen=True)
class Step:
    state: State
    transition: str | None  # "firing" | "reminder" | "escalated" | "worse" | "resolved" | None


_RANK = {"amber": 1, "red": 2}


def step(prev: State, bad: bool | None, severity: str | None, rule: Rule, now: datetime,
         *, remind: bool = True, reading: Reading | None = None) -> Step:
    """Advance by one observation. ``bad=None`` means "no information" (held back): nothing moves.

    ``remind=False`` (acknowledged) keeps a firing alert's reminders quiet without changing its state;
    a material worsening is news and is told anyway. ``reading``: what a bad observation measured
    (value alerts); without it an alert never counts as worse.
    """
    if bad is None:
        return Step(prev, None)
    told = reading.told(now) if reading is not None else {}
    if bad:
        if prev.state == "firing":
            state = replace(prev, good_count=0, bad_count=prev.bad_count + 1)
            if _RANK.get(severity or "", 0) > _RANK.get(prev.severity or "", 0):
                return Step(replace(state, severity=severity, last_notified_at=now, **told), "escalated")
            worse = reading.worse_than(prev) if reading is not None else False
            if worse is None:  # nothing comparable was told (the measure changed): this becomes the reference
                state = replace(state, **told)
            elif worse:
                return Step(replace(state, last_notified_at=now, worsened=prev.worsened + 1, **told), "worse")
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
            return Step(State("firing", worst, count, 0, prev.episode + 1, 0, since, now, None, now, **told),
                        "firing")
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
