"""What one demo build contains: sizes from the scale, the time window, the incident anchors.

Everything the generators draw is a function of the plan, so the same
(scale, seed, now) always builds the same rows, and live mode can rebuild the
plan from the marker a build leaves behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from engine.core.errors import HeartbeatError
from engine.demo.random_sql import Rand

# Bump when generated data changes shape, so an old build is rebuilt, not reused.
GENERATOR_VERSION = 1

WINDOW = timedelta(days=180)
# Clients that existed before the window (created over the ~2.5 years before it).
HISTORY_BEFORE_WINDOW = timedelta(days=900)

# Sizes at scale 1; floors keep the planted shares measurable at test scale.
CLIENTS_AT_SCALE_1, MIN_CLIENTS = 100_000, 4_000
PAYMENTS_AT_SCALE_1, MIN_PAYMENTS = 2_000_000, 20_000
AML_CHECKS_AT_SCALE_1, MIN_AML_CHECKS = 3_000_000, 20_000
CARD_TRANSACTIONS_AT_SCALE_1, MIN_CARD_TRANSACTIONS = 1_200_000, 2_000
# Share of clients created before the window (the established base).
SHARE_BEFORE_WINDOW = 0.65

# Incident anchors, relative to now.
APPROVAL_DIP = timedelta(hours=24)
AML_SLOWDOWN = timedelta(days=14)
FEED_STOP = timedelta(days=2)
KYC_REJECTION_SPIKE = timedelta(days=7)
ARREARS_MONTHS = 4
ARREARS_COMPANY = "Northwind Logistics Ltd"
ARREARS_MONTHLY_COLLATERAL = 25_000  # EUR, fixed so the covered total is a known answer


class DemoError(HeartbeatError):
    """The demo sources cannot be built or used; the message says what to do."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def normalise_now(now: datetime | None) -> datetime:
    """``now`` in UTC, whole seconds (naive values are taken as UTC)."""
    value = now or utc_now()
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0)


def collateral_due_date(period: date) -> date:
    """Collateral for a month is invoiced on the 1st and due on the 15th."""
    return period.replace(day=15)


@dataclass(frozen=True)
class Plan:
    seed: int
    scale: float
    now: datetime
    rand: Rand = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.scale > 0):
            raise DemoError(f"scale must be a positive number, got {self.scale!r}")
        object.__setattr__(self, "rand", Rand(self.seed))

    def _sized(self, at_scale_1: int, floor: int) -> int:
        return max(floor, round(at_scale_1 * self.scale))

    @property
    def start(self) -> datetime:
        return self.now - WINDOW

    @property
    def n_clients(self) -> int:
        return self._sized(CLIENTS_AT_SCALE_1, MIN_CLIENTS)

    @property
    def n_clients_before_window(self) -> int:
        return round(self.n_clients * SHARE_BEFORE_WINDOW)

    @property
    def n_payments(self) -> int:
        return self._sized(PAYMENTS_AT_SCALE_1, MIN_PAYMENTS)

    @property
    def n_aml_checks(self) -> int:
        return self._sized(AML_CHECKS_AT_SCALE_1, MIN_AML_CHECKS)

    @property
    def n_card_transactions(self) -> int:
        return self._sized(CARD_TRANSACTIONS_AT_SCALE_1, MIN_CARD_TRANSACTIONS)

    @property
    def arrears_client_id(self) -> int:
        # An established client from the first years, not a suspicious "id 1".
        return 1 + self.n_clients_before_window // 7

    @property
    def approval_dip_start(self) -> datetime:
        return self.now - APPROVAL_DIP

    @property
    def aml_slowdown_start(self) -> datetime:
        return self.now - AML_SLOWDOWN

    @property
    def feed_stop(self) -> datetime:
        return self.now - FEED_STOP

    @property
    def kyc_spike_start(self) -> datetime:
        return self.now - KYC_REJECTION_SPIKE

    @property
    def arrears_from(self) -> date:
        """Due date of the oldest collateral invoice the arrears client left unpaid.

        The client stopped paying with the last ``ARREARS_MONTHS`` invoices that
        are past due at ``now`` (so their count is a known answer whatever the
        day of the month).
        """
        periods: list[date] = []
        month = self.now.date().replace(day=1)
        while len(periods) < ARREARS_MONTHS:
            due = collateral_due_date(month)
            if datetime(due.year, due.month, due.day, tzinfo=timezone.utc) < self.now:
                periods.append(due)
            month = (month - timedelta(days=1)).replace(day=1)
        return periods[-1]
