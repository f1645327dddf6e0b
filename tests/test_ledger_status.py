"""What each role sees: aggregates with small counts suppressed for investors, rows for others."""

from __future__ import annotations

import datetime as dt

import pytest

from socialinvest.ledger.cpr import synthetic_numbers
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.status import participant_rows, statement_for, status, suppress

from .ledger_support import ELIGIBLE, EVALUATOR, INVESTOR, PAYER, PROVIDER, small_ledger


def test_suppression():
    assert suppress(0, 5) == {"count": 0, "suppressed": False}
    assert suppress(4, 5) == {"count": None, "suppressed": True}
    assert suppress(5, 5) == {"count": 5, "suppressed": False}
    assert suppress(2, 3)["suppressed"] and not suppress(3, 3)["suppressed"]


def test_investors_see_aggregates_only(fixture_kb):
    ledger = small_ledger(fixture_kb)
    numbers = synthetic_numbers(7, seed=51)
    for i, n in enumerate(numbers):
        ledger.enrol(
            PAYER, n, dt.date(2024, 1 if i < 6 else 4, 10), "A" if i < 4 else "B", ELIGIBLE
        )
    rid = ledger.enter_outcome(PROVIDER, 1, "job", 2, 1, "Jobcenter", "x")[1].id
    ledger.verify(EVALUATOR, rid)
    ledger.withdraw(PAYER, 2, dt.date(2024, 3, 1))
    s = status(ledger, as_of=2, min_count=5)
    # the design plans 3 participants from quarter 1; 7 enrolled by quarter 2
    assert s["enrolment"]["planned_to_date"] == 3 and s["enrolment"]["enrolled"] == 7
    assert s["enrolment"]["by_cohort"] == {
        "A": {"count": None, "suppressed": True},
        "B": {"count": None, "suppressed": True},
    }
    assert s["participants"]["active"] == {"count": 6, "suppressed": False}
    assert s["participants"]["withdrawn"]["suppressed"]
    assert s["with_verified_outcome"]["suppressed"]
    assert status(ledger, as_of=1, min_count=3)["enrolment"]["by_cohort"]["A"]["count"] == 4
    with pytest.raises(LedgerError, match="may not see participants"):
        participant_rows(ledger, INVESTOR)
    rows = participant_rows(ledger, EVALUATOR)
    assert len(rows) == 7 and all(len(r["pseudonym"]) == len("k1:") + 12 for r in rows)
    ledger.approve(PAYER, 1)
    st = ledger.statement(2)
    assert statement_for(INVESTOR, st)["payers"] == {"Kommune": {"total": 5000.0}}
    assert statement_for(PAYER, st)["payers"]["Kommune"]["lines"][0]["participant"] == 1
