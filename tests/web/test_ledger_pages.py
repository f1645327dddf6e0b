"""The partnership pages per role: the payer enrols and approves, the provider imports, the
evaluator verifies, the investor sees aggregates and the fan chart but never a participant's
row, an outsider gets 404; Danish by default, English on request."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ..ledger_support import CRITERIA
from .conftest import make_app
from .ledger_web_support import make_deal, outcomes_csv, use_key
from .test_pages import client_for, csrf


@pytest.fixture
def site(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    use_key(monkeypatch)
    from socialinvest.store.db import make_engine, session_factory

    engine = make_engine(sqlite_url)
    db: Session = session_factory(engine)()
    deal = make_deal(db)
    db.close()
    engine.dispose()
    return make_app(sqlite_url), deal


def test_every_role_through_the_pages(site: Any) -> None:
    app, deal = site
    base = f"/partnerships/{deal.id}"
    cpr = deal.numbers[0]
    with client_for(app, "pia") as pia:
        page = pia.get(base + "/participants")
        assert page.status_code == 200 and "Indskriv en borger" in page.text
        form = {
            "cpr": cpr,
            "enrolled": "2024-01-15",
            "cohort": "2024",
            "csrf_token": csrf(page.text),
        }
        one_criterion = pia.post(
            base + "/participants", data={**form, "criterion": [CRITERIA[0]]}
        )  # the second criterion not declared met: refused, nothing enrolled
        assert one_criterion.status_code == 422 and cpr not in one_criterion.text
        done = pia.post(
            base + "/participants",
            data={**form, "criterion": list(CRITERIA)},
            follow_redirects=True,
        )
        assert done.status_code == 200 and "k1:" in done.text and cpr not in done.text
        twice = pia.post(base + "/participants", data={**form, "criterion": list(CRITERIA)})
        assert twice.status_code == 422 and cpr not in twice.text
        assert "allerede" in twice.text or "already" in twice.text
        swapped = pia.post(  # the number typed into the date's box: not repeated back
            base + "/participants", data={**form, "enrolled": cpr, "criterion": list(CRITERIA)}
        )
        assert swapped.status_code == 422 and cpr not in swapped.text
    with client_for(app, "paul") as paul:
        page = paul.get(base)
        assert page.status_code == 200
        up = paul.post(
            base + "/imports",
            data={"csrf_token": csrf(page.text)},
            files={"file": ("q1.csv", outcomes_csv([(1, "job", 1, 1), (1, "in_work", 1, 13)]))},
        )
        assert up.status_code == 200 and "2 registrering(er) oprettet" in up.text
    with client_for(app, "eva") as eva:
        page = eva.get(base + "/records")
        assert page.status_code == 200 and page.text.count('name="record"') == 2
        done = eva.post(
            base + "/decisions",
            data={"record": ["1", "2"], "decision": "verify", "csrf_token": csrf(page.text)},
            follow_redirects=True,
        )
        assert done.status_code == 200
        refused = eva.post(base + "/settlements/1/approve", data={"csrf_token": csrf(page.text)})
        assert refused.status_code == 403
    with client_for(app, "pia") as pia:
        page = pia.get(base + "/settlements/1")
        assert page.status_code == 200 and "5.000,00" in page.text and "1.950,00" in page.text
        done = pia.post(
            base + "/settlements/1/approve",
            data={"csrf_token": csrf(page.text)},
            follow_redirects=True,
        )
        assert done.status_code == 200 and "godkendt af pia" in done.text
        xlsx = pia.get(base + "/settlements/1/statement.xlsx")
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[1][:2] == ("I alt", 6950.0)
        assert sorted(r[11] for r in rows[4:]) == [1950.0, 5000.0]  # 13 × 150 kr.; the job
        assert all(str(r[0]).startswith("k1:") for r in rows[4:])
    with client_for(app, "ivan") as ivan:
        over = ivan.get(base)
        assert over.status_code == 200 and "<svg" in over.text and 'class="realised"' in over.text
        assert "6.950,00" in over.text  # paid by the payer, by hand: 5,000 + 13 × 150
        assert "k1:" not in over.text
        report = ivan.get(base + "/report")
        assert report.status_code == 200 and "Statusrapport til styregruppen" in report.text
        assert "6.950,00" in report.text and "k1:" not in report.text
        pdf = ivan.get(base + "/report?format=pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        for path in ("/participants", "/records", "/records?status=verified"):
            assert ivan.get(base + path).status_code == 403
        st = ivan.get(base + "/settlements/1")
        assert (
            st.status_code == 200
            and "k1:" not in st.text
            and "Investorer ser kun totaler" in st.text
        )
        ivan.get("/lang/en?next=/partnerships")
        listed = ivan.get("/partnerships")
        assert "Running partnerships" in listed.text and "investor" in listed.text
    with client_for(app, "otto") as otto:
        for path in ("", "/participants", "/records", "/settlements/1", "/report"):
            assert otto.get(base + path).status_code == 404
        assert (
            otto.post(
                base + "/settlements/1/approve", data={"csrf_token": csrf(otto.get("/cases").text)}
            ).status_code
            == 404
        )
