"""The pages: the renegotiation view's "agree as amendment" (the payer only; others see the
versions of the terms) and the participants page's exit / withdraw / anonymise buttons with
their confirmation (the payer or the data-processor provider; an investor never sees a row)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from .conftest import make_app
from .ledger_web_support import make_deal, use_key
from .test_pages import client_for, csrf

JAN = dt.date(2024, 1, 15)


@pytest.fixture
def site(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    use_key(monkeypatch)
    from socialinvest.service import partnerships as ps
    from socialinvest.store.db import make_engine, session_factory

    engine = make_engine(sqlite_url)
    db: Session = session_factory(engine)()
    deal = make_deal(db)
    for n in range(2):
        ps.enrol(db, deal.id, deal.users["pia"], deal.numbers[n], JAN, "2024")
    db.close()
    engine.dispose()
    return make_app(sqlite_url), deal


def test_agree_as_amendment_on_the_renegotiation_page(site: Any) -> None:
    app, deal = site
    base = f"/partnerships/{deal.id}"
    query = "/renegotiate?price=6000&contract_cap=30000"
    with client_for(app, "ivan") as ivan:
        page = ivan.get(base + query)
        assert page.status_code == 200
        assert 'action="/partnerships/' not in page.text.split('id="agree"')[1]
        assert "Kun betaleren" in page.text and "oprindelige vilkår" in page.text
        refused = ivan.post(base + "/amend", data={"csrf_token": csrf(page.text), "confirm": "1"})
        assert refused.status_code == 403
    with client_for(app, "pia") as pia:
        page = pia.get(base + query)
        assert page.status_code == 200 and f'action="/partnerships/{deal.id}/amend"' in page.text
        form = {
            "csrf_token": csrf(page.text),
            "price": "6000",
            "contract_cap": "30000",
            "intake": "",
            "periods": "",
            "effective": "2",
            "reference": "Allonge 1",
        }
        unconfirmed = pia.post(base + "/amend", data=form)
        assert unconfirmed.status_code == 422 and "Sæt kryds" in unconfirmed.text
        longer = pia.post(base + "/amend", data={**form, "periods": "12", "confirm": "1"})
        assert longer.status_code == 422 and "Varigheden" in longer.text
        done = pia.post(base + "/amend", data={**form, "confirm": "1"}, follow_redirects=True)
        assert done.status_code == 200, done.text
        assert "Tillæg 1 gælder fra afregningsperiode 2" in done.text
        # both versions listed: the original 5.000 kr. and the amendment's 6.000 kr., and who agreed
        table = done.text.split('id="versions"')[1]
        assert "5.000,00" in table and "6.000,00" in table and "30.000" in table
        assert "Bank, Fund, Provider" in table
        # the approver's role in the page's language (it read "(Kommune, payer)" on a Danish page)
        assert ", betaler)" in table and "payer" not in table


def test_participant_buttons(site: Any) -> None:
    app, deal = site
    base = f"/partnerships/{deal.id}"
    with client_for(app, "ivan") as ivan:
        assert ivan.get(base + "/participants").status_code == 403
        page = ivan.get(base)
        token = csrf(page.text)
        refused = ivan.post(base + "/participants/1/withdraw", data={"csrf_token": token})
        assert refused.status_code == 403 and "k1:" not in refused.text
    with client_for(app, "eva") as eva:
        page = eva.get(base + "/participants")
        assert page.status_code == 200 and "participant-action" not in page.text
    with client_for(app, "paul") as paul:  # the payer's data processor
        page = paul.get(base + "/participants")
        assert 'data-action="withdraw"' in page.text
        token = csrf(page.text)
        unconfirmed = paul.post(
            base + "/participants/1/withdraw", data={"csrf_token": token, "date": "2024-03-01"}
        )
        assert unconfirmed.status_code == 422
        done = paul.post(
            base + "/participants/1/withdraw",
            data={"csrf_token": token, "date": "2024-03-01", "confirm": "1"},
            follow_redirects=True,
        )
        assert done.status_code == 200
        row = done.text.split('id="participant-1"')[1].split("</tr>")[0]
        assert "Trukket tilbage" in row, row
    with client_for(app, "pia") as pia:
        page = pia.get(base + "/participants")
        token = csrf(page.text)
        done = pia.post(
            base + "/participants/2/anonymise",
            data={"csrf_token": token, "confirm": "1"},
            follow_redirects=True,
        )
        row = done.text.split('id="participant-2"')[1].split("</tr>")[0]
        assert "anonymiseret" in row and "k1:" not in row
        bad = pia.post(
            base + "/participants/2/exit",
            data={"csrf_token": token, "confirm": "1", "date": "0101901234"},
        )
        assert bad.status_code == 422 and "0101901234" not in bad.text
