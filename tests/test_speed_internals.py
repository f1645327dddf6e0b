"""The faster internals of issue 10 against independent formulations.

- contract metrics (time-major, compact) against a plain loop over each person's periods written
  here from the definitions in ``contract/metrics.py``;
- the beta / PERT inverse CDF against scipy's ``betaincinv``;
- the microsimulation's time-major layout and block-wise streams against the whole run;
- libyaml and the pure-Python loader give the same documents (and the same error wording).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import special

from socialinvest.contract.metrics import metric_counts, metric_events
from socialinvest.engine import microsim
from socialinvest.engine.distributions import beta_ppf, make_distribution
from socialinvest.errors import InputError
from socialinvest.safe_input import _LOADERS, parse_text

from .conftest import EXAMPLES

# ------------------------------------------------------------------ metrics, by a plain loop


def _reference(
    x: np.ndarray,
    kind: str,
    k: int | None,
    at: int | None,
    window: tuple[int, int] | None,
    units: float,
    before: np.ndarray,
) -> np.ndarray:
    """Outcomes [D, N, T] person by person, period by period, from the definitions."""
    d, n, t_len = x.shape
    out = np.zeros((d, n, t_len))
    first, last = window if window is not None else (1, t_len)
    inside = [first - 1 <= t <= last - 1 for t in range(t_len)]
    for i in range(d):
        for j in range(n):
            path = [bool(v) for v in x[i, j]]
            if kind == "time_in":
                for t in range(t_len):
                    if path[t] and inside[t]:
                        out[i, j, t] = units
            elif kind == "entry":
                for t in range(t_len):
                    if path[t] and inside[t]:
                        out[i, j, t] = 1.0
                        break
            elif kind == "state_at":
                assert at is not None
                if at <= t_len and inside[at - 1] and path[at - 1]:
                    out[i, j, at - 1] = 1.0
            elif kind == "entries":
                previous = bool(before[i, j])
                for t in range(t_len):
                    if path[t] and not previous and inside[t]:
                        out[i, j, t] = 1.0
                    previous = path[t]
            elif kind == "sustained":
                assert k is not None
                run = 0
                for t in range(t_len):
                    run = run + 1 if (path[t] and inside[t]) else 0
                    if run == k:
                        out[i, j, t] = 1.0
                        break
    return out


CASES = [
    ("time_in", None, None, None, 1.0),
    ("time_in", None, None, (3, 9), 7.0),
    ("entry", None, None, None, 1.0),
    ("entry", None, None, (4, 12), 1.0),
    ("state_at", None, 5, None, 1.0),
    ("state_at", None, 5, (6, 10), 1.0),
    ("state_at", None, 30, None, 1.0),
    ("entries", None, None, None, 1.0),
    ("entries", None, None, (2, 8), 1.0),
    ("sustained", 1, None, None, 1.0),
    ("sustained", 3, None, None, 1.0),
    ("sustained", 5, None, (2, 11), 1.0),
    ("sustained", 7, None, None, 1.0),
    ("sustained", 13, None, None, 1.0),
    ("sustained", 20, None, None, 1.0),
]


@pytest.mark.parametrize(("kind", "k", "at", "window", "units"), CASES)
def test_metrics_equal_a_plain_loop_over_each_persons_periods(kind, k, at, window, units):
    rng = np.random.default_rng(abs(hash((kind, k, at, window))) % 2**32)
    for share in (0.3, 0.7, 0.95):
        x = rng.random((3, 40, 13)) < share
        before = rng.random((3, 40)) < 0.5
        expected = _reference(x, kind, k, at, window, units, before)
        got = metric_counts(
            x, kind, k=k, at=at, window=window, units_per_period=units, in_states_before=before
        )
        np.testing.assert_array_equal(got, expected)


def test_compact_events_keep_one_period_per_person_for_once_only_metrics():
    # person 0 enters at period 2; person 1 never; time-major input [D=1, T=4, N=2]
    x = np.array([[[False, False], [False, False], [True, False], [True, False]]])
    ev = metric_events(x, "entry")
    assert ev.flags is None and ev.once is not None
    assert ev.once.tolist() == [[2, -1]]
    ev = metric_events(x, "time_in", units_per_period=2.5)
    assert ev.once is None and ev.flags is not None and ev.units == 2.5
    assert ev.dense()[0].tolist() == [[0, 0, 2.5, 2.5], [0, 0, 0, 0]]


# ------------------------------------------------------------------ beta / PERT quantiles

SHAPES = [
    (47.4, 51.4),
    (12.8, 51.2),
    (2.0, 2.0),
    (3.0, 7.0),
    (0.2, 5.0),
    (1.5, 0.3),
    (0.5, 0.5),
    (1.0, 3.0),
    (200.0, 300.0),
    (1e4, 1e4),
    (0.05, 0.05),
]


@pytest.mark.parametrize(("a", "b"), SHAPES)
def test_beta_quantiles_agree_with_scipy(a, b):
    rng = np.random.default_rng(11)
    tiny, below_one = np.finfo(np.float64).tiny, float(np.nextafter(1.0, 0.0))
    tails = np.array([tiny, 1e-300, 1e-20, 1e-17, 1e-12, 1e-6, 0.5, 1 - 1e-12, 1 - 1e-15])
    tails = np.append(tails, [below_one, 0.0, 1.0])
    u = np.concatenate([rng.random(20_000), tails])
    got = beta_ppf(a, b, u)
    expected = special.betaincinv(a, b, u)
    # where scipy gives no answer (NaN: it fails for some shapes at u = 2.2e-308), neither do we
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    ok = ~np.isnan(expected)
    scale = np.where(expected[ok] > 0, expected[ok], 1.0)
    rel = np.abs(got[ok] - expected[ok]) / scale
    assert float(rel.max()) <= 5e-11
    ordered = got[ok][np.argsort(u[ok], kind="stable")]
    assert np.all(np.diff(ordered) >= 0)  # monotone, as a CDF's inverse


def test_pert_and_beta_distributions_use_the_fast_quantiles_with_scipys_values():
    u = np.random.default_rng(3).random(50_000)
    pert = make_distribution("pert", min=4000, mode=5000, max=6000)
    alpha, beta = pert.params["alpha"], pert.params["beta"]
    expected = 4000 + 2000 * special.betaincinv(alpha, beta, u)
    np.testing.assert_allclose(pert.ppf(u), expected, rtol=5e-11)
    rate = make_distribution("beta", mean=0.48, sd=0.05)
    np.testing.assert_allclose(
        rate.ppf(u), special.betaincinv(rate.params["alpha"], rate.params["beta"], u), rtol=5e-11
    )


# ------------------------------------------------------------------ microsimulation layout


def test_time_major_paths_and_blocks_of_draws_equal_the_whole_run():
    p = np.array([[0.9, 0.1, 0.0], [0.3, 0.5, 0.2], [0.0, 0.25, 0.75]])
    rng = np.random.default_rng(4)
    matrices = np.broadcast_to(p, (7, 9, 3, 3)).copy()
    matrices[:, :4, 0, 1] = rng.uniform(0.05, 0.3, size=(7, 1))
    matrices[:, :4, 0, 0] = 1.0 - matrices[:, :4, 0, 1]
    start = np.tile([1.0, 0.0, 0.0], (7, 1))
    streams = microsim.random_streams(21, 7, 50, 9)
    whole = microsim.simulate(matrices, streams, start_probabilities=start)
    time_major = microsim.simulate(matrices, streams, start_probabilities=start, time_major=True)
    np.testing.assert_array_equal(time_major.transpose(0, 2, 1), whole)
    block = microsim.simulate(
        matrices[2:5], streams.draws(2, 5), start_probabilities=start[2:5], time_major=True
    )
    np.testing.assert_array_equal(block, time_major[2:5])
    # a shorter horizon leaves the earlier cycles unchanged (what the contract relies on)
    short = microsim.simulate(
        matrices[:, :4], microsim.random_streams(21, 7, 50, 4), start_probabilities=start
    )
    np.testing.assert_array_equal(short, whole[:, :, :5])


# ------------------------------------------------------------------ YAML loaders


def _examples() -> list[Path]:
    return sorted(EXAMPLES.rglob("*.yaml"))


@pytest.mark.skipif(len(_LOADERS) < 2, reason="PyYAML without libyaml")
def test_libyaml_and_the_pure_python_loader_read_the_examples_alike(monkeypatch):
    import socialinvest.safe_input as source  # the loading gate holds the loaders

    for path in _examples():
        text = path.read_text(encoding="utf-8")
        fast = parse_text(text, path.name)
        monkeypatch.setattr(source, "_LOADERS", _LOADERS[1:])
        slow = parse_text(text, path.name)
        monkeypatch.setattr(source, "_LOADERS", _LOADERS)
        assert fast.data == slow.data, path.name
        assert fast.lines == slow.lines, path.name


@pytest.mark.skipif(len(_LOADERS) < 2, reason="PyYAML without libyaml")
def test_a_yaml_syntax_error_has_the_same_wording_from_both_loaders(monkeypatch):
    import socialinvest.safe_input as gate

    messages = []
    for loaders in (_LOADERS, _LOADERS[1:]):
        monkeypatch.setattr(gate, "_LOADERS", loaders)
        with pytest.raises(InputError) as info:
            parse_text("name: a\n  bad: [1, 2\n", "broken.yaml")
        messages.append(str(info.value))
    # libyaml and PyYAML word this mistake differently; the gate says it in the catalogue's words
    assert messages[0] == messages[1]
    assert "broken.yaml, line 2" in messages[0] and "well-formed YAML" in messages[0]
    assert "a colon after a value that is not a key" in messages[0]


# ------------------------------------------ state-transition chunks against a dense formulation


def _sparse_model(correction: str) -> dict:
    """Four states with a tunnel, a draw-dependent move, a move that grows with t, a Dirichlet
    row, an intervention for cycles 2-4 only (a relative risk and a replaced row), values that
    change by cycle, by draw, and by both, one-off values on entry, and a second cohort."""
    return {
        "name": "sparse engine",
        "model": "state_transition",
        "price_year": 2024,
        "horizon_years": 6,
        "target_group": {
            "description": "test",
            "cohorts": [{"year": 2024, "intake": 10}, {"year": 2026, "intake": 4}],
        },
        "intervention": {"name": "x", "duration_years": 1},
        "state_transition": {
            "cycle": "year",
            "states": ["well", "sick", "tunnel", "dead"],
            "start": {"well": 0.9, "sick": 0.1},
            "correction": correction,
            "parameters": {
                "p": {"dist": "beta", "alpha": 20, "beta": 80},
                "q": 0.02,
                "hazard": "q * t",
            },
            "transitions": {
                "well": {"well": "rest", "sick": "p", "dead": "hazard"},
                "sick": {"dirichlet": {"sick": 60, "tunnel": 30, "dead": 10}},
                "tunnel": {"well": 0.5, "sick": "rest"},
                "dead": {"dead": 1},
            },
            "intervention_effect": {
                "cycles": [2, 4],
                "relative_risks": [{"from": "well", "to": ["sick"], "rr": 0.5}],
                "transitions": {"tunnel": {"well": 0.8, "sick": "rest"}},
            },
            "outcomes": {
                "years": {
                    "values": {"well": 1, "sick": 0.7, "tunnel": "0.5 + 0.01 * t"},
                    "discount_rate": 0.035,
                },
                "cost": {
                    "values": {"sick": "100 * p", "tunnel": "10 * p * t"},
                    "intervention": {"well": 5},
                    "cycles": [2, 5],
                },
                "sick_starts": {
                    "on_entry": {"sick": 1},
                    "discount_rate": 0.03,
                    "discount_first_cycle": True,
                },
            },
        },
    }


def _dense_reference(n: int, seed: int, correction: str) -> dict[str, np.ndarray]:
    """The outcomes of _sparse_model per arm and draw [2, D], from the model's definition with
    dense [D, T, S, S] matrices: the draws taken as the chunk takes them (the parameter first,
    then the Dirichlet row, from the chunk seed's first child), the trace by a matrix product
    per cycle, the occupancy by the correction's rule and the values summed cycle by cycle."""
    from socialinvest.engine.markov import cycle_allocation

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[0])
    p = rng.beta(20.0, 80.0, n)
    row_sick = rng.dirichlet([60.0, 30.0, 10.0], n)  # sick, tunnel, dead
    t_len, well, sick, tunnel, dead = 6, 0, 1, 2, 3
    arms = np.zeros((2, n, t_len, 4, 4))
    for k in range(2):
        for t in range(1, t_len + 1):
            m = arms[k, :, t - 1]
            to_sick = p * (0.5 if k == 1 and 2 <= t <= 4 else 1.0)
            m[:, well, sick] = to_sick
            m[:, well, dead] = 0.02 * t
            m[:, well, well] = 1.0 - to_sick - 0.02 * t
            m[:, sick, [sick, tunnel, dead]] = row_sick
            out = 0.8 if k == 1 and 2 <= t <= 4 else 0.5
            m[:, tunnel, well] = out
            m[:, tunnel, sick] = 1.0 - out
            m[:, dead, dead] = 1.0
    trace = np.zeros((2, n, t_len + 1, 4))
    trace[:, :, 0, well], trace[:, :, 0, sick] = 0.9, 0.1
    for t in range(t_len):
        trace[:, :, t + 1] = np.einsum("kds,kdsj->kdj", trace[:, :, t], arms[:, :, t])
    allocation = cycle_allocation(t_len, correction)  # [T, T+1], tested in test_markov_reference
    occupancy = np.einsum("tr,kdrs->kdts", allocation, trace)  # [2, D, T, S]
    entries = np.zeros((2, n, t_len))
    for i in (well, tunnel, dead):
        entries += trace[:, :, :-1, i] * arms[:, :, :, i, sick]
    cycles = np.arange(1, t_len + 1)
    years = np.stack([np.ones(t_len), np.full(t_len, 0.7), 0.5 + 0.01 * cycles, np.zeros(t_len)])
    per_cycle = {
        "years": np.einsum("kdts,st->kdt", occupancy, years),
        "cost": 100 * p[None, :, None] * occupancy[..., sick]
        + 10 * p[None, :, None] * cycles * occupancy[..., tunnel]
        + np.array([0.0, 5.0])[:, None, None] * occupancy[..., well],
        "sick_starts": entries,
    }
    weights = {
        "years": 1.035 ** -(cycles - 1.0),
        "cost": ((cycles >= 2) & (cycles <= 5)).astype(float),
        "sick_starts": 1.03**-cycles,
    }
    # cohort 2024 (10 persons) all six cycles, cohort 2026 (4) its first four
    return {
        name: 10 * (per_cycle[name] * weights[name]).sum(axis=2)
        + 4 * (per_cycle[name][:, :, :4] * weights[name][:4]).sum(axis=2)
        for name in per_cycle
    }


@pytest.mark.parametrize("by_source", [False, True])
@pytest.mark.parametrize("correction", ["beginning", "end", "half-cycle", "simpson"])
def test_state_transition_chunks_equal_a_dense_formulation(
    correction, by_source, fixture_kb, monkeypatch
):
    """The sparse, block-wise engine (moves that exist, needed states, both arms at once, rows
    a block of cycles at a time; move by move, or a source state's moves at once as for a model
    with many moves per state) against dense matrices and a plain trace, draw by draw; the
    draws are as many as make the six cycles run in blocks of two."""
    import yaml

    import socialinvest.state_transition as engine
    from socialinvest.case import load_case_text
    from socialinvest.case.load import LoadedCase
    from socialinvest.runner import prepare_model
    from socialinvest.state_transition import (
        _BLOCK_CELLS,
        _block_cycles,
        run_state_transition_chunk,
    )

    if by_source:
        monkeypatch.setattr(engine, "_PER_SOURCE", 0)

    n = _BLOCK_CELLS // 2
    assert _block_cycles(n, 6) == 2
    loaded = LoadedCase.of(load_case_text(yaml.safe_dump(_sparse_model(correction)), "s.yaml"))
    prepared = prepare_model(loaded, fixture_kb)
    _, outcomes = run_state_transition_chunk(prepared, n, np.random.SeedSequence(5))
    expected = _dense_reference(n, 5, correction)
    for name, want in expected.items():
        got = outcomes.values[name]
        assert np.allclose(got, want, rtol=1e-12, atol=1e-13), (name, np.abs(got - want).max())


def test_a_draw_with_invalid_probabilities_in_a_late_block_is_refused(fixture_kb):
    """Rows are checked block by block: a draw whose complement falls below 0 only in the last
    cycles (death risk q·t with a large q) is refused in one sentence, although the point
    values (checked when loading) are valid."""
    import yaml

    from socialinvest import appraise
    from socialinvest.case import load_case_text

    data = _sparse_model("beginning")
    data["state_transition"]["parameters"]["q"] = {"dist": "uniform", "min": 0.01, "max": 0.25}
    case = load_case_text(yaml.safe_dump(data), "late.yaml")
    appraise(case, fixture_kb)  # point values: q = 0.13, 6 q + p = 0.98 at most
    with pytest.raises(InputError) as error:
        appraise(case, fixture_kb, draws=20_000, seed=1)  # blocks of two cycles
    text = str(error.value)
    assert "invalid probabilities in the comparator arm (row well: a probability of -" in text


def test_shared_operations_give_each_formulas_own_values_and_leave_the_inputs_alone():
    """Formulas evaluated together (an operation several share computed once, results written
    into the evaluation's own temporaries) give exactly what each gives alone, and neither the
    names' values nor a shared value is overwritten (+x, -x, a repeated power, a lookup)."""
    from socialinvest.engine.expressions import SharedOperations, parse

    rng = np.random.default_rng(3)
    values = {
        "t": np.arange(1.0, 6.0)[:, None],
        "g": rng.uniform(1.0, 2.0, (1, 7)),
        "lam": rng.uniform(0.01, 0.1, (1, 7)),
        "p": rng.uniform(0.0, 1.0, (1, 7)),
        "age": np.arange(60.0, 65.0)[:, None],
    }
    tables = {"m": (np.array([0.0, 62.0]), np.array([0.01, 0.02]))}
    texts = [
        "1 - exp(lam * ((t - 1)**g - t**g))",
        "1 - exp(lam * p * ((t - 1)**g - t**g))",
        "(t - 1)**g - t**g",
        "+p * 2 + -(p) * t",
        "-(lam * t) + max(p, lam * t)",
        "lookup(m, age) / 1000 + p",
        "p + lookup(m, age) / 1000",
        "sqrt(p) * log(1 + t) - min(p, 0.5)",
    ]
    known = set(values)
    expressions = [parse(text, known, set(tables)) for text in texts]
    before = {name: value.copy() for name, value in values.items()}
    alone = [np.asarray(e.evaluate(values, tables)) for e in expressions]
    shared = SharedOperations(expressions)
    together = [np.asarray(shared.evaluate(e, values, tables)) for e in expressions]
    again = [np.asarray(shared.evaluate(e, values, tables)) for e in expressions]
    for one, two, three in zip(alone, together, again, strict=True):
        assert np.array_equal(one, two) and np.array_equal(one, three)
    for name, value in values.items():
        assert np.array_equal(value, before[name]), name


def test_a_cohort_chunk_stays_within_its_cells_when_values_change_by_cycle_and_draw(
    fixture_kb, monkeypatch
):
    """A chunk of a cohort model holds chunk_cells() // cells_per_draw() draws; its arrays must
    stay within chunk_cells() float64 cells (the chunk's work that socialinvest.limits counts)
    also when the outcomes' values are formulas with a value per cycle and draw (each kept
    while the chunk runs, with the occupancy of the states they value). Measured with
    tracemalloc (numpy reports its arrays to it) on a 2,000,000-cell budget (16 MB)."""
    import tracemalloc

    import yaml

    import socialinvest.state_transition as engine
    from socialinvest.case import load_case_text
    from socialinvest.case.load import LoadedCase
    from socialinvest.runner import prepare_model

    states = [f"s{i}" for i in range(10)]
    transitions: dict = {
        s: {s: "rest", states[i + 1]: "p", "s9": 0.001} for i, s in enumerate(states[:8])
    }
    transitions["s8"] = {"s8": "rest", "s9": "p"}
    transitions["s9"] = {"s9": 1}
    parameters: dict = {"p": {"dist": "beta", "alpha": 5, "beta": 95}}
    outcomes = {}
    for k in range(8):
        parameters[f"q{k}"] = {"dist": "beta", "alpha": 20, "beta": 5}
        outcomes[f"o{k}"] = {
            "values": {s: f"q{k} * {i + 1} * (1 + t / 1000)" for i, s in enumerate(states)}
        }
    data = {
        "name": "many values",
        "model": "state_transition",
        "price_year": 2024,
        "horizon_years": 10,
        "target_group": {"description": "test", "cohorts": [{"year": 2024, "intake": 10}]},
        "intervention": {"name": "x", "duration_years": 1},
        "state_transition": {
            "cycle": "month",
            "states": states,
            "start": {"s0": 1},
            "parameters": parameters,
            "transitions": transitions,
            "intervention_effect": {
                "relative_risks": [{"from": "s0", "to": ["s1"], "rr": 1.5}],
            },
            "outcomes": outcomes,
        },
    }
    budget = 2_000_000
    monkeypatch.setattr(engine, "COHORT_CHUNK_CELLS", budget)
    loaded = LoadedCase.of(load_case_text(yaml.safe_dump(data), "values.yaml"))
    prepared = prepare_model(loaded, fixture_kb)
    n = prepared.chunk_cells() // prepared.cells_per_draw()
    assert prepared.chunk_cells() == budget and n > 10
    tracemalloc.start()
    try:
        engine.run_state_transition_chunk(prepared, n, np.random.SeedSequence(3))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= budget * 8, (n, peak / 1e6)


@pytest.mark.parametrize("simulated", [False, True])
def test_a_chunk_draws_the_intake_before_the_outcomes_values(fixture_kb, simulated):
    """The order of a chunk's draws is part of what a seed means (a microsimulation keeps its
    streams): the parameters, the transitions, then each cohort's intake, then the outcomes'
    values. A two-state model by hand: half of state a moves to b (absorbing) each year, so
    with the "end" correction a counts 0.5 + 0.25 person-years over two cycles; the outcome is
    intake × value × 0.75 per draw, the intake and the value drawn in that order from the
    chunk's generator (its seed's first child; a simulation's persons use their own seed)."""
    import yaml

    from socialinvest.case import load_case_text
    from socialinvest.case.load import LoadedCase
    from socialinvest.runner import prepare_model
    from socialinvest.state_transition import run_state_transition_chunk

    st: dict = {
        "cycle": "year",
        "states": ["a", "b"],
        "start": {"a": 1},
        "correction": "end",
        "transitions": {"a": {"a": "rest", "b": 0.5}, "b": {"b": 1}},
        "intervention_effect": {"relative_risks": [{"from": "a", "to": ["b"], "rr": 1}]},
        "outcomes": {
            "v": {
                "values": {"a": {"dist": "beta", "mean": 0.6, "sd": 0.1}},
                "discount_rate": 0,
            }
        },
    }
    if simulated:
        st["simulation"] = {"individuals": 1000}
    data = {
        "name": "order",
        "model": "state_transition",
        "price_year": 2024,
        "horizon_years": 2,
        "target_group": {
            "description": "test",
            "cohorts": [{"year": 2024, "intake": {"dist": "gamma", "mean": 100, "sd": 10}}],
        },
        "intervention": {"name": "x", "duration_years": 1},
        "state_transition": st,
    }
    loaded = LoadedCase.of(load_case_text(yaml.safe_dump(data), "order.yaml"))
    prepared = prepare_model(loaded, fixture_kb)
    n = 50
    _, outcomes = run_state_transition_chunk(prepared, n, np.random.SeedSequence(8))
    rng = np.random.default_rng(np.random.SeedSequence(8).spawn(2)[0])
    intake = make_distribution("gamma", mean=100, sd=10).sample(n, rng)
    value = make_distribution("beta", mean=0.6, sd=0.1).sample(n, rng)
    got = outcomes.values["v"]
    if not simulated:
        assert np.allclose(got, intake * value * 0.75, rtol=1e-12)
    else:  # person-years in a per person: a count of 1,000 persons' cycles over 1,000
        person_cycles = got / (intake * value) * 1000
        assert np.allclose(person_cycles, np.round(person_cycles), rtol=0, atol=1e-8)
        assert abs(person_cycles.mean() / 1000 - 0.75) < 0.01
