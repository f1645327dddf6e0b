"""The documents of a running partnership: the settlement statement as PDF (and XLSX) and the
INDIGO document with the realised figures, on a small partnership whose figures are worked out
by hand here from the records the test enters.

The partnership (tests/ledger_support.py, SMALL_CONTRACT): quarterly, 5,000 kr. for a job
(entry), 150 kr. per week in work, a person cap of 10,000 kr., paid one quarter after the
outcome, settled every two quarters. Participant 1 finds a job and works 13 weeks in quarter 1;
participant 2 works 5 weeks in quarter 2. Settlement 1 (quarters 1–2) pays participant 1's
quarter-1 outcomes in quarter 2: 5,000 + 13 × 150 = 6,950 kr.; participant 2's 5 × 150 = 750 kr.
falls due in quarter 3 (settlement 2). The provider's delivery costs of 5,000 kr. in each of
quarters 1 and 2 are funded by the vehicle when settlement 1 is approved.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy.orm import Session

from socialinvest.service import partnership_reports as pr
from socialinvest.service import partnerships as ps

from .ledger_web_support import JAN, Deal, make_deal, outcomes_csv, use_key

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "indigo" / "project.schema.json").read_text(
        "utf-8"
    )
)
JOB, WEEK = 5000.0, 150.0
SETTLED_1 = JOB + 13 * WEEK  # 6,950 kr.
SETTLED_2 = 5 * WEEK  # 750 kr., a draft
COSTS = 5000.0


def run(deal: Deal, db: Session) -> None:
    """Enrol two, import three outcome records, verify them, record delivery costs, approve
    settlement 1."""
    import datetime as dt

    u = deal.users
    ps.enrol_many(
        db,
        deal.id,
        u["pia"],
        [(deal.numbers[0], JAN, "2024"), (deal.numbers[1], dt.date(2024, 2, 1), "2024")],
    )
    rows = [(1, "job", 1, 1), (1, "in_work", 1, 13), (2, "in_work", 2, 5)]
    ps.import_outcomes(db, deal.id, u["paul"], "q.csv", outcomes_csv(rows))
    ps.decide(db, deal.id, u["eva"], [1, 2, 3], "verify")
    for period in (1, 2):
        ps.record_delivery_costs(db, deal.id, u["paul"], period, COSTS)
    ps.approve(db, deal.id, u["pia"], 1)


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    d = make_deal(db, min_count=1)
    run(d, db)
    return d


def pdf_text(data: bytes, tmp: Path) -> str:
    path = tmp / "s.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def no_cpr(text: str, deal: Deal) -> None:
    for number in deal.numbers:
        digits = number.replace("-", "")
        assert digits not in text.replace("-", "") and number not in text


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")


@needs_pdftotext
def test_statement_pdf_for_the_payer_and_the_investor(
    db: Session, deal: Deal, tmp_path: Path
) -> None:
    ctx = ps.read(db, deal.id, deal.users["pia"])
    da = pdf_text(pr.statement_document(ctx, 1, "pdf", "da"), tmp_path)
    assert "Afregningsopgørelse 1" in da and "Small partnership" in da
    assert "Kommune" in da and "periode 1–2" in da and "1. jan. 2024 – 30. jun. 2024" in da
    assert re.search(
        r"godkendt af pia \(Kommune, betaler\) den \d+\. \w+\. \d{4} kl\. \d\d\.\d\d", da
    )
    amounts = re.findall(r"(\d[\d.]*,\d\d) kr\.", da)
    assert "5.000,00" in amounts and "1.950,00" in amounts  # the job; 13 × 150 kr.
    assert amounts.count("6.950,00") >= 2  # the header's total and the table's
    assert da.count("k1:") == 2  # a line per pseudonym and payment line
    assert "personloft" in da.lower() or "Pr. uge" in da or "per week in work" in da
    no_cpr(da, deal)
    draft = pdf_text(pr.statement_document(ctx, 2, "pdf", "en"), tmp_path)
    assert "DRAFT — not approved" in draft and "DKK 750.00" in draft
    assert "approved by" not in draft
    no_cpr(draft, deal)
    investor = ps.read(db, deal.id, deal.users["ivan"])
    inv = pdf_text(pr.statement_document(investor, 1, "pdf", "da"), tmp_path)
    assert "6.950,00 kr." in inv and "k1:" not in inv and "Investorer ser kun totaler" in inv
    assert "1.950,00" not in inv
    with pytest.raises(ps.InputError, match="pdf or xlsx"):
        pr.statement_document(ctx, 1, "docx")


def realised_by_hand() -> dict[str, Any]:
    return {
        "enrolled": 2,
        "job": {"records": 1, "units": 1.0, "persons": 1},
        "in_work": {"records": 2, "units": 18.0, "persons": 2},  # 13 + 5 weeks
        "paid": SETTLED_1,
    }


def test_indigo_with_the_realised_figures(db: Session, deal: Deal) -> None:
    ctx = ps.read(db, deal.id, deal.users["ivan"])  # aggregates only: every party may have it
    doc = pr.realised_indigo(ctx, draws=200, seed=3)
    jsonschema.Draft7Validator(SCHEMA).validate(doc)
    hand = realised_by_hand()
    sb = doc["service_and_beneficiaries"]
    assert sb["actual_number_service_users_or_beneficiaries_total"]["value"] == hand["enrolled"]
    assert sb["targeted_number_service_users_or_beneficiaries_total"]["value"] == 3  # design
    levels = {
        (r.get("outcome_metric_id", {}).get("value"), r["result_type"]["value"]): r
        for r in doc["results"]
        if "result_type" in r
    }
    project = levels[(None, "Interim")]
    assert project["number_engaged_in_impact_bond"]["value"] == 2
    assert project["number_with_positive_social_outcomes"]["value"] == 2
    for metric in ("job", "in_work"):
        r = levels[(metric, "Interim")]
        assert r["number_with_positive_social_outcomes"]["value"] == hand[metric]["persons"]
        achieved = r["outcomes_achieved"]["value"]
        assert achieved.startswith(f"{hand[metric]['records']} verified record(s), ")
        assert f"{hand[metric]['units']:g} unit(s)" in achieved
    modelled = [r for r in doc["results"] if "result_type" not in r]
    assert modelled and all("MODELLED" in json.dumps(r) for r in modelled)
    actual = [p for p in doc["outcome_payments"] if p["type"]["value"] == "Actual"]
    planned = [p for p in doc["outcome_payments"] if p["type"]["value"] == "Planned"]
    assert planned  # the design stage's, beside
    assert [p["money"]["amount"]["value"] for p in actual] == [hand["paid"]]
    assert actual[0]["period"]["start_date"]["value"] == "2024-01-01"
    assert actual[0]["period"]["end_date"]["value"] == "2024-06-30"
    made = doc["overall_project_finance"]["total_outcome_payments_made"]
    assert made["amount"]["value"] == hand["paid"]
    real = [t for t in doc["transactions"] if t["notes"].startswith("ACTUAL")]
    by_type: dict[str, float] = {}
    for t in real:
        kind = t["transaction_type"]["value"]
        by_type[kind] = by_type.get(kind, 0.0) + t["money"]["amount"]["value"]
    assert by_type["Outcome Payment"] == pytest.approx(hand["paid"])
    # the provider's delivery costs, paid out of the vehicle: two quarters of 5,000 kr.
    delivery = [t for t in real if "delivery costs" in t["notes"]]
    assert sum(t["money"]["amount"]["value"] for t in delivery) == pytest.approx(2 * COSTS)
    # quarter 1's costs are drawn from the senior tranche (Bank, the 2nd party; sequential
    # drawdown); quarter 2's are paid from the 6,950 kr. that reached the vehicle that quarter
    drawn = [t for t in real if t["transaction_type"]["value"] in ("Debt", "Equity")]
    assert [
        (
            t["transaction_type"]["value"],
            t["sending_organisation_id"]["value"],
            t["date"]["value"],
            t["money"]["amount"]["value"],
        )
        for t in drawn
    ] == [("Debt", "LOCAL-ORG-2", "2024-01-01", COSTS)]
    text = json.dumps(doc, ensure_ascii=False)
    assert "k1:" not in text and "pia" not in text
    for number in ps.read(db, deal.id, deal.users["pia"]).ledger.participants:
        assert f"participant {number}" not in text


@needs_pdftotext
def test_pages_api_and_command_line(
    db: Session, db_url: str, deal: Deal, tmp_path: Path, client: Any
) -> None:
    from .conftest import bearer
    from .test_api import _cli

    h = {name: bearer(db, u) for name, u in deal.users.items()}
    base = f"/api/v1/partnerships/{deal.id}"
    pdf = client.get(f"{base}/settlements/1/statement?format=pdf&lang=en", headers=h["pia"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert "DKK 6,950.00" in text and "DKK 1,950.00" in text and "approved by pia" in text
    assert "(Kommune, payer)" in text
    xlsx = client.get(f"{base}/settlements/1/statement?format=xlsx", headers=h["ivan"])
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[1][:2] == ("I alt", SETTLED_1) and "k1:" not in str(rows)
    assert (
        client.get(f"{base}/settlements/1/statement?format=doc", headers=h["pia"]).status_code
        == 422
    )
    assert client.get(f"{base}/settlements/9/statement", headers=h["pia"]).status_code == 422
    assert client.get(f"{base}/settlements/1/statement", headers=h["otto"]).status_code == 404
    doc = client.get(f"{base}/indigo?draws=100", headers=h["bank"])
    assert doc.status_code == 200
    jsonschema.Draft7Validator(SCHEMA).validate(doc.json())
    made = doc.json()["overall_project_finance"]["total_outcome_payments_made"]
    assert made["amount"]["value"] == SETTLED_1
    assert client.get(f"{base}/indigo", headers=h["otto"]).status_code == 404

    def cli(*args: str) -> Any:
        return _cli(["ledger", *args, "-p", str(deal.id), "--database", db_url], tmp_path)

    out = tmp_path / "s1.pdf"
    ran = cli("statement", "--user", "eva", "--period", "1", "--out", str(out), "--lang", "en")
    assert ran.returncode == 0, ran.stderr
    text = pdf_text(out.read_bytes(), tmp_path)
    assert "DKK 6,950.00" in text and "k1:" in text
    no_cpr(text, deal)
    ran = cli("statement", "--user", "ivan", "--period", "1", "--out", str(tmp_path / "s.xlsx"))
    assert ran.returncode == 0, ran.stderr
    bad = cli(
        "statement",
        "--user",
        "pia",
        "--period",
        "1",
        "--format",
        "pdf",
        "--out",
        str(tmp_path / "s.xlsx"),
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--out" in bad.stderr
    assert not (tmp_path / "s.xlsx.part").exists()
    ran = cli("indigo", "--user", "paul", "--draws", "100", "--out", str(tmp_path / "d.json"))
    assert ran.returncode == 0, ran.stderr
    written = json.loads((tmp_path / "d.json").read_text("utf-8"))
    jsonschema.Draft7Validator(SCHEMA).validate(written)
    assert (
        written["service_and_beneficiaries"]["actual_number_service_users_or_beneficiaries_total"][
            "value"
        ]
        == 2
    )
    none = cli("indigo", "--user", "otto", "--out", str(tmp_path / "e.json"))
    assert none.returncode == 2 and not (tmp_path / "e.json").exists()


def test_the_settlement_page_in_both_languages(sqlite_url: str, monkeypatch: Any) -> None:
    from socialinvest.store.db import make_engine, session_factory

    from .conftest import make_app
    from .test_pages import client_for

    use_key(monkeypatch)
    engine = make_engine(sqlite_url)
    db = session_factory(engine)()
    d = make_deal(db, min_count=1)
    run(d, db)
    db.close()
    engine.dispose()
    app = make_app(sqlite_url)
    base = f"/partnerships/{d.id}"
    with client_for(app, "pia") as pia:
        page = pia.get(base + "/settlements/1")
        assert page.status_code == 200
        status = re.search(r'<p id="settlement-status">(.*?)</p>', page.text, re.S)
        assert status is not None
        assert re.search(
            r"godkendt af pia \(Kommune, betaler\) den \d+\. \w+\. \d{4} kl\. \d\d\.\d\d",
            status.group(1),
        ), status.group(1)
        assert "T" not in status.group(1).split("den")[-1]  # no raw ISO time
        assert f'href="/partnerships/{d.id}/settlements/1/statement.pdf"' in page.text
        got = pia.get(base + "/settlements/1/statement.pdf")
        assert got.status_code == 200 and got.content.startswith(b"%PDF")
        pia.get("/lang/en?next=/partnerships")
        page = pia.get(base + "/settlements/1")
        assert re.search(
            r"approved by pia \(Kommune, payer\) on \d+ \w+ \d{4} at \d\d:\d\d", page.text
        )
        over = pia.get(base)
        assert f'href="/partnerships/{d.id}/indigo.json"' in over.text
        got = pia.get(base + "/indigo.json")
        assert got.status_code == 200
        jsonschema.Draft7Validator(SCHEMA).validate(got.json())
    with client_for(app, "otto") as otto:
        assert otto.get(base + "/settlements/1/statement.pdf").status_code == 404
        assert otto.get(base + "/indigo.json").status_code == 404


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (672_049, [0, 200_000, 400_000, 600_000, 800_000]),  # 134,410 a step → 200,000
        (25_000, [0, 5_000, 10_000, 15_000, 20_000, 25_000]),  # exactly 5 steps of 5,000
        (5_255_120, [0, 2_000_000, 4_000_000, 6_000_000]),  # 1,051,024 a step → 2 million
        (10, [0, 2, 4, 6, 8, 10]),
        (3, [0, 1, 2, 3]),  # never below a whole krone
        (0, [0, 1]),  # nothing paid yet
    ],
)
def test_fan_chart_ticks_are_round(top: float, ticks: list[float]) -> None:
    from socialinvest.web.charts import nice_ticks

    assert nice_ticks(top, least=1.0) == ticks


def test_fan_chart_labels_in_danish() -> None:
    from socialinvest.web.pages.partnerships import fan_svg
    from socialinvest.web.templating import translator

    n = 4
    fan = {
        "design": {"p05": [0.0] * n, "p50": [1e5] * n, "p95": [672_049.0] * n},
        "forecast": {"p05": [0.0] * n, "p50": [2e5] * n, "p95": [500_000.0] * n},
        "realised": [6950.0, 6950.0],
    }
    svg = str(fan_svg(fan, "da", translator("da")))
    labels = re.findall(r'class="ytick">([^<]*)<', svg)
    assert labels == ["0 kr.", "200.000 kr.", "400.000 kr.", "600.000 kr.", "800.000 kr."]
    en = re.findall(r'class="ytick">([^<]*)<', str(fan_svg(fan, "en", translator("en"))))
    assert en[-1] == "DKK 800,000"


def test_an_enrolment_file_with_a_fourth_column_is_refused(
    db: Session, db_url: str, deal: Deal, tmp_path: Path
) -> None:
    from .test_api import _cli

    cpr = deal.numbers[5]
    people = tmp_path / "people.csv"
    people.write_text(f"cpr,enrolled,cohort,eligibility\n{cpr},2024-01-15,2024,yes\n", "utf-8")
    ran = _cli(
        [
            "ledger",
            "enrol",
            "-p",
            str(deal.id),
            "--user",
            "pia",
            "--file",
            str(people),
            "--database",
            db_url,
            "--lang",
            "en",
        ],
        tmp_path,
    )
    assert ran.returncode == 2 and ran.stderr.count("\n") == 1
    assert 'line 1: column 4 ("eligibility") is not read' in ran.stderr and cpr not in ran.stderr
    # a value in a fourth column without a heading: named by line and column, never shown
    other = deal.numbers[6]
    people.write_text(f"cpr,enrolled,cohort\n{cpr},2024-01-15,2024,{other}\n", "utf-8")
    with pytest.raises(ps.InputError) as refused:
        ps.read_enrolments("people.csv", people.read_bytes())
    message = refused.value.render("da")
    assert message.startswith("people.csv, linje 2: kolonne 4 har en værdi")
    assert other not in message and other.replace("-", "") not in message
    # a trailing empty column (as spreadsheets write) is no column
    people.write_text(f"cpr;enrolled;cohort;\n{cpr};2024-01-15;2024;\n", "utf-8")
    assert len(ps.read_enrolments("people.csv", people.read_bytes())) == 1
    assert len(ps.read(db, deal.id, deal.users["pia"]).ledger.participants) == 2  # nobody new


@pytest.mark.parametrize(
    ("stamp", "lang", "shown"),
    [
        # December: Danish time is UTC + 1 hour; July: UTC + 2 hours (summer time)
        ("2026-12-05T11:02:34+00:00", "da", "5. dec. 2026 kl. 12.02"),
        ("2026-12-05T11:02:34+00:00", "en", "5 Dec 2026 at 12:02"),
        ("2025-07-07T16:00:00+00:00", "da", "7. jul. 2025 kl. 18.00"),
        ("", "da", ""),
    ],
)
def test_times_in_words(stamp: str, lang: str, shown: str) -> None:
    from socialinvest.report.statement import when

    assert when(stamp, lang) == shown


def test_the_approver_in_the_page_language_and_an_anonymised_line() -> None:
    from socialinvest.report.statement import actor_text, statement_html

    who = "afdelingschef (Aalborg Kommune, payer)"
    assert actor_text(who, "da") == "afdelingschef (Aalborg Kommune, betaler)"
    assert actor_text("eva (Evaluator, A/S, evaluator)", "da") == "eva (Evaluator, A/S, evaluator)"
    assert actor_text("revisor (Rigsrevisionen, auditor)", "da").endswith(", revisor)")
    line = {
        "pseudonym": "anonymised",
        "line": "job found",
        "kind": "regular",
        "outcome_periods": [1, 2, 3, 5],
        "records": [7],
        "amount_ore": 500_000,
        "explained": "job found: 1 unit",
    }
    view = {
        "index": 1,
        "periods": [1, 2],
        "status": "approved",
        "approved_by": who,
        "approved_at": "2026-12-05T11:02:34+00:00",
        "setoff": {},
        "payers": {"Aalborg Kommune": {"total": 5000.0, "lines": [line]}},
    }
    page = statement_html(view, partnership="P", lang="da")
    assert "anonymiseret" in page and "anonymised" not in page
    assert "1–3, 5" in page and "5.000,00 kr." in page
    assert "godkendt af afdelingschef (Aalborg Kommune, betaler) den 5. dec. 2026 kl. 12.02" in page
