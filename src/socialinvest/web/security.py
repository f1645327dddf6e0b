"""Passwords, login sessions, CSRF tokens, login throttling and the security headers.

- Passwords: argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
- Sessions: a random id in an HttpOnly, SameSite=Lax cookie (Secure unless the server listens on
  this machine only); the database keeps only its keyed hash, so a copy of the database does not
  let anyone in, and logging out ends the session on the server.
- CSRF: every state-changing request carries the session's token (form field ``csrf_token`` or
  header ``X-CSRF-Token``), checked for every route by ``deps.csrf_protect``; before login the
  token is a random cookie value (double submit), so the login form is protected too.
- Throttling: after ``max_failed_logins`` failures for a user name or from one address within
  ``throttle_minutes``, logins are refused without checking the password.
- Headers: a Content-Security-Policy allowing this server only and no inline script, frame
  denial, no MIME sniffing, a same-origin referrer; request bodies above the limit get 413.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from socialinvest.errors import InputError, msg
from socialinvest.store.models import LoginAttempt, User, WebSession, now

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from socialinvest.web.settings import Settings

SESSION_COOKIE = "si_session"
CSRF_COOKIE = "si_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_PASSWORD = 10

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


# --- passwords -------------------------------------------------------------------------------


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id by default


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``; a password shorter than 10 characters is refused."""
    check_password(password)
    return str(_hasher().hash(password))


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(msg("cc_e_password_length", n=MIN_PASSWORD), field=field, has_value=False)


_DUMMY: list[str] = []
#: argon2id takes 64 MiB and tens of milliseconds per check by design; at most two at a time, so
#: a burst of logins cannot exhaust the server's memory or starve other requests.
_VERIFYING = threading.BoundedSemaphore(2)


def verify_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s (the same work is done for an unknown user)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if user is None:
        if not _DUMMY:
            _DUMMY.append(_hasher().hash(secrets.token_urlsafe(16)))
        stored = _DUMMY[0]
    else:
        stored = user.password_hash
    try:
        with _VERIFYING:
            ok = bool(_hasher().verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.active


# --- keyed hashes ----------------------------------------------------------------------------


def keyed_hash(value: str, key: bytes, purpose: str) -> str:
    return hmac.new(key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


# --- sessions --------------------------------------------------------------------------------


def start_session(db: Session, user: User, settings: Settings, lang: str = "da") -> str:
    """A new login session for ``user`` (committed); returns the cookie value."""
    session_id = secrets.token_urlsafe(32)
    db.add(
        WebSession(
            id_hash=keyed_hash(session_id, settings.secret_key, "session"),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            lang=lang if lang in ("da", "en") else "da",
            expires_at=now() + timedelta(hours=settings.session_hours),
        )
    )
    db.execute(delete(WebSession).where(WebSession.expires_at < now()))
    db.commit()
    return session_id


def find_session(db: Session, cookie: str | None, settings: Settings) -> WebSession | None:
    if not cookie or len(cookie) > 200:
        return None
    found = db.scalar(
        select(WebSession).where(
            WebSession.id_hash == keyed_hash(cookie, settings.secret_key, "session")
        )
    )
    if found is None or found.expires_at < now() or not found.user.active:
        return None
    return found


def end_session(db: Session, cookie: str | None, settings: Settings) -> None:
    if cookie:
        db.execute(
            delete(WebSession).where(
                WebSession.id_hash == keyed_hash(cookie, settings.secret_key, "session")
            )
        )
        db.commit()


def set_session_cookie(response: Response, value: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )


# --- CSRF ------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The CSRF token the current page must send back with a state-changing request."""
    state = request.state
    web_session = getattr(state, "web_session", None)
    if web_session is not None:
        return str(web_session.csrf_token)
    token = request.cookies.get(CSRF_COOKIE)
    if token and 20 <= len(token) <= 100:
        return token
    new = getattr(state, "new_csrf_cookie", None)
    if new is None:
        new = secrets.token_urlsafe(32)
        state.new_csrf_cookie = new
    return str(new)


def csrf_field(request: Request) -> Markup:
    """The hidden form field carrying the CSRF token (call it in every POST form)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token(request))
    )


def csrf_valid(request: Request, sent: str | None) -> bool:
    if not sent:
        return False
    expected = csrf_token(request)
    return hmac.compare_digest(sent.encode(), expected.encode())


# --- throttling ------------------------------------------------------------------------------


def _attempt_keys(username: str, address: str, key: bytes) -> list[str]:
    return [
        keyed_hash(username.strip().lower(), key, "login-user"),
        keyed_hash(address, key, "login-address"),
    ]


def throttled(db: Session, username: str, address: str, settings: Settings) -> bool:
    """Whether logins for ``username`` or from ``address`` are refused for now (an address
    gets four times as many tries as a user name: several people may share it)."""
    since = now() - timedelta(minutes=settings.throttle_minutes)
    user_key, address_key = _attempt_keys(username, address, settings.secret_key)
    limits = ((user_key, settings.max_failed_logins), (address_key, 4 * settings.max_failed_logins))
    for key, limit in limits:
        failures = db.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.key_hash == key, LoginAttempt.at >= since)
        )
        if (failures or 0) >= limit:
            return True
    return False


def record_failure(db: Session, username: str, address: str, settings: Settings) -> None:
    for key in _attempt_keys(username, address, settings.secret_key):
        db.add(LoginAttempt(key_hash=key))
    db.execute(
        delete(LoginAttempt).where(
            LoginAttempt.at < now() - timedelta(minutes=settings.throttle_minutes * 4)
        )
    )
    db.commit()


def clear_failures(db: Session, username: str, settings: Settings) -> None:
    key = _attempt_keys(username, "", settings.secret_key)[0]
    db.execute(delete(LoginAttempt).where(LoginAttempt.key_hash == key))


# --- headers and body size -------------------------------------------------------------------


class SecurityMiddleware:
    """Adds the security headers to every response, sets a new pre-login CSRF cookie when a page
    made one, and refuses request bodies larger than ``max_body`` bytes (413)."""

    def __init__(self, app: ASGIApp, max_body: int, secure_cookies: bool) -> None:
        self.app = app
        self.max_body = max_body
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _too_large(send)
            return
        received = 0
        max_body = self.max_body

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise _BodyTooLarge
            return message

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = list(HEADERS)
                new_cookie = scope.get("state", {}).get("new_csrf_cookie")
                if new_cookie:
                    cookie = f"{CSRF_COOKIE}={new_cookie}; Path=/; HttpOnly; SameSite=Lax"
                    if self.secure:
                        cookie += "; Secure"
                    extra.append((b"set-cookie", cookie.encode()))
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in existing or k == b"set-cookie"
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if not started:
                await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"detail":"The request is larger than this server accepts."}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), *HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})
