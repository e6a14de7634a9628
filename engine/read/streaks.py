"""How long a metric has been bad: the current streak of red (or amber) days in its history.

"Red since" is a fact of the history, not of the moment an alert fired: an alert created today over an
incident three months old must say three months. Each day is judged by the contract against the
metric's *current* lines and band — as its chart draws them — so the streak agrees with what a person
sees on the metric page. An error streak is the run of days whose computation failed, as recorded.
The one rule for every surface: alert messages, the alerts page, ``heartbeat alerts``, /api/alerts and
the triage (MCP ``whats_wrong_today``, ``heartbeat today``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import Engine, text

from engine import contract
from engine.core import formatting
from engine.read.cards import MetricCard, metric_cards

# How bad a day must be to count for a streak of a given status: an amber streak includes red days.
_AT_LEAST = {"red": ("red",), "amber": ("red", "amber"), "error": ("error",)}
VALUE_STATUSES = ("red", "amber")


@dataclass(frozen=True)
class Streak:
    """The run of bad days ending on the metric's latest valued day."""

    status: str  # "red" | "amber": what every day of the streak is at least
    first_day: date
    last_day: date
    from_start: bool  # the history begins inside the streak: it may have begun earlier

    @property
    def days(self) -> int:
        """Calendar days from the first to the last, both counted (a day without data does not break it)."""
        return (self.last_day - self.first_day).days + 1

    def text(self) -> str:
        """e.g. "Red since 2026-09-01 (91 days)"; "(today)" for a streak that began today."""
        length = "today" if self.days == 1 else f"{self.days} days"
        if self.from_start and self.days > 1:
            length += ", as far back as its history goes"
        return f"{self.status.capitalize()} since {self.first_day.isoformat()} ({length})"

    def as_dict(self) -> dict[str, Any]:
        """The streak as a message payload and /api/alerts carry it (``bad_since``)."""
        return {"status": self.status, "day": self.first_day.isoformat(), "days": self.days,
                "text": self.text()}


def streak(series: Sequence[tuple[date, Any]], judge: Callable[[Any], str],
           status: str = "red") -> Streak | None:
    """The streak of days at least ``status`` ending on the latest day with a value; None when that day is not.

    ``series`` is (day, value) in ascending order — a value ``judge`` turns into a status (for an error
    streak, the day's recorded status); days without a value say nothing (no data is not a good day) and
    are skipped, neither breaking nor starting a streak.
    """
    counts = _AT_LEAST[status]
    valued = [(day, value) for day, value in series if value is not None]
    first: date | None = None
    for index in range(len(valued) - 1, -1, -1):
        day, value = valued[index]
        if judge(value) not in counts:
            break
        first = day
    else:
        if first is not None:
            return Streak(status, first, valued[-1][0], from_start=True)
        return None
    if first is None:
        return None
    return Streak(status, first, valued[-1][0], from_start=False)


def _judge(card: MetricCard) -> Callable[[float], str]:
    def judge(value: float) -> str:
        return str(contract.status(value, direction=card.direction, norm_value=card.norm_value,
                                   alert_value=card.alert_value, mean=card.benchmark_mean,
                                   stddev=card.benchmark_stddev))
    return judge


def current_streaks(engine: Engine, cards: Iterable[MetricCard],
                    status_of: Callable[[MetricCard], str] | None = None,
                    statuses: Sequence[str] = VALUE_STATUSES) -> dict[str, Streak]:
    """The current bad streak of each card whose status is one of ``statuses``, by metric id (one query for
    all of them). Red and amber streaks judge the values; an error streak (``statuses`` with "error") counts
    the days recorded as failed.

    ``status_of`` says which streak to measure for a card (default: its own status — "red since" for a
    red card, "amber or worse since" for an amber one).
    """
    wanted = {card.id: card for card in cards if str(card.status) in statuses}
    if not wanted:
        return {}
    values: dict[str, list[tuple[date, float | None]]] = defaultdict(list)
    recorded: dict[str, list[tuple[date, str]]] = defaultdict(list)
    with engine.connect() as conn:
        for metric_id, day, value, status in conn.execute(text(
                "SELECT metric_id, day, value, status FROM heartbeat.metric_history WHERE metric_id = ANY(:ids) "
                "ORDER BY metric_id, day"), {"ids": list(wanted)}):
            values[metric_id].append((day, value))
            recorded[metric_id].append((day, status))
    found = {}
    for metric_id, card in wanted.items():
        wanted_status = status_of(card) if status_of else str(card.status)
        if wanted_status == "error":
            run = streak(recorded.get(metric_id, []), str, "error")
        else:
            run = streak(values.get(metric_id, []), _judge(card),
                         wanted_status if wanted_status in _AT_LEAST else "red")
        if run is not None:
            found[metric_id] = run
    return found


def alert_streaks(engine: Engine, alerts: Iterable[dict[str, Any]], now: datetime) -> dict[str, Streak]:
    """The history's "since" of each value or error alert (rows of ``heartbeat.alert_state`` with ``key``,
    ``kind`` and ``subject``), by alert key: a value alert's red or amber streak, an error alert's run of
    failed days. Absent when the metric is no longer bad the alert's way (or the alert is of another kind)."""
    alerts = list(alerts)
    metric_ids = {a["subject"] for a in alerts if a["kind"] in ("value", "error")}
    if not metric_ids:
        return {}
    cards = metric_cards(engine, now, history_days=0, ids=list(metric_ids))
    runs = current_streaks(engine, cards, statuses=(*VALUE_STATUSES, "error"))
    found = {}
    for alert in alerts:
        run = runs.get(alert["subject"]) if alert["kind"] in ("value", "error") else None
        if run is not None and (run.status == "error") == (alert["kind"] == "error"):
            found[alert["key"]] = run
    return found


def since_text(alert: dict[str, Any], now: datetime) -> str:
    """How long an alert's metric has been bad, for a list of alerts: the history's streak ("Red since
    2026-09-01 (91 days)", its ``bad_since`` from ``alert_streaks``) as its messages say it; an alert without
    one (a stale source) says when it fired."""
    if alert.get("bad_since"):
        return str(alert["bad_since"]["text"])
    return "fired " + formatting.age(alert["fired_at"] or alert["since"], now)
