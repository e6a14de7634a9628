"""Operator edits of a metric: owner, verification and thresholds — validated, recorded, atomic.

The API and the app's operator mode both call these, so the rules are the
same wherever an operator types. Every change lands in ``registry_change``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, text

from engine import contract
from engine.core.errors import FieldRejected, NotFound
from engine.metrics.files import EMAIL
from engine.metrics.registry import record_change

THRESHOLD_FIELDS = ("norm_value", "alert_value", "target_value", "target_due_date")
UNSET: Any = object()


class MetricNotFound(NotFound):
    def __init__(self, metric_id: str) -> None:
        self.metric_id = metric_id
        super().__init__(f"no active metric {metric_id!r}")


@dataclass(frozen=True)
class EditResult:
    metric_id: str
    changed: dict[str, tuple[Any, Any]]


def _current(conn, metric_id: str) -> Any:
    row = conn.execute(
        text(
            "SELECT id, direction, norm_value, alert_value, target_value, target_due_date, owner, "
            "verification_state, definition_hash, threshold_set_by FROM heartbeat.metric_registry "
            "WHERE id = :id AND retired_at IS NULL FOR UPDATE"
        ),
        {"id": metric_id},
    ).first()
    if row is None:
        raise MetricNotFound(metric_id)
    return row


def check_owner(owner: str | None) -> str | None:
    if owner is None:
        return None
    owner = owner.strip()
    if not owner:
        return None
    if len(owner) > 254 or not EMAIL.match(owner):
        raise FieldRejected("owner", "must be an email address, e.g. ops@example.com")
    return owner


def set_verification(
    engine: Engine, metric_id: str, *, actor: str, verification_state: str | Any = UNSET, owner: str | None | Any = UNSET
) -> EditResult:
    """Change the owner and/or the verification state; verifying records who, when and what was verified."""
    if verification_state is not UNSET and verification_state not in ("verified", "unverified"):
        raise FieldRejected("verification_state", "must be 'verified' or 'unverified'")
    new_owner = check_owner(owner) if owner is not UNSET else UNSET
    changed: dict[str, tuple[Any, Any]] = {}
    with engine.begin() as conn:
        row = _current(conn, metric_id)
        if new_owner is not UNSET and new_owner != row.owner:
            set_by = {**(row.threshold_set_by or {}), "owner": "operator"}
            conn.execute(
                text("UPDATE heartbeat.metric_registry SET owner = :owner, "
                     "threshold_set_by = CAST(:set_by AS jsonb) WHERE id = :id"),
                {"owner": new_owner, "set_by": json.dumps(set_by), "id": metric_id},
            )
            record_change(conn, metric_id, "owner", row.owner, new_owner, actor)
            changed["owner"] = (row.owner, new_owner)
        if verification_state is not UNSET and verification_state != row.verification_state:
            verified = verification_state == "verified"
            conn.execute(
                text(
                    "UPDATE heartbeat.metric_registry SET verification_state = :state, verified_by = :by, "
                    "verified_at = CASE WHEN :verified THEN now() END, verified_hash = :hash WHERE id = :id"
                ),
                {"state": verification_state, "by": actor if verified else None, "verified": verified,
                 "hash": row.definition_hash if verified else None, "id": metric_id},
            )
            record_change(conn, metric_id, "verification_state", row.verification_state, verification_state, actor,
                          f"definition {row.definition_hash}" if verified else None)
            changed["verification_state"] = (row.verification_state, verification_state)
    return EditResult(metric_id, changed)


def _finite(field: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FieldRejected(field, "must be a finite number or null")
    return float(value)


def set_thresholds(engine: Engine, metric_id: str, *, actor: str, today: date, **values: Any) -> EditResult:
    """Change any of norm/alert/target/due date; the result must still make sense for the direction."""
    unknown = set(values) - set(THRESHOLD_FIELDS)
    if unknown:
        raise FieldRejected(sorted(unknown)[0], f"unknown field; valid: {', '.join(THRESHOLD_FIELDS)}")
    clean: dict[str, Any] = {}
    for field in ("norm_value", "alert_value", "target_value"):
        if field in values:
            clean[field] = _finite(field, values[field])
    if "target_due_date" in values:
        due = values["target_due_date"]
        if due is not None and not isinstance(due, date):
            raise FieldRejected("target_due_date", "must be a date (YYYY-MM-DD) or null")
        if due is not None and due < today:
            raise FieldRejected("target_due_date", f"must not be in the past (today is {today.isoformat()})")
        clean["target_due_date"] = due
    changed: dict[str, tuple[Any, Any]] = {}
    with engine.begin() as conn:
        row = _current(conn, metric_id)
        merged = {f: clean.get(f, getattr(row, f)) for f in THRESHOLD_FIELDS}
        if not contract.lines_in_order(merged["norm_value"], merged["alert_value"], row.direction):
            side = "above" if row.direction == "higher_is_better" else "below"
            field = "norm_value" if "norm_value" in clean else "alert_value"
            raise FieldRejected(
                field,
                f"the amber line (norm {merged['norm_value']}) must sit {side} the red line "
                f"(alert {merged['alert_value']}) for a {row.direction.replace('_', ' ')} metric",
            )
        if merged["target_due_date"] is not None and merged["target_value"] is None:
            raise FieldRejected("target_due_date", "a due date needs a target_value")
        updates = {f: v for f, v in clean.items() if v != getattr(row, f)}
        if updates:
            set_by = {**(row.threshold_set_by or {}), **{f: "operator" for f in updates}}
            assignments = ", ".join(f"{f} = :{f}" for f in updates)
            conn.execute(
                text(f"UPDATE heartbeat.metric_registry SET {assignments}, "
                     "threshold_set_by = CAST(:set_by AS jsonb) WHERE id = :id"),
                {**updates, "set_by": json.dumps(set_by), "id": metric_id},
            )
            for field, value in updates.items():
                record_change(conn, metric_id, field, getattr(row, field), value, actor)
                changed[field] = (getattr(row, field), value)
    return EditResult(metric_id, changed)
