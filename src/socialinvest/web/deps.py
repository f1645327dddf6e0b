"""FastAPI dependencies: the database session, who is asking, and what they may do.

Pages and API routes declare what they need::

    @router.get("/cases/{case_id}")
    def page(case_id: int, db: Session = Depends(get_db), user: User = Depends(current_user)):
        case = readable_case(db, user, case_id)  # 404 unless the user may read it

A case of another organisation (not shared with the user's) answers 404, never 403, so its
existence is not revealed. Writing needs the case's own organisation and an analyst or admin;
approving a reviewer or admin. The CSRF check (``csrf_protect``) runs for every route of the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session

from socialinvest.store import cases as case_store
from socialinvest.store import tokens as token_store
from socialinvest.store.models import ApiToken, Case, User, WebSession
from socialinvest.web import security

if TYPE_CHECKING:
    from socialinvest.web.settings import Settings

#: A row's id in a path: the ids are INTEGER columns (32 bits on PostgreSQL; SQLite refuses to
#: compare with an integer above 64 bits), so a larger number names no row and answers 422.
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class LoginRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_db(request: Request) -> Iterator[Session]:
    """A database session for this request (closed afterwards; commit what you change)."""
    db: Session = request.app.state.sessions()
    try:
        yield db
    finally:
        db.close()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def web_session(request: Request, db: Session = Depends(get_db)) -> WebSession | None:
    """The login session of the cookie (None without one); sets ``request.state.user``."""
    if hasattr(request.state, "resolved"):
        return request.state.web_session  # type: ignore[no-any-return]
    found = None
    token_row = None
    bearer = _bearer(request)
    if bearer is not None:
        token_row = token_store.authenticate(db, bearer, settings_of(request).secret_key)
    else:
        found = security.find_session(
            db, request.cookies.get(security.SESSION_COOKIE), settings_of(request)
        )
    request.state.resolved = True
    request.state.web_session = found
    request.state.api_token = token_row
    request.state.bearer = bearer is not None
    request.state.user = (
        found.user if found is not None else token_row.user if token_row is not None else None
    )
    return found


async def csrf_protect(request: Request, _: WebSession | None = Depends(web_session)) -> None:
    """Refuse a state-changing request without the right CSRF token (API calls authenticated
    by a bearer token carry no cookies and need none)."""
    if request.method in SAFE_METHODS or request.state.bearer:
        return
    sent = request.headers.get(security.CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(security.CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not security.csrf_valid(request, sent):
        raise HTTPException(
            status_code=403,
            detail=(
                "The form has expired or did not come from this site; "
                "reload the page and try again."
            ),
        )


def optional_user(request: Request, _: WebSession | None = Depends(web_session)) -> User | None:
    return request.state.user  # type: ignore[no-any-return]


def current_user(request: Request, _: WebSession | None = Depends(web_session)) -> User:
    """The logged-in user; pages without one redirect to /login, API calls get 401."""
    user: User | None = request.state.user
    if user is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(
                status_code=401,
                detail="Log in or send a personal API token (Authorization: Bearer si_…).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


def writing_user(request: Request, user: User = Depends(current_user)) -> User:
    """The user, when allowed to change things: a token with the read scope is not."""
    token: ApiToken | None = request.state.api_token
    if token is not None and token.scope != "write":
        raise HTTPException(status_code=403, detail="This API token may only read (scope read).")
    return user


def require_editor(user: User = Depends(writing_user)) -> User:
    if not user.can_edit:
        raise HTTPException(status_code=403, detail="Only analysts and admins may change cases.")
    return user


def ensure_reviewer(user: User) -> User:
    """``user`` if a reviewer or admin, else 403 (check the case first: 404 comes before)."""
    if not user.can_approve:
        raise HTTPException(status_code=403, detail="Only reviewers and admins may approve.")
    return user


def ensure_admin(user: User) -> User:
    """``user`` if an admin, else 403 (check the case first: 404 comes before)."""
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="Only admins may do this.")
    return user


def require_reviewer(user: User = Depends(writing_user)) -> User:
    """For routes without a case in the path (with one, use ``ensure_reviewer`` after the
    case, so that another organisation's case answers 404 whatever the role)."""
    return ensure_reviewer(user)


def require_admin(user: User = Depends(writing_user)) -> User:
    """For routes without a case in the path (see ``require_reviewer``)."""
    return ensure_admin(user)


NOT_FOUND = "No such case."


def readable_case(db: Session, user: User, case_id: int) -> Case:
    """The case if ``user`` may read it (own organisation or shared with it); else 404."""
    case = case_store.readable(db, user, case_id)
    if case is None:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return case


def editable_case(db: Session, user: User, case_id: int) -> Case:
    """The case if ``user`` may change it; 404 when they may not even read it, else 403."""
    case = readable_case(db, user, case_id)
    if case.organisation_id != user.organisation_id:
        raise HTTPException(status_code=403, detail="A shared case can only be read.")
    if not user.can_edit:
        raise HTTPException(status_code=403, detail="Only analysts and admins may change cases.")
    return case


def own_case(db: Session, user: User, case_id: int) -> Case:
    """A case of the user's own organisation (for approving, sharing); else 404/403."""
    case = readable_case(db, user, case_id)
    if case.organisation_id != user.organisation_id:
        raise HTTPException(status_code=403, detail="A shared case can only be read.")
    return case
