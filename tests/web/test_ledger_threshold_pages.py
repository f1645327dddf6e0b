"""A threshold line through the web application: the cohort assessments on the settlement page,
in its XLSX and after approval (stored and loaded again), never for an investor."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from socialinvest.service import partnerships as ps

from ..conftest import base_case
from ..ledger_support import SMALL_CONTRACT
from ..test_ledger_threshold import THRESHOLD
from . import ledger_web_support
from .conftest import make_app
from .ledger_web_support import make_deal, use_key
from .test_pages import client_for, csrf


def threshold_text() -> str:
    data = base_case(
        success={"measure": "in work", "rate_with": 1.0, "rate_without": 0.0, "timing": [1.0]},
        discounting={"rate": 0.04, "convention": "start"},
    )
    data["contract"] = {**copy.deepcopy(SMALL_CONTRACT), **copy.deepcopy(THRESHOLD)}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.fixture
def site(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    use_key(monkeypatch)
    monkeypatch.setattr(ledger_web_support, "small_text", threshold_text)
    from socialinvest.store.db import make_engine, session_factory

    engine = make_engine(sqlite_url)
    db: Session = session_factory(engine)()
    deal = make_deal(db, key="threshold")
    u = deal.users
    # cohort 1: four enrolled on 15 January 2024, jobs for three of them in quarters 1, 2, 2
    ids = [
        ps.enrol(db, deal.id, u["pia"], deal.numbers[i], dt.date(2024, 1, 15), "2024")
        for i in range(4)
    ]
    for pid, period in ((ids[0], 1), (ids[1], 2), (ids[2], 2)):
        rec = ps.enter_outcome(db, deal.id, u["paul"], pid, "job", period, 1, "Jobcenter", "doc")
        ps.decide(db, deal.id, u["eva"], [rec["record"]], "verify")
    ps.approve(db, deal.id, u["pia"], 1)
    db.close()
    engine.dispose()
    return make_app(sqlite_url), deal


def test_cohort_assessments_on_the_page(site: Any) -> None:
    app, deal = site
    base = f"/partnerships/{deal.id}/settlements/2"
    with client_for(app, "pia") as pia:
        page = pia.get(base)
        # S = 3, B = 4 × 0.25 = 1, gain 2 ≥ 100 % × 1: 2 × 10,000 kr. for the cohort, 5,000 each
        assert page.status_code == 200 and "Kohortevurderinger (tærskellinjer)" in page.text
        assert "20.000,00" in page.text and "5.000,00" in page.text
        xlsx = pia.get(base + "/statement.xlsx")
        rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
        assert rows[1][:2] == ("I alt", 20000.0)
        cohort = next(r for r in rows if r[0] == "jobs above baseline" and r[1] == 1)
        assert cohort[6:11] == (3, 1, 1, 2, "ja") and cohort[13] == 20000
        approved = pia.post(base + "/approve", data={"csrf_token": csrf(page.text)})
        assert approved.status_code in (200, 303)
        again = pia.get(base)  # the approved statement, loaded from the database
        assert "Kohortevurderinger" in again.text and "20.000,00" in again.text
    with client_for(app, "ivan") as ivan:
        page = ivan.get(base)
        assert page.status_code == 200 and "20.000,00" in page.text
        assert "Kohortevurderinger" not in page.text and "k1:" not in page.text


def test_cohort_assessments_on_the_overview_and_in_the_status(
    site: Any, sqlite_url: str, tmp_path: Any
) -> None:
    from socialinvest.store.db import make_engine, session_factory

    from .test_api import _cli

    app, deal = site
    engine = make_engine(sqlite_url)
    db: Session = session_factory(engine)()
    ps.approve(db, deal.id, deal.users["pia"], 2)
    view = ps.status_view(ps.read(db, deal.id, deal.users["eva"]))
    db.close()
    engine.dispose()
    # cohort 1: S = 3 jobs against B = 4 × 0.25 = 1; gain 2 ≥ 100 % of B: 2 × 10,000 kr.
    (c,) = view["threshold_cohorts"]
    assert (c["settlement"], c["name"], c["cohort"], c["members"]) == (
        2,
        "jobs above baseline",
        1,
        4,
    )
    assert (c["successes"], c["baseline"], c["met"], c["amount"]) == (3, 1, True, 20000)
    with client_for(app, "pia") as pia:
        page = pia.get(f"/partnerships/{deal.id}")
        assert page.status_code == 200 and 'id="threshold-cohorts"' in page.text
        assert "Kohortevurderinger (tærskellinjer)" in page.text and "20.000,00" in page.text
        report = pia.get(f"/partnerships/{deal.id}/report")  # the status report (HTML)
        assert report.status_code == 200 and 'id="threshold-cohorts"' in report.text
        assert "20.000,00" in report.text and "100 %" in report.text
    with client_for(app, "ivan") as ivan:  # an investor: aggregates only
        page = ivan.get(f"/partnerships/{deal.id}")
        assert page.status_code == 200 and 'id="threshold-cohorts"' not in page.text
        report = ivan.get(f"/partnerships/{deal.id}/report")
        assert report.status_code == 200 and 'id="threshold-cohorts"' not in report.text
    p = ["ledger", "status", "-p", str(deal.id), "--database", sqlite_url]
    ran = _cli([*p, "--user", "eva"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "Kohortevurderinger i godkendte afregninger:" in ran.stdout
    assert (
        "jobs above baseline, kohorte 1, vurderet i periode 2: 3 udfald mod en baseline på 1,00; "
        "nået; 20.000,00 kr. (afregning 2)." in ran.stdout
    )
    ran = _cli([*p, "--user", "ivan", "--format", "json"], tmp_path)
    assert ran.returncode == 0 and "threshold_cohorts" not in ran.stdout
