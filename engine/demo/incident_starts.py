"""When each planted incident began and which landed sources it touches: the demo's incident catalogue
as a backtest needs it (``heartbeat discover`` judges its candidates against these)."""

from __future__ import annotations

from datetime import datetime, timezone

from engine.demo.plan import Plan

# The landed tables (``source.schema.table``) whose rows each planted incident changes.
INCIDENT_TABLES: dict[str, tuple[str, ...]] = {
    "collateral_arrears": ("webbank.core.card_collateral_invoice", "webbank.core.collateral_payment"),
    "aml_backlog": ("aml.aml.aml_retrospective",),
    "approval_dip": ("webbank.core.payment", "webbank.core.payment_state_log", "webbank.core.entry"),
    "onboarding_rejections": ("webbank.core.client_profile", "webbank.core.client_profile_state_log"),
    "stale_feed": ("card_management.cards.card_transaction", "currency_rate_files.daily.rates_daily"),
}


def incident_starts(plan: Plan) -> list[tuple[str, datetime, tuple[str, ...]]]:
    """(incident id, start, tables it touches) of every planted incident of the build ``plan`` describes."""
    arrears = plan.arrears_from
    starts = {
        "collateral_arrears": datetime(arrears.year, arrears.month, arrears.day, tzinfo=timezone.utc),
        "aml_backlog": plan.aml_slowdown_start,
        "approval_dip": plan.approval_dip_start,
        "onboarding_rejections": plan.kyc_spike_start,
        "stale_feed": plan.feed_stop,
    }
    return [(incident_id, starts[incident_id], sources) for incident_id, sources in INCIDENT_TABLES.items()]
