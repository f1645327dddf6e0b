"""Input distributions for Monte Carlo: parameter conversion, moments, quantiles, correlation.

The statistical tests use fixed seeds, so they are reproducible; their bounds are stated in
standard errors (SE) so that with other seeds they would fail only rarely (4 SE: about 6 in
100,000 for a normally distributed estimator).
"""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from socialinvest.engine.distributions import (
    Distribution,
    DistributionError,
    make_distribution,
    sample_correlated,
)

N = 200_000
Z95 = 1.6448536269514722  # standard normal 95 % quantile

# (kind, given) pairs: each kind with a couple of parameter sets, natural and mean/sd.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("fixed", {"value": 3.25}),
    ("fixed", {"value": -1e6}),
    ("normal", {"mean": 0.0, "sd": 1.0}),
    ("normal", {"mean": -250.0, "sd": 40.0}),
    ("lognormal", {"meanlog": 1.0, "sdlog": 0.5}),
    ("lognormal", {"mean": 120_000.0, "sd": 30_000.0}),
    ("beta", {"alpha": 2.0, "beta": 5.0}),
    ("beta", {"alpha": 0.5, "beta": 0.5}),
    ("beta", {"mean": 0.3, "sd": 0.1}),
    ("gamma", {"shape": 3.0, "scale": 2.0}),
    ("gamma", {"shape": 0.8, "rate": 4.0}),
    ("gamma", {"mean": 12.0, "sd": 5.0}),
    ("uniform", {"min": -1.0, "max": 3.0}),
    ("uniform", {"min": 1000.0, "max": 1001.0}),
    ("triangular", {"min": 0.0, "mode": 2.0, "max": 10.0}),
    ("triangular", {"min": -5.0, "mode": -5.0, "max": 1.0}),
    ("pert", {"min": 0.0, "mode": 2.0, "max": 10.0}),
    ("pert", {"min": 10.0, "mode": 30.0, "max": 35.0, "lambda": 8.0}),
]
CONTINUOUS = [c for c in CASES if c[0] != "fixed"]


def case_id(case: tuple[str, dict[str, Any]]) -> str:
    kind, given = case
    return kind + "(" + ",".join(f"{k}={v:g}" for k, v in given.items()) + ")"


def as_float(x: float | np.ndarray) -> float:
    assert not isinstance(x, np.ndarray)
    return x


# -- moments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_sampled_mean_and_variance_match_the_analytic_values(case: tuple[str, dict[str, Any]]):
    kind, given = case
    d = make_distribution(kind, **given)
    mean, sd = as_float(d.mean()), as_float(d.sd())
    x = d.sample(N, np.random.default_rng(20240601))
    assert x.shape == (N,)
    if kind == "fixed":
        assert sd == 0.0 and np.all(x == given["value"])
        return
    # The sample mean has standard error sd/sqrt(n).
    assert abs(x.mean() - mean) <= 4 * sd / math.sqrt(N)
    # The sample variance s² has variance (m4 − sd⁴)/n + O(1/n²), where m4 is the fourth central
    # moment; m4 is estimated from the same draws (an analytic m4 for every kind would add little:
    # the estimate is consistent and the parameter sets here have light enough tails for it to be
    # stable at this n). The bound is 4 such standard errors around the analytic variance.
    m4 = np.mean((x - x.mean()) ** 4)
    se_var = math.sqrt((m4 - sd**4) / N)
    assert abs(x.var(ddof=1) - sd**2) <= 4 * se_var


@pytest.mark.parametrize(
    ("kind", "mean", "sd"),
    [
        ("normal", 10.0, 2.5),
        ("lognormal", 120_000.0, 30_000.0),
        ("lognormal", 2.0, 5.0),  # sd above the mean: heavy right tail
        ("lognormal", 1e-3, 1e-4),
        ("beta", 0.3, 0.1),
        ("beta", 0.95, 0.04),
        ("beta", 0.5, 0.4999),
        ("gamma", 12.0, 5.0),
        ("gamma", 0.5, 3.0),
        ("gamma", 4e5, 1e3),
    ],
)
def test_mean_and_sd_parameterisations_give_back_the_requested_mean_and_sd(
    kind: str, mean: float, sd: float
):
    d = make_distribution(kind, mean=mean, sd=sd)
    assert as_float(d.mean()) == pytest.approx(mean, rel=1e-12, abs=0)
    assert as_float(d.sd()) == pytest.approx(sd, rel=1e-12, abs=0)


def test_natural_parameters_after_conversion():
    g = make_distribution("gamma", shape=2.0, rate=4.0)
    assert g.params == {"shape": 2.0, "scale": 0.25}
    assert make_distribution("gamma", mean=6.0, sd=3.0).params == pytest.approx(
        {"shape": 4.0, "scale": 1.5}
    )
    b = make_distribution("beta", mean=0.25, sd=math.sqrt(0.25 * 0.75 / 5))  # alpha + beta = 4
    assert b.params == pytest.approx({"alpha": 1.0, "beta": 3.0})
    ln = make_distribution("lognormal", mean=math.exp(0.5), sd=math.sqrt(math.e * (math.e - 1)))
    assert ln.params == pytest.approx({"meanlog": 0.0, "sdlog": 1.0})
    p = make_distribution("pert", min=0.0, mode=2.0, max=10.0, lam=6.0)
    assert p.params["alpha"] == pytest.approx(1 + 6 * 0.2) and p.params["beta"] == pytest.approx(
        1 + 6 * 0.8
    )


# -- quantiles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "given", "median"),
    [
        ("fixed", {"value": 7.0}, 7.0),
        ("normal", {"mean": -3.0, "sd": 2.0}, -3.0),
        ("lognormal", {"meanlog": 1.5, "sdlog": 0.8}, math.exp(1.5)),
        ("lognormal", {"mean": 100.0, "sd": 50.0}, 100.0 / math.sqrt(1.25)),  # mean/√(1+cv²)
        ("beta", {"alpha": 3.0, "beta": 3.0}, 0.5),
        ("gamma", {"shape": 1.0, "scale": 2.0}, 2.0 * math.log(2.0)),  # exponential
        ("uniform", {"min": 2.0, "max": 5.0}, 3.5),
        ("triangular", {"min": 0.0, "mode": 2.0, "max": 10.0}, 10.0 - math.sqrt(10 * 8 / 2)),
        ("triangular", {"min": 0.0, "mode": 9.0, "max": 10.0}, math.sqrt(10 * 9 / 2)),
        ("pert", {"min": 1.0, "mode": 4.0, "max": 7.0}, 4.0),
    ],
)
def test_ppf_at_one_half_is_the_analytic_median(kind: str, given: dict[str, Any], median: float):
    d = make_distribution(kind, **given)
    assert float(d.ppf(np.array(0.5))) == pytest.approx(median, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", CONTINUOUS, ids=case_id)
def test_ppf_agrees_with_sampling(case: tuple[str, dict[str, Any]]):
    """The share of draws at or below ppf(u) is u, within 4 SE = 4·sqrt(u(1−u)/n)."""
    d = make_distribution(*case[:1], **case[1])
    x = d.sample(N, np.random.default_rng(7))
    u = np.array([0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
    q = d.ppf(u)
    assert np.all(np.diff(q) > 0)
    share = (x[:, None] <= q[None, :]).mean(axis=0)
    assert np.all(np.abs(share - u) <= 4 * np.sqrt(u * (1 - u) / N))


def test_ppf_inverts_the_cdf():
    special = pytest.importorskip("scipy.special")
    u = np.linspace(0.001, 0.999, 41)
    b = make_distribution("beta", alpha=0.7, beta=2.5)
    assert special.betainc(0.7, 2.5, b.ppf(u)) == pytest.approx(u, abs=1e-12)
    g = make_distribution("gamma", shape=2.5, rate=0.5)
    assert special.gammainc(2.5, g.ppf(u) * 0.5) == pytest.approx(u, abs=1e-12)
    p = make_distribution("pert", min=10.0, mode=12.0, max=20.0)
    a_, b_ = p.params["alpha"], p.params["beta"]
    assert special.betainc(a_, b_, (p.ppf(u) - 10.0) / 10.0) == pytest.approx(u, abs=1e-12)
    t = make_distribution("triangular", min=0.0, mode=3.0, max=4.0)
    x = t.ppf(u)
    cdf = np.where(x < 3.0, x**2 / (4.0 * 3.0), 1 - (4.0 - x) ** 2 / (4.0 * 1.0))
    assert cdf == pytest.approx(u, abs=1e-12)


def test_interval():
    n = make_distribution("normal", mean=10.0, sd=2.0)
    assert n.interval() == pytest.approx((10.0 - Z95 * 2.0, 10.0 + Z95 * 2.0), rel=1e-12)
    ln = make_distribution("lognormal", meanlog=1.0, sdlog=0.5)
    assert ln.interval(0.025, 0.975) == pytest.approx(
        (math.exp(1.0 - 1.959963984540054 * 0.5), math.exp(1.0 + 1.959963984540054 * 0.5))
    )
    assert make_distribution("uniform", min=0.0, max=20.0).interval() == pytest.approx((1.0, 19.0))
    assert make_distribution("fixed", value=4.0).interval() == (4.0, 4.0)
    with pytest.raises(DistributionError, match=r"p_low 0\.9"):
        n.interval(0.9, 0.1)
    with pytest.raises(DistributionError, match="between 0 and 1"):
        n.ppf(np.array([0.5, 1.5]))


# -- bounded distributions -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["triangular", "pert"])
@pytest.mark.parametrize(("lo", "mode", "hi"), [(0.0, 2.0, 10.0), (5.0, 5.0, 6.0), (-3, 1, 1)])
def test_triangular_and_pert_stay_within_min_and_max(kind: str, lo: float, mode: float, hi: float):
    d = make_distribution(kind, min=lo, mode=mode, max=hi)
    x = d.sample(50_000, np.random.default_rng(3))
    assert x.min() >= lo and x.max() <= hi
    assert d.ppf(np.array([0.0, 1.0])) == pytest.approx([lo, hi], abs=1e-12)


@pytest.mark.parametrize(("lo", "mode", "hi"), [(0.0, 2.0, 10.0), (100, 100, 250), (-7, 3.5, 4)])
def test_pert_mean_with_lambda_4(lo: float, mode: float, hi: float):
    d = make_distribution("pert", min=lo, mode=mode, max=hi)
    assert d.params["lambda"] == 4.0
    assert as_float(d.mean()) == pytest.approx((lo + 4 * mode + hi) / 6, rel=1e-12, abs=1e-12)
    x = d.sample(N, np.random.default_rng(11))
    assert abs(x.mean() - as_float(d.mean())) <= 4 * as_float(d.sd()) / math.sqrt(N)


# -- dirichlet -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [{"counts": [12, 30, 3, 55]}, {"counts": [4, 0, 1]}, {"alpha": [0.5, 0.5]}],
    ids=["counts", "zero-count", "alpha"],
)
def test_dirichlet_rows_are_probability_vectors_with_the_count_shares_as_means(
    given: dict[str, list[float]],
):
    d = make_distribution("dirichlet", **given)
    alpha = np.asarray(next(iter(given.values())), dtype=float)
    x = d.sample(N, np.random.default_rng(5))
    assert x.shape == (N, alpha.size)
    assert np.all(x >= 0) and np.allclose(x.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    mean, sd = d.mean(), d.sd()
    assert isinstance(mean, np.ndarray) and isinstance(sd, np.ndarray)
    np.testing.assert_allclose(mean, alpha / alpha.sum(), rtol=1e-15)
    # per component: sample mean within 4 SE (sd_i/sqrt(n)) of counts_i / sum(counts)
    assert np.all(np.abs(x.mean(axis=0) - mean) <= 4 * sd / math.sqrt(N) + 1e-15)
    assert np.all(x[:, alpha == 0] == 0.0)
    with pytest.raises(DistributionError, match="dirichlet"):
        d.ppf(np.array([0.5]))


# -- correlated sampling ---------------------------------------------------------------------


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def test_correlated_sampling_reproduces_the_correlation_and_keeps_the_marginals():
    dists = [
        make_distribution("normal", mean=5.0, sd=2.0),
        make_distribution("normal", mean=-1.0, sd=0.5),
        make_distribution("lognormal", mean=100.0, sd=40.0),
        make_distribution("beta", mean=0.3, sd=0.1),
        make_distribution("pert", min=0.0, mode=1.0, max=5.0),
        make_distribution("gamma", shape=2.0, scale=3.0),
    ]
    corr = np.eye(6)
    for i, j, rho in [(0, 1, 0.7), (0, 2, -0.4), (2, 3, 0.5), (3, 4, 0.3), (1, 5, -0.6)]:
        corr[i, j] = corr[j, i] = rho
    n = 100_000
    x = sample_correlated(dists, corr, n, np.random.default_rng(99))
    assert [a.shape for a in x] == [(n,)] * 6
    # Sampling error of a correlation coefficient: Pearson's r of bivariate normals has SE
    # (1 − ρ²)/sqrt(n); Spearman's has SE 1/sqrt(n − 1) under independence and less for these
    # Gaussian-copula pairs. The bound 4/sqrt(n) (≈ 0.013 here) covers both at 4 SE.
    bound = 4 / math.sqrt(n)
    # Normal marginals are linear in the underlying normals: their Pearson r is the target.
    assert np.corrcoef(x[0], x[1])[0, 1] == pytest.approx(0.7, abs=bound)
    # Every marginal is a monotone map of its normal, so ranks keep the Gaussian copula's
    # Spearman correlation (6/π)·asin(ρ/2), whatever the marginals.
    for i in range(6):
        for j in range(i + 1, 6):
            target = 6 / math.pi * math.asin(corr[i, j] / 2)
            assert spearman(x[i], x[j]) == pytest.approx(target, abs=bound), (i, j)
    # The marginals are kept: sample means within 4 SE, sds within 4 % of the analytic values.
    for d, a in zip(dists, x, strict=True):
        mean, sd = as_float(d.mean()), as_float(d.sd())
        assert abs(a.mean() - mean) <= 4 * sd / math.sqrt(n)
        assert a.std() == pytest.approx(sd, rel=0.04)
        assert np.all(np.isfinite(a))


def test_correlated_sampling_accepts_perfect_correlation_and_fixed_inputs():
    dists = [
        make_distribution("uniform", min=0.0, max=1.0),
        make_distribution("triangular", min=0.0, mode=1.0, max=2.0),
        make_distribution("fixed", value=42.0),
    ]
    corr = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # singular, PSD
    u, t, f = sample_correlated(dists, corr, 2_000, np.random.default_rng(1))
    assert spearman(u, t) == pytest.approx(1.0, abs=1e-12)
    assert np.all(f == 42.0)
    assert sample_correlated([], np.zeros((0, 0)), 10, np.random.default_rng(1)) == []


@pytest.mark.parametrize(
    ("corr", "fragments"),
    [
        ([[1.0, 0.5], [0.4, 1.0]], ["symmetric", "(0, 1)", "0.5", "0.4"]),
        ([[1.0, 0.5], [0.5, 2.0]], ["diagonal", "(1, 1)", "2"]),
        ([[1.0, 1.5], [1.5, 1.0]], ["between -1 and 1", "1.5"]),
        (
            [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]],
            ["positive semi-definite", "-0.8"],
        ),
        ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], ["must be 2 x 2", "(3, 3)"]),
    ],
)
def test_invalid_correlation_matrices_are_rejected(corr: list[list[float]], fragments: list[str]):
    d = make_distribution("normal", mean=0.0, sd=1.0)
    n_inputs = 2 if "must be 2 x 2" in fragments else len(corr)
    with pytest.raises(DistributionError) as err:
        sample_correlated([d] * n_inputs, np.array(corr), 10, np.random.default_rng(0))
    for fragment in fragments:
        assert fragment in str(err.value)


def test_dirichlet_cannot_take_part_in_correlated_sampling():
    dists = [
        make_distribution("normal", mean=0, sd=1),
        make_distribution("dirichlet", counts=[1, 2]),
    ]
    with pytest.raises(DistributionError, match=r"input 1 is a dirichlet .* correlated"):
        sample_correlated(dists, np.eye(2), 10, np.random.default_rng(0))


# -- impossible specifications ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "given", "fragments"),
    [
        ("beta", {"mean": 0.5, "sd": 0.6}, ["mean 0.5 and sd 0.6 cannot exist", "= 0.5"]),
        ("beta", {"mean": 0.1, "sd": 0.3}, ["sd 0.3", "sqrt(mean*(1-mean)) = 0.3"]),
        ("beta", {"mean": 1.2, "sd": 0.1}, ["mean", "strictly between 0 and 1", "1.2"]),
        ("beta", {"mean": 0.0, "sd": 0.1}, ["mean", "strictly between 0 and 1", "got 0"]),
        ("beta", {"alpha": -1.0, "beta": 2.0}, ["alpha", "positive", "-1"]),
        ("beta", {"alpha": 1.0, "beta": 2.0, "mean": 0.3}, ["not a mix", "alpha", "mean"]),
        ("beta", {"alpha": 1.0, "beta": 2.0, "mean": 0.3, "sd": 0.1}, ["not a mix", "sd"]),
        ("beta", {"alpha": 1.0}, ["alpha", "also needs beta"]),
        ("normal", {"mean": 1.0, "sd": 0.0}, ["sd", "must be positive", "got 0"]),
        ("normal", {"mean": 1.0, "sd": -2.0}, ["sd", "must be positive", "-2"]),
        ("normal", {"mean": 1.0}, ["mean", "also needs sd"]),
        ("normal", {}, ["needs mean and sd", "got nothing"]),
        ("normal", {"mu": 0.0, "sd": 1.0}, ["unknown parameter mu", "expected mean and sd"]),
        ("normal", {"mean": math.nan, "sd": 1.0}, ["mean", "finite", "nan"]),
        ("normal", {"mean": "7", "sd": 1.0}, ["mean", "must be a number", "'7'"]),
        ("normal", {"mean": [1.0, 2.0], "sd": 1.0}, ["mean", "single number", "[1.0, 2.0]"]),
        ("lognormal", {"mean": -2.0, "sd": 1.0}, ["mean", "positive", "-2"]),
        ("lognormal", {"mean": 2.0, "sd": 0.0}, ["sd", "positive", "got 0"]),
        ("lognormal", {"meanlog": 0.0, "sdlog": -1.0}, ["sdlog", "positive", "-1"]),
        ("lognormal", {"mean": 2.0, "sdlog": 1.0}, ["not a mix", "mean", "sdlog"]),
        ("gamma", {"shape": 2.0}, ["shape", "also needs rate or scale"]),
        ("gamma", {"shape": 2.0, "scale": 1.0, "rate": 1.0}, ["not a mix", "rate", "scale"]),
        ("gamma", {"mean": 2.0, "sd": 1.0, "shape": 4.0}, ["not a mix", "shape"]),
        ("gamma", {"shape": 0.0, "scale": 1.0}, ["shape", "positive", "got 0"]),
        ("gamma", {"shape": 1.0, "rate": -3.0}, ["rate", "positive", "-3"]),
        ("gamma", {"mean": -1.0, "sd": 1.0}, ["mean", "positive", "-1"]),
        ("uniform", {"min": 5.0, "max": 3.0}, ["min 5 is above max 3"]),
        ("uniform", {"min": 3.0, "max": 3.0}, ["min 3 equals max 3", "fixed"]),
        ("uniform", {"min": 3.0}, ["min", "also needs max"]),
        ("triangular", {"min": 0.0, "mode": 7.0, "max": 5.0}, ["mode 7", "min 0", "max 5"]),
        ("triangular", {"min": 6.0, "mode": 7.0, "max": 5.0}, ["min 6 is above max 5"]),
        ("pert", {"min": 0.0, "mode": -1.0, "max": 5.0}, ["mode -1", "min 0", "max 5"]),
        ("pert", {"min": 0.0, "mode": 1.0, "max": 5.0, "lambda": 0.0}, ["lambda", "positive"]),
        ("pert", {"min": 0, "mode": 1, "max": 5, "lambda": 4, "lam": 4}, ["lambda", "lam"]),
        ("pert", {"min": 0.0, "max": 5.0}, ["also needs mode"]),
        ("fixed", {"value": math.inf}, ["value", "finite", "inf"]),
        ("fixed", {"mean": 1.0}, ["unknown parameter mean", "expected value"]),
        ("dirichlet", {"counts": [3, -1, 2]}, ["counts", "non-negative", "-1"]),
        ("dirichlet", {"counts": [0, 0]}, ["counts", "all be zero"]),
        ("dirichlet", {"counts": []}, ["counts", "empty"]),
        ("dirichlet", {"counts": 5}, ["counts", "list of numbers", "5"]),
        ("dirichlet", {"alpha": [1.0, 0.0]}, ["alpha", "positive", "got 0"]),
        ("dirichlet", {"counts": [1], "alpha": [1]}, ["not both", "alpha", "counts"]),
        ("dirichlet", {"probs": [0.5, 0.5]}, ["unknown parameter probs", "counts"]),
        ("dirichlet", {}, ["needs counts"]),
        ("weibull", {"shape": 1.0}, ["unknown distribution 'weibull'", "pert"]),
    ],
)
def test_impossible_specifications_raise_one_clear_sentence(
    kind: str, given: dict[str, Any], fragments: list[str]
):
    with pytest.raises(DistributionError) as err:
        make_distribution(kind, **given)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message
    assert "\n" not in message and message.count(". ") == 0
    assert isinstance(err.value, ValueError)


def test_sample_rejects_a_bad_number_of_draws():
    d = make_distribution("normal", mean=0.0, sd=1.0)
    with pytest.raises(DistributionError, match="got -1"):
        d.sample(-1, np.random.default_rng(0))
    assert d.sample(0, np.random.default_rng(0)).shape == (0,)


def test_distribution_rejects_an_unknown_kind():
    with pytest.raises(DistributionError, match="'poisson'"):
        Distribution("poisson", {"lam": 1.0})


# -- reproducibility and fixed values -------------------------------------------------------


@pytest.mark.parametrize("case", [*CASES, ("dirichlet", {"counts": [3, 1, 6]})], ids=lambda c: c[0])
def test_the_same_seed_gives_identical_draws(case: tuple[str, dict[str, Any]]):
    d = make_distribution(case[0], **case[1])
    a = d.sample(1_000, np.random.default_rng(123))
    b = d.sample(1_000, np.random.default_rng(123))
    np.testing.assert_array_equal(a, b)
    if case[0] != "fixed":
        assert not np.array_equal(a, d.sample(1_000, np.random.default_rng(124)))


def test_correlated_sampling_is_reproducible():
    dists = [
        make_distribution("gamma", shape=2, scale=1),
        make_distribution("beta", alpha=2, beta=2),
    ]
    corr = np.array([[1.0, 0.5], [0.5, 1.0]])
    a = sample_correlated(dists, corr, 500, np.random.default_rng(8))
    b = sample_correlated(dists, corr, 500, np.random.default_rng(8))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_fixed_value_samples_exactly_and_has_no_spread():
    d = make_distribution("fixed", value=0.1)
    x = d.sample(10, np.random.default_rng(0))
    assert x.dtype == np.float64 and np.all(x == 0.1)
    assert d.mean() == 0.1 and d.sd() == 0.0
    assert np.all(d.ppf(np.array([0.0, 0.3, 1.0])) == 0.1)


def test_importing_the_module_does_not_import_scipy():
    code = (
        "import sys, socialinvest.engine.distributions as d, numpy as np\n"
        "d.make_distribution('beta', mean=0.3, sd=0.1).sample(5, np.random.default_rng(0))\n"
        "assert 'scipy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_case_files_accept_exactly_the_engine_kinds():
    from typing import get_args

    from socialinvest.case.models import Dist
    from socialinvest.engine.distributions import KINDS

    assert set(get_args(Dist.model_fields["dist"].annotation)) == set(KINDS)
