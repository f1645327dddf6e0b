"""Settlement of a small partnership computed by hand: a per-person cap, a contract cap, a lag of
one quarter, and a late correction after a locked period that becomes an adjustment line."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from socialinvest.contract.partnership import Outcomes, settle_outcomes
from socialinvest.ledger.cpr import synthetic_numbers
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.settlement import compute_items

from .ledger_support import ELIGIBLE, EVALUATOR, PAYER, PROVIDER, small_ledger

CPR = synthetic_numbers(3, seed=5)


def _enter(ledger, pid, metric, period, value, ref="doc"):
    _kind, record = ledger.enter_outcome(PROVIDER, pid, metric, period, value, "Jobcenter", ref)
    return record


def _scenario(fixture_kb, **contract):
    """A and B enrolled in quarter 1, C in quarter 2 (the contract starts 2024-01-01).

    A: job in Q2; 13 weeks in work in each of Q2, Q3, Q4.
    B: job in Q3; 13 weeks in Q3, 10 in Q4.
    C: job in Q3; 6 weeks in Q3, 13 in Q4.
    """
    ledger = small_ledger(fixture_kb, **contract)
    a = ledger.enrol(PAYER, CPR[0], dt.date(2024, 1, 15), "2024", ELIGIBLE).id
    b = ledger.enrol(PROVIDER, CPR[1], dt.date(2024, 2, 1), "2024", ELIGIBLE).id
    c = ledger.enrol(PAYER, CPR[2], dt.date(2024, 4, 10), "2024", ELIGIBLE).id
    ids = [
        _enter(ledger, a, "job", 2, 1).id,
        _enter(ledger, a, "in_work", 2, 13).id,
        _enter(ledger, a, "in_work", 3, 13).id,
        _enter(ledger, a, "in_work", 4, 13).id,
        _enter(ledger, b, "job", 3, 1).id,
        _enter(ledger, b, "in_work", 3, 13).id,
        _enter(ledger, b, "in_work", 4, 10).id,
        _enter(ledger, c, "job", 3, 1).id,
        _enter(ledger, c, "in_work", 3, 6).id,
        _enter(ledger, c, "in_work", 4, 13).id,
    ]
    for rid in ids:
        ledger.verify(EVALUATOR, rid)
    return ledger, a, b, c


def _by(statement, pid, kind="regular"):
    return sum(x.amount for x in statement.lines if x.participant == pid and x.kind == kind)


def test_small_partnership_by_hand(fixture_kb):
    ledger, a, b, c = _scenario(fixture_kb)
    # Value by outcome quarter (5,000 per job, 150 × weeks):
    #   A: Q2 5,000 + 1,950 = 6,950; Q3 1,950 (cum 8,900); Q4 1,950 → cum 10,850, over the
    #      person cap of 10,000: Q4 pays 1,100 (850 cut).
    #   B: Q3 5,000 + 1,950 = 6,950; Q4 1,500.   C: Q3 5,000 + 900 = 5,900; Q4 1,950.
    # All: Q2 6,950; Q3 1,950 + 6,950 + 5,900 = 14,800 (cum 21,750); Q4 1,100 + 1,500 + 1,950
    #   = 4,550 → cum 26,300 over the contract cap of 25,000: Q4 pays 3,250 (1,300 cut), shared
    #   in proportion: factor 3,250 / 4,550.
    # Paid one quarter later: Q2 → Q3, Q3 → Q4, Q4 → Q5. Settlements cover two quarters each.
    s1 = ledger.statement(1)  # payment quarters 1-2: nothing falls due yet
    assert s1.lines == []
    ledger.approve(PAYER, 1)
    s2 = ledger.statement(2)  # payment quarters 3-4: the outcomes of Q2 and Q3
    assert _by(s2, a) == pytest.approx(6950 + 1950)
    assert _by(s2, b) == pytest.approx(6950)
    assert _by(s2, c) == pytest.approx(5900)
    assert s2.total_ore() == (6950 + 14800) * 100
    job = next(x for x in s2.lines if x.participant == a and x.line == "job found")
    assert job.records and job.outcome_periods == (2,) and job.payment_periods == (3,)
    assert job.price == 5000 and job.units == 1
    ledger.approve(PAYER, 2)

    # a late correction: B's 13 weeks in Q3 were 8 (a conflicting record, verified by the
    # evaluator). B's Q3 becomes 5,000 + 1,200 = 6,200: 750 less than paid in locked Q4.
    kind, fix = ledger.enter_outcome(PROVIDER, b, "in_work", 3, 8, "Jobcenter", "correction")
    assert kind == "conflict"
    ledger.verify(EVALUATOR, fix.id)
    s3 = ledger.statement(3)
    # Q3 now 14,050 (cum 21,000); Q4 4,550 → cum 25,550: the contract cap cuts 550, so Q4 pays
    # 4,000, shared by the factor 4,000 / 4,550 (A's 1,100 is already after its person cap).
    f = 4000 / 4550
    assert _by(s3, a) == pytest.approx(1100 * f)
    assert _by(s3, b) == pytest.approx(1500 * f)
    assert _by(s3, c) == pytest.approx(1950 * f)
    assert _by(s3, b, "adjustment") == pytest.approx(-750)
    adj = next(x for x in s3.lines if x.kind == "adjustment")
    assert adj.payment_periods == (4,) and fix.id in adj.records
    a_q4 = next(x for x in s3.lines if x.participant == a and x.line == "per week in work")
    assert a_q4.value == pytest.approx(1950)
    assert a_q4.person_cap_cut == pytest.approx(850)
    assert a_q4.contract_cap_cut == pytest.approx(1100 - 1100 * f)
    assert s3.total_ore() == ((4000 - 750) * 100)
    ledger.approve(PAYER, 3)
    # the payer has paid 21,750 + 3,250 = 25,000: exactly the contract cap
    assert -ledger.journal.balances()["payer:Kommune"] == 25000 * 100


def test_a_locked_period_does_not_change(fixture_kb):
    ledger, a, *_ = _scenario(fixture_kb)
    ledger.approve(PAYER, 1)
    ledger.approve(PAYER, 2)
    before = [x.amount_ore for x in ledger.statements[2].lines]
    ledger.dispute(PAYER, 1, "the job started in Q3")
    assert [x.amount_ore for x in ledger.statement(2).lines] == before
    with pytest.raises(LedgerError, match="approved and locked"):
        ledger.approve(PAYER, 2)
    # the disputed job record is not paid any more: −5,000 as an adjustment in settlement 3
    s3 = ledger.statement(3)
    assert _by(s3, a, "adjustment") == pytest.approx(-5000)
    with pytest.raises(LedgerError, match="only the payer"):
        ledger.approve(EVALUATOR, 3)


def test_settlements_go_in_order(fixture_kb):
    ledger, *_ = _scenario(fixture_kb)
    with pytest.raises(LedgerError, match="settlement 1, which is not approved"):
        ledger.statement(2)


def test_indexation_uses_the_outcome_period(fixture_kb):
    # 8 % a year, quarterly: the value of quarter t (0-based) is × 1.08^(t/4)
    ledger = small_ledger(
        fixture_kb, indexation=0.08, person_cap=None, contract_cap=None, lag_periods=0
    )
    pid = ledger.enrol(PAYER, CPR[0], dt.date(2024, 1, 2), "2024", ELIGIBLE).id
    rid = _enter(ledger, pid, "in_work", 3, 13).id
    ledger.verify(EVALUATOR, rid)
    ledger.approve(PAYER, 1)
    s2 = ledger.statement(2)
    assert s2.total_ore() == round(1950 * 1.08**0.5 * 100)


def test_items_equal_the_design_stage_settlement(fixture_kb):
    """The ledger's total per period is the design stage's settle_outcomes on the same units."""
    ledger, *_ = _scenario(fixture_kb)
    units = ledger.units()
    items = compute_items(ledger.terms, units)
    mine = np.zeros(8)
    for it in items:
        mine[it.payment_period - 1] += it.amount
    # the same units as the design stage keeps them with a person cap: [D, N, T] per line
    person = {line: np.zeros((1, 3, 8), dtype=np.float32) for line in (0, 1)}
    for (p, line, t), u in units.items():
        person[line][0, p - 1, t - 1] = u.paid
    outcomes = Outcomes(1, None, person, None, {}, np.zeros(1), {}, {}, None)  # type: ignore[arg-type]
    engine = settle_outcomes(ledger.terms.prep, outcomes, list(ledger.terms.prices))
    np.testing.assert_allclose(mine, engine[0], atol=1e-6)


def test_statement_lines_in_words(fixture_kb):
    from socialinvest.ledger.explain import explain

    ledger, a, b, _c = _scenario(fixture_kb)
    ledger.approve(PAYER, 1)
    ledger.approve(PAYER, 2)
    _kind, fix = ledger.enter_outcome(PROVIDER, b, "in_work", 3, 8, "Jobcenter", "correction")
    ledger.verify(EVALUATOR, fix.id)
    s3 = ledger.statement(3)
    a_q4 = next(x for x in s3.lines if x.participant == a and x.line == "per week in work")
    en = explain(a_q4, "en")
    # 13 weeks at 150 kr. in quarter 4 = 1,950 before caps; person cap cut 850; the contract cap
    # cut 1,100 × (1 − 4,000 / 4,550) = 132.97; amount 1,100 × 4,000 / 4,550 = 967.03
    assert en == (
        "per week in work: 13.00 unit(s) at DKK 150.00 in period(s) 4 (records 4) = DKK 1,950.00"
        " before caps. The per-person cap cut DKK 850.00. The contract cap cut DKK 132.97."
        " Amount: DKK 967.03."
    )
    assert "Loftet pr. person skar 850,00 kr. fra." in explain(a_q4, "da")
    # one full stop after an amount in kroner, not "kr.."
    assert explain(a_q4, "da").endswith(" Beløb: 967,03 kr.")
    adj = next(x for x in s3.lines if x.kind == "adjustment")
    assert explain(adj, "en") == (
        "Adjustment of payment period(s) 4 after a correction (records 6, 11): DKK -750.00."
    )
