"""Monte Carlo over inputs given as distributions: exactness, reproducibility, convergence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from socialinvest import appraise
from socialinvest.case import load_case, load_case_text
from socialinvest.cli import app
from socialinvest.runner import chunk_sizes

from .conftest import EXAMPLES, base_case, write_case

runner = CliRunner()


def case_text(data) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def test_zero_variance_inputs_equal_the_deterministic_result_exactly(fixture_kb):
    plain = base_case()
    fixed = base_case()
    fixed["success"]["rate_with"] = {"dist": "fixed", "value": 0.5}
    fixed["intervention"]["costs"][0]["amount"] = {"dist": "fixed", "value": 1000}
    fixed["consequences"][0]["units_per_success"][0] = {"dist": "fixed", "value": -10}
    one = appraise(load_case_text(case_text(plain)), fixture_kb)
    many = appraise(load_case_text(case_text(fixed)), fixture_kb, draws=300, seed=7)
    assert many.draws == 300
    assert np.all(many.summary.npv == one.summary.npv[0])  # every draw, bit for bit
    assert many.npv_total == pytest.approx(one.npv_total, rel=1e-13)
    unc = many.uncertainty()
    assert unc["total"]["sd"] <= 1e-12 * abs(one.npv_total)  # rounding in the mean only
    assert unc["total"]["p05"] == unc["total"]["p95"] == one.npv_total


def uncertain_case():
    data = base_case(horizon_years=6)
    data["success"] = {
        "measure": "m",
        "rate_with": {"dist": "beta", "mean": 0.5, "sd": 0.08},
        "rate_without": {"dist": "uniform", "min": 0.1, "max": 0.3},
    }
    data["target_group"]["cohorts"][0]["intake"] = {"dist": "gamma", "mean": 40, "sd": 8}
    data["intervention"]["costs"][0]["amount"] = {
        "dist": "pert",
        "min": 500,
        "mode": 1000,
        "max": 2000,
    }
    data["consequences"][0]["units_per_success"] = [
        {"dist": "normal", "mean": -10, "sd": 3},
        -10,
        {"dist": "triangular", "min": -8, "mode": -5, "max": 0},
    ]
    data["consequences"][0]["price"]["value"] = {"dist": "lognormal", "mean": 100, "sd": 20}
    return data


def test_mean_over_draws_converges_to_the_result_at_the_means(fixture_kb):
    # The success-rate model is multilinear in independent inputs (no drop-off here), so the
    # expected NPV equals the NPV at the inputs' means; the sample mean must lie within four
    # standard errors of it.
    data = uncertain_case()
    at_means = appraise(load_case_text(case_text(data)), fixture_kb)
    mc = appraise(load_case_text(case_text(data)), fixture_kb, draws=40_000, seed=11)
    npv = mc.summary.npv_total
    se = npv.std(ddof=1) / np.sqrt(npv.size)
    assert abs(npv.mean() - at_means.npv_total) < 4 * se
    assert npv.std() > 0
    unc = mc.uncertainty()
    assert unc["total"]["prob_positive"] == pytest.approx((npv > 0).mean())
    assert unc["total"]["p05"] < unc["total"]["p50"] < unc["total"]["p95"]
    assert unc["total"]["p50"] == pytest.approx(np.quantile(npv, 0.5))
    assert sum(unc["break_even_year"]["distribution"].values()) == pytest.approx(1.0)


def test_same_seed_same_output_and_another_seed_differs(tmp_path: Path):
    path = write_case(tmp_path, uncertain_case())
    args = ["run", str(path), "--draws", "3000", "--format", "json"]
    first = runner.invoke(app, [*args, "--seed", "5"])
    second = runner.invoke(app, [*args, "--seed", "5"])
    other = runner.invoke(app, [*args, "--seed", "6"])
    assert first.exit_code == 0, first.stderr
    assert first.stdout == second.stdout
    assert first.stdout != other.stdout
    data = json.loads(first.stdout)
    assert data["draws"] == 3000
    unc = data["uncertainty"]
    for block in [unc["total"], *unc["by_actor"].values()]:
        assert {"prob_positive", "p05", "p50", "p95"} <= set(block)
    assert data["provenance"]["run"]["seed"] == 5


def test_a_run_without_seed_records_the_seed_it_used(fixture_kb):
    data = uncertain_case()
    first = appraise(load_case_text(case_text(data)), fixture_kb, draws=200)
    again = appraise(load_case_text(case_text(data)), fixture_kb, draws=200, seed=first.run["seed"])
    assert np.array_equal(first.summary.npv, again.summary.npv)


def test_many_chunks_keep_memory_bounded_and_results_whole(fixture_kb, monkeypatch):
    assert chunk_sizes(10, 100, budget_cells=300) == [3, 3, 3, 1]
    assert sum(chunk_sizes(1_000_003, 240)) == 1_000_003
    import socialinvest.runner as runner_module

    original = runner_module.chunk_sizes
    monkeypatch.setattr(
        runner_module,
        "chunk_sizes",
        lambda draws, cells, budget_cells=0: original(draws, cells, budget_cells=cells * 97),
    )
    data = uncertain_case()
    result = appraise(load_case_text(case_text(data)), fixture_kb, draws=1000, seed=3)
    assert result.summary.npv.shape == (1000, 3)
    assert result.run["chunk_draws"] == 97
    again = appraise(load_case_text(case_text(data)), fixture_kb, draws=1000, seed=3)
    assert np.array_equal(result.summary.npv, again.summary.npv)
    # the yearly means are the means over all draws of all chunks
    assert result.summary.discounted_net_mean.sum() == pytest.approx(result.npv_total, rel=1e-12)


def test_correlated_success_rates(fixture_kb):
    data = uncertain_case()
    data["correlations"] = [{"inputs": ["success.rate_with", "success.rate_without"], "rho": 0.8}]
    result = appraise(load_case_text(case_text(data)), fixture_kb, draws=20_000, seed=2)
    s = result.summary
    with_rate = s.effect + s.baseline
    ranks = [np.argsort(np.argsort(x)) for x in (with_rate, s.baseline)]
    spearman = np.corrcoef(*ranks)[0, 1]
    # A Gaussian copula with rho gives Spearman (6/pi) asin(rho/2); 4/sqrt(n) ≈ 0.03 bound.
    assert spearman == pytest.approx(6 / np.pi * np.arcsin(0.4), abs=0.03)


@pytest.mark.parametrize(
    ("field", "value", "fragments"),
    [
        (
            ("success", "rate_with"),
            {"dist": "beta", "mean": 0.5, "sd": 0.6},
            ["field 'success.rate_with'", "cannot exist", "sd must be below"],
        ),
        (
            ("success", "rate_with"),
            {"dist": "normal", "mean": 0.5, "sd": 0.1},
            ["field 'success.rate_with'", "stay between 0 and 1"],
        ),
        (
            ("success", "rate_with"),
            {"dist": "uniform", "min": 0.6, "max": 0.4},
            ["min 0.6 is above max 0.4"],
        ),
        (
            ("success", "rate_with"),
            {"dist": "betta", "mean": 0.5, "sd": 0.1},
            ["field 'success.rate_with.dist' has 'betta'", "'beta'"],
        ),
        (
            ("success", "rate_with"),
            {"dist": "beta", "mu": 0.5, "sd": 0.1},
            ["field 'success.rate_with.mu' is not a known field"],
        ),
    ],
)
def test_impossible_distributions_get_one_clear_sentence(tmp_path: Path, field, value, fragments):
    data = base_case()
    data[field[0]][field[1]] = value
    result = runner.invoke(
        app, ["run", str(write_case(tmp_path, data)), "--draws", "10", "--lang", "en"]
    )
    assert result.exit_code == 2, result.stdout
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    for fragment in fragments:
        assert fragment in line, (fragment, line)


def test_unknown_correlation_input(tmp_path: Path):
    data = uncertain_case()
    data["correlations"] = [{"inputs": ["success.rate_with", "success.rate"], "rho": 0.3}]
    result = runner.invoke(app, ["run", str(write_case(tmp_path, data)), "--lang", "en"])
    assert result.exit_code == 2
    assert "field 'correlations[0].inputs[1]' has 'success.rate'" in result.stderr
    assert "success.rate_without" in result.stderr


def test_the_uncertain_example_runs_with_draws():
    result = appraise(load_case(EXAMPLES / "impact60-uncertain.yaml"), draws=2000, seed=1)
    unc = result.uncertainty()
    assert 0 < unc["by_actor"]["kommune"]["prob_positive"] < 1
    table = runner.invoke(
        app, ["run", str(EXAMPLES / "impact60-uncertain.yaml"), "--draws", "500", "--seed", "1"]
    )
    assert table.exit_code == 0
    assert "Sandsynlighed for overskud" in table.stdout
