"""Comparing alternatives: key figures, rankings, dominance, the efficiency frontier and EVPI,
against hand-worked numbers and closed forms.

Hand case (no discounting, own price 200 kr. per day split half kommune, half region, 10 + 10 + 5
fewer days per additional success, 10 participants, success rate without 0.2): with success rate
r and a kr. per participant, successes = 10 (r − 0.2), gains = 50 000 (r − 0.2), costs = 10 a.

    A: r = 0.5,  a = 1 000 → successes 3,   gains 15 000, costs 10 000, NPV 5 000, 1.50 per krone
    B: r = 0.45, a = 500   → successes 2.5, gains 12 500, costs  5 000, NPV 7 500, 2.50 per krone
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from socialinvest.analysis.compare import (
    EXTENDEDLY_DOMINATED,
    FRONTIER,
    STRONGLY_DOMINATED,
    compare,
    efficiency_frontier,
    evpi,
    prob_highest,
)
from socialinvest.case import load_case
from socialinvest.cli import app
from socialinvest.errors import InputError

from .conftest import base_case, write_case

runner = CliRunner()


def hand_case(tmp_path, name, rate_with, amount, **changes):
    data = base_case(name=name, discounting={"rate": 0.0}, **changes)
    data["consequences"][0]["price"]["value"] = 200
    data["success"]["rate_with"] = rate_with
    data["intervention"]["costs"][0]["amount"] = amount
    return write_case(tmp_path, data, f"{name}.yaml")


@pytest.fixture
def two(tmp_path):
    return hand_case(tmp_path, "A", 0.5, 1000), hand_case(tmp_path, "B", 0.45, 500)


def test_efficiency_frontier_on_hand_made_points():
    names = ["A", "B", "C", "D", "E"]
    costs = [100.0, 200.0, 300.0, 250.0, 400.0]
    effects = [10.0, 15.0, 30.0, 12.0, 31.0]
    # D is strongly dominated by B (cheaper, more effect). Among A, B, C, E: A→B costs 20 per
    # success, B→C 100/15 ≈ 6.67: B is extendedly dominated (a mix of A and C does better).
    # Frontier A → C: 200 / 20 = 10; C → E: 100 / 1 = 100.
    points = dict(zip(names, efficiency_frontier(costs, effects, names), strict=True))
    assert points["D"].status == STRONGLY_DOMINATED
    assert points["D"].dominated_by == ["B"]
    assert points["B"].status == EXTENDEDLY_DOMINATED
    assert points["B"].dominated_by == ["A", "C"]
    assert points["A"].status == FRONTIER and points["A"].incremental_cost_per_success is None
    assert points["C"].compared_with == "A"
    assert points["C"].incremental_cost_per_success == pytest.approx(10.0)
    assert points["E"].compared_with == "C"
    assert points["E"].incremental_cost_per_success == pytest.approx(100.0)


def test_extended_dominance_is_removed_worst_first_and_rechecked():
    names = ["O", "P", "Q", "R"]
    costs = [0.0, 20.0, 30.0, 60.0]
    effects = [0.0, 2.0, 6.0, 8.0]
    # check by hand: O→P 20/2 = 10, P→Q 10/4 = 2.5, Q→R 30/2 = 15 → P extendedly dominated;
    # then O→Q 30/6 = 5 < Q→R 15: frontier O, Q, R.
    points = dict(zip(names, efficiency_frontier(costs, effects, names), strict=True))
    assert points["P"].status == EXTENDEDLY_DOMINATED
    assert [n for n in names if points[n].status == FRONTIER] == ["O", "Q", "R"]
    assert points["Q"].incremental_cost_per_success == pytest.approx(5.0)
    assert points["R"].incremental_cost_per_success == pytest.approx(15.0)


def test_identical_alternatives_keep_the_first():
    points = efficiency_frontier([5.0, 5.0], [1.0, 1.0], ["X", "Y"])
    assert points[0].status == FRONTIER
    assert points[1].status == STRONGLY_DOMINATED and points[1].dominated_by == ["X"]


def test_key_figures_rankings_and_frontier_by_hand(two, fixture_kb):
    a, b = (load_case(p) for p in two)
    result = compare([(None, a), (None, b)], fixture_kb, with_do_nothing=True)
    alt = {x.name: x for x in result.alternatives}
    assert alt["A"].npv == pytest.approx(5000)
    assert alt["A"].npv_by_actor == pytest.approx({"kommune": -2500, "region": 7500, "stat": 0})
    assert alt["A"].discounted_costs == pytest.approx(10_000)
    assert alt["A"].additional_successes == pytest.approx(3)
    assert alt["A"].return_per_krone == pytest.approx(1.5)
    assert alt["A"].cost_per_additional_success == pytest.approx(10_000 / 3)
    assert alt["B"].npv == pytest.approx(7500)
    assert alt["B"].return_per_krone == pytest.approx(2.5)
    assert alt["B"].cost_per_additional_success == pytest.approx(2000)
    out = result.to_dict()
    assert out["ranking"] == {"npv": ["B", "A", "do_nothing"], "return_per_krone": ["B", "A"]}
    # do nothing (0, 0) → B: 5 000 / 2.5 = 2 000 per success → A: 5 000 / 0.5 = 10 000
    assert out["frontier"] == ["do_nothing", "B", "A"]
    by = {x["name"]: x for x in out["alternatives"]}
    assert by["B"]["frontier"]["incremental_cost_per_success"] == pytest.approx(2000)
    assert by["A"]["frontier"]["compared_with"] == "B"
    assert by["A"]["frontier"]["incremental_cost_per_success"] == pytest.approx(10_000)
    assert by["do_nothing"]["return_per_krone"] is None
    assert out["evpi"] is None and by["A"]["prob_highest_npv"] is None


def test_evpi_and_probability_match_the_closed_form(tmp_path, fixture_kb):
    # A: one year of −u days per success, u ~ normal(−40, 10); 3 successes at 100 kr. per day:
    # NPV = −300 u − 10 000 ~ normal(μ = 2 000, σ = 3 000). B: do nothing.
    data = base_case(name="A", discounting={"rate": 0.0})
    data["consequences"][0]["units_per_success"] = [{"dist": "normal", "mean": -40, "sd": 10}]
    loaded = load_case(write_case(tmp_path, data))
    draws = 40_000
    result = compare([(None, loaded)], fixture_kb, draws=draws, seed=11, with_do_nothing=True)
    mu, sigma = 2000.0, 3000.0
    z = abs(mu) / sigma
    pdf = math.exp(-0.5 * (mu / sigma) ** 2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * math.erfc(z / math.sqrt(2))  # Φ(−|μ|/σ)
    closed = sigma * pdf - abs(mu) * cdf
    info = result.evpi()
    assert info is not None
    assert abs(info["value"] - closed) < 4 * info["standard_error"]
    assert info["standard_error"] < 0.05 * closed  # the test has power
    assert result.alternatives[0].npv == pytest.approx(mu, abs=4 * sigma / math.sqrt(draws))
    p = 1.0 - cdf  # P(NPV_A > 0) = Φ(μ/σ)
    prob = result.prob_highest_npv
    assert prob is not None
    assert abs(prob[0] - p) < 4 * math.sqrt(p * (1 - p) / draws)
    assert prob[0] + prob[1] == pytest.approx(1.0)


def test_evpi_and_probability_on_a_small_matrix():
    npv = np.array([[1.0, 3.0], [4.0, 0.0], [2.0, 2.0]])
    # means 7/3 and 5/3: A best on average; per-draw maxima 3, 4, 2 → E[max] = 3
    info = evpi(npv)
    assert info["value"] == pytest.approx(3.0 - 7.0 / 3.0)
    assert info["max_expected"] == pytest.approx(7 / 3)
    assert prob_highest(npv) == pytest.approx([0.5, 0.5])  # the tie in draw 3 is split


def test_alternatives_share_the_seed(tmp_path, fixture_kb):
    data = base_case(discounting={"rate": 0.0})
    data["success"]["rate_with"] = {"dist": "beta", "mean": 0.5, "sd": 0.1}
    one = load_case(write_case(tmp_path, data, "one.yaml"))
    two = load_case(write_case(tmp_path, data, "two.yaml"))
    result = compare([("X", one), ("Y", two)], fixture_kb, draws=500, seed=5)
    x, y = result.alternatives
    assert np.array_equal(x.npv_draws, y.npv_draws)  # the same draws, not merely the same mean
    assert result.prob_highest_npv == pytest.approx([0.5, 0.5])
    info = result.evpi()
    assert info is not None and info["value"] == 0.0
    again = compare([("X", one), ("Y", two)], fixture_kb, draws=500, seed=5)
    assert again.to_dict() == result.to_dict()


def test_a_seed_is_chosen_and_recorded(two, fixture_kb):
    a, b = (load_case(p) for p in two)
    result = compare([(None, a), (None, b)], fixture_kb, draws=20)
    assert isinstance(result.seed, int)


def test_errors(two, tmp_path, fixture_kb):
    a = load_case(two[0])
    with pytest.raises(InputError, match="at least two alternatives"):
        compare([(None, a)], fixture_kb)
    other = load_case(hand_case(tmp_path, "C", 0.5, 1000, price_year=2023))
    with pytest.raises(InputError, match="same price year"):
        compare([(None, a), (None, other)], fixture_kb)


def test_differences_in_set_up_are_noted(two, tmp_path, fixture_kb):
    a = load_case(two[0])
    longer = load_case(hand_case(tmp_path, "L", 0.5, 1000, horizon_years=8))
    notes = compare([(None, a), (None, longer)], fixture_kb).notes
    assert [n["differs"] for n in notes] == ["horizon_years"]


# -- command line --------------------------------------------------------------------------------


def test_cli_json(two):
    result = runner.invoke(app, ["compare", *map(str, two), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["analysis"] == "comparison"
    assert [a["name"] for a in data["alternatives"]] == ["A", "B"]
    assert data["alternatives"][1]["npv"]["total"] == pytest.approx(7500)
    assert data["alternatives"][0]["rank_npv"] == 2
    assert len(data["provenance"]["case_files"]) == 2


def test_cli_comparison_file_with_names_and_draws(two, tmp_path):
    listing = {
        "name": "Test",
        "alternatives": [
            {"case": two[0].name, "name": "Mentor"},
            {"case": two[1].name, "name": "Gruppe"},
        ],
    }
    path = tmp_path / "comparison.yaml"
    path.write_text(yaml.safe_dump(listing, allow_unicode=True), encoding="utf-8")
    args = ["compare", str(path), "--draws", "50", "--seed", "2", "--with-do-nothing", "-f", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "Test"
    assert data["seed"] == 2 and data["draws"] == 50
    assert [a["name"] for a in data["alternatives"]] == ["Mentor", "Gruppe", "do_nothing"]
    # no uncertain input: B is best in every draw
    assert [a["prob_highest_npv"] for a in data["alternatives"]] == [0.0, 1.0, 0.0]
    assert data["evpi"]["value"] == 0.0


@pytest.mark.parametrize(
    ("lang", "words"),
    [("da", ["Effektivitetsfront", "Gør ingenting", "EVPI"]), ("en", ["frontier", "Do nothing"])],
)
def test_cli_table(two, lang, words):
    args = ["compare", *map(str, two), "--with-do-nothing", "--lang", lang, "-n", "20", "-s", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.stdout


def test_cli_errors_exit_2(two, tmp_path):
    result = runner.invoke(app, ["compare", str(two[0]), "--lang", "en"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("alternatives:\n  - name: x\n", encoding="utf-8")
    result = runner.invoke(app, ["compare", str(bad), "--lang", "en"])
    assert result.exit_code == 2
    assert "line 2" in result.stderr


def test_a_state_transition_alternative_is_flagged():
    from .conftest import EXAMPLES

    cases = [
        (None, load_case(EXAMPLES / "impact60-job-education.yaml")),
        (None, load_case(EXAMPLES / "impact60-state-transition.yaml")),
    ]
    notes = compare(cases).to_dict()["notes"]
    assert any(note["differs"] == "model" for note in notes)
