"""Operator edits of a cut: owner and verification, with the same rules and trail as a metric's.

The API and the app's operator mode both call ``set_verification``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from engine.audit.registry import UnknownCut, record_change
from engine.core.errors import FieldRejected
from engine.metrics.edits import UNSET, EditResult, check_owner


def set_verification(engine: Engine, cut_id: str, *, actor: str, verification_state: str | Any = UNSET,
                     owner: str | None | Any = UNSET) -> EditResult:
    """Change the owner and/or the verification state of an active cut; each change is recorded."""
    if verification_state is not UNSET and verification_state not in ("verified", "unverified"):
        raise FieldRejected("verification_state", "must be 'verified' or 'unverified'")
    new_owner = check_owner(owner) if owner is not UNSET else UNSET
    changed: dict[str, tuple[Any, Any]] = {}
    with engine.begin() as conn:
        row = conn.execute(text("SELECT owner, verification_state FROM heartbeat.audit_cut_registry "
                                "WHERE id = :id AND retired_at IS NULL FOR UPDATE"), {"id": cut_id}).first()
        if row is None:
            raise UnknownCut(cut_id)
        if new_owner is not UNSET and new_owner != row.owner:
            conn.execute(text("UPDATE heartbeat.audit_cut_registry SET owner = :owner WHERE id = :id"),
                         {"owner": new_owner, "id": cut_id})
            record_change(conn, cut_id, "owner", row.owner, new_owner, actor)
            changed["owner"] = (row.owner, new_owner)
        if verification_state is not UNSET and verification_state != row.verification_state:
            verified = verification_state == "verified"
            conn.execute(
                text("UPDATE heartbeat.audit_cut_registry SET verification_state = :state, verified_by = :by, "
                     "verified_at = CASE WHEN :verified THEN now() END WHERE id = :id"),
                {"state": verification_state, "by": actor if verified else None, "verified": verified, "id": cut_id},
            )
            record_change(conn, cut_id, "verification_state", row.verification_state, verification_state, actor)
            changed["verification_state"] = (row.verification_state, verification_state)
    return EditResult(cut_id, changed)


def changes(engine: Engine, cut_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The newest entries of a cut's change trail."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT field, old_value, new_value, changed_by, changed_at, note "
                                 "FROM heartbeat.registry_change WHERE entity = 'cut' AND entity_id = :id "
                                 "ORDER BY changed_at DESC, id DESC LIMIT :limit"),
                            {"id": cut_id, "limit": limit}).mappings().all()
    return [dict(r) for r in rows]
