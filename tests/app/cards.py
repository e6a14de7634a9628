"""Read-model cards and profiles for the display tests: a sensible metric, changed only where a test says."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

from engine.contract import Crossing, Freshness, Status
from engine.read.cards import MetricCard, MetricProfile

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
TODAY = NOW.date()


def card(**changes) -> MetricCard:
    """A green, fresh approval rate (percent, higher is better) with 30 days of history."""
    base = MetricCard(
        id="approval_rate", name="Approval rate", how_to_read="", period="24h", unit="percent", currency=None,
        direction="higher_is_better", value=97.0, status=Status.GREEN, freshness=Freshness.FRESH, crossing=None,
        target_hit=False, norm_value=95.0, alert_value=90.0, target_value=None, target_due_date=None,
        benchmark_mean=None, benchmark_stddev=None, computed_at=NOW - timedelta(hours=1),
        source_as_of=NOW - timedelta(hours=2), error=None, owner="ops@example.com", verification_state="verified",
        tags=("payments",), history=tuple((TODAY - timedelta(days=29 - i), 96.0 + i % 3) for i in range(30)),
    )
    return dataclasses.replace(base, **changes)


def red(value: float = 50.0, **changes) -> MetricCard:
    return card(value=value, status=Status.RED, crossing=Crossing("alert", 90.0, 90.0 - value, (90.0 - value) / 90),
                **changes)


def profile(**changes) -> MetricProfile:
    base = MetricProfile(
        id="approval_rate", methodology="", sources="", source_schemas=("payments",), period="24h", unit="percent",
        currency=None, direction="higher_is_better", benchmark_kind="none", benchmark_window_days=None,
        benchmark_computed_at=None, related_cuts=(), threshold_set_by={}, verified_by="lead@example.com",
        verified_at=NOW - timedelta(days=3), verified_hash="abc", definition_hash="abc", synced_at=NOW,
    )
    return dataclasses.replace(base, **changes)


def due(days: int) -> date:
    return TODAY + timedelta(days=days)
