"""The audit trail: one row per login, save, approval, share, token and user change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialinvest.store.models import AuditEvent, User


def record(
    db: Session,
    action: str,
    *,
    user: User | None = None,
    organisation_id: int | None = None,
    case_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to ``db`` (committed with the change it records)."""
    event = AuditEvent(
        action=action,
        user_id=user.id if user is not None else None,
        organisation_id=organisation_id
        if organisation_id is not None
        else (user.organisation_id if user is not None else None),
        case_id=case_id,
        detail=detail,
    )
    db.add(event)
    return event


def events(
    db: Session, *, organisation_id: int | None = None, case_id: int | None = None, limit: int = 200
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    return list(db.scalars(query))
