"""Hostile input to the running partnership's newer commands and routes (amend, exit, withdraw,
anonymise, statement, indigo): odd periods, prices, dates, participant ids, output paths and
formats. Each is one sentence on the command line (exit 2, nothing on stdout, no traceback,
no file left behind) and a 422 with a ``detail`` on the API; nothing is written to the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from .conftest import bearer
from .ledger_web_support import Deal, make_deal, outcomes_csv, use_key
from .test_api import _cli
from .test_ledger_cli import ledger


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def _setup(client: Any, db: Session, deal: Deal) -> tuple[str, dict[str, Any]]:
    """Two participants, verified outcomes, settlement 1 approved (the last locked one)."""
    h = {name: bearer(db, u) for name, u in deal.users.items()}
    base = f"/api/v1/partnerships/{deal.id}"
    for n, day in ((0, "2024-01-15"), (1, "2024-02-01")):
        body = {"cpr": deal.numbers[n], "enrolled": day, "cohort": "2024"}
        assert client.post(f"{base}/participants", json=body, headers=h["pia"]).status_code == 201
    rows = [(1, "job", 2, 1), (1, "in_work", 2, 13), (2, "in_work", 3, 13)]
    up = client.post(
        f"{base}/imports", files={"file": ("q.csv", outcomes_csv(rows))}, headers=h["paul"]
    )
    assert up.status_code == 201, up.text
    decide = {"records": up.json()["records"], "decision": "verify"}
    assert client.post(f"{base}/decisions", json=decide, headers=h["eva"]).status_code == 200
    assert client.post(f"{base}/settlements/1/approve", headers=h["pia"]).status_code == 200
    return base, h


def _audit_count(db: Session) -> int:
    db.rollback()
    return int(db.execute(text("SELECT count(*) FROM ledger_audit")).scalar_one())


GOOD = {
    "effective": 3,
    "reference": "Allonge 1",
    "agreed_by": ["Provider", "Fund", "Bank"],
    "prices": {"per week in work": 200},
}

# (change to the good amendment, a fragment of the sentence)
BAD_AMENDMENTS: list[tuple[dict[str, Any], str]] = [
    ({"effective": -1}, "-1"),
    ({"effective": 0}, "0"),
    ({"effective": 1}, "1"),  # settlement 1 is approved and locked
    ({"effective": 99}, "99"),
    ({"effective": 2**63}, ""),
    ({"prices": {"per week in work": -5}}, "-5"),
    ({"prices": {"per week in work": 1e308}}, ""),
    ({"prices": {"per week in work": 10**400}}, ""),
    ({"prices": {"no such line": 100}}, "no such line"),
    ({"person_cap": -1}, "-1"),
    ({"person_cap": 0}, "0"),
    ({"contract_cap": 1e308}, ""),
    ({"planned_intake": [-1, 2, 3]}, ""),
    ({"planned_intake": [2**62, 2**62, 2**62]}, ""),
    ({"agreed_by": ["Provider", "Fund", "Bank", "Nobody Inc."]}, "Nobody Inc."),
    ({"agreed_by": ["Provider", "Fund", "Bank", "Kommune", "Outsider"]}, "Outsider"),
    ({"reference": ""}, ""),
    ({"reference": "x" * 301}, ""),
    ({"periods": 0}, ""),
]


@pytest.mark.parametrize(("change", "fragment"), BAD_AMENDMENTS)
def test_a_bad_amendment_through_the_api_is_a_422(
    client: Any, db: Session, deal: Deal, change: dict[str, Any], fragment: str
) -> None:
    base, h = _setup(client, db, deal)
    before = _audit_count(db)
    got = client.post(f"{base}/amendments", json={**GOOD, **change}, headers=h["pia"])
    assert got.status_code == 422, (change, got.status_code, got.text)
    detail = got.json()["detail"]
    if isinstance(detail, str):
        assert fragment in detail and detail.endswith("."), detail
    assert _audit_count(db) == before
    assert client.get(f"{base}/amendments", headers=h["pia"]).json()[-1]["version"] == 0


def test_nan_and_infinity_in_an_amendment_are_a_422(client: Any, db: Session, deal: Deal) -> None:
    base, h = _setup(client, db, deal)
    before = _audit_count(db)
    for raw in ("NaN", "Infinity", "-Infinity"):
        for field in ('"prices": {"per week in work": %s}', '"person_cap": %s'):
            body = (
                '{"effective": 3, "reference": "A", "agreed_by": ["Provider","Fund","Bank"], '
                + field % raw
                + "}"
            )
            got = client.post(
                f"{base}/amendments",
                content=body,
                headers={**h["pia"], "Content-Type": "application/json"},
            )
            assert got.status_code == 422, (raw, field, got.text)
            assert "Traceback" not in got.text
    assert _audit_count(db) == before


@pytest.mark.parametrize("participant", ["0", "-1", str(2**63), str(2**31), "x", "1.5"])
@pytest.mark.parametrize("action", ["exit", "withdraw", "anonymise"])
def test_an_odd_participant_id_through_the_api(
    client: Any, db: Session, deal: Deal, participant: str, action: str
) -> None:
    base, h = _setup(client, db, deal)
    before = _audit_count(db)
    got = client.post(
        f"{base}/participants/{participant}/{action}",
        json={"date": "2024-05-01"},
        headers=h["pia"],
    )
    assert got.status_code == 422, (participant, action, got.status_code, got.text)
    assert "Traceback" not in got.text
    assert _audit_count(db) == before


def test_anonymise_twice_and_withdraw_after_anonymising(
    client: Any, db: Session, deal: Deal
) -> None:
    base, h = _setup(client, db, deal)
    day = {"date": "2024-05-01"}
    assert client.post(f"{base}/participants/1/anonymise", json=day, headers=h["pia"]).is_success
    before = _audit_count(db)
    again = client.post(f"{base}/participants/1/anonymise", json=day, headers=h["pia"])
    assert again.status_code == 422 and again.json()["detail"].endswith("."), again.text
    # withdrawing (or an exit) after anonymising: allowed or refused, but never a 500, and the
    # row stays anonymised
    for action in ("withdraw", "exit"):
        got = client.post(f"{base}/participants/1/{action}", json=day, headers=h["pia"])
        assert got.status_code in (200, 422), (action, got.text)
        if got.status_code == 200:
            assert got.json()["pseudonym"] == "anonymised"
    rows = client.get(f"{base}/participants", headers=h["pia"]).json()
    assert rows[0]["pseudonym"] == "anonymised"
    assert _audit_count(db) >= before


@pytest.mark.parametrize("day", ["2024-02-30", "0000-01-01", "24-05-01", "yesterday", "1e308"])
def test_an_odd_date_through_the_api(client: Any, db: Session, deal: Deal, day: str) -> None:
    base, h = _setup(client, db, deal)
    got = client.post(f"{base}/participants/1/exit", json={"date": day}, headers=h["pia"])
    assert got.status_code == 422, (day, got.text)


def test_an_exit_before_enrolment_or_far_after_the_contract(
    client: Any, db: Session, deal: Deal
) -> None:
    base, h = _setup(client, db, deal)
    before = _audit_count(db)
    for day in ("2023-01-01", "9999-12-31", "0001-01-01"):
        got = client.post(f"{base}/participants/1/exit", json={"date": day}, headers=h["pia"])
        assert got.status_code == 422, (day, got.status_code, got.text)
        assert got.json()["detail"].endswith("."), got.text
    assert _audit_count(db) == before


@pytest.mark.parametrize("period", ["0", "-1", "99", str(2**63), "x"])
def test_a_statement_of_an_odd_period_through_the_pages_and_api(
    client: Any, db: Session, deal: Deal, period: str
) -> None:
    base, h = _setup(client, db, deal)
    for url in (
        f"{base}/settlements/{period}",
        f"{base}/settlements/{period}?format=pdf",
        f"{base}/settlements/{period}?format=xlsx",
    ):
        got = client.get(url, headers=h["pia"])
        assert got.status_code in (404, 422), (url, got.status_code, got.text[:200])


def test_indigo_with_odd_draws_and_seed_through_the_api(
    client: Any, db: Session, deal: Deal
) -> None:
    base, h = _setup(client, db, deal)
    for query in ("draws=0", "draws=-1", "draws=99999999999", "seed=-1", "seed=x", "draws=1e308"):
        got = client.get(f"{base}/indigo?{query}", headers=h["pia"])
        assert got.status_code == 422, (query, got.status_code, got.text[:200])


# ------------------------------------------------------------------------------ the commands


def _one_sentence(ran: Any, *fragments: str) -> str:
    assert ran.returncode == 2, (ran.returncode, ran.stdout[-300:], ran.stderr)
    assert "Traceback" not in ran.stderr + ran.stdout
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert lines[0].endswith("."), lines[0]
    assert ran.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


AGREED = ["--agreed-by", "Provider", "--agreed-by", "Fund", "--agreed-by", "Bank"]

BAD_AMEND_ARGS: list[tuple[list[str], str]] = [
    (["--from", "-1"], "-1"),
    (["--from", "0"], ""),
    (["--from", "1"], ""),  # approved and locked
    (["--from", "99"], "99"),
    (["--from", str(2**63)], ""),
    (["--from", "3", "--price", "per week in work=-5"], "-5"),
    (["--from", "3", "--price", "per week in work=nan"], "nan"),
    (["--from", "3", "--price", "per week in work=inf"], "inf"),
    (["--from", "3", "--price", "per week in work=1e308"], ""),
    (["--from", "3", "--price", "per week in work=1e400"], ""),
    (["--from", "3", "--price", "per week in work"], "--price"),
    (["--from", "3", "--price", "no such line=100"], "no such line"),
    (["--from", "3", "--price", "per week in work=abc"], "abc"),
    (["--from", "3", "--person-cap", "nan"], ""),
    (["--from", "3", "--person-cap", "-1"], ""),
    (["--from", "3", "--contract-cap", "1e308"], ""),
    (["--from", "3", "--intake", "-1,2,3"], ""),
    (["--from", "3", "--intake", ""], ""),
    (["--from", "3", "--price", "per week in work=200", "--agreed-by", "Nobody Inc."], "Nobody"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD_AMEND_ARGS)
def test_a_bad_amend_command_is_one_sentence(
    client: Any,
    db_url: str,
    db: Session,
    deal: Deal,
    tmp_path: Path,
    args: list[str],
    fragment: str,
) -> None:
    _setup(client, db, deal)
    before = _audit_count(db)
    ran = ledger(
        db_url,
        tmp_path,
        "amend",
        "-p",
        str(deal.id),
        "--user",
        "pia",
        "--reference",
        "Allonge 1",
        *AGREED,
        *args,
    )
    _one_sentence(ran, fragment)
    assert _audit_count(db) == before


@pytest.mark.parametrize("participant", ["0", "-1", str(2**63)])
@pytest.mark.parametrize("action", ["exit", "withdraw", "anonymise"])
def test_an_odd_participant_on_the_command_line(
    client: Any,
    db_url: str,
    db: Session,
    deal: Deal,
    tmp_path: Path,
    participant: str,
    action: str,
) -> None:
    _setup(client, db, deal)
    before = _audit_count(db)
    args = [action, "--user", "pia", "-p", str(deal.id), "--date", "2024-05-01"]
    ran = _cli(["ledger", *args, "--database", db_url, "--", participant], tmp_path)
    _one_sentence(ran)
    assert _audit_count(db) == before


def test_anonymise_twice_on_the_command_line(
    client: Any, db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    _setup(client, db, deal)
    p = ["-p", str(deal.id), "--user", "pia"]
    assert ledger(db_url, tmp_path, "anonymise", "1", *p).returncode == 0
    _one_sentence(ledger(db_url, tmp_path, "anonymise", "1", *p))
    for action in ("withdraw", "exit"):
        ran = ledger(db_url, tmp_path, action, "1", *p, "--date", "2024-05-01")
        assert ran.returncode in (0, 2) and "Traceback" not in ran.stderr, ran.stderr
        if ran.returncode == 2:
            _one_sentence(ran)


@pytest.mark.parametrize("period", ["0", "-1", "99", str(2**63)])
def test_a_statement_of_an_odd_period_on_the_command_line(
    client: Any, db_url: str, db: Session, deal: Deal, tmp_path: Path, period: str
) -> None:
    _setup(client, db, deal)
    out = tmp_path / "s.pdf"
    ran = ledger(
        db_url,
        tmp_path,
        "statement",
        "-p",
        str(deal.id),
        "--user",
        "pia",
        "--period",
        period,
        "-o",
        str(out),
    )
    _one_sentence(ran)
    assert not out.exists()


def test_a_statement_onto_a_folder_an_input_or_the_wrong_format(
    client: Any, db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    _setup(client, db, deal)
    p = ["statement", "-p", str(deal.id), "--user", "pia", "--period", "1"]
    folder = tmp_path / "folder"
    folder.mkdir()
    _one_sentence(ledger(db_url, tmp_path, *p, "-o", str(folder)))
    assert list(folder.iterdir()) == []
    # the database file itself (SQLite) or another input: not overwritten
    people = tmp_path / "people.csv"
    people.write_text("cpr,enrolled,cohort\n", encoding="utf-8")
    ran = ledger(db_url, tmp_path, *p, "-o", str(people))
    _one_sentence(ran)
    assert people.read_text(encoding="utf-8") == "cpr,enrolled,cohort\n"
    for fmt, name in (("xlsx", "s.pdf"), ("pdf", "s.xlsx"), ("docx", "s.docx"), ("json", "s.json")):
        out = tmp_path / name
        _one_sentence(ledger(db_url, tmp_path, *p, "-o", str(out), "--format", fmt))
        assert not out.exists(), (fmt, name)
    missing = tmp_path / "no" / "such" / "s.pdf"
    _one_sentence(ledger(db_url, tmp_path, *p, "-o", str(missing)))


def test_a_statements_unknown_format_names_the_option_it_came_from(
    client: Any, db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    _setup(client, db, deal)
    p = ["statement", "-p", str(deal.id), "--user", "pia", "--period", "1"]
    given = ledger(db_url, tmp_path, *p, "-o", str(tmp_path / "s.pdf"), "--format", "docx")
    _one_sentence(given, "'--format'", "'docx'")
    suffix = tmp_path / "s.txt"  # no --format: the format is read from the file name
    _one_sentence(ledger(db_url, tmp_path, *p, "-o", str(suffix)), "'--out'")
    assert not (tmp_path / "s.pdf").exists() and not suffix.exists()


def test_a_statement_over_the_sqlite_database_is_refused(
    client: Any, db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the database is a file only on SQLite")
    base, h = _setup(client, db, deal)
    path = Path(db_url.split("///", 1)[1])
    size = path.stat().st_size
    p = ["statement", "-p", str(deal.id), "--user", "pia", "--period", "1"]
    _one_sentence(ledger(db_url, tmp_path, *p, "-o", str(path), "--format", "pdf"))
    assert path.stat().st_size == size
    assert client.get(f"{base}/verify", headers=h["pia"]).json()["ok"] is True


def test_indigo_with_odd_draws_on_the_command_line(
    client: Any, db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    _setup(client, db, deal)
    out = tmp_path / "deal.indigo.json"
    p = ["indigo", "-p", str(deal.id), "--user", "pia", "-o", str(out)]
    for args in (["--draws", "0"], ["--draws", "-5"], ["--draws", "99999999999"]):
        _one_sentence(ledger(db_url, tmp_path, *p, *args))
        assert not out.exists()
    folder = tmp_path / "folder"
    folder.mkdir()
    _one_sentence(ledger(db_url, tmp_path, *p[:-1], str(folder)))
    assert json.loads(json.dumps([])) == []


# ------------------------------------------------------------------------------ the pages


@pytest.fixture
def page_site(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from fastapi.testclient import TestClient

    from socialinvest.store.db import make_engine, session_factory

    from .conftest import make_app

    use_key(monkeypatch)
    engine = make_engine(sqlite_url)
    db: Session = session_factory(engine)()
    deal = make_deal(db)
    app = make_app(sqlite_url)
    with TestClient(app) as api:
        _setup(api, db, deal)
    db.close()
    engine.dispose()
    return app, deal


AMEND_FORM = {"confirm": "1", "reference": "Allonge 1", "effective": "3", "price": "6000"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("effective", "nan"),
        ("effective", "inf"),
        ("effective", "x"),
        ("effective", "2.5"),
        ("effective", "-1"),
        ("effective", "1e308"),
        ("price", "nan"),
        ("price", "-inf"),
        ("price", "1e400"),
        ("price", "0101901234x"),
        ("contract_cap", "nan"),
        ("intake", "x,1"),
        ("intake", "0101901234x"),
        ("periods", "nan"),
    ],
)
def test_a_bad_amendment_on_the_page_is_a_danish_422(
    page_site: Any, field: str, value: str
) -> None:
    from .test_pages import client_for, csrf

    app, deal = page_site
    with client_for(app, "pia") as pia:
        token = csrf(pia.get(f"/partnerships/{deal.id}/renegotiate?price=6000").text)
        got = pia.post(
            f"/partnerships/{deal.id}/amend",
            data={**AMEND_FORM, field: value, "csrf_token": token},
        )
        assert got.status_code == 422, (field, value, got.status_code, got.text[-500:])
        assert "0101901234" not in got.text
        for english in ("a number, e.g.", "whole number", "separated by commas", "expected"):
            assert english not in got.text, (english, got.text[-1500:])


@pytest.mark.parametrize("day", ["2024-02-30", "x", "0101901234"])
def test_a_bad_date_on_the_participants_page_is_a_danish_422(page_site: Any, day: str) -> None:
    from .test_pages import client_for, csrf

    app, deal = page_site
    with client_for(app, "pia") as pia:
        token = csrf(pia.get(f"/partnerships/{deal.id}/participants").text)
        got = pia.post(
            f"/partnerships/{deal.id}/participants/1/exit",
            data={"confirm": "1", "date": day, "csrf_token": token},
        )
        assert got.status_code == 422, (day, got.status_code)
        assert "0101901234" not in got.text and "YYYY" not in got.text, got.text[-1500:]


def test_the_participants_page_writes_dates_as_the_language_does(page_site: Any) -> None:
    """The enrolment date in the participants' table: 15. jan. 2024 in Danish, 15 Jan 2024 in
    English (it was the ISO 2024-01-15, broken over two lines)."""
    from .test_pages import client_for

    app, deal = page_site
    with client_for(app, "pia") as pia:
        page = pia.get(f"/partnerships/{deal.id}/participants").text
        row = page.split('id="participant-1"')[1].split("</tr>")[0]
        assert "15. jan. 2024" in row and "2024-01-15" not in row, row[:400]
        # one participant is "Aktiv" (the overview's count of them is "Aktive")
        assert "<td>Aktiv</td>" in row and "Aktive" not in row, row[:400]
        english = pia.get(f"/partnerships/{deal.id}/participants?lang=en").text
        if "Enrolled" in english:
            row = english.split('id="participant-1"')[1].split("</tr>")[0]
            assert "15 Jan 2024" in row, row[:400]
