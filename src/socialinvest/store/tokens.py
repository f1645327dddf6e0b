"""Personal API tokens: shown once, stored as a keyed hash, scoped read or write, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialinvest.errors import InputError
from socialinvest.store import audit
from socialinvest.store.models import ApiToken, User, now

PREFIX = "si_"
SCOPES = ("read", "write")


def token_hash(token: str, key: bytes) -> str:
    """The keyed hash (HMAC-SHA256 with the server's secret key) under which a token is kept."""
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def create(db: Session, user: User, name: str, scope: str, key: bytes) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row and the token itself (shown to the user once)."""
    if scope not in SCOPES:
        raise InputError("read or write", field="scope", value=scope)
    cleaned = " ".join(name.split())[:100]
    if not cleaned:
        raise InputError("a non-empty name", field="name", value=name)
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=cleaned,
        token_hash=token_hash(token, key),
        prefix=token[:10],
        scope=scope,
    )
    db.add(row)
    db.flush()
    audit.record(db, "token.create", user=user, token_id=row.id, scope=scope)
    db.commit()
    return row, token


def authenticate(db: Session, token: str, key: bytes) -> ApiToken | None:
    """The live token row for ``token`` (its user active), or None."""
    if not token.startswith(PREFIX):
        return None
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token, key)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    moment = now()
    if row.last_used_at is None or (moment - row.last_used_at).total_seconds() > 60:
        row.last_used_at = moment  # at most once a minute: reading should not write each time
        db.commit()
    return row


def of_user(db: Session, user: User) -> list[ApiToken]:
    return list(
        db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def revoke(db: Session, user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; False when ``user`` has no such token."""
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    if row.revoked_at is None:
        row.revoked_at = now()
        audit.record(db, "token.revoke", user=user, token_id=row.id)
        db.commit()
    return True
