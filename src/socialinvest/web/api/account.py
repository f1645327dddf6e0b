"""Who am I, and my personal API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy.orm import Session

from socialinvest.store import audit
from socialinvest.store import tokens as token_store
from socialinvest.store import users as user_store
from socialinvest.store.models import User
from socialinvest.web.api.convert import token_out, user_out
from socialinvest.web.api.errors import UNPROCESSABLE, MessageOut
from socialinvest.web.api.schemas import (
    AuditOut,
    NewTokenOut,
    OrganisationOut,
    TokenIn,
    TokenOut,
    UserOut,
)
from socialinvest.web.deps import ItemId, current_user, get_db, settings_of, writing_user

router = APIRouter(tags=["account"])
Db = Annotated[Session, Depends(get_db)]


@router.get("/me", response_model=UserOut)
def me(user: Annotated[User, Depends(current_user)]) -> UserOut:
    """The user the request is made as."""
    return user_out(user)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(db: Db, user: Annotated[User, Depends(current_user)]) -> list[TokenOut]:
    """Your API tokens (never the tokens themselves)."""
    return [token_out(t) for t in token_store.of_user(db, user)]


@router.post("/tokens", response_model=NewTokenOut, status_code=201, responses=UNPROCESSABLE)
def create_token(
    body: TokenIn, request: Request, db: Db, user: Annotated[User, Depends(writing_user)]
) -> NewTokenOut:
    """A new personal API token, scoped read or write; the answer is the only time it is shown."""
    row, token = token_store.create(
        db, user, body.name, body.scope, settings_of(request).secret_key
    )
    return NewTokenOut(**token_out(row).model_dump(), token=token)


@router.delete("/tokens/{token_id}", status_code=204, responses=UNPROCESSABLE)
def revoke_token(
    token_id: ItemId, db: Db, user: Annotated[User, Depends(writing_user)]
) -> Response:
    """Revoke one of your tokens (it stops working at once)."""
    if not token_store.revoke(db, user, token_id):
        raise HTTPException(status_code=404, detail="No such token.")
    return Response(status_code=204)


@router.get("/organisations", response_model=list[OrganisationOut])
def organisations(db: Db, _: Annotated[User, Depends(current_user)]) -> list[OrganisationOut]:
    """The organisations a case can be shared with (by name)."""
    return [OrganisationOut(id=o.id, name=o.name) for o in user_store.organisations(db)]


@router.get("/audit", response_model=list[AuditOut], responses={403: {"model": MessageOut}})
def organisation_audit(
    db: Db,
    user: Annotated[User, Depends(current_user)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    """Your organisation's audit trail, newest first: logins, saves, approvals, shares, tokens
    and users (admins only)."""
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="Only admins may read the audit trail.")
    names = {u.id: u.username for u in user_store.members(db, user.organisation_id)}
    return [
        AuditOut(
            at=e.at,
            action=e.action,
            user=names.get(e.user_id) if e.user_id else None,
            case_id=e.case_id,
            detail=e.detail,
        )
        for e in audit.events(db, organisation_id=user.organisation_id, limit=limit)
    ]
