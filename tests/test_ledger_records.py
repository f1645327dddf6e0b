"""Participants, outcome records, verification and random-sample verification."""

from __future__ import annotations

import datetime as dt

import pytest

from socialinvest.ledger.cpr import synthetic_numbers
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.records import Actor
from socialinvest.ledger.sampling import clopper_pearson

from .ledger_support import (
    CRITERIA,
    ELIGIBLE,
    EVALUATOR,
    EVALUATOR2,
    INVESTOR,
    PAYER,
    PROVIDER,
    small_ledger,
)

CPR = synthetic_numbers(20, seed=21)
JAN = dt.date(2024, 1, 10)


def test_enrolment_rules(fixture_kb):
    ledger = small_ledger(fixture_kb)
    p = ledger.enrol(PAYER, CPR[0], JAN, "2024", ELIGIBLE)
    assert (p.id, p.intake_period, p.cohort, p.status) == (1, 1, "2024", "active")
    assert ledger.enrol(PAYER, CPR[1], dt.date(2024, 4, 1), "2024", ELIGIBLE).intake_period == 2
    with pytest.raises(LedgerError, match=r"already enrolled .*participant 1"):
        ledger.enrol(PROVIDER, CPR[0][:6] + "-" + CPR[0][6:], JAN, "2024", ELIGIBLE)
    with pytest.raises(LedgerError, match="only the payer, or a provider acting as its data"):
        ledger.enrol(INVESTOR, CPR[2], JAN, "2024", ELIGIBLE)
    with pytest.raises(LedgerError, match="only the payer"):
        ledger.enrol(Actor("x", "Other provider", "provider"), CPR[2], JAN, "2024", ELIGIBLE)
    with pytest.raises(LedgerError, match='"30 or older" is declared as not met'):
        ledger.enrol(PAYER, CPR[2], JAN, "2024", {**ELIGIBLE, "30 or older": False})
    with pytest.raises(LedgerError, match='"30 or older" is missing'):
        ledger.enrol(PAYER, CPR[2], JAN, "2024", {"on cash benefit": True})
    with pytest.raises(LedgerError, match="outside the contract"):
        ledger.enrol(PAYER, CPR[2], dt.date(2026, 1, 1), "2024", ELIGIBLE)
    assert len(ledger.participants) == 2
    assert ledger.audit.records[-1].after["eligibility"] == dict.fromkeys(CRITERIA, True)


def test_exit_withdrawal_and_anonymisation(fixture_kb):
    ledger = small_ledger(fixture_kb)
    a = ledger.enrol(PAYER, CPR[0], JAN, "2024", ELIGIBLE).id
    ledger.exit(PAYER, a, dt.date(2024, 6, 30), "completed")
    assert ledger.participants[a].status == "exited"
    # outcomes after the exit still count (the contract pays outcomes after intake)
    assert ledger.enter_outcome(PROVIDER, a, "in_work", 4, 13, "Jobcenter", "d")[0] == "new"
    b = ledger.enrol(PAYER, CPR[1], JAN, "2024", ELIGIBLE).id
    ledger.withdraw(PAYER, b, dt.date(2024, 5, 15))  # in quarter 2
    assert ledger.enter_outcome(PROVIDER, b, "in_work", 2, 13, "Jobcenter", "d")[0] == "new"
    with pytest.raises(LedgerError, match="withdrew on 2024-05-15"):
        ledger.enter_outcome(PROVIDER, b, "in_work", 3, 13, "Jobcenter", "d")
    # anonymisation: the pseudonym goes, the records and the audit chain stay intact
    rid = ledger.enter_outcome(PROVIDER, a, "job", 2, 1, "Jobcenter", "d")[1].id
    ledger.verify(EVALUATOR, rid)
    old = ledger.participants[a].pseudonym
    ledger.anonymise(PAYER, a, dt.date(2024, 9, 1))
    assert ledger.participants[a].pseudonym != old
    assert ledger.participants[a].pseudonym.startswith("anon:")
    assert ledger.find(CPR[0]) is None
    assert ledger.records[rid].participant == a
    assert ledger.verify_audit().ok
    assert all(old not in repr(r.to_dict()) for r in ledger.audit.records)
    ledger.approve(PAYER, 1)
    lines = ledger.statement(2).lines
    assert {x.pseudonym for x in lines if x.participant == a} == {"anonymised"}
    assert sum(x.amount for x in lines if x.participant == a) == pytest.approx(5000)
    with pytest.raises(LedgerError, match="anonymised already"):
        ledger.anonymise(PAYER, a, dt.date(2024, 9, 2))


def test_outcome_checks(fixture_kb):
    ledger = small_ledger(fixture_kb)
    a = ledger.enrol(PAYER, CPR[0], dt.date(2024, 4, 2), "2024", ELIGIBLE).id  # quarter 2

    def enter(metric, period, value, **kw):
        return ledger.enter_outcome(PROVIDER, a, metric, period, value, "Jobcenter", "d", **kw)

    with pytest.raises(LedgerError, match="0 to 13 per period"):
        enter("in_work", 2, 14)
    with pytest.raises(LedgerError, match="before participant 1's intake"):
        enter("in_work", 1, 5)
    with pytest.raises(LedgerError, match="recorded with value 1, not 2"):
        enter("job", 2, 2)
    with pytest.raises(LedgerError, match="has not begun"):
        enter("job", 5, 1, as_of=4)
    with pytest.raises(LedgerError, match='"sleep" is not one of'):
        enter("sleep", 2, 1)
    with pytest.raises(LedgerError, match="evidence"):
        ledger.enter_outcome(PROVIDER, a, "job", 2, 1, " ", "d")
    with pytest.raises(LedgerError, match="only the provider or payer"):
        ledger.enter_outcome(EVALUATOR, a, "job", 2, 1, "Jobcenter", "d")
    assert enter("job", 3, 1)[0] == "new"
    with pytest.raises(LedgerError, match=r'already has "job" in period 3'):
        enter("job", 4, 1)
    assert not any(r.period == 4 for r in ledger.records.values())


def test_verification_conflicts_and_disputes_keep_their_history(fixture_kb):
    ledger = small_ledger(fixture_kb)
    a = ledger.enrol(PAYER, CPR[0], JAN, "2024", ELIGIBLE).id
    kind, r = ledger.enter_outcome(PROVIDER, a, "in_work", 2, 13, "Jobcenter", "d1")
    with pytest.raises(LedgerError, match="only the evaluator"):
        ledger.verify(PAYER, r.id)
    with pytest.raises(LedgerError, match="entered record 1 and may not decide"):
        ledger.verify(Actor("paul", "Evaluator", "evaluator"), r.id)
    ledger.verify(EVALUATOR, r.id)
    # the same value again changes nothing; another value is a conflict, the first is kept
    assert ledger.enter_outcome(PROVIDER, a, "in_work", 2, 13, "Jobcenter", "d1")[0] == "unchanged"
    kind, c = ledger.enter_outcome(PROVIDER, a, "in_work", 2, 10, "Jobcenter", "d2")
    assert (kind, c.status, c.conflicts_with) == ("conflict", "conflict", r.id)
    assert ledger.records[r.id].value == 13 and ledger.records[r.id].status == "verified"
    assert ledger.enter_outcome(PROVIDER, a, "in_work", 2, 10, "Jobcenter", "d2")[0] == "unchanged"
    ledger.reject(EVALUATOR2, c.id, "the job centre confirms 13 weeks")
    assert ledger.records[r.id].status == "verified"
    # a dispute stops payment until the evaluator decides again
    ledger.dispute(PAYER, r.id, "the contract ended in week 10")
    assert ledger.units() == {}
    ledger.verify(EVALUATOR2, r.id, reason="evidence seen")
    assert [e.action for e in ledger.records[r.id].history] == [
        "entered",
        "verified",
        "disputed",
        "verified",
    ]
    assert ledger.units()[(a, 1, 2)].paid == 13
    with pytest.raises(LedgerError, match="is verified; it cannot be verified"):
        ledger.verify(EVALUATOR, r.id)


def test_clopper_pearson_against_published_values():
    # exact 95 % intervals, e.g. 1 of 5: (0.0051, 0.7164); 0 of 10: (0, 0.3085); 5 of 10:
    # (0.1871, 0.8129)
    assert clopper_pearson(1, 5) == pytest.approx((0.00505, 0.71642), abs=5e-5)
    assert clopper_pearson(0, 10) == pytest.approx((0.0, 0.30850), abs=5e-5)
    assert clopper_pearson(5, 10) == pytest.approx((0.18709, 0.81291), abs=5e-5)
    # 1 − 0.975^(1/n) is the lower bound for one in n
    assert clopper_pearson(1, 4)[0] == pytest.approx(1 - 0.975 ** (1 / 4))


def test_sample_rejection_rate_is_applied_to_the_unsampled(fixture_kb):
    ledger = small_ledger(fixture_kb, person_cap=None, contract_cap=None, lag_periods=0)
    ids = []
    for n in CPR[:3]:
        pid = ledger.enrol(PAYER, n, JAN, "2024", ELIGIBLE).id
        for q in (1, 2, 3, 4):
            ids.append(
                ledger.enter_outcome(PROVIDER, pid, "in_work", q, 13, "Jobcenter", "d")[1].id
            )
    s = ledger.draw_sample(EVALUATOR, 4, seed=7)
    assert len(s.sampled) == 4 and set(s.sampled) <= set(ids) and s.population == tuple(ids)
    assert ledger.draw_sample.__self__ is ledger
    assert ledger.sample_rate(s.id) is None  # undecided: the unsampled are not paid yet
    for i, rid in enumerate(s.sampled):
        if i == 0:
            ledger.reject(EVALUATOR, rid, "no evidence of work")
        else:
            ledger.verify(EVALUATOR, rid)
    rate = ledger.sample_rate(s.id)
    assert (rate.rate, rate.acceptance) == (0.25, 0.75)
    assert (rate.low, rate.high) == pytest.approx((1 - 0.975**0.25, 0.80588), abs=5e-5)
    ledger.approve(PAYER, 1)
    s2 = ledger.statement(2)
    # payment periods 1-4: 3 verified × 1,950 + 8 unsampled × 1,950 × 0.75 (1 rejected: 0)
    total_periods_1_2 = sum(ledger.statements[1].keyed.values())
    assert total_periods_1_2 + sum(s2.keyed.values()) == pytest.approx(3 * 1950 + 8 * 1950 * 0.75)
    sampled_line = next(x for x in s2.lines if x.sample is not None)
    assert sampled_line.sample["rate"] == 0.25 and sampled_line.sample["high"] > 0.8
