"""Shape targeted metrics into the OKR board (/okr): one row per target, grouped by owner or by tag. Pure, no I/O.

Every value is a string (as the tiles): the frontend does no arithmetic.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, Literal

from engine.core import formatting
from engine.read.cards import MetricCard
from engine.read.pace import MIN_TREND_POINTS, PACE_LABEL, PACE_ORDER, TREND_DAYS, PaceState

NO_OWNER = "no owner"
NO_TAG = "no tag"
GroupBy = Literal["owner", "tag"]


def _percent(share: float | None) -> str:
    return "" if share is None else str(round(share * 100))


def _days(n: int) -> str:
    if n < 0:
        return f"{-n} day{'s' if n != -1 else ''} ago"
    if n == 0:
        return "today"
    return f"{n} day{'s' if n != 1 else ''} left"


def common_start(cards: list[MetricCard]) -> date | None:
    """The start day most targets share (the quarter's first value): named once above the board, not on each."""
    days = Counter(card.pace.start_day for card in cards if card.pace is not None and card.pace.start_day)
    return days.most_common(1)[0][0] if days else None


def target_row(card: MetricCard, common: date | None = None) -> dict[str, str]:
    """What one target shows: state, progress (now and expected by today), the projection and the due date.

    The start of its period is named only when it differs from ``common`` (a target changed this quarter).
    """
    pace = card.pace
    assert pace is not None  # only targeted metrics reach the board

    def text(v: float | None) -> str:
        return formatting.value(v, card.unit, card.currency)

    if pace.state is PaceState.ACHIEVED:
        projection = ""  # met: where the trend wanders next is not the question
    elif pace.state is PaceState.NO_DATA:
        projection = ("no value yet" if pace.current is None
                      else f"fewer than {MIN_TREND_POINTS} values in the last {TREND_DAYS} days: no trend yet")
    elif pace.projected is None or pace.days_left < 0:
        projection = ""  # after the due date there is nothing left to project
    elif pace.reaches_on is not None:
        # Where a far due date would carry the line to an absurd number, say when it meets the target.
        projection = f"trend meets the target around {pace.reaches_on.day} {pace.reaches_on:%b %Y}"
    else:
        projection = f"trend → {text(pace.projected)} by the due date"
    start = ("" if pace.start_day is None or pace.start_day == common
             else f"from {text(pace.start_value)} on {pace.start_day.day} {pace.start_day:%b}")
    return {
        "id": card.id,
        "name": card.name,
        "owner": card.owner or NO_OWNER,
        "tags": " · ".join(card.tags),
        "state": pace.state.value,
        "label": pace.label,
        "value": text(card.value),
        "target": text(pace.target),
        "start": start,
        "expected": "" if pace.expected_now is None else f"pace line today {text(pace.expected_now)}",
        "projection": projection,
        "due": f"due {pace.due.day} {pace.due:%b %Y}",
        "days": _days(pace.days_left),
        "progress": _percent(pace.progress) or "0",
        "expected_progress": _percent(pace.expected_progress),
        "status": card.status.value,
        "href": f"/metrics/{card.id}",
    }


def _order(card: MetricCard) -> tuple[Any, ...]:
    assert card.pace is not None
    return (PACE_ORDER[card.pace.state], card.pace.due, card.name.lower())


def board(cards: list[MetricCard], by: GroupBy = "owner") -> list[dict[str, Any]]:
    """Targets grouped by owner (or by tag: a metric with two tags shows in both), worst pace first in a group.

    Groups are ordered by their worst target, then by name.
    """
    groups: dict[str, list[MetricCard]] = {}
    for card in cards:
        if card.pace is None:
            continue
        keys = [card.owner or NO_OWNER] if by == "owner" else (list(card.tags) or [NO_TAG])
        for key in keys:
            groups.setdefault(key, []).append(card)
    common = common_start(cards)
    shaped = []
    for name, members in groups.items():
        members.sort(key=_order)
        shaped.append({"name": name, "count": str(len(members)), "worst": PACE_ORDER[members[0].pace.state],
                       "items": [target_row(card, common) for card in members]})
    shaped.sort(key=lambda group: (group["worst"], group["name"]))
    return [{k: v for k, v in group.items() if k != "worst"} for group in shaped]


def summary(cards: list[MetricCard]) -> list[dict[str, str]]:
    """How many targets are in each pace state, in board order (states with none are left out)."""
    counts: dict[PaceState, int] = {}
    for card in cards:
        if card.pace is not None:
            counts[card.pace.state] = counts.get(card.pace.state, 0) + 1
    return [{"state": state.value, "text": f"{counts[state]} {PACE_LABEL[state]}"}
            for state in sorted(counts, key=PACE_ORDER.__getitem__)]


# A group's heading is about a third of a target card high.
_HEADING_HEIGHT = 0.35
BOARD_COLUMNS = 4


def columns(groups: list[dict[str, Any]], count: int = BOARD_COLUMNS) -> list[list[dict[str, Any]]]:
    """Deal the groups (worst first) into ``count`` columns, each to the shortest so far, so the board is as
    short as it can be without splitting a group from its name. Empty columns are dropped."""
    stacks: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    heights = [0.0] * count
    for group in groups:
        shortest = heights.index(min(heights))
        stacks[shortest].append(group)
        heights[shortest] += _HEADING_HEIGHT + len(group["items"])
    return [stack for stack in stacks if stack]
