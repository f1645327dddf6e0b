"""Who may reach what (issue 12): a table of every newer route (amendments, exit / withdraw /
anonymise, the statement PDF and XLSX, the realised INDIGO export, the renegotiation page) by
every partnership role. An outside organisation gets 404, a role that may not act 403, and an
investor's answer never holds a participant's pseudonym (not in the PDF's text, the XLSX's
cells or the INDIGO JSON either)."""

from __future__ import annotations

import io
import subprocess
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from .conftest import make_app
from .ledger_web_support import Deal, make_deal, use_key
from .test_ledger_hostile12 import _setup
from .test_pages import client_for, csrf


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return with_auditor(db, make_deal(db))


def with_auditor(db: Session, deal: Deal) -> Deal:
    """An auditing organisation made a party (role auditor), with its user "aud"."""
    from socialinvest.store import partnerships as store
    from socialinvest.store import users as user_store

    from .conftest import password_hash

    org = user_store.organisation(db, "Revisor", create=True)
    db.execute(
        store.parties.insert().values(
            partnership_id=deal.id, organisation_id=org.id, role="auditor"
        )
    )
    deal.users["aud"] = user_store.create_user(db, org, "aud", password_hash(), role="analyst")
    db.commit()
    return deal


USERS = ("pia", "paul", "eva", "ivan", "bank", "aud", "otto")
ALL = dict.fromkeys(("pia", "paul", "eva", "ivan", "bank", "aud"), 200) | {"otto": 404}
PAYER_ONLY = {"pia": 201, "otto": 404} | dict.fromkeys(("paul", "eva", "ivan", "bank", "aud"), 403)
ENROLLERS = {"pia": 200, "paul": 200, "otto": 404} | dict.fromkeys(
    ("eva", "ivan", "bank", "aud"), 403
)
NOT_AN_AMENDMENT = {
    "effective": 3,
    "reference": "Allonge 9",
    "agreed_by": ["Provider", "Fund", "Bank"],
    "prices": {"per week in work": 210},
}

# (method, path under the partnership, JSON body, expected status per user)
API_TABLE: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/amendments", None, ALL),
    ("GET", "/settlements/2/statement?format=pdf", None, ALL),
    ("GET", "/settlements/2/statement?format=xlsx", None, ALL),
    ("GET", "/settlements/2/statement?format=pdf&lang=en", None, ALL),
    ("GET", "/indigo?draws=20", None, ALL),
    ("GET", "/renegotiation?price=6000&draws=20", None, ALL),
    ("POST", "/participants/1/exit", {"date": "2024-05-01"}, ENROLLERS),
    ("POST", "/participants/2/withdraw", {"date": "2024-05-01"}, ENROLLERS),
    ("POST", "/participants/1/anonymise", {"date": "2024-06-01"}, ENROLLERS),
    ("POST", "/amendments", NOT_AN_AMENDMENT, PAYER_ONLY),
]


def _pseudonyms(db: Session) -> list[str]:
    """Every participant's pseudonym in full and as the pages show it (key id and 12 hex)."""
    db.rollback()
    full = [str(x) for x in db.execute(text("SELECT pseudonym FROM ledger_participants")).scalars()]
    assert full and all(":" in p for p in full)
    return [*full, *(p[: p.index(":") + 13] for p in full), *(p.split(":")[1][:12] for p in full)]


def _readable(content_type: str, body: bytes) -> str:
    """What a reader of the answer sees: the PDF's text, every XLSX cell, or the body."""
    if "pdf" in content_type:
        assert body.startswith(b"%PDF")
        done = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True
        )
        return done.stdout.decode("utf-8") + body.decode("latin-1")
    if "spreadsheet" in content_type:
        book = load_workbook(io.BytesIO(body))
        cells = [
            str(c)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for c in row
        ]
        return "\n".join(cells)
    return body.decode("utf-8")


def test_every_new_route_by_every_role_through_the_api(
    client: Any, db: Session, deal: Deal
) -> None:
    base, h = _setup(client, db, deal)
    assert client.post(f"{base}/settlements/2/approve", headers=h["pia"]).status_code == 200
    secrets = _pseudonyms(db)
    investor_saw: list[str] = []
    # the writes go in the order of the table, so the payer's (allowed) write comes last
    order = ("otto", "ivan", "bank", "aud", "eva", "paul", "pia")
    for method, path, body, expected in API_TABLE:
        done_by_someone = False
        for name in order:
            want = expected[name]
            if method == "POST" and want in (200, 201) and done_by_someone:
                continue  # one allowed write is enough (a second would be refused as done)
            got = client.request(method, base + path, json=body, headers=h[name])
            assert got.status_code == want, (method, path, name, got.status_code, got.text[:300])
            if want in (200, 201):
                done_by_someone = done_by_someone or method == "POST"
            seen = _readable(got.headers.get("content-type", ""), got.content)
            if name in ("ivan", "bank"):
                investor_saw.append(seen)
            if want == 404:
                assert "Small partnership" not in seen
    # the check finds a pseudonym where there is one: the payer's statement holds them
    payer = client.get(f"{base}/settlements/2/statement?format=xlsx", headers=h["pia"])
    assert any(s in _readable(payer.headers["content-type"], payer.content) for s in secrets)
    everything = "\n".join(investor_saw)
    assert len(everything) > 1000
    for secret in secrets:
        assert secret not in everything, secret


def test_every_new_page_by_every_role(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from socialinvest.store.db import make_engine, session_factory

    use_key(monkeypatch)
    engine = make_engine(sqlite_url)
    db: Session = session_factory(engine)()
    deal = with_auditor(db, make_deal(db))
    app = make_app(sqlite_url)
    with TestClient(app) as api:
        base, h = _setup(api, db, deal)
        assert api.post(f"{base}/settlements/2/approve", headers=h["pia"]).status_code == 200
    secrets = _pseudonyms(db)
    db.close()
    engine.dispose()
    base = f"/partnerships/{deal.id}"
    gets = {
        "/settlements/2/statement.pdf": ALL,
        "/settlements/2/statement.xlsx": ALL,
        "/indigo.json": ALL,
        "/renegotiate?price=6000": ALL,
    }
    investor_saw: list[str] = []
    for name in USERS:
        with client_for(app, name) as c:
            for path, expected in gets.items():
                got = c.get(base + path)
                assert got.status_code == expected[name], (path, name, got.status_code)
                if name in ("ivan", "bank"):
                    investor_saw.append(_readable(got.headers["content-type"], got.content))
            token = csrf(c.get("/").text)
            for action in ("exit", "withdraw", "anonymise"):
                if name in ("pia", "paul"):
                    continue  # allowed: the amendment pages' own test acts as them
                got = c.post(
                    f"{base}/participants/1/{action}",
                    data={"csrf_token": token, "confirm": "1", "date": "2024-05-01"},
                )
                assert got.status_code == (404 if name == "otto" else 403), (action, name)
            if name != "pia":
                got = c.post(
                    f"{base}/amend",
                    data={"csrf_token": token, "confirm": "1", "price": "6000", "effective": "3"},
                )
                assert got.status_code == (404 if name == "otto" else 403), (name, got.status_code)
    everything = "\n".join(investor_saw)
    assert len(everything) > 1000
    for secret in secrets:
        assert secret not in everything, secret


def test_a_statement_with_nothing_to_pay_says_so_in_the_xlsx(
    client: Any, db: Session, deal: Deal
) -> None:
    """Settlement 1 pays nothing yet (the outcomes of period 2 are paid with a lag): the
    workbook says so under its title (it was one blank sheet)."""
    base, h = _setup(client, db, deal)
    got = client.get(f"{base}/settlements/1/statement?format=xlsx", headers=h["pia"])
    rows = list(load_workbook(io.BytesIO(got.content)).active.iter_rows(values_only=True))
    assert rows[0][0].startswith("Small partnership: Afregning 1 (1–2)")
    assert rows[1][:2] == ("I alt", 0.0)
    assert rows[3][0] == "Ingen betalinger i denne afregning."
