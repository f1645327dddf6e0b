"""Double entry: balances sum to zero after every operation; drawdowns and distributions follow
the contract's waterfall."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialinvest.contract.partnership import party_flows
from socialinvest.ledger.cpr import synthetic_numbers
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.integrity import verify_state
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.postings import KINDS, Journal, ore

from .ledger_support import (
    ELIGIBLE,
    EVALUATOR,
    KEYRING,
    PAYER,
    PROVIDER,
    Clock,
    small_terms,
)
from .test_ledger_settlement import _scenario

COSTS = [5000, 5000, 5000, 5000, 2000, 2000, 2000, 2000]


def _run_to_maturity(ledger):
    for index in range(1, 5):
        first, last = ledger.terms.settlement_span(index)
        for period in range(first, last + 1):
            ledger.record_delivery_costs(PROVIDER, period, COSTS[period - 1])
        ledger.approve(PAYER, index)


def test_drawdowns_and_distributions_by_hand(fixture_kb):
    ledger, *_ = _scenario(fixture_kb)
    _run_to_maturity(ledger)
    draws = [
        (p.period, p.source, p.amount) for p in ledger.journal.postings if p.kind == "drawdown"
    ]
    # sequential drawdown, senior (Bank, 12,000) first: 5,000 in quarters 1 and 2, then the
    # last 2,000 of the senior loan and 3,000 of equity (Fund) in quarter 3. From quarter 4 on the
    # outcome payments (21,750 in quarter 4, 3,250 in quarter 6) cover the costs.
    assert draws == [
        (1, "investor:Bank", 500_000),
        (2, "investor:Bank", 500_000),
        (3, "investor:Bank", 200_000),
        (3, "investor:Fund", 300_000),
    ]
    # at maturity the vehicle holds 15,000 drawn + 25,000 paid − 28,000 costs = 12,000. The
    # senior loan is owed its principal 12,000 and interest at 8 % a year compounded quarterly
    # from each drawdown: 5,000 × 1.08^(7/4) + 5,000 × 1.08^(6/4) + 2,000 × 1.08^(5/4) − 12,000
    # ≈ 1,535 — more than the cash. Interest first, then principal: the Bank gets all 12,000,
    # equity nothing.
    owed = 5000 * 1.08**1.75 + 5000 * 1.08**1.5 + 2000 * 1.08**1.25
    cash = 15000 + 25000 - 28000
    bank = [p.amount for p in ledger.journal.postings if p.destination == "investor:Bank"]
    fund = [p.amount for p in ledger.journal.postings if p.destination == "investor:Fund"]
    assert sum(bank) == round(min(owed, cash) * 100) and sum(fund) == 0
    bal = ledger.journal.balances()
    assert bal == {
        "payer:Kommune": -2_500_000,
        "investor:Bank": 0,
        "investor:Fund": -300_000,
        "provider:Provider": 2_800_000,
        "vehicle": 0,
    }
    dist = [p for p in ledger.journal.postings if p.kind == "distribution"]
    assert [(p.period, p.destination, p.amount) for p in dist] == [(8, "investor:Bank", 1_200_000)]


@pytest.mark.parametrize("fee", [0.0, 0.1])
def test_investors_flows_equal_the_design_stage_party_flows(fixture_kb, fee):
    """The same payments and costs through partnership.party_flows (the design stage's flows)
    give every party the same cash flows per period as the journal, to the øre, also with a
    performance fee of 10 % of every payment to the provider."""
    ledger, *_ = _scenario(fixture_kb, provider={"delivery_costs": COSTS, "performance_share": fee})
    ledger.terms.prep.delivery_costs[:] = COSTS  # the design stage's costs = those recorded
    _run_to_maturity(ledger)
    n = ledger.terms.n_periods
    payments = np.zeros((1, n))
    for p in ledger.journal.postings:
        if p.kind == "payment":
            payments[0, p.period - 1] += p.amount / 100
    flows = party_flows(ledger.terms.prep, payments).flows
    fees = sum(p.amount for p in ledger.journal.postings if p.kind == "performance")
    assert fees == round(fee * 2_500_000)  # 10 % of the 25,000 paid
    for party, account in [
        ("Bank", "investor:Bank"),
        ("Fund", "investor:Fund"),
        ("Kommune", "payer:Kommune"),
        ("Provider", "provider:Provider"),
    ]:
        mine = np.array(ledger.journal.flows(account, n)) / 100
        np.testing.assert_allclose(mine, flows[party][0], atol=0.01)


def test_journal_refuses_bad_postings():
    j = Journal()
    with pytest.raises(LedgerError, match="whole øre"):
        j.post(1, "payment", "payer:K", "vehicle", -5, "x")
    with pytest.raises(LedgerError, match="to itself"):
        j.post(1, "payment", "vehicle", "vehicle", 5, "x")
    with pytest.raises(LedgerError, match="Unknown kind"):
        j.post(1, "gift", "payer:K", "vehicle", 5, "x")
    assert j.post(1, "payment", "payer:K", "vehicle", 0, "x") is None
    assert ore(0.125) == 13 and ore(-0.125) == -13 and ore(1950.004) == 195000


ACCOUNTS = [
    "payer:K",
    "payer:S",
    "vehicle",
    "provider:P",
    "investor:A",
    "investor:B",
    "guarantor:G",
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.sampled_from(ACCOUNTS),
            st.sampled_from(ACCOUNTS),
            st.integers(0, 10**9),
        ),
        max_size=60,
    )
)
def test_journal_balances_sum_to_zero_after_every_posting(ops):
    j = Journal()
    for kind, src, dst, amount in ops:
        if src == dst:
            continue
        j.post(1, kind, src, dst, amount, "op")
        assert sum(j.balances().values()) == 0


_TERMS: dict[str, object] = {}


def _terms(kb):
    if "t" not in _TERMS:
        _TERMS["t"] = small_terms(kb)
    return _TERMS["t"]


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("enrol"), st.integers(0, 5), st.integers(1, 8)),
        st.tuples(st.just("outcome"), st.integers(1, 6), st.integers(1, 8), st.integers(0, 13)),
        st.tuples(st.just("job"), st.integers(1, 6), st.integers(1, 8), st.just(1)),
        st.tuples(st.just("verify"), st.integers(1, 40)),
        st.tuples(st.just("reject"), st.integers(1, 40)),
        st.tuples(st.just("dispute"), st.integers(1, 40)),
        st.tuples(st.just("costs"), st.integers(1, 8), st.integers(0, 9000)),
        st.tuples(st.just("approve")),
        st.tuples(st.just("sample"), st.integers(1, 5), st.integers(0, 99)),
        st.tuples(st.just("anonymise"), st.integers(1, 6)),
    ),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_balances_sum_to_zero_after_every_ledger_operation(fixture_kb, ops):
    """Random sequences of enrolments, outcomes, decisions, samples, anonymisations, costs and
    approvals: after every operation the balances sum to zero and the vehicle never holds less
    than nothing; at the end the state matches the audit trail."""
    ledger = Ledger.create(
        "prop",
        _terms(fixture_kb),
        KEYRING,
        PAYER,
        demo=True,
        data_processors=["Provider"],
        clock=Clock(),
    )
    numbers = synthetic_numbers(6, seed=2)
    next_settlement = 1
    for op in ops:
        try:
            if op[0] == "enrol":
                day = ledger.terms.dates[op[2] - 1] + dt.timedelta(days=3)
                ledger.enrol(PAYER, numbers[op[1]], day, "c", ELIGIBLE)
            elif op[0] in ("outcome", "job"):
                metric = "in_work" if op[0] == "outcome" else "job"
                ledger.enter_outcome(PROVIDER, op[1], metric, op[2], op[3], "src", "ref")
            elif op[0] == "verify":
                ledger.verify(EVALUATOR, op[1])
            elif op[0] == "reject":
                ledger.reject(EVALUATOR, op[1], "no evidence")
            elif op[0] == "dispute":
                ledger.dispute(PAYER, op[1], "doubt")
            elif op[0] == "costs":
                ledger.record_delivery_costs(PROVIDER, op[1], op[2])
            elif op[0] == "sample":
                ledger.draw_sample(EVALUATOR, op[1], seed=op[2])
            elif op[0] == "anonymise":
                ledger.anonymise(PAYER, op[1], dt.date(2024, 6, 1))
            elif next_settlement <= ledger.terms.n_settlements:
                ledger.approve(PAYER, next_settlement)
                next_settlement += 1
        except LedgerError:
            pass
        balances = ledger.journal.balances()
        assert sum(balances.values()) == 0
        assert balances.get("vehicle", 0) >= 0
    if next_settlement > ledger.terms.n_settlements:
        assert ledger.journal.balances().get("vehicle", 0) == 0
    assert verify_state(ledger).ok
