"""A metric's page as text: the header, the definition facts, computation and change rows, the threshold form."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from engine.core import formatting
from engine.read.cards import MetricCard, MetricProfile
from heartbeat_app.display.text import crossed_text, unit_text, when

STATUS_LABEL = {"red": "RED", "amber": "AMBER", "green": "OK", "no_data": "NO DATA", "error": "ERROR"}
FIELD_LABEL = {
    "owner": "Owner", "verification_state": "Verification", "norm_value": "Norm (amber line)",
    "alert_value": "Alert (red line)", "target_value": "Target", "target_due_date": "Target due date",
}
DIRECTION_LABEL = {"higher_is_better": "higher is better", "lower_is_better": "lower is better"}
THRESHOLDS = ("norm_value", "alert_value", "target_value")


class Header(TypedDict):
    """The top of a metric's page as the page reads it; the page's keys are checked against this in tests/app."""

    id: str
    name: str
    value: str
    status: str
    status_label: str
    freshness: str
    freshness_text: str
    crossed: str
    owner: str
    verification: str
    verification_state: str
    period: str
    unit: str
    direction: str
    target: str
    target_line: str
    pace: str
    typical: str
    computed_at: str
    computed_age: str
    error: str
    norm: str
    alert: str


def number_text(value: float | None) -> str:
    """A threshold as typed into an input: plain, no grouping, no unit."""
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:g}" if abs(value) < 1e15 else repr(value)


def _money(card: MetricCard, value: float | None) -> str:
    return formatting.value(value, card.unit, card.currency)


def verification_text(card: MetricCard, profile: MetricProfile, tz: ZoneInfo) -> str:
    if card.verification_state != "verified":
        return "unverified"
    text = "verified"
    if profile.verified_by:
        text += f" by {profile.verified_by}"
    if profile.verified_at:
        text += f" on {profile.verified_at.astimezone(tz):%Y-%m-%d}"
    if profile.verified_hash and profile.verified_hash != profile.definition_hash:
        text += " (the definition changed since)"
    return text


def target_line(card: MetricCard) -> str:
    """The target and its due date, as the lines card names it ("" without a target)."""
    if card.target_value is None:
        return ""
    line = _money(card, card.target_value)
    return line + (f" by {card.target_due_date:%d %b %Y}" if card.target_due_date is not None else "")


def target_text(card: MetricCard) -> str:
    """The target under the value: the line, "hit" once it is reached, else its pace (docs/okr.md)."""
    line = target_line(card)
    if not line:
        return ""
    if card.target_hit:
        return f"target {line} · hit"
    return f"target {line}" + (f" · {card.pace.label}" if card.pace is not None else "")


def pace_text(card: MetricCard) -> str:
    """The target's pace (docs/okr.md) in words: its state, where the trend leads, the pace line today."""
    pace = card.pace
    if pace is None:
        return ""
    parts = [pace.label]
    if pace.reaches_on is not None:
        parts.append(f"trend meets the target around {pace.reaches_on:%d %b %Y}")
    elif pace.projected is not None and pace.days_left >= 0:
        parts.append(f"trend → {_money(card, pace.projected)} by {pace.due:%d %b %Y}")
    if pace.expected_now is not None and pace.days_left >= 0:
        parts.append(f"pace line today {_money(card, pace.expected_now)}")
    return " · ".join(parts)


def typical_text(card: MetricCard) -> str:
    if card.benchmark_mean is None or not card.benchmark_stddev:
        return ""
    return f"{_money(card, card.benchmark_mean)} ± {_money(card, card.benchmark_stddev)}"


def header(card: MetricCard, profile: MetricProfile, tz: ZoneInfo, now: datetime) -> Header:
    freshness = ("no source sync yet" if card.source_as_of is None
                 else f"as of {when(card.source_as_of, tz)} · {formatting.age(card.source_as_of, now)}")
    return Header(
        id=card.id,
        name=card.name,
        value=_money(card, card.value),
        status=card.status.value,
        status_label=STATUS_LABEL.get(card.status.value, card.status.value),
        freshness=card.freshness.value,
        freshness_text=freshness,
        crossed=crossed_text(card),
        owner=card.owner or "no owner",
        verification=verification_text(card, profile, tz),
        verification_state=card.verification_state,
        period=card.period,
        unit=unit_text(card.unit, card.currency),
        direction=DIRECTION_LABEL.get(card.direction, card.direction),
        target=target_text(card),
        target_line=target_line(card),
        pace=pace_text(card),
        typical=typical_text(card),
        computed_at=when(card.computed_at, tz),
        computed_age=formatting.age(card.computed_at, now) if card.computed_at else "never",
        error=card.error or "",
        norm=_money(card, card.norm_value),
        alert=_money(card, card.alert_value),
    )


def facts(card: MetricCard, profile: MetricProfile, tz: ZoneInfo) -> list[dict[str, str]]:
    benchmark = "none"
    if profile.benchmark_kind == "rolling_stat":
        benchmark = f"rolling μ ± σ over {profile.benchmark_window_days or '?'} days"
        if profile.benchmark_computed_at:
            benchmark += f" (computed {when(profile.benchmark_computed_at, tz)})"
    set_by = profile.threshold_set_by
    operator_set = sorted(FIELD_LABEL.get(f, f).lower() for f, who in set_by.items() if who == "operator")
    rows = [
        ("Period", card.period),
        ("Unit", unit_text(card.unit, card.currency)),
        ("Direction", DIRECTION_LABEL.get(card.direction, card.direction)),
        ("Benchmark", benchmark),
        ("Source schemas", ", ".join(profile.source_schemas) or "—"),
        ("Tags", ", ".join(card.tags) or "—"),
        ("Set by an operator", ", ".join(operator_set) or "nothing (all from the metric file)"),
        ("Definition", f"{profile.definition_hash[:12]} · synced {when(profile.synced_at, tz)}"),
    ]
    return [{"label": label, "value": value} for label, value in rows]


def computation_row(row: dict[str, Any], card: MetricCard, tz: ZoneInfo) -> dict[str, str]:
    ms = row.get("duration_ms")
    return {
        "day": row["day"].isoformat() if row.get("day") else "—",
        "value": _money(card, row.get("value")),
        "status": row.get("status") or "",
        "computed_at": when(row.get("computed_at"), tz),
        "duration": formatting.duration(ms / 1000) if ms is not None else "—",
        "error": (row.get("error") or "")[:300],
    }


def _change_value(field: str, value: Any, card: MetricCard) -> str:
    if value is None:
        return "—"
    if field in THRESHOLDS and isinstance(value, (int, float)):
        return _money(card, float(value))
    if isinstance(value, (list, dict)):
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return str(value)


def change_row(row: dict[str, Any], card: MetricCard, tz: ZoneInfo) -> dict[str, str]:
    field = row["field"]
    return {
        "field": FIELD_LABEL.get(field, field),
        "old": _change_value(field, row.get("old_value"), card),
        "new": _change_value(field, row.get("new_value"), card),
        "who": row.get("changed_by") or "",
        "when": when(row.get("changed_at"), tz),
        "note": row.get("note") or "",
    }


def inputs(card: MetricCard) -> dict[str, str]:
    """What the edit boxes start with: the stored values, as typed."""
    return {
        "owner": card.owner or "",
        **{field: number_text(getattr(card, field)) for field in THRESHOLDS},
        "target_due_date": card.target_due_date.isoformat() if card.target_due_date else "",
    }


def problem_text(field: str, reason: str) -> str:
    return f"{FIELD_LABEL.get(field, field)}: {reason}. Nothing was changed."


def _number(field: str, raw: str) -> float | None:
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(field, f"{raw[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(field, "must be a finite number")
    return value


def parse_thresholds(form: dict[str, Any], current: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The fields the operator changed, typed (an empty box clears the line), and why the form is refused ("")."""
    changed: dict[str, Any] = {}
    try:
        for field in THRESHOLDS:
            value = _number(field, str(form.get(field, "")).strip().replace(",", ""))
            if value != current.get(field):
                changed[field] = value
    except ValueError as exc:
        return {}, problem_text(*exc.args)
    raw = str(form.get("target_due_date", "")).strip()
    try:
        due = date.fromisoformat(raw) if raw else None
    except ValueError:
        return {}, problem_text("target_due_date", "must be a date (YYYY-MM-DD)")
    if due != current.get("target_due_date"):
        changed["target_due_date"] = due
    return changed, ""
