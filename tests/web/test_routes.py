"""Every route with a case in its path, found by walking the app (pages and API, so a route
added later is covered too): a user of another organisation gets 404 and never the case's
name; a viewer cannot change anything; without a login pages send to /login and the API
answers 401."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from socialinvest.store import cases as case_store

from ..conftest import EXAMPLES
from .conftest import People, bearer, make_app
from .test_security import login

SECRET_NAME = "Fortroligt projekt Nordkraft"
TEXT = (EXAMPLES / "impact60-job-education.yaml").read_text(encoding="utf-8")
# API calls that read a case and compute from it: a viewer (and a shared organisation) may.
COMPUTES = re.compile(r"/api/v1/cases/\{case_id\}/(runs|sensitivity|contract|reports)$")


def routes(app: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of every route of the app, included routers unfolded."""

    def walk(items: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in items:
            if hasattr(route, "original_router"):
                context = getattr(route, "include_context", None)
                yield from walk(
                    route.original_router.routes, prefix + (getattr(context, "prefix", "") or "")
                )
            elif hasattr(route, "routes") and hasattr(route, "prefix"):
                yield from walk(route.routes, prefix + route.prefix)
            elif getattr(route, "methods", None):
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + route.path

    yield from walk(app.routes, "")


def _fill(path: str, case_id: int) -> str:
    values = {"case_id": str(case_id), "number": "1", "fmt": "yaml", "organisation": "x"}
    url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "1"), path)
    if url.endswith("/diff"):  # both forms of the two versions to compare
        url += "?from=1&to=1&a=1&b=1"
    return url


@pytest.fixture
def setup(db_url: str, db: Session, people: People) -> Iterator[dict[str, Any]]:
    app = make_app(db_url)
    case = case_store.create_case(db, people.analyst, SECRET_NAME, TEXT)
    clients = {}
    for name in ("otto", "vera"):
        client = TestClient(app)
        assert login(client, name).status_code == 303
        clients[name] = client
    yield {
        "app": app,
        "case": case,
        "clients": clients,
        "outsider": bearer(db, people.outsider),
        "viewer": bearer(db, people.viewer),
        "anonymous": TestClient(app),
    }


# Well-formed bodies, so that an answer is about the case, not about the body's shape.
BODIES = {
    "/versions": {"text": TEXT, "base": 1, "message": "x"},
    "/shares": {"organisation": "Investor A/S"},
    "PATCH": {"tags": ["x"], "archived": True},
}


# Plausible form fields of the pages' forms (extra fields are ignored).
FORM = {
    "number": "1",
    "version": "1",
    "organisation": "Investor A/S",
    "tags": "x",
    "archived": "1",
    "message": "x",
    "text": TEXT,
}


def _send(client: TestClient, method: str, url: str, headers: dict[str, str] | None = None) -> Any:
    if url.startswith("/api/"):
        body = BODIES.get(method) or next((b for end, b in BODIES.items() if url.endswith(end)), {})
        return client.request(method, url, headers=headers, json=body)
    data: dict[str, str] = {}
    if method == "POST":
        page = client.get("/cases")
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        data = {"csrf_token": token.group(1)} if token else {}
        data.update(FORM)
    return client.request(method, url, data=data or None, follow_redirects=False)


def test_another_organisation_gets_404_on_every_case_route(setup: dict[str, Any]) -> None:
    case_id = setup["case"].id
    checked = []
    wrong = []
    for method, path in routes(setup["app"]):
        if "{case_id}" not in path:
            continue
        url = _fill(path, case_id)
        client = setup["clients"]["otto"]
        answer = _send(client, method, url, setup["outsider"])
        if answer.status_code != 404 or SECRET_NAME in answer.text:
            wrong.append((method, url, answer.status_code, answer.text[:100]))
        checked.append(path)
    assert wrong == []
    assert len(checked) >= 20  # pages and API


def test_a_viewer_changes_nothing(setup: dict[str, Any], db: Session) -> None:
    case = setup["case"]
    wrong = []
    for method, path in routes(setup["app"]):
        if method == "GET" or "{case_id}" not in path or COMPUTES.search(path):
            continue
        url = _fill(path, case.id)
        answer = _send(setup["clients"]["vera"], method, url, setup["viewer"])
        if answer.status_code != 403:
            wrong.append((method, url, answer.status_code, answer.text[:100]))
    assert wrong == []
    db.expire_all()
    assert [v.number for v in case_store.history(db, case)] == [1]
    assert case.status == "draft" and not case.shares and not case.tags


def test_without_a_login_pages_send_to_login_and_the_api_answers_401(
    setup: dict[str, Any],
) -> None:
    anonymous = setup["anonymous"]
    public = {"/", "/login", "/lang/{code}", "/api/v1/openapi.json"}  # "/" sends to /cases
    for method, path in routes(setup["app"]):
        if path in public or method != "GET":
            continue
        answer = anonymous.get(_fill(path, setup["case"].id), follow_redirects=False)
        if path.startswith("/api/"):
            assert answer.status_code == 401, path
        else:
            assert answer.status_code == 303 and answer.headers["location"].startswith(
                "/login?next="
            ), (path, answer.status_code)
