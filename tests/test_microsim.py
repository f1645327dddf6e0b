"""The individual-level microsimulation (engine.microsim) against the cohort engine, hand-worked
paths and its own contracts (seeds, common random numbers, validation).

Statistical checks use fixed seeds and explicit bounds: a share estimated from n independent
individuals is within 4 standard errors, 4 · sqrt(p (1 − p) / n), of its expectation.
"""

from __future__ import annotations

import numpy as np
import pytest

from socialinvest.engine import microsim as ms
from socialinvest.engine.markov import (
    cohort_trace,
    cycle_discount_weights,
    relative_risk_matrices,
    state_rewards,
)

# A five-state model: 0 cash benefit, 1 education, 2 job, 3 sick leave, 4 disability pension
# (absorbing). Zeros are impossible transitions.
P5 = np.array(
    [
        [0.80, 0.08, 0.10, 0.02, 0.00],
        [0.10, 0.75, 0.15, 0.00, 0.00],
        [0.05, 0.02, 0.90, 0.03, 0.00],
        [0.15, 0.00, 0.10, 0.70, 0.05],
        [0.00, 0.00, 0.00, 0.00, 1.00],
    ]
)
START5 = np.array([[0.6, 0.1, 0.1, 0.2, 0.0]])
EPS = 1e-12


def _assert_converges(paths: np.ndarray, trace: np.ndarray) -> None:
    """Every draw, column and state: |share − trace| ≤ 4 · sqrt(p (1 − p) / N) + EPS."""
    n_people = paths.shape[1]
    share = ms.occupancy(paths, trace.shape[-1]) / n_people
    bound = 4.0 * np.sqrt(trace * (1.0 - trace) / n_people) + EPS
    excess = np.abs(share - trace) - bound
    assert (excess <= 0).all(), f"worst excess over the bound: {excess.max()}"


# ------------------------------------------------------------------ convergence to the cohort


def test_mean_occupancy_converges_to_cohort_trace_constant_matrix() -> None:
    # two draws with different matrices (the second P5 perturbed, zeros kept)
    rng = np.random.default_rng(11)
    p2 = P5 * rng.uniform(0.7, 1.3, P5.shape)
    p2 /= p2.sum(axis=1, keepdims=True)
    transitions = np.stack([P5, p2])
    start = np.repeat(START5, 2, axis=0)
    n_cycles = 20
    paths = ms.simulate(
        transitions, ms.random_streams(1, 2, 20_000, n_cycles), start_probabilities=start
    )
    _assert_converges(paths, cohort_trace(transitions, start, n_cycles))


def test_mean_occupancy_converges_to_cohort_trace_cycle_indexed() -> None:
    # the intervention raises benefit → job and sick leave → job in cycles 1–8 only
    n_cycles = 24
    arm = relative_risk_matrices(
        np.stack([P5, P5]), np.array([1.8, 1.3]), [(0, 2), (3, 2)], n_cycles, duration=8
    )
    start = np.repeat(START5, 2, axis=0)
    paths = ms.simulate(arm, ms.random_streams(2, 2, 20_000, n_cycles), start_probabilities=start)
    trace = cohort_trace(arm, start, n_cycles)
    _assert_converges(paths, trace)
    # impossible transitions never happen: nobody moves education → sick leave, say
    assert not ((paths[:, :, :-1] == 1) & (paths[:, :, 1:] == 3)).any()
    assert not ((paths[:, :, :-1] == 4) & (paths[:, :, 1:] != 4)).any()  # absorbing


def test_start_states_given_or_sampled() -> None:
    n_people = 20_000
    streams = ms.random_streams(3, 1, n_people, 2)
    sampled = ms.simulate(P5[None], streams, start_probabilities=START5)[0, :, 0]
    counts = np.bincount(sampled, minlength=5) / n_people
    p = START5[0]
    assert (np.abs(counts - p) <= 4 * np.sqrt(p * (1 - p) / n_people) + EPS).all()

    given = np.arange(n_people) % 4
    paths = ms.simulate(P5[None], streams, start_states=given)
    assert np.array_equal(paths[0, :, 0], given)
    per_draw = np.stack([given, 3 - given])  # [D, N]
    paths2 = ms.simulate(P5[None], ms.random_streams(3, 2, n_people, 2), start_states=per_draw)
    assert np.array_equal(paths2[:, :, 0], per_draw)


def test_next_state_rule_by_hand() -> None:
    # 2 states; from 0: [0.3, 0.7] (cumulative 0.3, 1), from 1: [0.6, 0.4] (cumulative 0.6, 1).
    # Next state = number of cumulative entries ≤ u.
    p = np.array([[[0.3, 0.7], [0.6, 0.4]]])
    u = np.array([[[0.99, 0.30, 0.59, 0.60, 0.0, 0.29]]])  # u[..., 0] unused (start given)
    paths = ms.simulate(p, u, start_states=np.array([0]))
    # 0 →(0.30 ≥ 0.3) 1 →(0.59 < 0.6) 0 →(0.60 ≥ 0.3) 1 →(0.0 < 0.6) 0 →(0.29 < 0.3) 0
    assert paths.tolist() == [[[0, 1, 0, 1, 0, 0]]]
    assert paths.dtype == np.uint8


def test_rounding_in_cumulative_sum_never_selects_an_impossible_state() -> None:
    # 0.7 + 0.2 + 0.1 is 0.9999999999999999 in floating point; the largest u below 1 must not
    # reach the last state, whose probability is 0
    p = np.array([[[0.7, 0.2, 0.1, 0.0]] * 4])
    u_top = np.nextafter(1.0, 0.0)
    assert u_top == 0.7 + 0.2 + 0.1  # the cumulative sum itself, ≤ u
    paths = ms.simulate(p, np.full((1, 3, 3), u_top), start_states=np.array([0, 1, 2]))
    assert (paths[:, :, 1:] == 2).all()


# ------------------------------------------------------------------ common random numbers


def test_identical_arms_give_identical_paths() -> None:
    streams = ms.random_streams(4, 3, 500, 30)
    a = ms.simulate(np.stack([P5] * 3), streams, start_probabilities=START5)
    b = ms.simulate(P5[None].copy(), streams, start_probabilities=START5)
    assert np.array_equal(a, b)


def test_monotone_coupling_two_states() -> None:
    """States 0 = out of work, 1 = job. Rows: from 0 [1 − a, a], from 1 [b, 1 − b]; the
    intervention lowers job loss b to b' = 0.6 b. Under the common uniform u the next state is
    job iff u ≥ P(→ out) of the current row. If a + b' ≤ 1 (someone in a job is at least as
    likely to be in a job next cycle as someone out of work, in either arm), then by induction
    on t the intervention arm is in a job whenever the comparator is:
    * both in job: comparator stays iff u ≥ b, which implies u ≥ b';
    * both out: the same row in both arms, the same next state;
    * comparator out, intervention in job: comparator finds a job iff u ≥ 1 − a ≥ b'.
    So the intervention path dominates the comparator path for every person and cycle."""
    rng = np.random.default_rng(5)
    n_draws = 50
    a = rng.uniform(0.05, 0.5, n_draws)
    b = rng.uniform(0.02, 0.5, n_draws)

    def arm(loss: np.ndarray) -> np.ndarray:
        return np.stack([np.stack([1 - a, a], -1), np.stack([loss, 1 - loss], -1)], axis=1)

    streams = ms.random_streams(6, n_draws, 400, 52)
    start = np.tile([[0.7, 0.3]], (n_draws, 1))
    comparator = ms.simulate(arm(b), streams, start_probabilities=start)
    intervention = ms.simulate(arm(0.6 * b), streams, start_probabilities=start)
    assert (intervention >= comparator).all()
    assert (intervention > comparator).any()


def test_common_random_numbers_reduce_variance_of_arm_difference() -> None:
    """200 draws with the same parameters (so only inner randomness varies), 500 people, 52
    weeks; the intervention lowers job → benefit by 20 %. The variance over draws of the
    difference in mean weeks in education or job is at most 0.2 × its variance with
    independent numbers per arm (observed ≈ 0.035 across seeds; the margin allows ~6×)."""
    n_draws, n_people, n_cycles = 200, 500, 52
    intervention = relative_risk_matrices(P5[None], np.array([0.8]), [(2, 0)], n_cycles)
    start = np.array([[1.0, 0, 0, 0, 0]])
    common = ms.random_streams(7, n_draws, n_people, n_cycles)
    other = ms.random_streams(8, n_draws, n_people, n_cycles)

    def weeks(p: np.ndarray, streams: ms.RandomStreams) -> np.ndarray:
        paths = ms.simulate(p, streams, start_probabilities=start)
        return ms.time_in_states(paths, [1, 2]).mean(axis=1)

    base = weeks(P5[None], common)
    crn = weeks(intervention, common) - base
    independent = weeks(intervention, other) - base
    assert crn.mean() > 0
    assert crn.var(ddof=1) <= 0.2 * independent.var(ddof=1)


# --------------------------------------------------------------------------- seeds, streams


def test_same_seed_same_paths_different_seed_different_paths() -> None:
    p = np.stack([P5] * 4)  # identical matrices in every draw

    def run(seed: int) -> np.ndarray:
        return ms.simulate(p, ms.random_streams(seed, 4, 200, 20), start_probabilities=START5)

    first, again, other = run(9), run(9), run(10)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    # identical matrices but independent streams per draw: every pair of draws differs
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.array_equal(first[i], first[j])


def test_seed_splitting_chunks_and_horizon() -> None:
    root = np.random.SeedSequence(12345)
    streams = ms.random_streams(root, 6, 50, 10)
    children = np.random.SeedSequence(12345).spawn(6)
    for d in range(6):
        assert streams.draw_seed(d).generate_state(4).tolist() == (
            children[d].generate_state(4).tolist()
        )
    # u[d, i, t] is element (t, i) of a [T + 1, N] block of draw d's default generator
    block = np.random.default_rng(children[2]).random((11, 50))
    u = streams.uniforms()
    assert u.shape == (6, 50, 11)
    assert np.array_equal(u[2], block.T)

    whole = ms.simulate(P5[None], streams, start_probabilities=START5)
    pieces = [ms.simulate(P5[None], c, start_probabilities=START5) for c in streams.chunks(4)]
    assert [c.shape[0] for c in pieces] == [4, 2]
    assert np.array_equal(np.concatenate(pieces), whole)
    assert np.array_equal(ms.simulate(P5[None], u, start_probabilities=START5), whole)
    # a longer horizon keeps the first ten cycles of every path
    longer = ms.simulate(P5[None], ms.random_streams(root, 6, 50, 25), start_probabilities=START5)
    assert np.array_equal(longer[:, :, :11], whole)


def test_generator_and_uniforms_helper_are_reproducible() -> None:
    a = ms.random_streams(np.random.default_rng(3), 2, 10, 5).uniforms()
    b = ms.random_streams(np.random.default_rng(3), 2, 10, 5).uniforms()
    assert np.array_equal(a, b)
    assert np.array_equal(ms.uniforms(77, 2, 10, 5), ms.random_streams(77, 2, 10, 5).uniforms())
    assert ((a >= 0) & (a < 1)).all()


def test_path_dtype() -> None:
    assert ms.path_dtype(5) == np.uint8
    assert ms.path_dtype(256) == np.uint8
    assert ms.path_dtype(300) == np.int16
    assert ms.path_dtype(40_000) == np.int32
    p = np.full((1, 300, 300), 1 / 300)
    paths = ms.simulate(p, ms.random_streams(1, 1, 100, 3), start_states=np.arange(100))
    assert paths.dtype == np.int16
    assert paths.max() >= 256  # states beyond uint8 occur


# -------------------------------------------------------------- path outcomes on hand paths

# One draw, three people, columns 0 … 8. State 2 = job, 1 = education, 0 = benefit.
HAND = np.array(
    [
        [
            [0, 2, 2, 1, 2, 0, 2, 2, 2],
            [2, 2, 2, 2, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0, 1],
        ]
    ],
    dtype=np.uint8,
)


def test_time_in_states_windows() -> None:
    # default window = columns 1 … 8
    assert ms.time_in_states(HAND, [2]).tolist() == [[6, 3, 0]]
    assert ms.time_in_states(HAND, [1, 2]).tolist() == [[7, 3, 1]]
    # columns 1 … 4 ("weeks 1–4", end convention)
    assert ms.time_in_states(HAND, [1, 2], first=1, last=4).tolist() == [[4, 3, 0]]
    # beginning convention for cycles 1 … 4 = columns 0 … 3
    assert ms.time_in_states(HAND, 2, first=0, last=3).tolist() == [[2, 4, 0]]
    with pytest.raises(ValueError, match="window"):
        ms.time_in_states(HAND, 2, first=3, last=9)


def test_consecutive_runs() -> None:
    reached, when = ms.consecutive(HAND, [2], 3)
    assert reached.tolist() == [[True, True, False]]
    assert when.tolist() == [[8, 3, ms.NEVER]]  # person 1: columns 1, 2, 3 (column 0 outside)
    # education and job together: person 0 is in the set in columns 1–4
    reached, when = ms.consecutive(HAND, [1, 2], 4)
    assert when.tolist() == [[4, -1, -1]]  # person 1's run in columns 1–3 is too short
    # including the start column, person 1's run of 4 ends at column 3
    _, when = ms.consecutive(HAND, [2], 4, first=0)
    assert when.tolist() == [[-1, 3, -1]]
    # a window cutting the run: columns 5 … 7 hold only two job columns for person 0
    reached, _ = ms.consecutive(HAND, [2], 3, first=5, last=7)
    assert reached.tolist() == [[False, False, False]]
    _, when = ms.consecutive(HAND, [2], 1, first=5)
    assert when.tolist() == [[6, -1, -1]]
    with pytest.raises(ValueError, match="k must"):
        ms.consecutive(HAND, [2], 0)


def test_first_entry_and_state_at() -> None:
    assert ms.first_entry(HAND, [2]).tolist() == [[1, 0, -1]]
    assert ms.first_entry(HAND, [2], from_outside=True).tolist() == [[1, -1, -1]]
    assert ms.first_entry(HAND, [2], first=3, from_outside=True).tolist() == [[4, -1, -1]]
    assert ms.first_entry(HAND, 0, first=2).tolist() == [[5, 4, 2]]
    assert ms.state_at(HAND, 4).tolist() == [[2, 0, 0]]
    assert ms.in_states(HAND, [1])[0, 2].tolist() == [False] * 8 + [True]
    with pytest.raises(ValueError, match="column"):
        ms.state_at(HAND, 9)
    with pytest.raises(ValueError, match="negative"):
        ms.time_in_states(HAND.astype(np.int16) - 1, [2])


def test_occupancy_and_rewards_by_hand() -> None:
    occ = ms.occupancy(HAND, 3)
    assert occ.shape == (1, 9, 3)
    assert occ[0, 0].tolist() == [2, 0, 1]
    assert occ[0, 8].tolist() == [1, 1, 1]
    assert (occ.sum(axis=-1) == 3).all()

    rewards = np.array([[10.0, 3.0, 0.0]])  # e.g. benefit cost per cycle by state
    # end: cycles 1 … 8 in columns 1 … 8; person 0 has benefit in column 5, education in 3
    assert ms.individual_rewards(HAND, rewards, "end").tolist() == [[13.0, 50.0, 73.0]]
    # beginning: columns 0 … 7
    assert ms.individual_rewards(HAND, rewards, "beginning").tolist() == [[23.0, 40.0, 80.0]]
    w = cycle_discount_weights(0.1, 8, first=True)
    expected = 10 * w[0] + 3 * w[3] + 10 * w[5]  # person 0: columns 0, 3, 5 = cycles 1, 4, 6
    got = ms.individual_rewards(HAND, rewards, "beginning", weights=w)
    assert got[0, 0] == pytest.approx(expected, rel=1e-14)

    per_cycle = ms.cycle_rewards(HAND, rewards, "end")
    assert per_cycle.shape == (1, 8)
    assert per_cycle.sum() == pytest.approx(13 + 50 + 73)
    # cycle-indexed rewards: the value changes in cycle 5
    r_t = np.repeat(rewards[:, None], 8, axis=1)
    r_t[:, 4:] *= 2
    assert ms.individual_rewards(HAND, r_t, "end").tolist() == [[23.0, 90.0, 106.0]]
    with pytest.raises(ValueError, match="'beginning' or 'end'"):
        ms.individual_rewards(HAND, rewards, "life-table")  # type: ignore[arg-type]


def test_rewards_agree_with_cohort_engine() -> None:
    n_cycles = 12
    streams = ms.random_streams(13, 2, 3000, n_cycles)
    p = np.stack([P5, P5])
    paths = ms.simulate(p, streams, start_probabilities=START5)
    rewards = np.array([[5.0, 2.0, -1.0, 4.0, 8.0], [1.0, 1.0, 1.0, 1.0, 0.0]])
    for method in ("end", "beginning"):
        occ = ms.occupancy(paths, 5).astype(float)
        per_cycle = ms.cycle_rewards(paths, rewards, method)
        np.testing.assert_allclose(per_cycle, state_rewards(occ, rewards, method), rtol=1e-12)
        person = ms.individual_rewards(paths, rewards, method)
        np.testing.assert_allclose(person.sum(axis=1), per_cycle.sum(axis=1), rtol=1e-12)


# ------------------------------------------------------------------------------- validation


def test_invalid_inputs_raise_clear_errors() -> None:
    streams = ms.random_streams(1, 2, 10, 5)
    bad_row = P5.copy()
    bad_row[1, 1] = 0.5
    with pytest.raises(ValueError, match="row 1: probabilities sum to"):
        ms.simulate(bad_row[None], streams, start_probabilities=START5)
    negative = P5.copy()
    negative[0, :2] = [1.1, -0.1 + 0.08]
    with pytest.raises(ValueError, match="must be a probability"):
        ms.simulate(negative[None], streams, start_probabilities=START5)
    with pytest.raises(ValueError, match="shape"):
        ms.simulate(P5, streams, start_probabilities=START5)
    with pytest.raises(ValueError, match="3 draws"):
        ms.simulate(np.stack([P5] * 3), streams, start_probabilities=START5)
    with pytest.raises(ValueError, match="cover 4 cycles"):
        ms.simulate(np.stack([P5] * 4)[None], streams, start_probabilities=START5)
    with pytest.raises(ValueError, match="exactly one"):
        ms.simulate(P5[None], streams)
    with pytest.raises(ValueError, match="exactly one"):
        ms.simulate(P5[None], streams, start_probabilities=START5, start_states=np.zeros(10, int))
    with pytest.raises(ValueError, match="sum to 1"):
        ms.simulate(P5[None], streams, start_probabilities=START5 * 0.5)
    with pytest.raises(ValueError, match="lie in 0"):
        ms.simulate(P5[None], streams, start_states=np.full(10, 5))
    with pytest.raises(ValueError, match="integer"):
        ms.simulate(P5[None], streams, start_states=np.zeros(10))
    u = streams.uniforms()
    u[1, 3, 2] = 1.0
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ms.simulate(P5[None], u, start_probabilities=START5)
    with pytest.raises(ValueError, match="explicit seed"):
        ms.random_streams(None, 1, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_individuals"):
        ms.random_streams(1, 1, 0, 1)
