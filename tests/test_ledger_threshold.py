"""Threshold lines in a running partnership, computed by hand: each design cohort assessed once
against a baseline (met, not met, the boundary, fewer is better), the contract cap, the lag, a
late correction, and the design stage paying the same for the same successes."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
import pytest

from socialinvest.contract.partnership import prepare_contract, settle_outcomes, simulate_outcomes
from socialinvest.ledger.cpr import synthetic_numbers
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.explain import explain, explain_cohort
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.settlement import compute_amounts, design_cohorts
from socialinvest.ledger.status import statement_for
from socialinvest.ledger.terms import Terms

from .ledger_support import (
    CRITERIA,
    ELIGIBLE,
    EVALUATOR,
    INVESTOR,
    KEYRING,
    PAYER,
    PROVIDER,
    Clock,
    small_case,
)

CPR = synthetic_numbers(12, seed=11)
PRICE = 10_000

# The small quarterly contract (2024-01-01, 8 quarters, lag 1) with two yearly design cohorts of
# four: intake quarter 1 and quarter 5. A job (entry) counts in the two quarters after intake,
# so cohort 1 is assessed in quarter 2 (paid in 3) and cohort 2 in quarter 6 (paid in 7). The
# baseline is 0.25 jobs per participant (1 in a cohort of 4); the whole improvement is paid,
# 10,000 kr. a job, when it is at least 100 % of the baseline.
THRESHOLD: dict[str, Any] = {
    "participants": {"cohorts": [4, 4]},
    "metrics": {"job": {"kind": "entry", "window": {"first": 1, "last": 2}}},
    "counterfactual": {"kind": "baseline", "rate": 0.25},
    "payments": [
        {
            "name": "jobs above baseline",
            "metric": "job",
            "mechanism": "threshold",
            "price": PRICE,
            "threshold": 1.0,
        }
    ],
    "person_cap": None,
    "contract_cap": None,
}


def _ledger(kb: Any, **contract: Any) -> Ledger:
    terms = Terms.from_case(
        small_case(**{**THRESHOLD, **contract}), eligibility=CRITERIA, settle_every=2, kb=kb
    )
    return Ledger.create(
        "threshold",
        terms,
        KEYRING,
        PAYER,
        demo=True,
        data_processors=["Provider"],
        clock=Clock(),
    )


def _cohort(ledger: Ledger, day: dt.date, first: int, n: int = 4) -> list[int]:
    return [ledger.enrol(PAYER, CPR[first + i], day, "c", ELIGIBLE).id for i in range(n)]


def _outcome(ledger: Ledger, pid: int, period: int, metric: str = "job") -> int:
    _kind, record = ledger.enter_outcome(PROVIDER, pid, metric, period, 1, "Jobcenter", "doc")
    ledger.verify(EVALUATOR, record.id)
    return record.id


def _two_cohorts(kb: Any, jobs2: int, **contract: Any) -> tuple[Ledger, list[int], list[int]]:
    """Cohort 1 (4 enrolled 15 Jan 2024): jobs for 3 of them, in quarters 1, 2 and 2. Cohort 2
    (4 enrolled 15 Jan 2025): ``jobs2`` jobs in quarter 5."""
    ledger = _ledger(kb, **contract)
    one = _cohort(ledger, dt.date(2024, 1, 15), 0)
    two = _cohort(ledger, dt.date(2025, 1, 15), 4)
    for pid, period in ((one[0], 1), (one[1], 2), (one[2], 2)):
        _outcome(ledger, pid, period)
    for pid in two[:jobs2]:
        _outcome(ledger, pid, 5)
    return ledger, one, two


def _settle_all(ledger: Ledger) -> list[Any]:
    out = []
    for k in range(1, ledger.terms.n_settlements + 1):
        out.append(ledger.statement(k))
        ledger.approve(PAYER, k)
    return out


def _payments(ledger: Ledger) -> dict[int, int]:
    """The payer's payments posted to the vehicle, by the period they are posted in (the last
    of the settlement's periods), in øre."""
    out: dict[int, int] = {}
    for p in ledger.journal.postings:
        if p.kind == "payment" and p.source == "payer:Kommune":
            out[p.period] = out.get(p.period, 0) + p.amount
    return out


def _of(statement: Any, pid: int, kind: str = "regular") -> float:
    return sum(x.amount for x in statement.lines if x.participant == pid and x.kind == kind)


def test_met_and_not_met_with_the_lag(fixture_kb):
    ledger, one, two = _two_cohorts(fixture_kb, jobs2=1)
    s1, s2, s3, s4 = _settle_all(ledger)
    # cohort 1: S = 3 jobs, B = 4 × 0.25 = 1, gain 2 ≥ 100 % × 1: paid 2 × 10,000 = 20,000,
    # assessed in quarter 2, paid in quarter 3 (lag 1): settlement 2 (quarters 3-4)
    assert s1.lines == [] and s1.cohorts == []
    assert s2.total_ore() == 20_000 * 100
    (c1,) = s2.cohorts
    assert (c1["cohort"], c1["period"], c1["payment_period"], c1["members"]) == (1, 2, 3, 4)
    assert (c1["successes"], c1["baseline"], c1["gain"], c1["met"]) == (3, 1, 2, True)
    assert c1["amount"] == pytest.approx(20_000)
    # shared equally among the four, the one without a job too (no records of its own)
    for pid in one:
        assert _of(s2, pid) == pytest.approx(5_000)
    no_job = next(x for x in s2.lines if x.participant == one[3])
    assert no_job.records == () and no_job.units == 0 and no_job.payment_periods == (3,)
    with_job = next(x for x in s2.lines if x.participant == one[1])
    assert len(with_job.records) == 1 and with_job.units == 1 and with_job.outcome_periods == (2,)
    # cohort 2: S = 1 = B, gain 0: not met; assessed in quarter 6, shown in settlement 4
    assert s3.total_ore() == 0 and s3.cohorts == []
    (c2,) = s4.cohorts
    assert (c2["cohort"], c2["period"], c2["payment_period"]) == (2, 6, 7)
    assert (c2["successes"], c2["gain"], c2["met"], c2["amount"]) == (1, 0, False, 0)
    assert s4.total_ore() == 0
    assert [x.participant for x in s4.lines] == [two[0]]  # the one with a record, at 0 kr.
    # the double entry: the payer paid 20,000 to the vehicle (posted at the end of settlement
    # 2, quarter 4), every balance sums to zero
    assert sum(ledger.journal.balances().values()) == 0
    assert _payments(ledger) == {4: 20_000 * 100}


@pytest.mark.parametrize(("jobs2", "paid"), [(2, 10_000), (1, 0), (4, 30_000)])
def test_the_threshold_boundary(fixture_kb, jobs2, paid):
    # cohort 2: B = 1, the threshold needs a gain of at least 100 % × 1 = 1 job: 2 jobs are
    # exactly at it (gain 1: paid 10,000), 1 job is below (nothing), 4 jobs pay 3 × 10,000
    ledger, _one, two = _two_cohorts(fixture_kb, jobs2=jobs2)
    *_, s4 = _settle_all(ledger)
    assert s4.total_ore() == paid * 100
    for pid in two:
        assert _of(s4, pid) == pytest.approx(paid / 4)


def test_fewer_is_better(fixture_kb):
    # reconvictions within two quarters of intake; baseline 0.75 a person = 3 in a cohort of
    # 4; paid when B − S ≥ 20 % × 3 = 0.6: cohort 1 with 2 reconvictions gains 1 (10,000),
    # cohort 2 with 3 gains 0 (nothing)
    ledger = _ledger(
        fixture_kb,
        metrics={"reconviction": {"kind": "entry", "window": {"first": 1, "last": 2}}},
        counterfactual={"kind": "baseline", "rate": 0.75},
        payments=[
            {
                "name": "reconvictions avoided",
                "metric": "reconviction",
                "mechanism": "threshold",
                "direction": "fewer",
                "threshold": 0.2,
                "price": PRICE,
            }
        ],
    )
    one = _cohort(ledger, dt.date(2024, 1, 15), 0)
    two = _cohort(ledger, dt.date(2025, 1, 15), 4)
    for pid in one[:2]:
        _outcome(ledger, pid, 2, "reconviction")
    for pid in two[:3]:
        _outcome(ledger, pid, 6, "reconviction")
    _s1, s2, _s3, s4 = _settle_all(ledger)
    (c1,) = s2.cohorts
    assert (c1["successes"], c1["baseline"], c1["gain"], c1["met"]) == (2, 3, 1, True)
    assert s2.total_ore() == 10_000 * 100
    # the two without a reconviction get their share too (equal shares, not by units)
    assert [_of(s2, pid) for pid in one] == pytest.approx([2_500] * 4)
    (c2,) = s4.cohorts
    assert (c2["gain"], c2["met"]) == (0, False) and s4.total_ore() == 0


def test_the_contract_cap_and_a_longer_lag(fixture_kb):
    # cap 25,000, lag 3. Cohort 1: 20,000, assessed in quarter 2, paid in quarter 5
    # (settlement 3). Cohort 2 (4 jobs): gain 3, 30,000, assessed in quarter 6; the cap leaves
    # 5,000 (25,000 cut), paid in quarter 9 → at maturity, quarter 8 (settlement 4); 1,250 each
    ledger, _one, two = _two_cohorts(fixture_kb, jobs2=4, contract_cap=25_000, lag_periods=3)
    s1, s2, s3, s4 = _settle_all(ledger)
    assert s1.total_ore() == s2.total_ore() == 0
    assert s3.total_ore() == 20_000 * 100 and s3.cohorts[0]["payment_period"] == 5
    (c2,) = s4.cohorts
    assert c2["payment_period"] == 8
    assert c2["value"] == pytest.approx(30_000)
    assert c2["contract_cap_cut"] == pytest.approx(25_000)
    assert c2["amount"] == pytest.approx(5_000)
    line = next(x for x in s4.lines if x.participant == two[0])
    assert (line.value, line.contract_cap_cut, line.amount) == pytest.approx((7_500, 6_250, 1_250))
    assert _payments(ledger) == {6: 20_000 * 100, 8: 5_000 * 100}  # settlements 3 and 4
    assert sum(ledger.journal.balances().values()) == 0


def test_a_late_correction_becomes_an_adjustment(fixture_kb):
    ledger, one, _two = _two_cohorts(fixture_kb, jobs2=0)
    ledger.approve(PAYER, 1)
    ledger.approve(PAYER, 2)  # cohort 1 paid 20,000 in quarter 3
    job = next(r for r in ledger.records.values() if r.participant == one[1])
    ledger.dispute(PAYER, job.id, "the job started later")
    # S = 2, gain 1 = 100 % × B: still met, 10,000: 2,500 less for each of the four
    s3 = ledger.statement(3)
    for pid in one:
        assert _of(s3, pid, "adjustment") == pytest.approx(-2_500)
    adj = next(x for x in s3.lines if x.participant == one[0] and x.kind == "adjustment")
    assert adj.payment_periods == (3,) and adj.cohort is not None and len(adj.records) == 1
    assert s3.total_ore() == -10_000 * 100


def test_late_intake_and_withdrawal_in_the_cohort(fixture_kb):
    # a fifth participant enrolled in quarter 2 belongs to cohort 1 (intake quarter 1 is the
    # last design intake at or before quarter 2): the cohort has 5, B = 1.25. Its job in
    # quarter 3 (within its own window) is after the cohort's assessment in quarter 2 and does
    # not count. A withdrawn participant still counts in the size.
    ledger, one, _two = _two_cohorts(fixture_kb, jobs2=0)
    late = ledger.enrol(PAYER, CPR[10], dt.date(2024, 4, 10), "c", ELIGIBLE).id
    _outcome(ledger, late, 3)
    ledger.withdraw(PAYER, one[3], dt.date(2024, 3, 1))
    ledger.approve(PAYER, 1)
    s2 = ledger.statement(2)
    (c1,) = s2.cohorts
    # S = 3, B = 1.25, gain 1.75 ≥ 1.25: 17,500, 3,500 for each of the five
    assert (c1["members"], c1["successes"], c1["baseline"]) == (5, 3, 1.25)
    assert s2.total_ore() == 17_500 * 100
    assert _of(s2, late) == pytest.approx(3_500) and _of(s2, one[3]) == pytest.approx(3_500)


def test_design_cohorts_by_intake_period(fixture_kb):
    terms = _ledger(fixture_kb).terms  # design intakes: quarters 1 and 5
    intake = np.array([1, 2, 4, 5, 8], dtype=np.int64)
    assert design_cohorts(terms, intake).tolist() == [0, 0, 0, 1, 1]


def test_compute_amounts_needs_the_intake_of_threshold_rows(fixture_kb):
    terms = _ledger(fixture_kb).terms
    units = np.zeros((2, 1, 8))
    with pytest.raises(ValueError, match="intake period"):
        compute_amounts(terms, (1, 2), units, units)
    a = compute_amounts(terms, (1, 2), units, units, np.array([1, 5], dtype=np.int64))
    assert a.amount.sum() == 0 and len(a.cohorts) == 2  # both assessed, nothing earned
    assert [x.baseline for x in a.cohorts] == [0.25, 0.25]  # one participant each


def test_the_same_as_the_design_stage(fixture_kb):
    # everyone succeeds (rate 1), within the year after intake: a window of 4 quarters counts
    # all 8 jobs. With 4 % yearly indexation and a cap of 45,000: cohort 1 (assessed in quarter
    # 4) earns 3 × 10,000 × 1.04^(3/4) = 30,895.57, paid in quarter 5; cohort 2 (quarter 8)
    # 3 × 10,000 × 1.04^(7/4) = 32,131.40, cut by the cap to 45,000 − 30,895.57 = 14,104.43,
    # paid at maturity (quarter 8)
    contract = {
        "metrics": {"job": {"kind": "entry", "window": {"first": 1, "last": 4}}},
        "contract_cap": 45_000,
        "indexation": 0.04,
    }
    prep = prepare_contract(small_case(**{**THRESHOLD, **contract}), fixture_kb)
    outcomes = simulate_outcomes(prep)
    assert outcomes.metric_totals["job"].tolist() == [8.0]
    design = settle_outcomes(prep, outcomes, [float(PRICE)])[0]

    ledger = _ledger(fixture_kb, **contract)
    one = _cohort(ledger, dt.date(2024, 1, 15), 0)
    two = _cohort(ledger, dt.date(2025, 1, 15), 4)
    for i, pid in enumerate(one):
        _outcome(ledger, pid, 1 + i)
    for i, pid in enumerate(two):
        _outcome(ledger, pid, 5 + i)
    paid = np.zeros(8)
    for st in _settle_all(ledger):
        for x in st.lines:
            paid[x.payment_periods[0] - 1] += x.amount
    first = 3 * PRICE * 1.04 ** (3 / 4)
    second = 45_000 - first
    assert first == pytest.approx(30_895.57, abs=0.01)
    assert paid == pytest.approx([0, 0, 0, 0, first, 0, 0, second], abs=0.01)
    assert design == pytest.approx(paid, abs=0.01)


def test_savings_share_and_a_comparison_group_are_refused(fixture_kb):
    with pytest.raises(LedgerError, match="measured savings"):
        _ledger(
            fixture_kb,
            counterfactual={"kind": "none"},
            payments=[{"name": "savings", "mechanism": "savings_share", "share": 0.5}],
        )
    with pytest.raises(LedgerError, match="comparison group"):
        _ledger(fixture_kb, counterfactual={"kind": "comparison_group", "size": 8})


def test_explained_in_both_languages_and_in_the_documents(fixture_kb):
    from openpyxl import load_workbook

    from socialinvest.report.statement import statement_html
    from socialinvest.service.partnerships import statement_xlsx

    ledger, one, _two = _two_cohorts(fixture_kb, jobs2=0)
    ledger.approve(PAYER, 1)
    s2 = ledger.statement(2)
    line = next(x for x in s2.lines if x.participant == one[0])
    en, da = explain(line, "en"), explain(line, "da")
    assert "cohort 1 (intake period 1, 4 participant(s)), assessed in period 2" in en
    assert "3.00 outcome(s) against a baseline of 1.00" in en
    assert "met: 2.00 × DKK 10,000.00" in en and "Amount: DKK 5,000.00." in en
    assert "kohorte 1 (indtag i periode 1, 4 deltager(e)), vurderet i periode 2" in da
    assert "nået: 2,00 × 10.000,00 kr." in da and "Beløb: 5.000,00 kr." in da
    # the statement as the evaluator and the investor see it
    view = statement_for(EVALUATOR, s2)
    for c in view["cohorts"]:
        c["explained"] = explain_cohort(c, "da")
    assert "cohorts" not in statement_for(INVESTOR, s2)
    html = statement_html(view, partnership="P", lang="da")
    assert "Kohortevurderinger (tærskellinjer)" in html and "20.000,00" in html
    book = load_workbook(io.BytesIO(statement_xlsx(view, "P", "da")))
    rows = [[c.value for c in r] for r in book.active.iter_rows()]
    head = rows.index(next(r for r in rows if r[0] == "Betalingslinje" and r[1] == "Kohorte"))
    cohort = rows[head + 1]
    assert cohort[:11] == ["jobs above baseline", 1, 1, 2, 3, 4, 3, 1, 1, 2, "ja"]
    assert cohort[13] == 20_000


def test_an_amended_price_prices_the_later_cohort(fixture_kb):
    # cap 45,000. Cohort 1 is paid 20,000 under the original price (settlement 2, approved);
    # an amendment from settlement 3 raises the price to 12,000: cohort 2 (4 jobs, gain 3,
    # paid in quarter 7, settlement 4) earns 3 × 12,000 = 36,000, of which the cap leaves
    # 45,000 − 20,000 = 25,000 (11,000 cut): 6,250 for each of the four
    ledger, _one, two = _two_cohorts(fixture_kb, jobs2=4, contract_cap=45_000)
    ledger.approve(PAYER, 1)
    assert ledger.approve(PAYER, 2).total_ore() == 20_000 * 100
    ledger.amend(
        PAYER,
        3,
        reference="Allonge 1",
        agreed_by=["Provider", "Bank", "Fund"],
        prices={"jobs above baseline": 12_000},
    )
    ledger.approve(PAYER, 3)
    s4 = ledger.statement(4)
    (c2,) = s4.cohorts
    assert c2["price"] == 12_000 and c2["value"] == pytest.approx(36_000)
    assert c2["contract_cap_cut"] == pytest.approx(11_000) and c2["amount"] == pytest.approx(25_000)
    assert s4.total_ore() == 25_000 * 100
    line = next(x for x in s4.lines if x.participant == two[0])
    assert line.amount == pytest.approx(6_250) and line.terms_version == 1
    assert "amendment 1" in explain(line, "en")


def test_a_backup_keeps_the_cohort_assessments(fixture_kb):
    from socialinvest.ledger import snapshot
    from socialinvest.ledger.integrity import verify_state

    ledger, one, _two = _two_cohorts(fixture_kb, jobs2=2)
    _settle_all(ledger)
    assert verify_state(ledger).ok
    back = snapshot.load(snapshot.dump(ledger), ledger.terms, KEYRING)
    assert verify_state(back).ok
    # settlement 2: cohort 1 (20,000); settlement 4: cohort 2 (S = 2, gain 1: 10,000)
    assert [c["amount"] for c in back.statements[2].cohorts] == pytest.approx([20_000])
    assert [c["amount"] for c in back.statements[4].cohorts] == pytest.approx([10_000])
    line = next(x for x in back.statements[2].lines if x.participant == one[0])
    assert line.cohort is not None and line.cohort["successes"] == 3
    assert back.statement(4).total_ore() == 10_000 * 100  # approved: as stored
