"""Log in and log out (``/login``, ``/logout``), with throttling and an audit record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from socialinvest.output.messages import text
from socialinvest.store import audit
from socialinvest.store import users as user_store
from socialinvest.store.models import User, WebSession
from socialinvest.web import security
from socialinvest.web.deps import get_db, optional_user, settings_of, web_session

router = APIRouter()


def request_lang(request: Request) -> str:
    """The page language: ``?lang=``, else the ``lang`` cookie, else the session's, else da."""
    for candidate in (
        request.query_params.get("lang"),
        request.cookies.get("lang"),
        getattr(getattr(request.state, "web_session", None), "lang", None),
    ):
        if candidate in ("da", "en"):
            return str(candidate)
    return "da"


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in (never another site)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    from socialinvest.web.templating import render

    lang = request_lang(request)
    context.setdefault("error", None)
    context.setdefault("username", "")
    context.setdefault("next", safe_next(request.query_params.get("next")))
    return render(request, "login.html", {"lang": lang, **context}, status_code=status)


@router.get("/login")
def login_page(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _page(request)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    db: Annotated[Session, Depends(get_db)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings = settings_of(request)
    lang = request_lang(request)
    address = _client(request)
    target = safe_next(next)
    if security.throttled(db, username, address, settings):
        audit.record(db, "login.throttled", detail_user=username[:100])
        db.commit()
        return _page(
            request,
            429,
            error=text(lang, "web_login_throttled", minutes=settings.throttle_minutes),
            username=username,
            next=target,
        )
    user = user_store.by_username(db, username)
    if not security.verify_password(user, password):
        security.record_failure(db, username, address, settings)
        audit.record(
            db,
            "login.failed",
            user=user,
            organisation_id=user.organisation_id if user is not None else None,
        )
        db.commit()
        return _page(
            request, 400, error=text(lang, "web_login_wrong"), username=username, next=target
        )
    assert user is not None
    security.clear_failures(db, username, settings)
    audit.record(db, "login", user=user)
    cookie = security.start_session(db, user, settings, lang)
    response = RedirectResponse(target, status_code=303)
    security.set_session_cookie(response, cookie, settings)
    return response


@router.post("/logout")
def logout(
    request: Request,
    db: Annotated[Session, Depends(get_db)],
    found: Annotated[WebSession | None, Depends(web_session)],
) -> Response:
    settings = settings_of(request)
    if found is not None:
        audit.record(db, "logout", user=found.user)
        db.commit()
    security.end_session(db, request.cookies.get(security.SESSION_COOKIE), settings)
    response = RedirectResponse("/login", status_code=303)
    security.clear_session_cookie(response, settings)
    return response
