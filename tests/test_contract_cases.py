"""Outcome contracts from case files (issue 4): metrics, a tiny contract worked out by hand
through a case file, its variants (caps, lag, indexation, fees, other costs, co-payers,
guarantee, surplus), IRRs against pyxirr, properties, the designer, errors and the CLI.

Every expected number is computed in the test with the arithmetic written out; none is copied
from the engine's output. The trajectories are made certain with rate_with 1 and rate_without 0,
timing [1.0] and no exit, so every participant is in the success state from a known period.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pyxirr
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from socialinvest.case.load import LoadedCase, load_case, load_case_text
from socialinvest.cli import app
from socialinvest.contract.designer import nearest_draws
from socialinvest.contract.metrics import metric_counts, to_calendar
from socialinvest.contract.result import ContractResult, evaluate_contract
from socialinvest.contract.returns import xirr

from .conftest import EXAMPLES, base_case, write_case

AALBORG = EXAMPLES / "contracts" / "aalborg-impact60.yaml"
AALBORG_INVESTORS = ("Den Sociale Kapitalfond", "Det Obelske Familiefond")
runner = CliRunner()

# ------------------------------------------------------------------------------------ metrics

T, F = True, False


def _row(values: list[float]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_metrics_by_hand_on_boolean_trajectories():
    # One draw, two persons, 8 periods after intake.
    x = np.array(
        [
            [
                [F, T, T, F, T, T, T, F],  # person 0: in the states 1-2 and 4-6
                [T, T, F, T, T, F, F, F],  # person 1: in the states 0-1 and 3-4
            ]
        ]
    )
    # entry: the first period in the states, once
    out = metric_counts(x, "entry")
    np.testing.assert_array_equal(out[0, 0], _row([0, 1, 0, 0, 0, 0, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], _row([1, 0, 0, 0, 0, 0, 0, 0]))
    # entry in a window of periods 4..8 (1-based) = indexes 3..7: person 0 first at 4, person 1 at 3
    out = metric_counts(x, "entry", window=(4, 8))
    np.testing.assert_array_equal(out[0, 0], _row([0, 0, 0, 0, 1, 0, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], _row([0, 0, 0, 1, 0, 0, 0, 0]))
    # sustained k=2: the period a run reaches 2 periods in a row (once, the first such run)
    # person 0: runs 1-2 (reaches 2 at index 2) and 4-6; person 1: run 0-1 (reaches 2 at 1)
    out = metric_counts(x, "sustained", k=2)
    np.testing.assert_array_equal(out[0, 0], _row([0, 0, 1, 0, 0, 0, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], _row([0, 1, 0, 0, 0, 0, 0, 0]))
    # sustained k=3: only person 0's run 4-6 is long enough, reached at index 6
    out = metric_counts(x, "sustained", k=3)
    np.testing.assert_array_equal(out[0, 0], _row([0, 0, 0, 0, 0, 0, 1, 0]))
    np.testing.assert_array_equal(out[0, 1], np.zeros(8))
    # sustained k=3 in the window 1..5 (indexes 0..4): person 0's run is cut to index 4 alone
    np.testing.assert_array_equal(
        metric_counts(x, "sustained", k=3, window=(1, 5)), np.zeros_like(out)
    )
    # sustained k=2 in the window 5..8 (indexes 4..7): person 0's run 4-6 reaches 2 at 5;
    # person 1's run 3-4 counts only index 4 → never 2 in a row inside the window
    out = metric_counts(x, "sustained", k=2, window=(5, 8))
    np.testing.assert_array_equal(out[0, 0], _row([0, 0, 0, 0, 0, 1, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], np.zeros(8))
    # state_at 3 (index 2): person 0 is in the states, person 1 is not
    out = metric_counts(x, "state_at", at=3)
    np.testing.assert_array_equal(out[0, 0], _row([0, 0, 1, 0, 0, 0, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], np.zeros(8))
    # state_at 3 outside the window 4..8 counts nothing
    np.testing.assert_array_equal(
        metric_counts(x, "state_at", at=3, window=(4, 8)), np.zeros((1, 2, 8))
    )
    # time_in: units_per_period (52/12 weeks a month) in every period in the states
    wk = 52 / 12
    out = metric_counts(x, "time_in", units_per_period=wk)
    np.testing.assert_allclose(out[0, 0], _row([0, wk, wk, 0, wk, wk, wk, 0]))
    np.testing.assert_allclose(out[0, 1], _row([wk, wk, 0, wk, wk, 0, 0, 0]))
    assert out.sum() == pytest.approx(9 * wk)  # 5 + 4 periods in the states
    # time_in in the window 3..6 (indexes 2..5): person 0 at 2, 4, 5; person 1 at 3, 4
    out = metric_counts(x, "time_in", window=(3, 6))
    np.testing.assert_array_equal(out[0, 0], _row([0, 0, 1, 0, 1, 1, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], _row([0, 0, 0, 1, 1, 0, 0, 0]))
    # entries: every move into the states (repeat events); nobody in the states before intake
    out = metric_counts(x, "entries")
    np.testing.assert_array_equal(out[0, 0], _row([0, 1, 0, 0, 1, 0, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], _row([1, 0, 0, 1, 0, 0, 0, 0]))
    # entries with person 1 already in the states at intake: being there is no entry at 0
    before = np.array([[F, T]])
    out = metric_counts(x, "entries", in_states_before=before)
    np.testing.assert_array_equal(out[0, 0], _row([0, 1, 0, 0, 1, 0, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], _row([0, 0, 0, 1, 0, 0, 0, 0]))
    # entries in the window 2..8 (indexes 1..7): person 1 is in the states at index 0 already,
    # so index 1 is no move into them; person 0's entry at index 1 is inside the window
    out = metric_counts(x, "entries", window=(2, 8))
    np.testing.assert_array_equal(out[0, 0], _row([0, 1, 0, 0, 1, 0, 0, 0]))
    np.testing.assert_array_equal(out[0, 1], _row([0, 0, 0, 1, 0, 0, 0, 0]))


def test_to_calendar_shifts_each_cohort_and_drops_what_falls_after_the_contract():
    # Two draws, three persons: two in a cohort entering in period 0, one entering in period 3;
    # 4 periods after intake, a contract of 6 periods.
    rel = np.arange(1.0, 1.0 + 2 * 3 * 4).reshape(2, 3, 4)
    out = to_calendar(rel, np.array([0, 0, 3]), 6)
    assert out.shape == (2, 3, 6)
    for d in range(2):
        for n in (0, 1):  # periods 0..3 after intake → contract periods 0..3
            np.testing.assert_array_equal(out[d, n], np.r_[rel[d, n], 0.0, 0.0])
        # periods 0..2 after intake → contract periods 3..5; period 3 after intake would be 6
        np.testing.assert_array_equal(out[d, 2], np.r_[0.0, 0.0, 0.0, rel[d, 2, :3]])
    # the contract totals per period of draw 0: 1+5 | 2+6 | 3+7 | 4+8+9 | 10 | 11
    np.testing.assert_array_equal(out[0].sum(axis=0), [6, 8, 10, 21, 10, 11])


# ------------------------------------------------------------------------------ a hand contract

# Quarterly, 8 periods from 1 Jan 2024 (maturity 1 Oct 2025). Participants: 2 referred in the
# contract's first year (persons A, B, intake in period 0) and 1 in its second (C, period 4).
# Every participant succeeds (rate_with 1) in its first year after intake and never leaves the
# success state; *when* in that year is random (the timing spreads a success uniformly over the
# year's quarters), so the metrics look only from the 4th quarter after intake on, when
# everyone is in the success state for certain:
#   in_work  time_in in the window of quarters 4..8 after intake, 13 weeks a quarter;
#   settled  state_at quarter 4 after intake.
HAND_CONTRACT: dict[str, Any] = {
    "name": "Hand contract",
    "start_date": "2024-01-01",
    "period": "quarter",
    "periods": 8,
    "parties": [
        {"name": "Kommune", "role": "payer", "actor": "kommune"},
        {"name": "Bank", "role": "investor"},
        {"name": "Fund", "role": "investor"},
        {"name": "Provider", "role": "provider"},
    ],
    "participants": {"cohorts": [2, 1]},
    "metrics": {
        "in_work": {"kind": "time_in", "window": {"first": 4, "last": 8}, "units_per_period": 13},
        "settled": {"kind": "state_at", "at": 4},
    },
    "payments": [
        {"name": "per week in work", "metric": "in_work", "mechanism": "per_unit", "price": 150},
        {"name": "settled", "metric": "settled", "mechanism": "rate_card", "price": 5000},
    ],
    "provider": {"delivery_costs": [5000, 5000, 5000, 5000, 2000, 2000, 2000, 2000]},
    "finance": {
        "tranches": [
            {
                "name": "senior",
                "investor": "Bank",
                "kind": "senior_loan",
                "commitment": 12000,
                "coupon": 0.08,
            },
            {"name": "equity", "investor": "Fund", "kind": "equity", "commitment": 20000},
        ]
    },
}
DATES = [dt.date(2024 + (3 * p) // 12, (3 * p) % 12 + 1, 1) for p in range(8)]
DELIVERY = np.array([5000.0] * 4 + [2000.0] * 4)
# A, B: 13 weeks × 150 = 1,950 a quarter in contract quarters 3..7, and 5,000 settled in 3.
# C (intake in quarter 4): only its quarter 4 after intake = contract quarter 7 is within the
# contract: 1,950 + 5,000.
PER_PERSON = {
    "A": np.array([0, 0, 0, 1950 + 5000, 1950, 1950, 1950, 1950.0]),
    "B": np.array([0, 0, 0, 1950 + 5000, 1950, 1950, 1950, 1950.0]),
    "C": np.array([0, 0, 0, 0, 0, 0, 0, 1950 + 5000.0]),
}
PAYMENTS = PER_PERSON["A"] + PER_PERSON["B"] + PER_PERSON["C"]
# 8 % a year compounded quarterly: the growth factor of one quarter
G = 1.08**0.25


def hand_case(success: dict[str, Any] | None = None, **contract: Any) -> dict[str, Any]:
    """The base case (10 participants, 100 kr. a day of which the kommune bears half, −10, −10,
    −5 days per success) with certain successes, 4 % discounting, and the hand contract."""
    data = base_case(
        success=success
        or {"measure": "in work", "rate_with": 1.0, "rate_without": 0.0, "timing": [1.0]},
        discounting={"rate": 0.04, "convention": "start"},
    )
    data["contract"] = copy.deepcopy(HAND_CONTRACT)
    data["contract"].update(copy.deepcopy(contract))
    return data


def evaluate(tmp_path: Path, data: dict[str, Any], kb, draws: int = 1, seed: int | None = None):
    path = write_case(tmp_path, data)
    return evaluate_contract(LoadedCase.of(load_case(path)), kb, draws=draws, seed=seed)


def evaluate_text(data: dict[str, Any], kb, draws: int = 1, seed: int | None = None):
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return evaluate_contract(
        LoadedCase.of(load_case_text(text, "case.yaml")), kb, draws=draws, seed=seed
    )


def party(result: ContractResult, name: str) -> dict[str, Any]:
    return next(p for p in result.to_dict()["parties"] if p["name"] == name)


def kommune_own_gains() -> float:
    # 10 additional successes (10 × (1 − 0)), all in 2024; per success −10, −10, −5 days at
    # 100 kr. a day, half the kommune's: 500, 500, 250 kr. → 5,000, 5,000, 2,500 kr. in
    # 2024-2026, discounted at 4 % (start of year).
    return 5000 + 5000 / 1.04 + 2500 / 1.04**2


def test_hand_contract_payments_drawdowns_interest_waterfall_and_flows(tmp_path, fixture_kb):
    r = evaluate(tmp_path, hand_case(), fixture_kb)
    assert r.prep.dates == DATES
    # Outcome payments by quarter: 0, 0, 0, 2 × 6,950, 2 × 1,950 (× 3), 2 × 1,950 + 6,950
    np.testing.assert_allclose(r.flows.payments[0], [0, 0, 0, 13900, 3900, 3900, 3900, 10850])
    assert PAYMENTS.sum() == 36450

    # Drawdowns (sequential: senior first), net of recycled outcome payments:
    #   q0: cash 0, cost 5,000 → senior 5,000 (7,000 left)
    #   q1: cost 5,000 → senior 5,000 (2,000 left)
    #   q2: cost 5,000 → senior its last 2,000, equity 3,000
    #   q3: 13,900 arrives, cost 5,000 → no draw, reserve 8,900
    #   q4-q6: +3,900 − 2,000 each → 10,800, 12,700, 14,600; q7: 14,600 + 10,850 − 2,000 = 23,450
    wf = r.flows.waterfall
    np.testing.assert_allclose(wf.draws[0, 0], [5000, 5000, 2000, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(wf.draws[0, 1], [0, 0, 3000, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(wf.vehicle_cash[0], [0, 0, 0, 8900, 10800, 12700, 14600, 0])
    # Senior at maturity (quarter 7): each drawdown compounded at (1.08)^(1/4) − 1 a quarter
    # from its quarter to quarter 7: 5,000 · G^7 + 5,000 · G^6 + 2,000 · G^5.
    senior = 5000 * G**7 + 5000 * G**6 + 2000 * G**5
    assert senior == pytest.approx(13534.669, abs=1e-3)
    assert wf.interest_paid[0, 0] == pytest.approx(senior - 12000, rel=1e-12)
    assert wf.principal_paid[0, 0] == pytest.approx(12000, rel=1e-12)
    # Equity takes the residual: 23,450 − senior.
    equity = 23450 - senior
    assert wf.principal_paid[0, 1] == pytest.approx(equity, rel=1e-12)
    assert wf.surplus[0] == pytest.approx(0, abs=1e-9)

    flows = r.flows.flows
    np.testing.assert_allclose(flows["Kommune"][0], -PAYMENTS)
    np.testing.assert_allclose(flows["Bank"][0], [-5000, -5000, -2000, 0, 0, 0, 0, senior])
    np.testing.assert_allclose(flows["Fund"][0], [0, 0, -3000, 0, 0, 0, 0, equity])
    np.testing.assert_allclose(flows["Provider"][0], DELIVERY)
    # the vehicle's change in cash: +8,900 in q3, +1,900 in q4-q6, −14,600 at maturity
    np.testing.assert_allclose(r.flows.vehicle[0], [0, 0, 0, 8900, 1900, 1900, 1900, -14600])
    # money conservation at maturity: −10,850 + senior + (23,450 − senior) + 2,000 − 14,600 = 0
    assert np.abs(r.flows.imbalance).max() < 1e-9

    # The result per party, dated.
    out = r.to_dict()
    assert out["contract"]["maturity"] == "2025-10-01"
    assert out["contract"]["participants"] == 3
    assert out["contract"]["success_metric"] == "settled"  # the first metric that is no time_in
    assert out["metrics"]["in_work"]["mean"] == pytest.approx(13 * (5 + 5 + 1))
    assert out["metrics"]["settled"]["mean"] == pytest.approx(3)
    assert out["success_rate"]["mean"] == pytest.approx(1.0)
    assert out["delivery_costs"] == pytest.approx(28000)
    bank = party(r, "Bank")
    assert [(c["date"], c["amount"]) for c in bank["cash_flows"]] == [
        ("2024-01-01", -5000),
        ("2024-04-01", -5000),
        ("2024-07-01", -2000),
        ("2025-10-01", pytest.approx(senior, rel=1e-12)),
    ]
    bank_flows = [-5000.0, -5000.0, -2000.0, senior]
    bank_dates = [DATES[0], DATES[1], DATES[2], DATES[7]]
    assert bank["irr"] == pytest.approx(pyxirr.xirr(bank_dates, bank_flows), abs=1e-9)
    assert bank["prob_loss"] == 0.0
    assert bank["money_multiple"]["mean"] == pytest.approx(senior / 12000, rel=1e-12)
    assert bank["peak_capital"]["mean"] == pytest.approx(12000)
    fund = party(r, "Fund")
    assert fund["irr"] == pytest.approx(
        pyxirr.xirr([DATES[2], DATES[7]], [-3000, equity]), abs=1e-9
    )
    # the payer: payments of 13,900 in 2024 and 22,550 in 2025, the latter discounted one year
    payer = party(r, "Kommune")
    pv = 13900 + (3900 * 3 + 10850) / 1.04
    gains = kommune_own_gains()
    assert payer["outcome_payments"]["nominal"]["mean"] == pytest.approx(36450)
    assert payer["outcome_payments"]["present_value"]["mean"] == pytest.approx(pv, rel=1e-12)
    assert payer["own_gains"]["mean"] == pytest.approx(gains, rel=1e-12)
    assert payer["net"]["mean"] == pytest.approx(gains - pv, rel=1e-12)
    assert payer["value_for_money"] == pytest.approx(gains / pv, rel=1e-12)
    assert payer["prob_pays_more_than_saves"] == 1.0  # 12,119 kr. saved, 35,583 kr. paid
    provider = party(r, "Provider")
    assert provider["revenue"]["mean"] == pytest.approx(28000)
    assert provider["net"]["mean"] == pytest.approx(0, abs=1e-9)


def test_yearly_contract_on_the_case_cohorts_entry_and_sustained(tmp_path, fixture_kb):
    # Yearly periods: a success in the first year after intake is in period 0 of that year.
    # The case's cohorts: 2 in 2024 (A, B) and 1 in 2025 (C), a contract of 4 years from 2024.
    data = hand_case(
        period="year",
        periods=4,
        participants={"cohorts": "case"},
        metrics={"started": {"kind": "entry"}, "kept": {"kind": "sustained", "k": 2}},
        payments=[
            {"name": "start", "metric": "started", "mechanism": "rate_card", "price": 1000},
            {"name": "kept", "metric": "kept", "mechanism": "rate_card", "price": 3000},
        ],
        provider={"delivery_costs": [4000, 4000]},
        finance={
            "tranches": [
                {
                    "name": "senior",
                    "investor": "Bank",
                    "kind": "senior_loan",
                    "commitment": 3000,
                    "coupon": 0.05,
                },
                {"name": "equity", "investor": "Fund", "kind": "equity", "commitment": 10000},
            ]
        },
    )
    data["target_group"]["cohorts"] = [{"year": 2024, "intake": 2}, {"year": 2025, "intake": 1}]
    r = evaluate(tmp_path, data, fixture_kb)
    # entry: A, B in year 0, C in year 1; sustained 2 years: A, B in year 1, C in year 2.
    # year 0: 2 × 1,000; year 1: 1,000 + 2 × 3,000; year 2: 3,000; year 3: nothing
    np.testing.assert_allclose(r.flows.payments[0], [2000, 7000, 3000, 0])
    # Year 0: 2,000 recycled, 2,000 drawn from the senior loan; year 1: 7,000 − 4,000 → reserve
    # 3,000; years 2, 3: 6,000. No equity drawn.
    wf = r.flows.waterfall
    np.testing.assert_allclose(wf.draws[0, 0], [2000, 0, 0, 0])
    np.testing.assert_allclose(wf.draws[0, 1], [0, 0, 0, 0])
    # Senior: 2,000 × 1.05^3 = 2,315.25 at maturity (year 3).
    senior = 2000 * 1.05**3
    assert senior == pytest.approx(2315.25)
    # Undrawn equity shares in nothing: the rest, 6,000 − 2,315.25 = 3,684.75, is surplus that
    # goes back to the payer (surplus_to: payer).
    surplus = 6000 - senior
    assert wf.surplus[0] == pytest.approx(surplus, rel=1e-12)
    np.testing.assert_allclose(r.flows.flows["Bank"][0], [-2000, 0, 0, senior])
    np.testing.assert_allclose(r.flows.flows["Fund"][0], [0, 0, 0, 0])
    np.testing.assert_allclose(r.flows.flows["Kommune"][0], [-2000, -7000, -3000, surplus])
    np.testing.assert_allclose(r.flows.flows["Provider"][0], [4000, 4000, 0, 0])
    assert np.abs(r.flows.imbalance).max() < 1e-9
    # The kommune's own gains: 500, 500, 250 kr. per success in its 1st-3rd year:
    # 2024: 2 × 500 = 1,000; 2025: 2 × 500 + 500 = 1,500; 2026: 2 × 250 + 500 = 1,000;
    # 2027: 250.
    gains = 1000 + 1500 / 1.04 + 1000 / 1.04**2 + 250 / 1.04**3
    pv = 2000 + 7000 / 1.04 + 3000 / 1.04**2 - surplus / 1.04**3
    payer = party(r, "Kommune")
    assert payer["own_gains"]["mean"] == pytest.approx(gains, rel=1e-12)
    assert payer["outcome_payments"]["present_value"]["mean"] == pytest.approx(pv, rel=1e-12)
    assert payer["prob_pays_more_than_saves"] == 1.0  # 4,158 kr. gained against 10,162 kr.


def test_person_cap_contract_cap_and_a_guarantee(tmp_path, fixture_kb):
    data = hand_case(person_cap=9000, contract_cap=20000)
    data["contract"]["parties"].append({"name": "Guarantor", "role": "guarantor"})
    data["contract"]["finance"]["guarantee"] = {
        "guarantor": "Guarantor",
        "amount": 4000,
        "covers": ["senior"],
    }
    r = evaluate(tmp_path, data, fixture_kb)
    # Per person, in time order, capped at 9,000: A and B earn 6,950, 1,950, then 1,950 of which
    # only 9,000 − 8,900 = 100 is paid, then nothing; C earns 6,950 (below the cap).
    a = np.array([0, 0, 0, 6950, 1950, 100, 0, 0.0])
    c = np.array([0, 0, 0, 0, 0, 0, 0, 6950.0])
    per_person = 2 * a + c  # 0, 0, 0, 13,900, 3,900, 200, 0, 6,950 → 24,950 in all
    assert per_person.sum() == 24950
    # Contract cap 20,000 in time order: cumulative 13,900, 17,800, 18,000, 18,000, then 24,950
    # → only 2,000 is paid in the last quarter.
    expected = np.array([0, 0, 0, 13900, 3900, 200, 0, 2000.0])
    np.testing.assert_allclose(r.flows.payments[0], expected)
    assert r.flows.payments[0].sum() == pytest.approx(20000)
    # Reserve: 8,900 (q3), 10,800, 9,000, 7,000, and 7,000 + 2,000 − 2,000 = 7,000 at maturity.
    wf = r.flows.waterfall
    np.testing.assert_allclose(wf.vehicle_cash[0, :7], [0, 0, 0, 8900, 10800, 9000, 7000])
    senior = 5000 * G**7 + 5000 * G**6 + 2000 * G**5  # drawn as in the base contract
    interest = senior - 12000
    # The senior loan's interest first (1,534.67), then 7,000 − interest of its principal;
    # nothing for the equity.
    assert wf.interest_paid[0, 0] == pytest.approx(interest, rel=1e-12)
    assert wf.principal_paid[0, 0] == pytest.approx(7000 - interest, rel=1e-12)
    assert wf.principal_paid[0, 1] == pytest.approx(0, abs=1e-9)
    # The guarantee covers the senior's unrepaid principal, 12,000 − (7,000 − interest) =
    # 6,534.67, up to its 4,000.
    assert 12000 - (7000 - interest) > 4000
    assert wf.guarantee_paid[0, 0] == pytest.approx(4000)
    np.testing.assert_allclose(r.flows.flows["Bank"][0], [-5000, -5000, -2000, 0, 0, 0, 0, 11000])
    np.testing.assert_allclose(r.flows.flows["Fund"][0], [0, 0, -3000, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(r.flows.flows["Guarantor"][0], [0, 0, 0, 0, 0, 0, 0, -4000])
    assert np.abs(r.flows.imbalance).max() < 1e-9
    # The equity is a total loss: its IRR counts as −100 %, and it loses with certainty.
    fund = party(r, "Fund")
    assert fund["irr"] == -1.0
    assert fund["irr_distribution"]["mean"] == -1.0
    assert fund["prob_loss"] == 1.0
    # The bank loses 1,000 of 12,000 despite the guarantee.
    assert party(r, "Bank")["prob_loss"] == 1.0
    assert party(r, "Guarantor")["prob_called"] == 1.0


def test_verification_lag_pays_at_maturity_what_falls_after_it(tmp_path, fixture_kb):
    r = evaluate(tmp_path, hand_case(lag_periods=2), fixture_kb)
    # Each payment two quarters later: 13,900 in q5, 3,900 in q6, and in q7 the 3,900 of q5
    # plus the 3,900 (q6 + 2 = q8) and 10,850 (q7 + 2 = q9) that would fall after maturity.
    expected = np.array([0, 0, 0, 0, 0, 13900, 3900, 3900 + 3900 + 10850.0])
    np.testing.assert_allclose(r.flows.payments[0], expected)
    assert expected.sum() == PAYMENTS.sum()  # nothing is lost off the end
    # Without recycling until q5: senior 5,000, 5,000, 2,000 (q0-q2), equity 3,000 (q2),
    # 5,000 (q3), 2,000 (q4) = 10,000. Reserve q5: 13,900 − 2,000 = 11,900; q6: 13,800;
    # q7: 13,800 + 18,650 − 2,000 = 30,450.
    wf = r.flows.waterfall
    np.testing.assert_allclose(wf.draws[0, 1], [0, 0, 3000, 5000, 2000, 0, 0, 0])
    senior = 5000 * G**7 + 5000 * G**6 + 2000 * G**5
    np.testing.assert_allclose(
        r.flows.flows["Fund"][0], [0, 0, -3000, -5000, -2000, 0, 0, 30450 - senior]
    )
    np.testing.assert_allclose(r.flows.flows["Bank"][0], [-5000, -5000, -2000, 0, 0, 0, 0, senior])
    assert np.abs(r.flows.imbalance).max() < 1e-9


def test_indexation_by_outcome_quarter_before_the_lag(tmp_path, fixture_kb):
    r = evaluate(tmp_path, hand_case(indexation=0.04, lag_periods=1), fixture_kb)
    # Prices indexed 4 % a year to the quarter the outcome is achieved: × 1.04^(p/4); then one
    # quarter's lag; the last quarter's outcomes are paid at maturity.
    i = [1.04 ** (p / 4) for p in range(8)]
    expected = [
        0,
        0,
        0,
        0,
        13900 * i[3],
        3900 * i[4],
        3900 * i[5],
        3900 * i[6] + 10850 * i[7],
    ]
    np.testing.assert_allclose(r.flows.payments[0], expected, rtol=1e-12)
    assert np.abs(r.flows.imbalance).max() < 1e-9


def test_fee_other_costs_co_payers_and_surplus_above_an_equity_cap(tmp_path, fixture_kb):
    data = hand_case(
        parties=[
            {"name": "Kommune", "role": "payer", "actor": "kommune", "share": 0.6},
            {"name": "Staten", "role": "payer", "actor": "stat", "share": 0.4},
            {"name": "Bank", "role": "investor"},
            {"name": "Fund", "role": "investor"},
            {"name": "Provider", "role": "provider"},
            {"name": "Evaluator", "role": "evaluator"},
            {"name": "Broker", "role": "intermediary"},
        ],
        other_costs=[
            {
                "name": "evaluation",
                "party": "Evaluator",
                "amount": 800,
                "periods": {"first": 1, "last": 4},
            },
            {"name": "management", "party": "Broker", "amount": 400, "paid_by": "payers"},
        ],
        provider={
            "delivery_costs": [5000, 5000, 5000, 5000, 2000, 2000, 2000, 2000],
            "performance_share": 0.1,
        },
    )
    data["contract"]["finance"]["tranches"][1]["max_multiple"] = 1.5
    r = evaluate(tmp_path, data, fixture_kb)
    np.testing.assert_allclose(r.flows.payments[0], PAYMENTS)
    # The vehicle receives 90 % of each payment (10 % is the provider's performance fee):
    # 12,510 in q3, 3,510 in q4-q6, 9,765 in q7. It pays delivery plus the evaluation,
    # 800 / 4 = 200 in q0-q3: 5,200 (q0-q3), 2,000 (q4-q7).
    #   q0: senior 5,200; q1: senior 5,200; q2: senior 1,600 (its last), equity 3,600;
    #   q3: 12,510 − 5,200 = 7,310; q4-q6: +1,510 each → 11,840; q7: 11,840 + 9,765 − 2,000 =
    #   19,605.
    wf = r.flows.waterfall
    np.testing.assert_allclose(wf.draws[0, 0], [5200, 5200, 1600, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(wf.draws[0, 1], [0, 0, 3600, 0, 0, 0, 0, 0])
    senior = 5200 * G**7 + 5200 * G**6 + 1600 * G**5
    # Equity capped at 1.5 × 3,600 = 5,400; the rest is surplus to the payers.
    assert 19605 - senior > 5400
    surplus = 19605 - senior - 5400
    assert wf.surplus[0] == pytest.approx(surplus, rel=1e-12)
    at_end = np.eye(8)[-1]
    flows = r.flows.flows
    np.testing.assert_allclose(flows["Bank"][0], [-5200, -5200, -1600, 0, 0, 0, 0, senior])
    np.testing.assert_allclose(flows["Fund"][0], [0, 0, -3600, 0, 0, 0, 0, 5400])
    # The payers pay every outcome payment in full (fee included) and the broker's 400 / 8 = 50
    # a quarter directly, in their shares, and share the surplus.
    for name, share in (("Kommune", 0.6), ("Staten", 0.4)):
        np.testing.assert_allclose(
            flows[name][0], share * (-PAYMENTS - 50 + surplus * at_end), rtol=1e-12, atol=1e-9
        )
    np.testing.assert_allclose(flows["Provider"][0], DELIVERY + 0.1 * PAYMENTS)
    np.testing.assert_allclose(flows["Evaluator"][0], [200, 200, 200, 200, 0, 0, 0, 0])
    np.testing.assert_allclose(flows["Broker"][0], np.full(8, 50.0))
    assert np.abs(r.flows.imbalance).max() < 1e-9
    # The state bears no share of the case's consequences (kommune and region split 50/50), so
    # it gains nothing of its own and pays more than it saves; the kommune's own gains are as in
    # the base contract.
    staten = party(r, "Staten")
    assert staten["share"] == 0.4
    assert staten["own_gains"]["mean"] == pytest.approx(0, abs=1e-9)
    assert staten["outcome_payments"]["nominal"]["mean"] == pytest.approx(
        0.4 * (36450 + 400 - surplus)
    )
    assert staten["prob_pays_more_than_saves"] == 1.0
    assert party(r, "Kommune")["own_gains"]["mean"] == pytest.approx(kommune_own_gains())


@pytest.mark.parametrize(
    ("days", "savings"),
    [
        # −10, −10, −5 days per success: the kommune's own gains (nominal) are 5,000 kr. in 2024
        # and in 2025, spread over each year's four quarters: 1,250 a quarter; half is paid
        ([-10, -10, -5], [625] * 8),
        # −10, +10, −5 days: 5,000 kr. gained in 2024, 5,000 kr. lost in 2025: a quarter with a
        # loss pays nothing (and is not netted against the gains)
        ([-10, 10, -5], [625] * 4 + [0] * 4),
    ],
)
def test_savings_share_is_not_indexed_and_floored_but_the_rate_card_is_indexed(
    tmp_path, fixture_kb, days, savings
):
    data = hand_case(
        indexation=0.04,
        payments=[
            {"name": "settled", "metric": "settled", "mechanism": "rate_card", "price": 5000},
            {"name": "savings", "mechanism": "savings_share", "share": 0.5},
        ],
    )
    data["consequences"][0]["units_per_success"] = days
    r = evaluate(tmp_path, data, fixture_kb)
    # Settled: A, B in quarter 3 and C in quarter 7, indexed 1.04^(p/4); the savings are not
    # indexed (they are in the case's prices already).
    expected = np.array(savings, dtype=float)
    expected[3] += 2 * 5000 * 1.04 ** (3 / 4)
    expected[7] += 5000 * 1.04 ** (7 / 4)
    np.testing.assert_allclose(r.flows.payments[0], expected, rtol=1e-12)
    assert np.abs(r.flows.imbalance).max() < 1e-9


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # the case's intervention costs, 10 participants × 1,000 kr. in 2024, spread over the
        # contract's four quarters of 2024; nothing in 2025
        ("2024-01-01", [2500, 2500, 2500, 2500, 0, 0, 0, 0]),
        # from 1 July 2024 only two quarters of 2024 fall in the contract: it carries their
        # share of the year's costs, 2 × 10,000 / 4
        ("2024-07-01", [2500, 2500, 0, 0, 0, 0, 0, 0]),
    ],
)
def test_delivery_costs_from_the_case(tmp_path, fixture_kb, start, expected):
    data = hand_case(start_date=start, provider={"delivery_costs": "case"})
    r = evaluate(tmp_path, data, fixture_kb)
    np.testing.assert_allclose(r.prep.delivery_costs, expected)
    np.testing.assert_allclose(r.flows.flows["Provider"][0], expected)
    assert r.to_dict()["delivery_costs"] == pytest.approx(sum(expected))


CYCLIC = """
name: Three states in a cycle, by hand
model: state_transition
price_year: 2024
horizon_years: 3
target_group:
  description: test
  cohorts: [{year: 2024, intake: 2}]
intervention:
  name: support
  duration_years: 1
  costs:
    - {name: support, type: per_participant, amount: 1000, area: employment}
state_transition:
  cycle: quarter
  states: [a, b, c]
  start: {a: 1}
  correction: end
  transitions:
    a: {b: 1}
    b: {c: 1}
    c: {a: 1}
  intervention_effect: {}
discounting: {rate: 0.04, convention: start}
contract:
  name: Cyclic
  start_date: 2024-01-01
  period: quarter
  periods: 8
  parties:
    - {name: Kommune, role: payer, actor: kommune}
    - {name: Fund, role: investor}
    - {name: Provider, role: provider}
  participants: {cohorts: [2]}
  metrics:
    into_ab: {kind: entries, states: [a, b]}
    time_ab: {kind: time_in, states: [a, b]}
    two_ab: {kind: sustained, k: 2, states: [a, b]}
    at2_c: {kind: state_at, at: 2, states: [c]}
  payments:
    - {name: into, metric: into_ab, mechanism: rate_card, price: 100}
    - {name: time, metric: time_ab, mechanism: per_unit, price: 10}
    - {name: two, metric: two_ab, mechanism: rate_card, price: 1000}
    - {name: c2, metric: at2_c, mechanism: rate_card, price: 5}
  provider: {delivery_costs: [1000]}
  finance:
    tranches: [{name: equity, investor: Fund, kind: equity, commitment: 2000}]
"""


def test_state_transition_paths_metrics_with_the_state_at_intake(fixture_kb):
    # Certain transitions a → b → c → a: each person is in a at intake, then in quarters 0-7
    # after intake in b, c, a, b, c, a, b, c.
    #   entries into {a, b}: in a at intake and b in quarter 0 is no entry; then 2 and 5 → 100
    #   time in {a, b}: quarters 0, 2, 3, 5, 6 → 10 each
    #   2 quarters in a row in {a, b}: first reached in quarter 3 → 1,000
    #   in c at quarter 2 after intake (index 1) → 5
    per_person = [10, 5, 100 + 10, 10 + 1000, 0, 100 + 10, 10, 0]
    case = load_case_text(CYCLIC, "cyclic.yaml")
    for draws, seed in ((1, None), (3, 1)):
        r = evaluate_contract(LoadedCase.of(case), fixture_kb, draws=draws, seed=seed)
        for d in range(draws):
            np.testing.assert_allclose(r.flows.payments[d], 2 * np.array(per_person, float))
        # the success metric defaults to the first one counting outcomes (not time_in or
        # entries): two_ab, reached by both
        assert r.prep.success_metric == "two_ab"
        np.testing.assert_allclose(r.outcomes.success_share, 1.0)
        assert np.abs(r.flows.imbalance).max() < 1e-9


THRESHOLD = {
    "period": "year",
    "periods": 4,
    "participants": {"cohorts": [4, 2]},
    "metrics": {"settled": {"kind": "state_at", "at": 2}},
    "provider": {"delivery_costs": [1000, 1000]},
}


@pytest.mark.parametrize(
    ("rate", "threshold", "direction", "expected"),
    [
        # cohort 1 (4 persons, measured in its 2nd year = contract year 1): 4 − 0.25 × 4 = 3
        # above the baseline, 3 ≥ 0.5 × 1 → 3 paid in year 1; cohort 2 (2 persons, from year 1,
        # measured in year 2): 2 − 0.5 = 1.5 ≥ 0.5 × 0.5 → 1.5 paid in year 2
        (0.25, 0.5, "more", [0, 3000, 1500, 0]),
        # baseline 0.5: improvements 4 − 2 = 2 and 2 − 1 = 1, exactly 100 % → paid
        (0.5, 1.0, "more", [0, 2000, 1000, 0]),
        # baseline 0.6: improvements 4 − 2.4 = 1.6 and 2 − 1.2 = 0.8, 67 % < 100 % → nothing
        (0.6, 1.0, "more", [0, 0, 0, 0]),
        # fewer is better: 4 outcomes against a baseline of 1 is no improvement
        (0.25, 0.0, "fewer", [0, 0, 0, 0]),
    ],
)
def test_threshold_payment_per_cohort_against_a_baseline(
    tmp_path, fixture_kb, rate, threshold, direction, expected
):
    data = hand_case(
        **THRESHOLD,
        counterfactual={"kind": "baseline", "rate": rate},
        payments=[
            {
                "name": "settled above baseline",
                "metric": "settled",
                "mechanism": "threshold",
                "price": 1000,
                "threshold": threshold,
                "direction": direction,
            }
        ],
    )
    r = evaluate(tmp_path, data, fixture_kb)
    np.testing.assert_allclose(r.flows.payments[0], expected)
    assert np.abs(r.flows.imbalance).max() < 1e-9


@pytest.mark.parametrize(("rate_without", "paid"), [(0.0, PAYMENTS), (1.0, np.zeros(8))])
def test_comparison_group_pays_only_the_excess(tmp_path, fixture_kb, rate_without, paid):
    # A comparison group of 6: 4 with the first cohort, 2 with the second (the participants'
    # 2 : 1), scaled by 3 / 6. Without the intervention nobody succeeds (everything is paid) or
    # everybody does (the scaled group achieves what the participants do: nothing is paid).
    data = hand_case(
        success={"measure": "m", "rate_with": 1.0, "rate_without": rate_without, "timing": [1.0]},
        counterfactual={"kind": "comparison_group", "size": 6},
    )
    r = evaluate(tmp_path, data, fixture_kb)
    np.testing.assert_allclose(r.flows.payments[0], paid, atol=1e-9)


def test_success_timing_within_the_year_and_exit_by_chance(tmp_path, fixture_kb):
    # 4,000 participants, quarterly; half succeed in their 1st year, half in their 2nd, each in
    # a quarter of that year drawn uniformly: 1/8 of them enter in each of quarters 0-7.
    data = hand_case(
        success={"measure": "m", "rate_with": 1.0, "rate_without": 0.0, "timing": [0.5, 0.5]},
        participants={"cohorts": [4000]},
        metrics={"in": {"kind": "entry"}},
        payments=[{"name": "in", "metric": "in", "mechanism": "rate_card", "price": 1}],
        provider={"delivery_costs": [1000]},
    )
    r = evaluate(tmp_path, data, fixture_kb)
    entries = r.flows.payments[0]
    assert entries.sum() == pytest.approx(4000)
    sd = np.sqrt(4000 * (1 / 8) * (7 / 8))  # binomial, about 21
    assert np.abs(entries - 500).max() < 5 * sd

    # Yearly: success in period 0; a 25 % yearly chance of leaving the success state, so in it
    # at period 2 after intake with 0.75 and at period 3 with 0.75² = 0.5625.
    data = hand_case(
        period="year",
        periods=3,
        participants={"cohorts": [4000]},
        success_exit_per_year=0.25,
        metrics={"at2": {"kind": "state_at", "at": 2}, "at3": {"kind": "state_at", "at": 3}},
        payments=[
            {"name": "at2", "metric": "at2", "mechanism": "rate_card", "price": 1},
            {"name": "at3", "metric": "at3", "mechanism": "rate_card", "price": 1000},
        ],
        provider={"delivery_costs": [1000]},
    )
    r = evaluate(tmp_path, data, fixture_kb)
    paid = r.flows.payments[0]
    assert paid[0] == 0
    for share, count in ((0.75, paid[1]), (0.5625, paid[2] / 1000)):
        assert abs(count / 4000 - share) < 4 * np.sqrt(share * (1 - share) / 4000)
    # the metrics' totals report the same counts
    assert r.outcomes.metric_totals["at2"][0] == pytest.approx(paid[1])


def test_a_contract_starting_mid_year_that_ends_after_the_horizon_is_an_input_error(tmp_path):
    # The analysis runs 2024-2029 (horizon 6). Four quarters from 1 July 2029 end on 1 April
    # 2030: after the analysis. Expected: exit 2 and one sentence naming contract.periods.
    data = base_case(success={"measure": "m", "rate_with": 1.0, "rate_without": 0.0})
    data["contract"] = copy.deepcopy(ERROR_CONTRACT)
    data["contract"].update(start_date="2029-07-01", periods=4, participants={"cohorts": [2]})
    path = write_case(tmp_path, data)
    result = runner.invoke(app, ["contract", str(path)])
    assert result.exit_code == 2, (result.exit_code, repr(result.exception))
    assert "contract.periods" in result.stderr


def test_success_rate_is_the_share_achieving_the_success_metric(tmp_path, fixture_kb):
    # Seven quarters: C (intake in quarter 4) would be settled in quarter 4 after intake =
    # contract quarter 7, after the contract. So 2 of 3 participants achieve the success metric
    # 'settled' within the contract, although all 3 succeed.
    data = hand_case(periods=7)
    costs = data["contract"]["provider"]["delivery_costs"]
    data["contract"]["provider"]["delivery_costs"] = costs[:7]
    r = evaluate(tmp_path, data, fixture_kb)
    out = r.to_dict()
    assert out["contract"]["success_metric"] == "settled"
    assert out["metrics"]["settled"]["mean"] == pytest.approx(2)
    assert out["success_rate"]["mean"] == pytest.approx(2 / 3)


def short_of_capital() -> dict[str, Any]:
    """The hand contract with an evaluator (200 kr. a quarter in q0-q3) and only 8,000 kr.
    committed (senior 6,000, equity 2,000): the capital runs out in q1."""
    data = hand_case(
        parties=[*HAND_CONTRACT["parties"], {"name": "Evaluator", "role": "evaluator"}],
        other_costs=[
            {
                "name": "evaluation",
                "party": "Evaluator",
                "amount": 800,
                "periods": {"first": 1, "last": 4},
            }
        ],
    )
    data["contract"]["finance"]["tranches"][0]["commitment"] = 6000
    data["contract"]["finance"]["tranches"][1]["commitment"] = 2000
    return data


def test_unfunded_costs_fall_on_the_provider_and_the_evaluator_in_proportion(tmp_path, fixture_kb):
    r = evaluate(tmp_path, short_of_capital(), fixture_kb)
    # The vehicle's costs: 5,000 + 200 in q0-q3, 2,000 in q4-q7; only 8,000 committed.
    #   q0: senior 5,200 (800 left); q1: senior 800 + equity 2,000 = 2,800 of 5,200;
    #   q2: nothing left, nothing funded; q3: 13,900 arrives, 5,200 paid, reserve 8,700;
    #   q4-q6: +1,900 each → 14,400; q7: 14,400 + 10,850 − 2,000 = 23,250.
    q1 = 2800 / 5200  # the share of q1's costs funded, for each cost alike
    np.testing.assert_allclose(
        r.flows.flows["Provider"][0], [5000, 5000 * q1, 0, 5000, 2000, 2000, 2000, 2000]
    )
    np.testing.assert_allclose(r.flows.flows["Evaluator"][0], [200, 200 * q1, 0, 200, 0, 0, 0, 0])
    senior = 5200 * G**7 + 800 * G**6
    np.testing.assert_allclose(r.flows.flows["Bank"][0], [-5200, -800, 0, 0, 0, 0, 0, senior])
    np.testing.assert_allclose(r.flows.flows["Fund"][0], [0, -2000, 0, 0, 0, 0, 0, 23250 - senior])
    assert np.abs(r.flows.imbalance).max() < 1e-9
    # the provider's net: unfunded delivery of 5,000 × (1 − q1) in q1 and 5,000 in q2
    provider = party(r, "Provider")
    assert provider["net"]["mean"] == pytest.approx(-(5000 * (1 - q1) + 5000), rel=1e-12)


def test_the_case_cohorts_enter_at_the_start_of_their_calendar_year(tmp_path, fixture_kb):
    # A contract from 1 October 2024 (quarters: Oct 2024, Jan 2025, Apr 2025, ...). The case's
    # cohorts: A, B in 2024 (before the contract: they enter in its first quarter) and C in
    # 2025, entering on 1 January 2025 = contract quarter 1 ("from the start of their year").
    data = hand_case(start_date="2024-10-01", participants={"cohorts": "case"})
    data["target_group"]["cohorts"] = [{"year": 2024, "intake": 2}, {"year": 2025, "intake": 1}]
    r = evaluate(tmp_path, data, fixture_kb)
    # A, B as in the base contract: 6,950 each in quarter 3, then 1,950 each in quarters 4-7.
    # C: its quarters 4-7 after intake are contract quarters 4-7: 6,950 in 4, 1,950 in 5-7.
    expected = [0, 0, 0, 13900, 3900 + 6950, 3900 + 1950, 3900 + 1950, 3900 + 1950]
    np.testing.assert_allclose(r.flows.payments[0], expected)


# ----------------------------------------------------------------------------- IRR cross-check

UNCERTAIN = {
    "measure": "in work",
    "rate_with": {"dist": "beta", "mean": 0.6, "sd": 0.15},
    "rate_without": 0.0,
    "timing": [1.0],
}


def _pyxirr_or_nan(dates: list[dt.date], amounts: np.ndarray) -> float:
    try:
        value = pyxirr.xirr(dates, amounts.tolist())
    except pyxirr.InvalidPaymentsError:  # no sign change: no IRR
        return float("nan")
    return float("nan") if value is None else float(value)


def test_per_draw_irr_equals_pyxirr_on_the_dated_flows(fixture_kb):
    data = hand_case(success=UNCERTAIN, participants={"cohorts": [6, 4]}, success_exit_per_year=0.3)
    r = evaluate_text(data, fixture_kb, draws=40, seed=5)
    for name in ("Bank", "Fund"):
        f = r.flows.flows[name]
        ours = xirr(f, r.prep.dates)
        theirs = np.array([_pyxirr_or_nan(r.prep.dates, f[d]) for d in range(f.shape[0])])
        checked = np.flatnonzero(np.isfinite(theirs))
        assert checked.size >= 5
        np.testing.assert_allclose(ours[checked[:8]], theirs[checked[:8]], atol=1e-7)
        # the reported distribution per draw: a total loss counts as −100 %
        total_loss = (f.sum(axis=1) < 0) & ~(f > 1e-9).any(axis=1)
        per_draw = np.where(total_loss, -1.0, theirs)
        p = party(r, name)
        assert p["irr_distribution"]["p50"] == pytest.approx(
            np.percentile(per_draw[np.isfinite(per_draw)], 50), abs=1e-7
        )
        assert p["irr"] == pytest.approx(_pyxirr_or_nan(r.prep.dates, f.mean(axis=0)), abs=1e-7)
    combined = r.flows.flows["Bank"] + r.flows.flows["Fund"]
    assert r.to_dict()["investors"]["irr"] == pytest.approx(
        _pyxirr_or_nan(r.prep.dates, combined.mean(axis=0)), abs=1e-7
    )


@pytest.fixture(scope="module")
def aalborg() -> ContractResult:
    return evaluate_contract(LoadedCase.of(load_case(AALBORG)), draws=300, seed=11)


def test_aalborg_weekly_irr_per_draw_equals_pyxirr(aalborg):
    dates = aalborg.prep.dates
    for name in AALBORG_INVESTORS:
        f = aalborg.flows.flows[name]
        ours = xirr(f[:6], dates)
        theirs = np.array([_pyxirr_or_nan(dates, f[d]) for d in range(6)])
        np.testing.assert_allclose(ours, theirs, atol=1e-7)


# ---------------------------------------------------------------------------------- properties


def _kroner(high: float) -> st.SearchStrategy[float]:
    """0 or an amount from 1 kr. (a commitment of 1e-308 kr. overflows cash / stake)."""
    return st.one_of(st.just(0.0), st.floats(1.0, high))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    week_price=_kroner(400.0),
    settled_price=_kroner(20000.0),
    person_cap=st.one_of(st.none(), _kroner(20000.0)),
    contract_cap=st.one_of(st.none(), _kroner(60000.0)),
    lag=st.integers(0, 3),
    indexation=st.floats(0.0, 0.1, allow_subnormal=False),
    fee=st.floats(0.0, 0.3, allow_subnormal=False),
    senior=_kroner(25000.0),
    coupon=st.floats(0.0, 0.1, allow_subnormal=False),
    equity=_kroner(25000.0),
    multiple=st.one_of(st.none(), st.floats(1.0, 3.0, allow_subnormal=False)),
    drawdown=st.sampled_from(["sequential", "pro_rata"]),
    surplus_to=st.sampled_from(["payer", "provider"]),
    guarantee=_kroner(5000.0),
    cohorts=st.tuples(st.integers(1, 3), st.integers(0, 2)),
    kommune_share=st.sampled_from([1.0, 0.5, 0.7]),
    evaluation=_kroner(3000.0),
    management=_kroner(3000.0),
)
def test_money_is_conserved_and_caps_hold_for_any_terms(
    fixture_kb,
    week_price,
    settled_price,
    person_cap,
    contract_cap,
    lag,
    indexation,
    fee,
    senior,
    coupon,
    equity,
    multiple,
    drawdown,
    surplus_to,
    guarantee,
    cohorts,
    kommune_share,
    evaluation,
    management,
):
    data = hand_case(
        success=UNCERTAIN,
        participants={"cohorts": list(cohorts)},
        person_cap=person_cap,
        contract_cap=contract_cap,
        lag_periods=lag,
        indexation=indexation,
        provider={"delivery_costs": DELIVERY.tolist(), "performance_share": fee},
        success_exit_per_year=0.2,
    )
    c = data["contract"]
    c["parties"] += [
        {"name": "Guarantor", "role": "guarantor"},
        {"name": "Evaluator", "role": "evaluator"},
        {"name": "Broker", "role": "intermediary"},
    ]
    if kommune_share < 1:  # a co-payer
        c["parties"][0]["share"] = kommune_share
        c["parties"].append(
            {"name": "Staten", "role": "payer", "actor": "stat", "share": 1 - kommune_share}
        )
    c["other_costs"] = [
        {
            "name": "evaluation",
            "party": "Evaluator",
            "amount": evaluation,
            "periods": {"first": 2, "last": 5},
        },
        {"name": "management", "party": "Broker", "amount": management, "paid_by": "payers"},
    ]
    c["payments"][0]["price"] = week_price
    c["payments"][1]["price"] = settled_price
    tranches = c["finance"]["tranches"]
    tranches[0].update(commitment=senior, coupon=coupon)
    tranches[1].update(commitment=equity, max_multiple=multiple)
    c["finance"].update(
        drawdown=drawdown,
        surplus_to=surplus_to,
        guarantee={"guarantor": "Guarantor", "amount": guarantee, "covers": ["senior", "equity"]},
    )
    r = evaluate_text(data, fixture_kb, draws=3, seed=2)
    scale = (
        1.0
        + DELIVERY.sum()
        + r.flows.payments.sum(axis=1).max()
        + senior
        + equity
        + evaluation
        + management
    )
    # every period's flows of all parties and the vehicle sum to zero
    assert np.abs(r.flows.imbalance).max() < 1e-9 * scale
    assert r.to_dict()["money_conservation"]["max_abs_imbalance"] < 1e-9 * scale
    paid = r.flows.payments.sum(axis=1)
    assert (r.flows.payments >= -1e-9 * scale).all()
    n_people = sum(cohorts)
    if contract_cap is not None:
        assert (paid <= contract_cap + 1e-9 * scale).all()
    if person_cap is not None:
        assert (paid <= n_people * person_cap + 1e-9 * scale).all()
    if person_cap is None and contract_cap is None:
        # uncapped and with a lag, every outcome is paid (at maturity at the latest): the same
        # total as without a lag
        no_lag = copy.deepcopy(data)
        no_lag["contract"]["lag_periods"] = 0
        again = evaluate_text(no_lag, fixture_kb, draws=3, seed=2)
        np.testing.assert_allclose(paid, again.flows.payments.sum(axis=1), rtol=1e-12)
    # the guarantor never pays more than the guarantee
    assert (-r.flows.flows["Guarantor"].sum(axis=1) <= guarantee + 1e-9 * scale).all()
    # the broker is paid in full by the payers; the evaluator at most its fee, in quarters 1-4
    np.testing.assert_allclose(r.flows.flows["Broker"].sum(axis=1), management, rtol=1e-9)
    ev = r.flows.flows["Evaluator"]
    assert (ev.sum(axis=1) <= evaluation + 1e-9 * scale).all()
    assert (np.abs(ev[:, [0, 5, 6, 7]]) < 1e-9 * scale).all()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    week_price=st.floats(50.0, 400.0),
    settled_price=_kroner(10000.0),
    equity=st.floats(1000.0, 28000.0),
    coupon=st.floats(0.0, 0.1),
    lag=st.integers(0, 2),
    contract_cap=st.one_of(st.none(), st.floats(5000.0, 40000.0)),
    drawdown=st.sampled_from(["sequential", "pro_rata"]),
    seed=st.integers(0, 1000),
)
def test_more_successes_never_lower_the_investors_return_nor_the_payers_gains(
    fixture_kb, week_price, settled_price, equity, coupon, lag, contract_cap, drawdown, seed
):
    """rate_with 0.4 against 0.6 with the same seed (common random numbers: the successes at
    0.6 include those at 0.4). The investors' *combined* net return (all received less all paid
    in) never falls; their combined IRR neither, unless a contract cap binds (then more, earlier
    successes can replace capital that was earning a negative return by payments that are cut
    later).

    Not asserted: a single tranche's multiple, which can fall (see test_contract_engine.py);
    the investors' total *received*, which falls when recycled payments replace drawdowns. And
    the equity is drawn from the first quarter here (first in the order, or pro rata): an equity
    tranche that more successes leave undrawn shares in nothing, the residual goes to the payer
    as surplus, and the investors' combined return *can* then fall (reported to the lead)."""

    def run(rate: float) -> ContractResult:
        data = hand_case(
            success={"measure": "in work", "rate_with": rate, "rate_without": 0.0, "timing": [1.0]},
            participants={"cohorts": [5, 4]},
            lag_periods=lag,
            contract_cap=contract_cap,
            success_exit_per_year=0.3,
        )
        c = data["contract"]
        c["payments"][0]["price"] = week_price
        c["payments"][1]["price"] = settled_price
        c["finance"]["drawdown"] = drawdown
        # enough capital for all costs (28,000); the uncapped equity, drawn first, takes the
        # residual
        senior, eq = c["finance"]["tranches"]
        senior.update(commitment=29000.0 - equity, coupon=coupon)
        eq.update(commitment=equity)
        c["finance"]["tranches"] = [eq, senior]
        return evaluate_text(data, fixture_kb, draws=6, seed=seed)

    lo, hi = run(0.4), run(0.6)
    tol = 1e-6
    assert (lo.flows.waterfall.draws[:, 0, 0] > 0).all()  # the equity is drawn in quarter 0
    assert (hi.outcomes.success_share >= lo.outcomes.success_share).all()
    assert (hi.flows.payments.sum(axis=1) >= lo.flows.payments.sum(axis=1) - tol).all()
    inv_lo, inv_hi = lo.investors_combined(), hi.investors_combined()
    assert (inv_hi.sum(axis=1) >= inv_lo.sum(axis=1) - tol).all()
    own_lo, own_hi = lo.outcomes.own_gains["Kommune"], hi.outcomes.own_gains["Kommune"]
    assert (own_hi >= own_lo).all() and (own_hi > own_lo).any()
    assert party(hi, "Kommune")["own_gains"]["mean"] > party(lo, "Kommune")["own_gains"]["mean"]
    if contract_cap is None:
        irr_lo, irr_hi = xirr(inv_lo, lo.prep.dates), xirr(inv_hi, hi.prep.dates)
        both = np.isfinite(irr_lo) & np.isfinite(irr_hi)
        assert (irr_hi[both] >= irr_lo[both] - 1e-9).all()
        r_lo, r_hi = lo.to_dict()["investors"]["irr"], hi.to_dict()["investors"]["irr"]
        if r_lo is not None and r_hi is not None:
            assert r_hi >= r_lo - 1e-9


def test_designer_price_gives_the_target_return_at_the_success_rate(aalborg):
    design = aalborg.design
    assert design is not None and design.feasible
    spec = aalborg.prep.contract.designer
    assert spec is not None and spec.at_success_rate == 0.5 and spec.target_return == 0.0
    assert spec.price_range[0] < design.price < spec.price_range[1]
    assert aalborg.prices[0] == design.price
    # The draws nearest 50 % achieved success; the IRR of the investors' mean flows over them,
    # by pyxirr on the dated flows, is the target of 0 %.
    mask = nearest_draws(aalborg.outcomes.success_share, 0.5)
    assert mask.sum() == 50  # max(min(300, 50), 300 // 10)
    combined = sum(aalborg.flows.flows[n] for n in AALBORG_INVESTORS)
    irr = pyxirr.xirr(aalborg.prep.dates, combined[mask].mean(axis=0).tolist())
    assert irr == pytest.approx(0.0, abs=1e-4)
    # more success pays the investors more: over all draws with a higher success rate than the
    # selected ones, their expected IRR is above the target
    above = aalborg.outcomes.success_share > aalborg.outcomes.success_share[mask].max()
    if above.sum() >= 10:
        assert pyxirr.xirr(aalborg.prep.dates, combined[above].mean(axis=0).tolist()) > 0
    out = aalborg.to_dict()
    assert out["contract"]["payments"][0]["price_source"] == "solved by the designer"
    assert out["designer"]["price"] == pytest.approx(design.price)


def _designed(max_share: float) -> dict[str, Any]:
    data = hand_case(
        designer={
            "payment": "per week in work",
            "target_return": 0.05,
            "max_share_of_gains": max_share,
            "price_range": [0, 1000],
        }
    )
    data["contract"]["payments"][0]["price"] = "solve"
    return data


def _combined_xirr(r: ContractResult) -> float:
    combined = r.flows.flows["Bank"][0] + r.flows.flows["Fund"][0]
    return float(pyxirr.xirr(r.prep.dates, combined.tolist()))


@pytest.mark.parametrize("max_share", [2.0, 10.0])
def test_designer_payer_limit_by_hand(tmp_path, fixture_kb, max_share):
    # The kommune's present value of payments at a price p per week: in 2024 (quarter 3) two
    # persons' 13 weeks and two settled; in 2025 nine person-quarters of 13 weeks (2 + 2 + 2 +
    # 3) and one settled, discounted one year at 4 %:
    #   PV(p) = 26 p + 10,000 + (117 p + 5,000) / 1.04.
    # Its limit: PV(p) = max_share × own gains.
    gains = kommune_own_gains()
    limit = (max_share * gains - 10000 - 5000 / 1.04) / (26 + 117 / 1.04)
    r = evaluate(tmp_path, _designed(max_share), fixture_kb)
    design = r.design
    assert design is not None
    assert design.payer_limit_price["Kommune"] == pytest.approx(limit, abs=1e-2)
    if max_share == 2.0:
        # limit ≈ 68 kr.: the payments, 143 × 68 + 15,000 ≈ 24,700, do not even cover the
        # 28,000 of delivery; the target needs more than the kommune accepts
        assert limit == pytest.approx(68.09, abs=0.01)
        assert not design.feasible
        assert design.price == pytest.approx(limit, abs=1e-2)
        assert "accept" in design.reason
        target_price = design.target_price
        assert target_price is not None and target_price > limit
        # at the price that would give the target, the investors' IRR is 5 % (pyxirr)
        data = hand_case()
        data["contract"]["payments"][0]["price"] = target_price
        assert _combined_xirr(evaluate(tmp_path, data, fixture_kb)) == pytest.approx(0.05, abs=1e-4)
    else:
        # limit ≈ 768 kr.: the target price lies below it and is used
        assert design.feasible
        assert design.price < limit
        assert _combined_xirr(r) == pytest.approx(0.05, abs=1e-4)
    assert r.prices[0] == pytest.approx(design.price)


def test_probability_that_the_payer_pays_more_than_it_saves(aalborg):
    # The case discounts at Finansministeriet's 3.5 % (years 0-35), start of year, from 2025.
    dates = aalborg.prep.dates
    factor = np.array([1.035 ** -(d.year - 2025) for d in dates])
    assert dates[51] == dt.date(2025, 12, 29) and dates[52] == dt.date(2026, 1, 5)
    np.testing.assert_allclose(aalborg.prep.discount, factor, rtol=1e-12)
    name = "Aalborg Kommune"
    paid = -aalborg.flows.flows[name]
    pv = (paid * factor).sum(axis=1)
    gains = aalborg.outcomes.own_gains[name]
    expected = float(np.mean(gains - pv < 0))
    payer = party(aalborg, name)
    assert payer["prob_pays_more_than_saves"] == pytest.approx(expected, abs=1e-12)
    assert 0 < expected < 1  # the example sits in between, so the comparison means something
    assert payer["outcome_payments"]["present_value"]["mean"] == pytest.approx(pv.mean(), rel=1e-9)
    assert payer["net"]["mean"] == pytest.approx((gains - pv).mean(), rel=1e-9)
    assert payer["value_for_money"] == pytest.approx(gains.mean() / pv.mean(), rel=1e-9)


# -------------------------------------------------------------------------------------- errors

ERROR_CONTRACT: dict[str, Any] = {
    "name": "Error contract",
    "start_date": "2024-01-01",
    "period": "quarter",
    "periods": 8,
    "parties": [
        {"name": "Kommune", "role": "payer", "actor": "kommune"},
        {"name": "Bank", "role": "investor"},
        {"name": "Provider", "role": "provider"},
    ],
    "participants": {"cohorts": [2, 1]},
    "metrics": {"in_work": {"kind": "time_in"}},
    "payments": [{"name": "week", "metric": "in_work", "mechanism": "per_unit", "price": 150}],
    "provider": {"delivery_costs": [5000, 5000, 5000, 5000]},
    "finance": {
        "tranches": [{"name": "equity", "investor": "Bank", "kind": "equity", "commitment": 20000}]
    },
}


def _unknown_metric(c: dict[str, Any]) -> None:
    c["payments"][0]["metric"] = "weeks_in_work"


def _unknown_state(c: dict[str, Any]) -> None:
    c["metrics"]["in_work"]["states"] = ["employed"]


def _shares(c: dict[str, Any]) -> None:
    c["parties"][0]["share"] = 0.3
    c["parties"].append({"name": "Staten", "role": "payer", "actor": "stat", "share": 0.5})


def _solve(c: dict[str, Any]) -> None:
    c["payments"][0]["price"] = "solve"


def _too_long(c: dict[str, Any]) -> None:
    c["periods"] = 40  # 10 years from 2024; the analysis ends 2029


def _not_an_investor(c: dict[str, Any]) -> None:
    c["finance"]["tranches"][0]["investor"] = "Provider"


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (_unknown_metric, ["contract.payments[0].metric", "weeks_in_work"]),
        (_unknown_state, ["contract.metrics.in_work.states[0]", "employed", "success"]),
        (_shares, ["contract.parties", "0.8", "sum to 1"]),
        (_solve, ["contract.payments[0].price", "solve", "designer"]),
        (_too_long, ["contract.periods", "40", "2029"]),
        (_not_an_investor, ["contract.finance.tranches[0].investor", "Provider"]),
    ],
    ids=[
        "unknown-metric",
        "unknown-state",
        "payer-shares",
        "solve-without-designer",
        "after-horizon",
        "not-an-investor",
    ],
)
def test_malformed_contract_sections_give_one_sentence_naming_the_field(
    tmp_path, change, fragments
):
    data = base_case(success={"measure": "m", "rate_with": 1.0, "rate_without": 0.0})
    data["contract"] = copy.deepcopy(ERROR_CONTRACT)
    change(data["contract"])
    path = write_case(tmp_path, data)
    result = runner.invoke(app, ["contract", str(path), "--lang", "en"])
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: ") and line.endswith(".")
    assert "case.yaml" in line and re.search(r"line \d+", line)
    for fragment in fragments:
        assert fragment in line, (fragment, line)


# ----------------------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def aalborg_cli() -> tuple[dict[str, Any], str]:
    args = ["contract", str(AALBORG), "--draws", "200", "--seed", "3"]
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.stderr
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.stderr
    return json.loads(as_json.stdout, parse_constant=_no_constant), table.stdout


def _no_constant(name: str) -> None:
    raise AssertionError(f"not strict JSON: {name}")


def test_cli_json_lists_every_party_with_dated_cash_flows(aalborg_cli):
    data, _ = aalborg_cli
    assert data["run"] == {"draws": 200, "seed": 3}
    parties = data["parties"]
    assert [(p["name"], p["role"]) for p in parties] == [
        ("Aalborg Kommune", "payer"),
        ("Den Sociale Kapitalfond", "investor"),
        ("Det Obelske Familiefond", "investor"),
        ("Fokus Folkeoplysning", "provider"),
    ]
    start, maturity = dt.date(2025, 1, 6), dt.date.fromisoformat(data["contract"]["maturity"])
    assert maturity == start + dt.timedelta(weeks=155)
    for p in parties:
        assert p["cash_flows"], p["name"]
        for flow in p["cash_flows"]:
            day = dt.date.fromisoformat(flow["date"])
            assert start <= day <= maturity and (day - start).days % 7 == 0
            assert isinstance(flow["amount"], float)
        if p["role"] == "investor":
            assert "irr" in p and 0.0 <= p["prob_loss"] <= 1.0
        if p["role"] == "payer":
            assert {"outcome_payments", "own_gains", "prob_pays_more_than_saves"} <= p.keys()
            assert 0.0 <= p["prob_pays_more_than_saves"] <= 1.0
            # the payer's dated flows sum to minus its nominal payments
            total = sum(f["amount"] for f in p["cash_flows"])
            assert total == pytest.approx(-p["outcome_payments"]["nominal"]["mean"], rel=1e-9)


def test_cli_table_is_in_danish_with_danish_number_formats(aalborg_cli):
    data, table = aalborg_cli
    payer = data["parties"][0]
    total = round(payer["total"]["mean"])
    assert total < -1000
    assert f"{total:,}".replace(",", ".") + " kr." in table  # e.g. -10.197.226 kr.
    prob = payer["prob_pays_more_than_saves"] * 100
    assert f"{prob:.1f}".replace(".", ",") + " %" in table  # e.g. 4,5 %
    assert "betaler" in table and "Investorer" in table and "Resultatbetalinger" in table


def test_deferred_costs_are_paid_first_from_later_cash(tmp_path, fixture_kb):
    """As the test above, with ``unfunded_costs: deferred`` (deferred provider fees): what the
    commitments could not cover in q1 and q2 is paid, before any reserve, when the payments
    arrive in q3."""
    data = short_of_capital()
    data["contract"]["finance"]["unfunded_costs"] = "deferred"
    r = evaluate(tmp_path, data, fixture_kb)
    # q0: 5,200 drawn and paid; q1: 2,800 of 5,200 (2,400 owed: provider 5,000 × 2,400/5,200,
    # evaluator 200 × 2,400/5,200); q2: nothing (7,600 owed); q3: 13,900 arrives, 5,200 + 7,600
    # paid, reserve 1,100; q4-q6: +3,900 − 2,000 each → 6,800; q7: 6,800 + 10,850 − 2,000.
    q1 = 2800 / 5200
    owed_provider = 5000 * (1 - q1) + 5000
    owed_evaluator = 200 * (1 - q1) + 200
    np.testing.assert_allclose(
        r.flows.flows["Provider"][0],
        [5000, 5000 * q1, 0, 5000 + owed_provider, 2000, 2000, 2000, 2000],
    )
    np.testing.assert_allclose(
        r.flows.flows["Evaluator"][0], [200, 200 * q1, 0, 200 + owed_evaluator, 0, 0, 0, 0]
    )
    senior = 5200 * G**7 + 800 * G**6
    np.testing.assert_allclose(r.flows.flows["Bank"][0], [-5200, -800, 0, 0, 0, 0, 0, senior])
    np.testing.assert_allclose(
        r.flows.flows["Fund"][0], [0, -2000, 0, 0, 0, 0, 0, 6800 + 10850 - 2000 - senior]
    )
    assert np.abs(r.flows.imbalance).max() < 1e-9
    assert party(r, "Provider")["net"]["mean"] == pytest.approx(0, abs=1e-9)  # paid in full


def test_a_payer_without_budget_gains_shares_the_payments(tmp_path, fixture_kb):
    """A foundation pays 40 % of every outcome payment and has no budget gains of its own
    (``actor: none``); the kommune pays 60 % against its own gains."""
    data = hand_case(
        parties=[
            {"name": "Kommune", "role": "payer", "actor": "kommune", "share": 0.6},
            {"name": "Fonden", "role": "payer", "actor": "none", "share": 0.4},
            {"name": "Bank", "role": "investor"},
            {"name": "Fund", "role": "investor"},
            {"name": "Provider", "role": "provider"},
        ]
    )
    r = evaluate(tmp_path, data, fixture_kb)
    paid = r.flows.payments[0]
    np.testing.assert_allclose(r.flows.flows["Fonden"][0], -0.4 * paid)
    fonden = party(r, "Fonden")
    assert fonden["own_gains"]["mean"] == 0
    assert fonden["prob_pays_more_than_saves"] == 1.0
    assert party(r, "Kommune")["own_gains"]["mean"] == pytest.approx(kommune_own_gains())
    table = runner.invoke(app, ["contract", str(tmp_path / "case.yaml"), "--lang", "en"])
    assert "no budget gains" in table.stdout
