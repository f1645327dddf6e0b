"""An amended settlement's statement written by ``socialinvest ledger statement`` (PDF and XLSX):
the amounts recomputed by hand from the amended price and the person cap, in Danish number format
in the PDF's text."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from .conftest import bearer
from .ledger_web_support import Deal, make_deal, use_key
from .test_ledger_amend_web import AMEND, _run_two_settlements
from .test_ledger_cli import ledger


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def test_the_amended_statement_file_by_hand(
    client: Any, db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    h = {name: bearer(db, u) for name, u in deal.users.items()}
    base = _run_two_settlements(client, h, deal)
    assert client.post(f"{base}/amendments", json=AMEND, headers=h["pia"]).status_code == 201
    p = ["statement", "-p", str(deal.id), "--user", "pia", "--period", "3"]
    assert ledger(db_url, tmp_path, *p, "-o", str(tmp_path / "s3.xlsx")).returncode == 0
    assert ledger(db_url, tmp_path, *p, "-o", str(tmp_path / "s3.pdf")).returncode == 0
    # by hand: settlement 3 pays the outcomes of Q4 at the amended 200 kr. a week.
    # A: 13 weeks × 200 = 2,600, but A was paid 5,000 + 1,950 + 1,950 = 8,900 of the person cap
    # of 10,000, so 1,100 (cut 1,500). B: 10 weeks × 200 = 2,000 (paid 6,950 before; no cut).
    a_value, a_amount, b_amount = 13 * 200, 10_000 - (5_000 + 2 * 13 * 150), 10 * 200
    assert (a_value, a_amount, b_amount) == (2600, 1100, 2000)
    rows = list(load_workbook(tmp_path / "s3.xlsx").active.iter_rows(values_only=True))
    assert rows[1][:2] == ("I alt", a_amount + b_amount)
    lines = [r for r in rows[4:] if r and r[1] == "per week in work"]
    assert sorted((r[6], r[7], r[8], r[9], r[11]) for r in lines) == sorted(
        [(13, 200.0, 2600.0, 2600 - a_amount, a_amount), (10, 200.0, 2000.0, 0.0, b_amount)]
    )
    shown = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "s3.pdf"), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    for amount in ("3.100,00", "1.100,00", "2.000,00", "200,00"):
        assert amount in shown, (amount, shown[:2000])
    (tmp_path / "s3.txt").write_text(shown, encoding="utf-8")
