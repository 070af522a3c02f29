"""Writing audit entries, in the caller's transaction: an action and its audit entry
are committed together or not at all."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from handoff.audit.models import AuditEntry


def record(
    session: Session,
    *,
    action: str,
    account_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        account_id=account_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=dict(details or {}),
    )
    session.add(entry)
    return entry
