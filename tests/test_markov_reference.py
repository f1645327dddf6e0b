"""The cohort state-transition engine against published models with published results
(shared/reference/model-validation-cases.md), plus the engine's own contracts.

Every input below is written out from the published description of each model; no expected
number is taken from the engine's output.
"""

from __future__ import annotations

import numpy as np
import pytest

from socialinvest.engine.markov import (
    as_cycle_indexed,
    cohort_trace,
    correction_weights,
    cycle_allocation,
    cycle_discount_weights,
    cycle_occupancy,
    fill_complement,
    relative_risk_matrices,
    state_rewards,
    step_lookup,
    transition_rewards,
)

# Transitions to a worse state in the four-state HIV models (A → B → C → D, no way back).
HIV_WORSE = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
HIV_HEALTH_COSTS = np.array([2756.0, 3052.0, 9007.0, 0.0])
ALIVE = np.array([[1.0, 1.0, 1.0, 0.0]])  # one life year per cycle in A, B, C


def _hiv_case_1(n_draws: int = 1) -> dict[str, np.ndarray]:
    """Case 1 inputs for ``n_draws`` identical draws; returns the per-arm cost and life years."""
    n_cycles = 20
    counts = np.array(
        [
            [1251.0, 350.0, 116.0, 17.0],
            [0.0, 731.0, 512.0, 15.0],
            [0.0, 0.0, 1312.0, 437.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    mono = np.repeat((counts / counts.sum(axis=1, keepdims=True))[None], n_draws, axis=0)
    # rr = 0.509 on every transition to a worse state in cycles 1-2, 1 afterwards
    comb = relative_risk_matrices(mono, np.full(n_draws, 0.509), HIV_WORSE, n_cycles, duration=2)
    start = np.repeat(np.array([[1.0, 0.0, 0.0, 0.0]]), n_draws, axis=0)
    trace_mono = cohort_trace(mono, start, n_cycles)
    trace_comb = cohort_trace(comb, start, n_cycles)

    zidovudine = np.array([2278.0, 2278.0, 2278.0, 0.0])
    lamivudine = np.zeros((n_draws, n_cycles, 4))
    lamivudine[:, :2, :3] = 2086.5  # combination arm, cycles 1-2 only
    cost_mono = np.repeat((HIV_HEALTH_COSTS + zidovudine)[None], n_draws, axis=0)
    cost_comb = (HIV_HEALTH_COSTS + zidovudine)[None, None, :] + lamivudine  # [D, T, S]

    discount = cycle_discount_weights(0.06, n_cycles, first=True)
    return {
        "cost_mono": (state_rewards(trace_mono, cost_mono, "end") * discount).sum(axis=1),
        "cost_comb": (state_rewards(trace_comb, cost_comb, "end") * discount).sum(axis=1),
        "ly_mono": state_rewards(trace_mono, ALIVE, "end").sum(axis=1),
        "ly_comb": state_rewards(trace_comb, ALIVE, "end").sum(axis=1),
    }


def test_case_1_hiv_chancellor_briggs_example_2_5():
    """HIV monotherapy vs combination therapy.

    Model: Chancellor JV, Hill AM, Sabin CA, Simpson KN, Youle M (1997), Modelling the cost
    effectiveness of lamivudine/zidovudine combination therapy in HIV infection,
    PharmacoEconomics 12(1):54-66; as reproduced in Briggs A, Claxton K, Sculpher M (2006),
    Decision Modelling for Health Economic Evaluation, Example 2.5. The digits asserted are
    those printed in the test suite of the R package heemod (Filipović-Pierucci A, Zarca K,
    Durand-Zaleski I; test_dmhee.R).

    Conventions: 20 yearly cycles, one person starting in A, "end" (cycle t counted with trace
    row t), costs discounted 6 % with first = TRUE (cycle t divided by 1.06^t), life years
    undiscounted. rr = 0.509 on transitions to worse states in cycles 1-2.
    """
    r = _hiv_case_1()
    assert r["cost_mono"][0] == pytest.approx(44663.4535637, rel=1e-8)
    assert r["cost_comb"][0] == pytest.approx(50601.6513312, rel=1e-8)
    assert r["ly_mono"][0] == pytest.approx(7.9912066, rel=1e-8)
    assert r["ly_comb"][0] == pytest.approx(8.9373889, rel=1e-8)
    icer = (r["cost_comb"][0] - r["cost_mono"][0]) / (r["ly_comb"][0] - r["ly_mono"][0])
    assert icer == pytest.approx(6275.95560, rel=1e-8)


def test_case_2_hiv_homogeneous_heemod_vignette():
    """The simplified homogeneous HIV model of the heemod vignette "c_homogeneous"
    (Filipović-Pierucci, Zarca, Durand-Zaleski), after Chancellor et al. (1997) and Briggs,
    Claxton & Sculpher (2006).

    Conventions: 50 yearly cycles, 1000 persons start in A, "life-table" correction (cycle t
    counted with the mean of rows t-1 and t), costs discounted 6 % with first = FALSE
    (cycle t divided by 1.06^(t-1)), life years undiscounted. rr = 0.509 in every cycle.
    """
    n_cycles = 50
    mono = np.array(
        [
            [0.721, 0.202, 0.067, 0.010],
            [0.0, 0.581, 0.407, 0.012],
            [0.0, 0.0, 0.750, 0.250],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )[None]
    comb = relative_risk_matrices(mono, [0.509], HIV_WORSE, n_cycles)
    start = np.array([[1000.0, 0.0, 0.0, 0.0]])
    discount = cycle_discount_weights(0.06, n_cycles, first=False)

    def arm(transitions: np.ndarray, drug_cost: float) -> tuple[float, float, float]:
        trace = cohort_trace(transitions, start, n_cycles)
        drugs = np.array([[drug_cost, drug_cost, drug_cost, 0.0]])
        health = (state_rewards(trace, HIV_HEALTH_COSTS[None], "life-table") * discount).sum()
        drug = (state_rewards(trace, drugs, "life-table") * discount).sum()
        life_years = state_rewards(trace, ALIVE, "life-table").sum()
        return float(health), float(drug), float(life_years)

    health_m, drugs_m, ly_m = arm(mono, 2278.0)
    health_c, drugs_c, ly_c = arm(comb, 2278.0 + 2086.0)

    assert health_m == pytest.approx(33891136, rel=1e-6)
    assert drugs_m == pytest.approx(14870957, rel=1e-6)
    assert health_m + drugs_m == pytest.approx(48762093, rel=1e-6)
    assert ly_m == pytest.approx(8585.843, rel=1e-6)
    assert health_c == pytest.approx(48739757, rel=1e-6)
    assert drugs_c == pytest.approx(44245091, rel=1e-6)
    assert health_c + drugs_c == pytest.approx(92984848, rel=1e-6)
    assert ly_c == pytest.approx(17256.937, rel=1e-6)

    cost_difference = (health_c + drugs_c - health_m - drugs_m) / 1000
    ly_difference = (ly_c - ly_m) / 1000
    assert cost_difference == pytest.approx(44222.75, rel=1e-6)
    assert ly_difference == pytest.approx(8.671094, rel=1e-6)
    assert cost_difference / ly_difference == pytest.approx(5100.02, rel=1e-6)


# Case 3 -------------------------------------------------------------------------------

THR_CYCLES = 61
THR_START = np.array([[1.0, 0.0, 0.0, 0.0, 0.0]])
# PrimaryTHR, SuccessP, RevisionTHR, SuccessR, Death; the column taking each row's rest ("C")
PRIMARY, SUCCESS_P, REVISION, SUCCESS_R, DEATH = range(5)
THR_COMPLEMENT = [SUCCESS_P, SUCCESS_P, SUCCESS_R, SUCCESS_R, DEATH]


def _thr_matrices(np1: bool) -> np.ndarray:
    """Cycle-indexed matrices [1, 61, 5, 5] of the hip-replacement model (female, sex = 0)."""
    sex = 0.0
    t = np.arange(1, THR_CYCLES + 1, dtype=float)  # cycle t uses index t - 1
    age = 60.0 + t
    lam = np.exp(-5.490935 - 0.0367022 * 60.0 + 0.768536 * sex)
    gamma = np.exp(0.3740968)
    rr_np1 = np.exp(-1.344474)
    standard_rr = 1.0 - np.exp(lam * ((t - 1.0) ** gamma - t**gamma))
    np1_rr = 1.0 - np.exp(lam * rr_np1 * ((t - 1.0) ** gamma - t**gamma))
    # background mortality per 1000 (female column), the band with the largest age <= age
    mr = step_lookup([35, 45, 55, 65, 75, 85], [0.99, 2.6, 6.7, 19.3, 53.5, 154.8], age) / 1000
    omr_pthr = omr_rthr = 0.02
    rrr = 0.04

    p = np.zeros((1, THR_CYCLES, 5, 5))
    p[0, :, PRIMARY, DEATH] = omr_pthr
    p[0, :, SUCCESS_P, REVISION] = np1_rr if np1 else standard_rr
    p[0, :, SUCCESS_P, DEATH] = mr
    p[0, :, REVISION, DEATH] = omr_rthr + mr
    p[0, :, SUCCESS_R, REVISION] = rrr
    p[0, :, SUCCESS_R, DEATH] = mr
    return fill_complement(p, THR_COMPLEMENT)


def _thr_arm(np1: bool) -> tuple[np.ndarray, float, float]:
    trace = cohort_trace(_thr_matrices(np1), THR_START, THR_CYCLES)
    costs = np.array([[579.0 if np1 else 394.0, 0.0, 5294.0, 0.0, 0.0]])
    utilities = np.array([[0.0, 0.85, 0.30, 0.75, 0.0]])
    cost = state_rewards(trace, costs, "beginning") * cycle_discount_weights(
        0.06, THR_CYCLES, first=False
    )
    qaly = state_rewards(trace, utilities, "beginning") * cycle_discount_weights(
        0.015, THR_CYCLES, first=False
    )
    return trace, float(cost.sum()), float(qaly.sum())


def test_case_3_total_hip_replacement_briggs_example_3_5():
    """Total hip replacement, standard prosthesis vs NP1.

    Model: Briggs A, Claxton K, Sculpher M (2006), Decision Modelling for Health Economic
    Evaluation, Example 3.5; the digits asserted are those of the R package heemod's test
    suite (Filipović-Pierucci, Zarca, Durand-Zaleski; test_dmhee.R), which uses 61 cycles.

    Conventions: 61 yearly cycles, "beginning" (cycle t counted with trace row t-1, so rows
    0-60), age = 60 + t in cycle t (the matrix moving row t-1 to row t), background mortality
    looked up per 1000 by the largest band age <= age, costs discounted 6 % and QALYs 1.5 %,
    both with first = FALSE (cycle t divided by (1+r)^(t-1)).
    """
    _, cost_std, qaly_std = _thr_arm(np1=False)
    _, cost_np1, qaly_np1 = _thr_arm(np1=True)
    assert cost_std == pytest.approx(512.434658, rel=1e-8)
    assert qaly_std == pytest.approx(14.6531896, rel=1e-8)
    assert cost_np1 == pytest.approx(610.311818, rel=1e-8)
    assert qaly_np1 == pytest.approx(14.69770986, rel=1e-8)
    assert (cost_np1 - cost_std) / (qaly_np1 - qaly_std) == pytest.approx(2198.486665, rel=1e-8)


def test_case_3_occupancy_rows():
    """Occupancy of the standard arm (SuccessP, RevisionTHR, SuccessR, Death) as printed by
    heemod. heemod numbers the rows from 1 with row 1 = the start, so its rows 2, 3 and 9 are
    trace rows 1, 2 and 8 here. Tolerance: half a unit in the last printed decimal."""
    trace, _, _ = _thr_arm(np1=False)
    states = [SUCCESS_P, REVISION, SUCCESS_R, DEATH]
    assert trace[0, 1, states] == pytest.approx([0.98, 0.0, 0.0, 0.02], rel=1e-12, abs=1e-15)
    assert trace[0, 2, states] == pytest.approx(
        [0.9726572, 0.0007768, 0.0, 0.026566], rel=0, abs=5e-8
    )
    assert trace[0, 8, states] == pytest.approx(
        [0.88040225, 0.00168398, 0.00618146, 0.11173231], rel=0, abs=5e-9
    )
    assert trace[0, :, PRIMARY][1:] == pytest.approx(0.0, abs=0)
    assert trace.sum(axis=2) == pytest.approx(1.0, rel=1e-12)


# Engine contracts ------------------------------------------------------------------------


def test_identical_draws_give_identical_results():
    """Three identical draws run in one vectorised call give the same numbers per draw."""
    r = _hiv_case_1(n_draws=3)
    for key, values in r.items():
        assert values.shape == (3,), key
        assert np.array_equal(values, np.full(3, values[0])), key
    single = _hiv_case_1(n_draws=1)
    for key in r:
        assert r[key][0] == pytest.approx(single[key][0], rel=1e-14)


def test_different_draws_match_separate_runs():
    """A batch of different draws gives what each draw gives on its own."""
    rng = np.random.default_rng(7)
    n_draws, n_states, n_cycles = 4, 3, 6
    raw = rng.random((n_draws, n_cycles, n_states, n_states))
    p = raw / raw.sum(axis=-1, keepdims=True)
    start = rng.random((n_draws, n_states))
    rewards = rng.random((n_draws, n_cycles, n_states))
    batch = state_rewards(cohort_trace(p, start, n_cycles), rewards, "life-table")
    for d in range(n_draws):
        alone = state_rewards(
            cohort_trace(p[d : d + 1], start[d : d + 1], n_cycles), rewards[d : d + 1], "life-table"
        )
        assert batch[d] == pytest.approx(alone[0], rel=1e-14)


def test_rows_not_summing_to_one_raise_clear_error():
    p = np.tile(np.array([[0.9, 0.1], [0.0, 1.0]]), (2, 4, 1, 1))  # [D=2, T=4, 2, 2]
    p[1, 2, 0] = [0.9, 0.2]  # draw 1, cycle 3, row 0 sums to 1.1
    with pytest.raises(ValueError, match=r"draw 1, cycle 3, row 0: probabilities sum to 1\.1"):
        cohort_trace(p, np.array([[1.0, 0.0]]), 4)

    constant = np.array([[[0.5, 0.4], [0.0, 1.0]]])
    with pytest.raises(ValueError, match=r"draw 0, every cycle, row 0: .*sum to 0\.9"):
        cohort_trace(constant, np.array([[1.0, 0.0]]), 3)

    negative = np.array([[[1.2, -0.2], [0.0, 1.0]]])
    with pytest.raises(ValueError, match=r"draw 0, every cycle, row 0: entry to column 0"):
        cohort_trace(negative, np.array([[1.0, 0.0]]), 3)

    with pytest.raises(ValueError, match="cover 4 cycles, 5 are needed"):
        cohort_trace(p, np.array([[1.0, 0.0]]), 5)


def test_simpson_weights_as_published_by_darth():
    """The DARTH group's gen_wcc(method = "Simpson1/3") (darthtools; Alarid-Escudero,
    Krijkamp, Enns, Yang, Hunink, Pechlivanoglou, Jalal): 1/3 at both ends, then 2/3 at the
    first interior entry, alternating with 4/3. Written out by hand."""
    third = 1.0 / 3.0
    assert correction_weights(4, "simpson") == pytest.approx(
        [third, 2 * third, 4 * third, 2 * third, third], rel=1e-15
    )
    assert correction_weights(6, "simpson") == pytest.approx(
        [third, 2 * third, 4 * third, 2 * third, 4 * third, 2 * third, third], rel=1e-15
    )
    # any number of cycles, as the published function (issue 14): T = 5 and T = 3, by hand
    assert correction_weights(5, "simpson") == pytest.approx(
        [third, 2 * third, 4 * third, 2 * third, 4 * third, third], rel=1e-15
    )
    assert correction_weights(3, "simpson") == pytest.approx(
        [third, 2 * third, 4 * third, third], rel=1e-15
    )
    assert correction_weights(5, "simpson").sum() == pytest.approx(5 - third)
    # the per-cycle allocation keeps the published row weights
    assert cycle_allocation(6, "simpson").sum(axis=0) == pytest.approx(
        correction_weights(6, "simpson"), rel=1e-15
    )


def test_other_correction_weights():
    assert correction_weights(3, "beginning").tolist() == [1.0, 1.0, 1.0, 0.0]
    assert correction_weights(3, "end").tolist() == [0.0, 1.0, 1.0, 1.0]
    assert correction_weights(3, "life-table").tolist() == [0.5, 1.0, 1.0, 0.5]
    assert correction_weights(3, "half-cycle").tolist() == [0.5, 1.0, 1.0, 0.5]
    for method in ("beginning", "end", "life-table"):
        assert cycle_allocation(3, method).sum(axis=0) == pytest.approx(
            correction_weights(3, method)
        )
    with pytest.raises(ValueError, match="unknown within-cycle correction"):
        correction_weights(3, "trapezoid")  # type: ignore[arg-type]


def test_life_table_is_mean_of_adjacent_rows():
    rng = np.random.default_rng(3)
    trace = rng.random((2, 8, 3))  # [D, T+1, S]
    expected = (trace[:, :-1] + trace[:, 1:]) / 2
    assert cycle_occupancy(trace, "life-table") == pytest.approx(expected, rel=1e-15)
    assert cycle_occupancy(trace, "half-cycle") == pytest.approx(expected, rel=1e-15)
    assert cycle_occupancy(trace, "beginning") == pytest.approx(trace[:, :-1], rel=1e-15)
    assert cycle_occupancy(trace, "end") == pytest.approx(trace[:, 1:], rel=1e-15)
    # totals: life-table weights 1/2, 1, …, 1, 1/2 over the rows
    total = np.einsum("k,dks->ds", correction_weights(7, "life-table"), trace)
    assert cycle_occupancy(trace, "life-table").sum(axis=1) == pytest.approx(total, rel=1e-14)


def test_transition_rewards_on_flows():
    """A one-off reward per person moving 0 → 1: 100 people, 10 % move each cycle."""
    p = np.array([[[0.9, 0.1], [0.0, 1.0]]])
    trace = cohort_trace(p, np.array([[100.0, 0.0]]), 3)
    one_off = np.array([[[0.0, 50.0], [0.0, 0.0]]])
    # movers: 10, 9, 8.1
    assert transition_rewards(trace, p, one_off)[0] == pytest.approx([500.0, 450.0, 405.0])
    by_cycle = np.zeros((1, 3, 2, 2))
    by_cycle[0, :, 0, 1] = [50.0, 0.0, 10.0]
    assert transition_rewards(trace, p, by_cycle)[0] == pytest.approx([500.0, 0.0, 81.0])


def test_discount_weights_and_cycle_length():
    assert cycle_discount_weights(0.06, 3, first=True) == pytest.approx(
        [1 / 1.06, 1 / 1.06**2, 1 / 1.06**3]
    )
    assert cycle_discount_weights(0.06, 3, first=False) == pytest.approx(
        [1.0, 1 / 1.06, 1 / 1.06**2]
    )
    monthly = cycle_discount_weights(0.03, 24, first=True, cycles_per_year=12)
    assert monthly[11] == pytest.approx(1 / 1.03, rel=1e-14)
    assert monthly[23] == pytest.approx(1 / 1.03**2, rel=1e-14)
    weekly = cycle_discount_weights(0.03, 52, first=False, cycles_per_year=52)
    assert weekly[0] == 1.0
    assert weekly[-1] == pytest.approx(1.03 ** (-51 / 52), rel=1e-14)
    per_draw = cycle_discount_weights(np.array([0.0, 0.06]), 2, first=True)
    assert per_draw.shape == (2, 2)
    assert per_draw[0] == pytest.approx([1.0, 1.0])


def test_relative_risks_for_a_limited_duration():
    base = np.array([[[0.7, 0.2, 0.1], [0.0, 0.6, 0.4], [0.0, 0.0, 1.0]]])
    p = relative_risk_matrices(base, [[0.5, 2.0]], [(0, 1), (1, 2)], 4, duration=2)
    assert p.shape == (1, 4, 3, 3)
    assert p[0, 0] == pytest.approx(np.array([[0.8, 0.1, 0.1], [0.0, 0.2, 0.8], [0.0, 0.0, 1.0]]))
    assert p[0, 1] == pytest.approx(p[0, 0])
    assert p[0, 2] == pytest.approx(base[0])
    assert p[0, 3] == pytest.approx(base[0])
    # a named complement cell that is not on the diagonal
    q = relative_risk_matrices(base, [0.5], [(0, 2)], 1, complement=[1, 1, 2])
    assert q[0, 0, 0] == pytest.approx([0.7, 0.25, 0.05])
    with pytest.raises(ValueError, match="also its row's complement"):
        relative_risk_matrices(base, [0.5], [(0, 0)], 1)
    assert as_cycle_indexed(base, 5).shape == (1, 5, 3, 3)


def test_step_lookup_takes_the_largest_break_not_above():
    ages = [35, 45, 55, 65, 75, 85]
    per_1000 = [0.99, 2.6, 6.7, 19.3, 53.5, 154.8]
    assert step_lookup(ages, per_1000, [35, 61, 64, 65, 66, 100]) == pytest.approx(
        [0.99, 6.7, 6.7, 19.3, 19.3, 154.8]
    )
    by_draw = step_lookup(ages, np.array([per_1000, [1.51, 3.93, 10.9, 31.6, 80.1, 187.9]]), [70])
    assert by_draw.shape == (2, 1)
    assert by_draw[:, 0] == pytest.approx([19.3, 31.6])
    with pytest.raises(ValueError, match="below the first break"):
        step_lookup(ages, per_1000, [30])
