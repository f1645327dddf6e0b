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
