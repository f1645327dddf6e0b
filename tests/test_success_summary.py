"""The success-rate summary computed without [draw, actor, area, year] arrays
(engine.success_summary, issue 10) against the three-step path it replaces
(success_rate_flows → appraise_flows → summarise), on every success-rate example at a fixed
seed and on hand-made inputs with cancelling flows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from socialinvest import load_case
from socialinvest.engine.appraisal import appraise_flows
from socialinvest.engine.discounting import discount_factors
from socialinvest.engine.success_rate import SuccessRateInputs, success_rate_flows
from socialinvest.engine.success_summary import success_rate_summary
from socialinvest.engine.summary import Summary, summarise
from socialinvest.knowledge.base import default_knowledge_base
from socialinvest.runner import LoadedCase, Prepared, draw_arrays, prepare_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SUCCESS_RATE = [
    "impact60-uncertain.yaml",
    "impact60-job-education.yaml",
    "mst-young-offenders.yaml",
    "housing-first-young-homeless.yaml",
    "family-treatment-placements.yaml",
]
FIELDS = [
    "gains_mean",
    "costs_mean",
    "discounted_net_mean",
    "npv",
    "discounted_gains",
    "discounted_costs",
    "gains_per_effect",
    "additional_successes",
    "baseline",
    "effect",
]


def three_step(
    inputs: SuccessRateInputs, dg: np.ndarray, dc: np.ndarray, base: np.ndarray
) -> Summary:
    flows = success_rate_flows(inputs)
    return summarise(flows, appraise_flows(flows, dg, dc), base, inputs.effect)


def assert_same(new: Summary, old: Summary) -> None:
    assert new.draws == old.draws
    # relative to the size of the flows behind each figure (an NPV can be ~0 by cancellation)
    scale = max(np.abs(old.discounted_gains).max(), np.abs(old.discounted_costs).max(), 1.0)
    for name in FIELDS:
        a, b = getattr(new, name), getattr(old, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * scale, err_msg=name)
    np.testing.assert_array_equal(new.active, old.active)
    np.testing.assert_array_equal(new.break_even, old.break_even)
    np.testing.assert_array_equal(new.break_even_total, old.break_even_total)


@pytest.mark.parametrize("name", SUCCESS_RATE)
def test_examples_at_a_fixed_seed(name: str) -> None:
    loaded = LoadedCase.of(load_case(EXAMPLES / name))
    prepared = prepare_model(loaded, default_knowledge_base())
    if not isinstance(prepared, Prepared):
        pytest.skip("not a success-rate case")
    n_years = prepared.constants["n_years"]
    meta = prepared.meta
    convention = meta["discounting"]["convention"]
    dc = discount_factors(meta["bands_costs"], n_years, convention)
    dg = discount_factors(meta["bands_gains"], n_years, convention)
    for n, rng in ((1, None), (700, np.random.default_rng(20261205))):
        arrays = draw_arrays(prepared, n, rng)
        inputs = prepared.inputs(arrays)
        base = prepared.baseline(arrays)
        assert_same(success_rate_summary(inputs, dg, dc, base), three_step(inputs, dg, dc, base))


def test_cancelling_flows_and_inactive_cells() -> None:
    """Two consequences in one area whose gains cancel exactly in every draw, a cost item whose
    amount is zero, an actor without any flow, and draws without effect: ``active`` must say
    what the full arrays say, not what a bound of absolute values says (nor only the first
    draws)."""
    d, years = 300, 6
    rng = np.random.default_rng(7)
    prices = np.zeros((d, 2, 3))
    prices[:, 0, 0] = 100.0
    prices[:, 1, 0] = -100.0  # cancels consequence 0 in area 0 for actor 0
    prices[:, 0, 1] = rng.uniform(10, 20, d)  # actor 1 gains in area 0
    profiles = np.ones((d, 2, 3))
    effect = rng.uniform(-0.1, 0.3, d)
    effect[:50] = 0.0
    other = np.zeros((d, 3, 3, years))
    other[290, 2, 0, 4] = 5000.0  # one cost in one late draw: found after the first block
    inputs = SuccessRateInputs(
        n_years=years,
        n_areas=3,
        cohort_year=np.array([0, 2]),
        intake=rng.uniform(10, 50, (d, 2)),
        effect=effect,
        effect_factor=rng.uniform(0.5, 1.0, d),
        timing=np.tile([0.5, 0.5], (d, 1)),
        profiles=profiles,
        drop_off=rng.uniform(0, 0.3, d),
        unit_prices=prices,
        consequence_area=np.array([0, 0]),
        participant_amount=np.stack([rng.uniform(1000, 2000, d), np.zeros(d)], axis=1),
        participant_schedule=np.array([[1.0, 0.0], [0.5, 0.5]]),
        participant_actor=np.array([0, 2]),
        participant_area=np.array([1, 2]),
        other_costs=other,
        cost_uplift=1.0 + rng.uniform(0, 0.2, d),
    )
    dg = discount_factors([(0, 0.035)], years)
    dc = discount_factors([(0, 0.02)], years, "end")
    new = success_rate_summary(inputs, dg, dc, np.zeros(d))
    assert_same(new, three_step(inputs, dg, dc, np.zeros(d)))
    # by hand: actor 0 has gains that cancel in area 0 (inactive) and costs in area 1; actor 1
    # gains in area 0; actor 2's only cost item is zero, but one draw has another cost in area 0
    expected = np.zeros((3, 3), dtype=bool)
    expected[0, 1] = expected[1, 0] = expected[2, 0] = True
    np.testing.assert_array_equal(new.active, expected)


def test_other_costs_count_only_in_draws_whose_uplift_is_not_zero() -> None:
    """A cell whose other costs are non-zero only in draws with a cost uplift of zero (optimism
    of -100 %) has no flow; one with a cost in a single late draw (after the first 256 that
    settle most cells) has."""
    d, years = 600, 4
    rng = np.random.default_rng(11)
    uplift = 1.0 + rng.uniform(0, 0.2, d)
    uplift[400:410] = 0.0
    other = np.zeros((d, 3, 2, years))
    other[400:410, 2, 1, :] = 750.0  # only where the uplift is zero: no cost after all
    other[590, 1, 1, 3] = 12.5  # one cost in one late draw
    inputs = SuccessRateInputs(
        n_years=years,
        n_areas=2,
        cohort_year=np.array([0]),
        intake=rng.uniform(10, 50, (d, 1)),
        effect=rng.uniform(0.05, 0.3, d),
        effect_factor=np.ones(d),
        timing=np.ones((d, 1)),
        profiles=np.ones((d, 1, 2)),
        drop_off=np.zeros(d),
        unit_prices=np.tile([[100.0, 0.0, 0.0]], (d, 1, 1)),  # actor 0 gains in area 0
        consequence_area=np.array([0]),
        participant_amount=np.full((d, 1), 1000.0),
        participant_schedule=np.array([[1.0]]),
        participant_actor=np.array([0]),
        participant_area=np.array([0]),
        other_costs=other,
        cost_uplift=uplift,
    )
    dg = discount_factors([(0, 0.035)], years)
    dc = discount_factors([(0, 0.035)], years)
    new = success_rate_summary(inputs, dg, dc, np.zeros(d))
    assert_same(new, three_step(inputs, dg, dc, np.zeros(d)))
    expected = np.zeros((3, 2), dtype=bool)
    expected[0, 0] = expected[1, 1] = True  # actor 0's gains and costs in area 0; the late cost
    np.testing.assert_array_equal(new.active, expected)


def test_a_chunk_appraised_in_blocks_of_draws() -> None:
    # run_arrays appraises a chunk BLOCK_DRAWS draws at a time (cache-sized blocks) and combines
    # the blocks as chunks are combined: per-draw figures the same bit for bit as the whole
    # chunk at once, means within a few ulps; both against the three-step path too.
    from socialinvest.engine.summary import expand_areas
    from socialinvest.runner import AREAS, BLOCK_DRAWS, run_arrays

    loaded = LoadedCase.of(load_case(EXAMPLES / "impact60-uncertain.yaml"))
    prepared = prepare_model(loaded, default_knowledge_base())
    n = 2 * BLOCK_DRAWS + 1234  # three blocks, the last a short one
    arrays = draw_arrays(prepared, n, np.random.default_rng(7))
    n_years = prepared.constants["n_years"]
    meta = prepared.meta
    convention = meta["discounting"]["convention"]
    dc = discount_factors(meta["bands_costs"], n_years, convention)
    dg = discount_factors(meta["bands_gains"], n_years, convention)
    inputs, base = prepared.inputs(arrays), prepared.baseline(arrays)
    areas = [AREAS.index(a) for a in prepared.constants["areas"]]
    blocked = run_arrays(prepared, arrays)
    whole = expand_areas(success_rate_summary(inputs, dg, dc, base), areas)
    assert blocked.draws == whole.draws == n
    for name in FIELDS[3:]:  # the per-draw figures
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name), err_msg=name)
    np.testing.assert_array_equal(blocked.break_even, whole.break_even)
    np.testing.assert_array_equal(blocked.active, whole.active)
    for name in FIELDS[:3]:  # the means: sums block by block
        np.testing.assert_allclose(
            getattr(blocked, name), getattr(whole, name), rtol=1e-13, atol=1e-9, err_msg=name
        )
    assert_same(blocked, expand_areas(three_step(inputs, dg, dc, base), areas))


def test_joined_takes_consecutive_rows_of_a_mapped_array_without_a_copy():
    import mmap

    from socialinvest.engine.summary import joined

    buffer = mmap.mmap(-1, 8 * 30)
    whole = np.ndarray((10, 3), np.float64, buffer=buffer)
    whole[:] = np.arange(30.0).reshape(10, 3)
    out = joined([whole[0:4], whole[4:6], whole[6:9]])
    assert np.shares_memory(out, whole)
    assert np.array_equal(out, np.arange(27.0).reshape(9, 3))
    # rows not consecutive, or in another order: copied, as np.concatenate gives them
    for parts in ([whole[0:2], whole[3:5]], [whole[4:9], whole[0:4]]):
        out = joined(parts)
        assert not np.shares_memory(out, whole)
        assert np.array_equal(out, np.concatenate(parts))
    # arrays in ordinary memory: always copied
    plain = np.arange(30.0).reshape(10, 3)
    out = joined([plain[:5], plain[5:]])
    assert not np.shares_memory(out, plain) and np.array_equal(out, plain)


def test_joined_gives_rows_of_no_cells_in_the_number_asked():
    import mmap

    from socialinvest.engine.summary import joined

    # [draws, 0]: a row holds no cells, so rows taken backwards count as contiguous
    whole = np.ndarray((10, 0), np.float64, buffer=mmap.mmap(-1, 64))
    parts = [whole[9:3:-1]]  # six rows
    out = joined(parts)
    assert out.shape == (6, 0)  # np.concatenate's shape, not the rows from the ninth on
