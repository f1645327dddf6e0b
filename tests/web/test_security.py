"""Login, sessions, CSRF, throttling, security headers, body size, secrets and passwords."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from socialinvest.store.models import AuditEvent, WebSession
from socialinvest.web import security

from .conftest import PASSWORD, People, make_app


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": _csrf(page.text),
            "next": "/api/v1/me",
        },
        follow_redirects=False,
    )


def test_login_session_cookie_and_logout(client: TestClient, db: Session, people: People) -> None:
    answer = login(client, "anna")
    assert answer.status_code == 303 and answer.headers["location"] == "/api/v1/me"
    cookie = answer.headers["set-cookie"]
    assert "si_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the test server is on this machine
    value = client.cookies.get(security.SESSION_COOKIE)
    assert value and client.get("/api/v1/me").json()["username"] == "anna"
    # the database keeps only a keyed hash of the session id
    stored = db.scalars(select(WebSession.id_hash)).all()
    assert value not in stored and len(stored) == 1
    # a state-changing call with the session needs the CSRF token
    assert client.post("/api/v1/tokens", json={"name": "t"}).status_code == 403
    token = db.scalars(select(WebSession.csrf_token)).one()
    made = client.post("/api/v1/tokens", json={"name": "t"}, headers={"X-CSRF-Token": token})
    assert made.status_code == 201
    # logging out ends the session on the server
    page_token = token
    out = client.post("/logout", data={"csrf_token": page_token}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set(security.SESSION_COOKIE, value)  # a stolen copy of the cookie
    assert client.get("/api/v1/me").status_code == 401
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-3:] == ["login", "token.create", "logout"]


def test_secure_cookie_outside_localhost(db_url: str, people: People) -> None:
    with TestClient(make_app(db_url, secure_cookies=True), base_url="https://testserver") as c:
        assert "Secure" in login(c, "anna").headers["set-cookie"]


def test_login_form_needs_its_csrf_token(client: TestClient, people: People) -> None:
    answer = client.post(
        "/login", data={"username": "anna", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403
    forged = client.post(
        "/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": "x" * 43},
        follow_redirects=False,
    )
    assert forged.status_code == 403


def test_wrong_password_and_throttling(client: TestClient, db: Session, people: People) -> None:
    assert login(client, "anna", "wrong password!").status_code == 400
    assert login(client, "nobody", "wrong password!").status_code == 400
    for _ in range(4):
        login(client, "anna", "wrong password!")
    # five failures for anna: even the right password is refused for now
    refused = login(client, "anna")
    assert refused.status_code == 429
    assert "15" in refused.text
    # another user from the same address still gets in (an address gets more tries)
    assert login(client, "bo").status_code == 303
    failed = db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("login%"))).all()
    assert failed.count("login.failed") == 6 and "login.throttled" in failed
    assert PASSWORD not in str(db.execute(text("SELECT * FROM audit_events")).all())


def test_security_headers_and_open_redirect(client: TestClient, people: People) -> None:
    for path in ("/login", "/api/v1/openapi.json", "/api/v1/me", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "http" not in csp  # no outside host
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "username": "anna",
            "password": PASSWORD,
            "csrf_token": _csrf(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"
    assert client.get("/api/v1/docs").status_code == 404  # Swagger would load a CDN


def test_request_body_limit(sqlite_url: str, people: People) -> None:
    with TestClient(make_app(sqlite_url, max_upload_bytes=1000)) as c:
        answer = c.post(
            "/api/v1/cases", content=b"x" * 5000, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 413


def test_passwords_are_argon2id_and_short_ones_refused() -> None:
    hashed = security.hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    from socialinvest.errors import InputError

    with pytest.raises(InputError, match="at least 10 characters"):
        security.hash_password("short")


def test_secret_key_from_environment_or_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialinvest.web.settings import secret_key

    monkeypatch.delenv("SOCIALINVEST_SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) == 64 and secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("SOCIALINVEST_SECRET_KEY", "s" * 40)
    assert secret_key(tmp_path) == b"s" * 40
