"""``socialinvest ledger …`` on SQLite and PostgreSQL: JSON output, one sentence and exit 2 for
a mistake, ``ledger verify`` naming an altered or deleted row, and no CPR number in clear
anywhere after 1,000 enrolments: not in the database file, a PostgreSQL dump, the output and
logs, the exports, or the error messages."""

from __future__ import annotations

import json
import logging
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from socialinvest.ledger.cpr import synthetic_numbers

from .ledger_web_support import Deal, make_deal, outcomes_csv, use_key
from .test_api import Ran, _cli


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def ledger(db_url: str, tmp: Path, *args: str) -> Ran:
    return _cli(["ledger", *args, "--database", db_url], tmp)


def as_json(ran: Ran) -> Any:
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def test_the_commands_and_what_they_refuse(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    p = ["-p", str(deal.id)]
    f = tmp_path / "people.csv"
    f.write_text(f"cpr,enrolled,cohort\n{deal.numbers[0]},2024-01-15,2024\n", encoding="utf-8")
    ran = ledger(db_url, tmp_path, "enrol", *p, "--user", "ivan", "--file", str(f))
    assert ran.returncode == 2 and ran.stderr.count("\n") == 1 and "ivan" in ran.stderr.lower()
    assert deal.numbers[0] not in ran.stderr
    out = as_json(
        ledger(db_url, tmp_path, "enrol", *p, "--user", "pia", "--file", str(f), "--format", "json")
    )
    assert out == {"enrolled": 1, "participants": [1]}
    q = tmp_path / "q1.csv"
    q.write_bytes(outcomes_csv([(1, "job", 1, 1), (1, "in_work", 1, 13)]))
    imp = as_json(
        ledger(db_url, tmp_path, "import", str(q), *p, "--user", "paul", "--format", "json")
    )
    assert imp["created"] == 2 and imp["records"] == [1, 2]
    again = as_json(
        ledger(db_url, tmp_path, "import", str(q), *p, "--user", "paul", "--format", "json")
    )
    assert again["already_imported"] is True
    ran = ledger(db_url, tmp_path, "verify-outcomes", *p, "--user", "paul", "--record", "1")
    assert ran.returncode == 2 and "evaluator" in ran.stderr
    decided = as_json(
        ledger(
            db_url,
            tmp_path,
            "verify-outcomes",
            *p,
            "--user",
            "eva",
            "--record",
            "1",
            "--record",
            "2",
            "--format",
            "json",
        )
    )
    assert decided == [{"record": 1, "status": "verified"}, {"record": 2, "status": "verified"}]
    draft = as_json(
        ledger(db_url, tmp_path, "settle", *p, "--user", "pia", "--period", "1", "--format", "json")
    )
    assert draft["status"] == "draft" and draft["payers"]["Kommune"]["total"] == 6950.0
    ran = ledger(db_url, tmp_path, "settle", *p, "--user", "ivan", "--period", "1", "--approve")
    assert ran.returncode == 2 and ran.stderr.startswith("fejl: ")  # Danish by default
    assert "må ikke godkende en afregning; det må kun betaler" in ran.stderr
    done = as_json(
        ledger(
            db_url,
            tmp_path,
            "settle",
            *p,
            "--user",
            "pia",
            "--period",
            "1",
            "--approve",
            "--format",
            "json",
        )
    )
    assert done["totals"] == {"Kommune": 6950.0}
    ran = ledger(db_url, tmp_path, "settle", *p, "--user", "pia", "--period", "1", "--approve")
    assert ran.returncode == 2 and "er allerede godkendt og låst" in ran.stderr
    status = as_json(ledger(db_url, tmp_path, "status", *p, "--user", "ivan", "--format", "json"))
    assert status["payments"]["paid"] == {"Kommune": 6950.0} and status["balances_sum"] == 0
    fc = as_json(
        ledger(
            db_url,
            tmp_path,
            "forecast",
            *p,
            "--user",
            "ivan",
            "--draws",
            "200",
            "--target",
            "0.5",
            "--format",
            "json",
        )
    )
    assert fc["draws"] == 200 and 0 <= fc["prob_target"]["forecast"] <= 1
    ran = ledger(db_url, tmp_path, "status", "-p", str(deal.id), "--user", "otto")
    assert ran.returncode == 2 and "intet partnerskab" in ran.stderr
    ran = ledger(db_url, tmp_path, "status", *p, "--user", "nobody")
    assert ran.returncode == 2 and "nobody" in ran.stderr
    assert as_json(ledger(db_url, tmp_path, "verify", *p, "--format", "json"))["ok"] is True
    # a record altered in the database is named; so is a deleted audit record
    db.execute(text("UPDATE ledger_records SET status = 'verified', value = 0 WHERE id = 2"))
    db.commit()
    ran = ledger(db_url, tmp_path, "verify", *p)
    assert ran.returncode == 1 and ran.stdout == "record:2: afviger fra sin seneste revisionspost\n"
    ran = ledger(db_url, tmp_path, "verify", *p, "--lang", "en")
    assert ran.returncode == 1 and ran.stdout == "record:2: differs from its last audit record\n"
    db.execute(text("UPDATE ledger_records SET value = 13 WHERE id = 2"))
    db.execute(text("DELETE FROM ledger_audit WHERE seq = 2"))
    db.commit()
    ran = ledger(db_url, tmp_path, "verify", *p, "--format", "json")
    assert ran.returncode == 1 and json.loads(ran.stdout)["entity"] == "audit record 2"
    ran = ledger(db_url, tmp_path, "verify", *p)
    assert ran.returncode == 1 and ran.stdout.startswith("revisionspost 2: post 2 "), ran.stdout


def test_no_cpr_number_in_clear_anywhere(
    db_url: str, db: Session, deal: Deal, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    numbers = synthetic_numbers(1000, 2026)
    f = tmp_path / "people.csv"
    f.write_text(
        "cpr,enrolled,cohort\n" + "".join(f"{n},2024-01-15,2024\n" for n in numbers),
        encoding="utf-8",
    )
    p = ["-p", str(deal.id)]
    seen: list[str] = []
    ran = ledger(
        db_url, tmp_path, "enrol", *p, "--user", "pia", "--file", str(f), "--format", "json"
    )
    assert as_json(ran)["enrolled"] == 1000
    seen += [ran.stdout, ran.stderr]
    # every refusal: the same file again, a bad number, an investor, an import naming a number
    for args in (
        ["enrol", *p, "--user", "pia", "--file", str(f)],
        ["enrol", *p, "--user", "ivan", "--file", str(f)],
    ):
        ran = ledger(db_url, tmp_path, *args)
        assert ran.returncode == 2
        seen += [ran.stdout, ran.stderr]
    g = tmp_path / "bad.csv"
    g.write_text(f"cpr,enrolled,cohort\n{numbers[5][:6]}-{numbers[5][6:]},2024-13-01,2024\n")
    ran = ledger(db_url, tmp_path, "enrol", *p, "--user", "pia", "--file", str(g))
    assert ran.returncode == 2
    seen += [ran.stderr]
    h = tmp_path / "by_cpr.csv"
    h.write_text(
        "cpr,metric,period,value,source,reference\n"
        + "".join(f"{n},in_work,1,13,Jobcenter,{n}\n" for n in numbers[:50])
    )  # rows valid but for the number in the reference: refused, not stored (set-based path)
    ran = ledger(db_url, tmp_path, "import", str(h), *p, "--user", "paul")
    assert ran.returncode == 2 and "50 fejlbehæftede række(r)" in ran.stderr
    assert "ligner et CPR-nummer" in ran.stderr
    seen += [ran.stdout, ran.stderr]
    # exports: status, statement, forecast, backup, participants
    for args in (
        ["status", *p, "--user", "pia", "--format", "json"],
        ["settle", *p, "--user", "pia", "--period", "1", "--format", "json"],
        ["forecast", *p, "--user", "pia", "--draws", "50", "--format", "json"],
    ):
        seen.append(as_json_text(ledger(db_url, tmp_path, *args)))
    seen += _the_newer_exports(db_url, tmp_path, deal, numbers)
    backup = tmp_path / "backup.json"
    ran = ledger(db_url, tmp_path, "backup", *p, "-o", str(backup))
    assert ran.returncode == 0, ran.stderr
    seen.append(backup.read_text(encoding="utf-8"))
    seen.append(caplog.text)
    # the database: the SQLite file (with its write-ahead log), or a PostgreSQL dump
    url = make_url(db_url)
    if url.drivername.startswith("sqlite"):
        path = Path(str(url.database))
        blobs = [x.read_bytes() for x in path.parent.glob(path.name + "*")]
    else:
        dump = subprocess.run(
            [
                "pg_dump",
                "-h",
                url.host or "127.0.0.1",
                "-p",
                str(url.port or 5432),
                "-U",
                url.username or "postgres",
                url.database or "",
            ],
            capture_output=True,
            check=True,
        )
        blobs = [dump.stdout]
        assert b"ledger_participants" in dump.stdout and b"k1:" in dump.stdout
    assert len(blobs[0]) > 10_000
    everything = "\n".join(seen) + "\n" + "\n".join(b.decode("latin-1") for b in blobs)
    pattern = re.compile("|".join([*numbers, *(f"{n[:6]}-{n[6:]}" for n in numbers)]))
    hit = pattern.search(everything)
    assert hit is None, everything[max(0, hit.start() - 300) : hit.end() + 100]
    # the check itself finds a number where there is one
    assert pattern.search(f"x{numbers[999]}x") is not None


def _the_newer_exports(db_url: str, tmp: Path, deal: Deal, numbers: list[str]) -> list[str]:
    """What amend / exit / withdraw / anonymise / statement / indigo print, write and refuse
    (each refusal given a CPR number where a person would type one), the amendment records,
    and the status report and statement pages: all of it, as text, for the search."""
    from openpyxl import load_workbook

    from .conftest import make_app
    from .test_pages import client_for

    p = ["-p", str(deal.id)]
    seen: list[str] = []
    agreed = ["--agreed-by", "Provider", "--agreed-by", "Fund", "--agreed-by", "Bank"]
    amend = ["amend", *p, "--user", "pia", "--from", "2", *agreed]
    for lang in ("da", "en"):
        for args in (
            [*amend, "--reference", f"Allonge {numbers[1]}", "--price", "job found=6000"],
            [*amend, "--reference", "Allonge 1", "--price", f"{numbers[2]}=6000"],
            [*amend, "--reference", "Allonge 1", "--price", f"job found={numbers[3]}x"],
            [*amend, "--reference", "Allonge 1", "--agreed-by", numbers[4]],
            ["exit", "1", *p, "--user", "pia", "--reason", f"moved, cpr {numbers[0]}"],
            ["exit", "1", *p, "--user", "pia", "--date", numbers[6]],
            ["withdraw", "2", *p, "--user", "ivan"],
            ["statement", *p, "--user", "ivan", "--period", "99", "-o", str(tmp / "x.pdf")],
            ["indigo", *p, "--user", "otto", "--draws", "1", "-o", str(tmp / "x.json")],
        ):
            ran = ledger(db_url, tmp, *args, "--lang", lang)
            assert ran.returncode == 2, (args, ran.stdout, ran.stderr)
            seen += [ran.stdout, ran.stderr]
    for args in (
        [*amend, "--reference", "Allonge 1", "--price", "job found=6000", "--format", "json"],
        [*amend, "--reference", "Allonge 2", "--person-cap", "12000"],
        ["exit", "1", *p, "--user", "pia", "--date", "2024-05-01", "--reason", "moved"],
        ["withdraw", "2", *p, "--user", "paul", "--date", "2024-05-01", "--format", "json"],
        ["anonymise", "3", *p, "--user", "pia", "--format", "json"],
        ["anonymise", "4", *p, "--user", "pia", "--lang", "en"],
        ["statement", *p, "--user", "pia", "--period", "1", "-o", str(tmp / "s.pdf")],
        ["statement", *p, "--user", "pia", "--period", "1", "-o", str(tmp / "s.xlsx")],
        ["indigo", *p, "--user", "pia", "--draws", "20", "-o", str(tmp / "i.json")],
    ):
        ran = ledger(db_url, tmp, *args)
        assert ran.returncode == 0, (args, ran.stderr)
        seen += [ran.stdout, ran.stderr]
    ran = ledger(db_url, tmp, "anonymise", "3", *p, "--user", "pia")  # twice: refused
    assert ran.returncode == 2
    seen += [ran.stdout, ran.stderr]
    pdf = (tmp / "s.pdf").read_bytes()
    shown = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    assert "Afregning" in shown.stdout.decode("utf-8")
    seen += [shown.stdout.decode("utf-8"), pdf.decode("latin-1")]
    book = load_workbook(tmp / "s.xlsx")
    seen += [str(list(ws.iter_rows(values_only=True))) for ws in book.worksheets]
    indigo = (tmp / "i.json").read_text(encoding="utf-8")
    assert json.loads(indigo)
    seen.append(indigo)
    # the amendment records, and the pages: status report (HTML, PDF), statements, INDIGO
    seen.append(
        as_json_text(ledger(db_url, tmp, "status", *p, "--user", "pia", "--format", "json"))
    )
    from fastapi.testclient import TestClient

    with TestClient(make_app(db_url)):
        pass
    with client_for(make_app(db_url), "pia") as pia:
        base = f"/partnerships/{deal.id}"
        for path in (
            "/report",
            "/report?format=pdf",
            "/participants",
            "/settlements/1",
            "/settlements/1/statement.xlsx",
            "/indigo.json",
            "/renegotiate?price=6000",
        ):
            got = pia.get(base + path)
            assert got.status_code == 200, (path, got.status_code)
            seen.append(got.content.decode("latin-1"))
        amendments = pia.get(f"/api/v1/partnerships/{deal.id}/amendments")
        if amendments.status_code == 200:
            seen.append(amendments.text)
    return seen


def as_json_text(ran: Ran) -> str:
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def test_a_language_not_offered_is_one_sentence(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    p = ["-p", str(deal.id)]
    ran = ledger(db_url, tmp_path, "settle", *p, "--user", "pia", "--period", "1", "--lang", "fr")
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert ran.stderr.strip() == "fejl: Feltet '--lang' har 'fr'; forventet: da eller en."


def test_a_backup_onto_a_folder_is_one_sentence(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    ran = ledger(db_url, tmp_path, "backup", "-p", str(deal.id), "-o", str(folder), "--lang", "en")
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert "Field '--output'" in ran.stderr and "expected a file that can be written" in ran.stderr
    assert folder.is_dir() and not (tmp_path / "a-folder.part").exists()


def test_a_citizen_twice_in_one_file_names_the_rows_not_a_rolled_back_participant(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    a, b = deal.numbers[0], deal.numbers[1]
    f = tmp_path / "twice.csv"
    f.write_text(
        f"cpr,enrolled,cohort\n{a},2024-01-15,2024\n{b},2024-01-15,2024\n{a},2024-01-15,2024\n",
        encoding="utf-8",
    )
    args = ["enrol", "-p", str(deal.id), "--user", "pia", "--file", str(f)]
    ran = ledger(db_url, tmp_path, *args)
    assert ran.returncode == 2
    assert ran.stderr == (
        "fejl: Række 3: samme borger som række 1 (hver borger én gang pr. fil). "
        "Ingen blev indskrevet.\n"
    )
    assert a not in ran.stderr and b not in ran.stderr
    ran = ledger(db_url, tmp_path, *args, "--lang", "en")
    assert ran.returncode == 2
    assert ran.stderr == (
        "error: Row 3: the same citizen as row 1 (each citizen once per file). "
        "Nobody was enrolled.\n"
    )
    assert a not in ran.stderr and b not in ran.stderr
