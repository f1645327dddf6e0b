"""The partnerships API: each partnership role sees and does what it may, an organisation
outside the partnership gets 404, an investor never reaches a participant's row."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from .conftest import bearer
from .ledger_web_support import Deal, make_deal, outcomes_csv, use_key


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def test_roles_through_the_api(client: Any, db: Session, deal: Deal) -> None:
    h = {name: bearer(db, u) for name, u in deal.users.items()}
    base = f"/api/v1/partnerships/{deal.id}"
    cpr = deal.numbers[0]
    body = {"cpr": cpr, "enrolled": "2024-01-15", "cohort": "2024"}
    # only the payer, or the provider as its data processor, enrols
    assert client.post(f"{base}/participants", json=body, headers=h["ivan"]).status_code == 403
    assert client.post(f"{base}/participants", json=body, headers=h["eva"]).status_code == 403
    answer = client.post(f"{base}/participants", json=body, headers=h["pia"])
    assert answer.status_code == 201, answer.text
    again = client.post(f"{base}/participants", json=body, headers=h["paul"])
    assert again.status_code == 422 and cpr not in again.text and cpr[:6] not in again.text
    bad = client.post(f"{base}/participants", json={**body, "cpr": "3213991234"}, headers=h["pia"])
    assert bad.status_code == 422 and "3213991234" not in bad.text
    # the provider imports; the evaluator verifies; the payer approves
    up = client.post(
        f"{base}/imports",
        files={"file": ("q1.csv", outcomes_csv([(1, "job", 1, 1), (1, "in_work", 1, 13)]))},
        headers=h["paul"],
    )
    assert up.status_code == 201, up.text
    ids = up.json()["records"]
    decide = {"records": ids, "decision": "verify"}
    assert client.post(f"{base}/decisions", json=decide, headers=h["pia"]).status_code == 403
    assert client.post(f"{base}/decisions", json=decide, headers=h["eva"]).status_code == 200
    assert client.post(f"{base}/settlements/1/approve", headers=h["eva"]).status_code == 403
    assert client.post(f"{base}/settlements/1/approve", headers=h["ivan"]).status_code == 403
    approved = client.post(f"{base}/settlements/1/approve", headers=h["pia"])
    assert approved.status_code == 200 and approved.json()["totals"] == {"Kommune": 6950.0}
    # the payer sees lines per pseudonym, explained; the investor totals only
    full = client.get(f"{base}/settlements/1", headers=h["pia"]).json()
    words = " ".join(x["text"] for x in full["explained"])
    # by hand: the job line 5,000 kr.; the weeks line 13 × 150 = 1,950 kr.
    assert "Amount: DKK 5,000.00" in words and "Amount: DKK 1,950.00" in words, words
    investor = client.get(f"{base}/settlements/1", headers=h["ivan"]).json()
    assert "explained" not in investor
    assert investor["payers"] == {"Kommune": {"total": 6950.0}}
    # an investor never reaches a participant's row
    for path in ("/participants", "/records", "/records?status=verified"):
        assert client.get(base + path, headers=h["ivan"]).status_code == 403
        assert client.get(base + path, headers=h["bank"]).status_code == 403
        assert client.get(base + path, headers=h["pia"]).status_code == 200
    status = client.get(base, headers=h["ivan"]).json()
    assert status["participants"]["active"] == {"count": None, "suppressed": True}
    assert "pseudonym" not in str(status)
    # an organisation outside the partnership: 404 everywhere, and it is not listed
    for method, path in [
        ("GET", ""),
        ("GET", "/participants"),
        ("GET", "/records"),
        ("GET", "/settlements/1"),
        ("GET", "/forecast?draws=50"),
        ("GET", "/verify"),
        ("POST", "/settlements/1/approve"),
    ]:
        assert client.request(method, base + path, headers=h["otto"]).status_code == 404
    assert client.post(f"{base}/participants", json=body, headers=h["otto"]).status_code == 404
    assert client.get("/api/v1/partnerships", headers=h["otto"]).json() == []
    listed = client.get("/api/v1/partnerships", headers=h["ivan"]).json()
    assert [(p["id"], p["roles"]) for p in listed] == [(deal.id, ["investor"])]
    check = client.get(f"{base}/verify", headers=h["ivan"]).json()
    assert check["ok"] is True


def test_a_request_that_fails_validation_never_repeats_a_cpr_number() -> None:
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from fastapi.testclient import TestClient

    from socialinvest.web.api.errors import validation_error_body
    from socialinvest.web.api.partnerships import EnrolIn

    app = FastAPI()

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: object, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_error_body(exc), status_code=422)

    def _enrol(body: EnrolIn) -> dict[str, str]:
        return {}

    _enrol.__annotations__["body"] = EnrolIn  # this module's annotations are strings
    app.post("/enrol")(_enrol)

    client = TestClient(app)
    ok = {"cpr": "6101901234", "enrolled": "2024-01-15", "cohort": "2024"}
    for bad in ({"cpr": 6101901234}, {"enrolled": "0101901234"}, {"eligibility": ["6101901234"]}):
        answer = client.post("/enrol", json={**ok, **bad})
        assert answer.status_code == 422
        assert "0101901234" not in answer.text and "6101901234" not in answer.text
        assert "[number not shown]" in answer.json()["detail"]
