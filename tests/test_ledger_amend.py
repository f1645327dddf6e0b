"""Dated amendments of the terms, computed by hand on the small partnership of
test_ledger_settlement: the price per week in work changes from settlement period 3, earlier
(locked) settlements are never re-priced, only the payer approves, and the audit trail covers
the amendment."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from socialinvest.ledger import snapshot
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.integrity import verify_state
from socialinvest.ledger.settlement import compute_amounts

from .ledger_support import EVALUATOR, INVESTOR, KEYRING, PAYER, PROVIDER, small_terms
from .test_ledger_settlement import _by, _enter, _scenario

AGREED = ("Provider", "Bank", "Fund")


def _amend(ledger, actor=PAYER, effective=3, **changes):
    changes.setdefault("prices", {"per week in work": 200})
    return ledger.amend(
        actor, effective, reference="Allonge 1 of 2024-12-01", agreed_by=AGREED, **changes
    )


def test_price_changes_from_settlement_3_by_hand(fixture_kb):
    ledger, a, b, c = _scenario(fixture_kb)
    ledger.approve(PAYER, 1)
    ledger.approve(PAYER, 2)
    locked = [(x.participant, x.line, x.amount_ore, x.price) for x in ledger.statements[2].lines]
    amendment = _amend(ledger, contract_cap=40000)
    assert amendment.number == 1 and amendment.prices == (5000.0, 200.0)
    # Settlement 2 (locked) paid A 8,900, B 6,950, C 5,900 = 21,750, at 150 kr. a week.
    # A late record after the amendment: B 3 weeks in work in Q2 (paid in quarter 3, in the
    # locked settlement 2) is priced by the terms of settlement 2: 3 × 150 = 450, an adjustment.
    late = _enter(ledger, b, "in_work", 2, 3, ref="late")
    ledger.verify(EVALUATOR, late.id)
    s3 = ledger.statement(3)  # payment quarters 5-6: the outcomes of Q4 (and Q5: none)
    # Q4 at 200 kr. a week: A 13 × 200 = 2,600, but A had 8,900 of the person cap of 10,000:
    # 1,100 (1,500 cut). B 10 × 200 = 2,000. C 13 × 200 = 2,600. Contract: 21,750 + 450 paid
    # before, cap now 40,000: room 17,800, no cut. Total 1,100 + 2,000 + 2,600 + 450 = 6,150.
    assert _by(s3, a) == pytest.approx(1100)
    assert _by(s3, b) == pytest.approx(2000)
    assert _by(s3, c) == pytest.approx(2600)
    assert _by(s3, b, "adjustment") == pytest.approx(450)
    assert s3.total_ore() == 6150 * 100
    regular = [x for x in s3.lines if x.kind == "regular"]
    assert {x.terms_version for x in regular} == {1}
    assert {x.price for x in regular} == {200.0}
    a_line = next(x for x in regular if x.participant == a)
    assert a_line.value == pytest.approx(2600) and a_line.person_cap_cut == pytest.approx(1500)
    adj = next(x for x in s3.lines if x.kind == "adjustment")
    assert adj.terms_version == 0 and adj.price == 150.0
    # the locked settlement 2 is unchanged, line by line
    again = [(x.participant, x.line, x.amount_ore, x.price) for x in ledger.statement(2).lines]
    assert again == locked
    ledger.approve(PAYER, 3)
    assert -ledger.journal.balances()["payer:Kommune"] == (21750 + 6150) * 100


def test_without_the_amendment_the_same_statement_is_the_original(fixture_kb):
    # the control: the same late record without the amendment gives 150 kr. a week and the
    # contract cap of 25,000 (the statement-3 figures of test_ledger_settlement, plus 450)
    ledger, _a, b, c = _scenario(fixture_kb)
    ledger.approve(PAYER, 1)
    ledger.approve(PAYER, 2)
    late = _enter(ledger, b, "in_work", 2, 3, ref="late")
    ledger.verify(EVALUATOR, late.id)
    s3 = ledger.statement(3)
    # Q4: A 1,100 (capped), B 1,500, C 1,950 = 4,550; contract room 25,000 − 22,200 = 2,800
    f = 2800 / 4550
    assert _by(s3, c) == pytest.approx(1950 * f)
    assert s3.total_ore() == (2800 + 450) * 100


def test_only_the_payer_approves_an_amendment(fixture_kb):
    ledger, *_ = _scenario(fixture_kb)
    for actor in (PROVIDER, INVESTOR, EVALUATOR):
        with pytest.raises(LedgerError) as info:
            _amend(ledger, actor)
        assert info.value.key == "role"
        assert "only the payer" in info.value.message
    assert ledger.terms.amendments == ()
    assert [r.action for r in ledger.audit.records].count("amend") == 0


def test_an_amendment_never_reprices_an_approved_settlement(fixture_kb):
    ledger, *_ = _scenario(fixture_kb)
    ledger.approve(PAYER, 1)
    ledger.approve(PAYER, 2)
    with pytest.raises(LedgerError, match="approved and locked") as info:
        _amend(ledger, effective=2)
    assert "settlement period 2 + 1 or later" in info.value.message
    with pytest.raises(LedgerError, match="expected 1 to 4"):
        _amend(ledger, effective=5)
    with pytest.raises(LedgerError, match="changes nothing"):
        _amend(ledger, prices={"per week in work": 150})
    with pytest.raises(LedgerError, match='no payment line "per day"'):
        _amend(ledger, prices={"per day": 10})
    with pytest.raises(LedgerError, match=r"must be a number from 0 to 10,000,000,000,000 kr\."):
        _amend(ledger, prices={"per week in work": -1})
    with pytest.raises(LedgerError, match="1 whole numbers"):
        _amend(ledger, planned_intake=[3, 4])
    with pytest.raises(LedgerError, match="not shown"):
        ledger.amend(PAYER, 3, reference="allonge 0101901234", agreed_by=AGREED, prices={})
    with pytest.raises(LedgerError, match="agreed to it"):
        ledger.amend(PAYER, 3, reference="x", agreed_by=[" "], prices={"job found": 1})
    assert ledger.terms.amendments == ()
    _amend(ledger, effective=4)
    with pytest.raises(LedgerError, match="from settlement period 4 or later, not 3"):
        _amend(ledger, effective=3, prices={"job found": 4000})


def test_the_audit_trail_covers_amendments(fixture_kb):
    ledger, *_ = _scenario(fixture_kb)
    ledger.approve(PAYER, 1)
    _amend(ledger, effective=2, person_cap=12000)
    assert verify_state(ledger).ok
    record = ledger.audit.records[-1]
    assert record.action == "amend" and record.entity == "amendment:1"
    assert record.before["prices"] == [5000.0, 150.0] and record.after["prices"] == [5000.0, 200.0]
    # both versions are kept: the original terms and the amendment
    assert ledger.terms.prices == (5000.0, 150.0)
    assert [v.number for v in ledger.terms.versions()] == [0, 1]
    # a backup round trip keeps the amendment, and the state still verifies
    data = snapshot.dump(ledger)
    back = snapshot.load(data, ledger.terms.with_amendments(()), KEYRING)
    assert back.terms.amendments == ledger.terms.amendments
    assert verify_state(back).ok
    # a stored amendment altered (the price raised) is found, naming it
    data["amendments"][0]["prices"][1] = 250.0
    altered = snapshot.load(data, ledger.terms.with_amendments(()), KEYRING)
    check = verify_state(altered)
    assert not check.ok and check.entity == "amendment:1"
    # ... and one deleted too
    data["amendments"] = []
    check = verify_state(snapshot.load(data, ledger.terms.with_amendments(()), KEYRING))
    assert not check.ok and check.entity == "amendment:1"


def test_an_amendment_that_changes_no_price_or_cap_prices_as_the_engine(fixture_kb):
    # an amendment changing only the planned intake splits the periods into two runs with the
    # same prices and caps: the run-by-run caps (with the headroom left) must give exactly what
    # the unamended pricing gives, which is checked against contract.payments.settle
    ledger, *_ = _scenario(fixture_kb)
    terms = ledger.terms
    _amend(ledger, effective=3, prices={}, planned_intake=[5])
    assert len(ledger.terms.segments()) == 2
    rng = np.random.default_rng(3)
    units = rng.integers(0, 14, size=(4, 2, terms.n_periods)).astype(float)
    units[:, 0, :] = (units[:, 0, :] > 10).astype(float)
    people = (1, 2, 3, 4)
    plain = compute_amounts(terms, people, units, np.zeros_like(units))
    amended = compute_amounts(ledger.terms, people, units, np.zeros_like(units))
    assert plain.amount.sum() > 0
    assert np.allclose(plain.amount, amended.amount, atol=1e-9)
    assert np.allclose(plain.after_person, amended.after_person, atol=1e-9)


def test_a_lowered_cap_claws_nothing_back(fixture_kb):
    ledger, _a, _b, c = _scenario(fixture_kb)
    ledger.approve(PAYER, 1)
    ledger.approve(PAYER, 2)
    # contract cap lowered to 20,000 from settlement 3: 21,750 is paid already, so nothing more
    _amend(ledger, prices={}, contract_cap=20000)
    s3 = ledger.statement(3)
    assert s3.total_ore() == 0
    c_line = next(x for x in s3.lines if x.participant == c)
    assert c_line.contract_cap_cut == pytest.approx(1950)
    assert dataclasses.asdict(c_line)["terms_version"] == 1


def _naive(terms, units):
    """An independent reference: period by period, each person's value at the prices in force
    for the period's payment, the person cap and then the contract cap as room left under the
    cap in force (nothing clawed back), written as plain loops."""
    n_people, n_lines, n_t = units.shape
    lag, every = terms.contract.lag_periods, terms.settle_every
    ppy = terms.prep.periods_per_year
    rate = terms.contract.indexation
    paid_person = [0.0] * n_people
    paid_total = 0.0
    out = []
    for t in range(n_t):
        settlement = (min(t + 1 + lag, n_t) - 1) // every + 1
        version = terms.original
        for a in terms.amendments:
            if a.effective <= settlement:
                version = a
        index = (1 + rate) ** (t / ppy)
        allowed = []
        for n in range(n_people):
            value = sum(version.prices[line] * units[n, line, t] for line in range(n_lines))
            value *= index
            if version.person_cap is not None:
                value = min(value, max(version.person_cap - paid_person[n], 0.0))
            paid_person[n] += value
            allowed.append(value)
        total = sum(allowed)
        if version.contract_cap is not None:
            total = min(total, max(version.contract_cap - paid_total, 0.0))
        paid_total += total
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("seed", range(12))
def test_random_amendments_against_a_plain_loop(fixture_kb, seed):
    rng = np.random.default_rng(seed)
    ledger, *_ = _scenario(fixture_kb, indexation=0.05)
    terms = ledger.terms
    effective = 1
    for number in range(1, 4):
        effective = int(rng.integers(effective, terms.n_settlements + 1))
        ledger.amend(
            PAYER,
            effective,
            reference=f"Allonge {number}",
            agreed_by=AGREED,
            prices={
                "job found": float(rng.integers(1000, 8000)),
                "per week in work": 90.0 + number,
            },
            person_cap=float(rng.integers(3000, 15000)),
            contract_cap=float(rng.integers(5000, 40000)),
        )
    units = rng.integers(0, 14, size=(5, 2, terms.n_periods)).astype(float)
    units[:, 0, :] = (rng.random((5, terms.n_periods)) < 0.2).astype(float)
    a = compute_amounts(ledger.terms, (1, 2, 3, 4, 5), units, np.zeros_like(units))
    assert np.allclose(a.amount.sum(axis=(0, 1)), _naive(ledger.terms, units), atol=1e-6)


def test_an_amended_intake_plan_is_the_plan_of_the_status(fixture_kb):
    from socialinvest.ledger.status import status

    ledger, *_ = _scenario(fixture_kb)
    before = status(ledger, 3)["enrolment"]
    assert before["planned_total"] == 3 and before["terms_version"] == 0
    _amend(ledger, effective=2, prices={}, planned_intake=[6])
    after = status(ledger, 3)["enrolment"]  # period 3 is in settlement period 2
    assert after["planned_total"] == 6 and after["terms_version"] == 1
    assert after["planned_to_date"] == 2 * before["planned_to_date"]
    assert status(ledger, 2)["enrolment"]["planned_total"] == 3  # settlement 1: the original


def test_the_reforecast_simulates_an_amended_intake_plan(fixture_kb):
    # The re-forecast after an amendment of the intake (3 -> 6 participants in the one cohort),
    # with nothing observed and nothing realised, is the design stage of the same contract
    # written with 6 participants from the start (a case file of its own): the participants'
    # intake periods and the simulated payments, draw for draw, at the same seed.
    from socialinvest.contract.partnership import settle_outcomes, simulate_outcomes
    from socialinvest.ledger.forecast import reforecast

    ledger, *_ = _scenario(fixture_kb)
    terms = ledger.terms
    assert terms.planned_intake == (3,)
    _amend(ledger, effective=2, prices={}, planned_intake=[6])
    now = ledger.terms.current(2)
    assert now.prep.n_participants == 6 and now.planned_intake == (6,)
    six = small_terms(fixture_kb, participants={"cohorts": [6]}).prep  # from a case file
    assert now.prep.offsets.tolist() == six.offsets.tolist()
    assert now.prep.cohort.tolist() == [0] * 6
    assert ledger.terms.current(1).prep.n_participants == 3  # settlement 1: the original plan
    expected = settle_outcomes(six, simulate_outcomes(six, 50, 7), list(terms.prices))
    three = settle_outcomes(terms.prep, simulate_outcomes(terms.prep, 50, 7), list(terms.prices))
    fc = reforecast(now, [], None, draws=50, seed=7)
    assert np.array_equal(fc.design.flows.payments, expected)
    assert np.array_equal(fc.result.flows.payments, expected)  # nothing observed: the design
    assert not np.array_equal(expected, three)  # the plan changes what is forecast


def test_an_amended_plan_without_participants_is_refused_by_the_forecast(fixture_kb):
    ledger, *_ = _scenario(fixture_kb)
    _amend(ledger, effective=2, prices={}, planned_intake=[0])
    with pytest.raises(LedgerError) as refused:
        ledger.terms.current(2)
    assert refused.value.message_in("en") == (
        "Amendment 1 plans no participants in any cohort; the re-forecast has no one to simulate."
    )
