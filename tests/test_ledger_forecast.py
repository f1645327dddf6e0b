"""The re-forecast: without observations it is the design stage; with observations drawn from a
known success rate it concentrates around that rate (the beta-binomial update)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from socialinvest.case.load import LoadedCase, load_case_text
from socialinvest.contract.result import evaluate_contract
from socialinvest.ledger.forecast import (
    Observation,
    reforecast,
    systematic_resample,
    timing_cdf,
)
from socialinvest.ledger.terms import Terms

from .conftest import base_case

N = 200
TRUE_RATE = 0.3
PRIOR_MEAN, PRIOR_SD = 0.5, 0.15


def _loaded() -> LoadedCase:
    data = base_case(
        success={
            "measure": "in work",
            "rate_with": {"dist": "beta", "mean": PRIOR_MEAN, "sd": PRIOR_SD},
            "rate_without": 0.1,
            "timing": [1.0],
        },
        discounting={"rate": 0.04, "convention": "start"},
    )
    data["target_group"]["cohorts"] = [{"year": 2024, "intake": N}]
    data["contract"] = {
        "name": "Forecast test",
        "start_date": "2024-01-01",
        "period": "quarter",
        "periods": 8,
        "parties": [
            {"name": "Kommune", "role": "payer", "actor": "kommune"},
            {"name": "Fund", "role": "investor"},
            {"name": "Provider", "role": "provider"},
        ],
        "participants": {"cohorts": [N]},
        "metrics": {"in_work": {"kind": "time_in", "units_per_period": 13}},
        "payments": [{"name": "week", "metric": "in_work", "mechanism": "per_unit", "price": 150}],
        "provider": {"delivery_costs": [100000] * 8},
        "finance": {
            "tranches": [{"name": "e", "investor": "Fund", "kind": "equity", "commitment": 900000}]
        },
    }
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return LoadedCase.of(load_case_text(text, "forecast.yaml"))


@pytest.fixture(scope="module")
def terms(fixture_kb):
    return Terms.from_case(_loaded(), kb=fixture_kb)


def test_no_observations_is_the_design_stage(terms, fixture_kb):
    forecast = reforecast(terms, [], draws=300, seed=5)
    design = evaluate_contract(_loaded(), fixture_kb, draws=300, seed=5)
    assert forecast.result.to_dict() == design.to_dict()
    assert forecast.effective_draws == 300


def test_timing_cdf_spreads_each_year_over_its_periods(terms):
    # timing [1.0]: every success within the first year, a quarter of them in each quarter
    assert [timing_cdf(terms, e) for e in range(6)] == [0, 0.25, 0.5, 0.75, 1.0, 1.0]


def _observations(as_of: int, seed: int = 12) -> list[Observation]:
    rng = np.random.default_rng(seed)
    succeeded = rng.random(N) < TRUE_RATE
    start = rng.integers(1, 5, size=N)  # the quarter after intake the success begins
    return [
        Observation(1, as_of, int(start[i]) if succeeded[i] and start[i] <= as_of else None)
        for i in range(N)
    ]


def test_observations_from_a_known_rate_concentrate_around_it(terms):
    """The prior is Beta(a, b) with mean 0.5 and sd 0.15: a = b = 0.5 · (0.25 / 0.0225 − 1).
    Once all 200 participants are observed for a full year (F = 1), the posterior is exactly
    Beta(a + s, b + 200 − s); the resampled draws must match its mean to within 0.01 (about
    five standard errors of 2,000 resampled draws) and its sd to within 20 %. As the deal runs
    the posterior narrows, and its mean is within 3 binomial standard errors of 0.3
    (3 · √(0.3 · 0.7 / 200) ≈ 0.097) of the true rate."""
    a = b = 0.5 * (0.25 / PRIOR_SD**2 - 1)
    sds = []
    for as_of in (1, 2, 4, 8):
        observed = _observations(as_of)
        f = reforecast(terms, observed, draws=2000, seed=9)
        mean, sd = float(f.rates.mean()), float(f.rates.std())
        sds.append(sd)
        assert abs(mean - TRUE_RATE) < 3 * math.sqrt(TRUE_RATE * (1 - TRUE_RATE) / N) + 0.05
        if as_of >= 4:
            s = sum(o.success_period is not None for o in observed)
            exact_mean = (a + s) / (a + b + N)
            exact_sd = math.sqrt(exact_mean * (1 - exact_mean) / (a + b + N + 1))
            assert mean == pytest.approx(exact_mean, abs=0.01)
            assert sd == pytest.approx(exact_sd, rel=0.2)
            assert abs(mean - TRUE_RATE) < 3 * math.sqrt(TRUE_RATE * (1 - TRUE_RATE) / N)
    prior_sd = float(f.prior_rates.std())
    assert prior_sd == pytest.approx(PRIOR_SD, rel=0.1)
    assert prior_sd > sds[0] > sds[1] > sds[2]
    # the expected payments follow: fewer successes than designed, less to pay
    d = f.to_dict()
    assert d["outcome_payments"]["forecast"]["mean"] < d["outcome_payments"]["design"]["mean"]


def test_realised_payments_replace_the_simulated_ones(terms):
    realised = np.array([0.0, 1000.0, 2000.0, 3000.0, 9.0, 9.0, 9.0, 9.0])
    f = reforecast(terms, _observations(4), realised, as_of=4, draws=200, seed=2)
    np.testing.assert_array_equal(f.result.flows.payments[:, :4], np.tile(realised[:4], (200, 1)))
    fan = f.to_dict()["fan"]
    assert fan["realised"] == [0.0, 1000.0, 3000.0, 6000.0]
    assert len(fan["design"]["p50"]) == 8


def test_systematic_resampling():
    idx = systematic_resample(np.array([0.0, 0.5, 0.0, 0.5]), seed=1)
    assert sorted(idx.tolist()) == [1, 1, 3, 3]
    idx = systematic_resample(np.array([1.0, 3.0]), seed=4)
    assert sorted(idx.tolist()) in ([0, 1], [1, 1])
