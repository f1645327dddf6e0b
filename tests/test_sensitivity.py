"""One-way sensitivity (tornado) and threshold values, checked against hand-worked numbers.

The case: 10 participants, success rate without 0.2, 1 000 kr. per participant (kommune), an own
price of 200 kr. per day split half kommune, half region, 10 + 10 + 5 fewer days per additional
success, no discounting. With success rate r and cost a per participant:

    successes = 10 (r − 0.2);  gains = successes · 25 · 200 = 50 000 (r − 0.2)
    NPV_total = 50 000 (r − 0.2) − 10 a;  NPV_kommune = 25 000 (r − 0.2) − 10 a;
    NPV_region = 25 000 (r − 0.2).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from socialinvest.analysis import sensitivity as sens
from socialinvest.analysis.sensitivity import analyse, parse_spec
from socialinvest.case import load_case
from socialinvest.cli import app
from socialinvest.errors import InputError
from socialinvest.runner import appraise

from .conftest import EXAMPLES, base_case, write_case

runner = CliRunner()


def npv_total(r: float, a: float = 1000.0) -> float:
    return 50_000 * (r - 0.2) - 10 * a


def npv_kommune(r: float, a: float = 1000.0) -> float:
    return 25_000 * (r - 0.2) - 10 * a


def npv_region(r: float) -> float:
    return 25_000 * (r - 0.2)


def linear_case(tmp_path, rate_with=None, **changes):
    data = base_case(discounting={"rate": 0.0}, **changes)
    data["consequences"][0]["price"]["value"] = 200
    data["success"]["rate_with"] = (
        {"dist": "uniform", "min": 0.4, "max": 0.6} if rate_with is None else rate_with
    )
    return write_case(tmp_path, data)


@pytest.fixture
def case(tmp_path, fixture_kb):
    return load_case(linear_case(tmp_path))


def test_one_way_at_the_5th_and_95th_percentiles(case, fixture_kb):
    result = analyse(case, fixture_kb)
    assert result.npv_point["total"] == pytest.approx(npv_total(0.5))
    [row] = result.one_way
    assert row.path == "success.rate_with"
    assert row.basis == "percentiles"
    # uniform(0.4, 0.6): 5th percentile 0.41, 95th 0.59
    assert (row.low, row.high) == pytest.approx((0.41, 0.59))
    assert row.npv_low["total"] == pytest.approx(npv_total(0.41))  # 500
    assert row.npv_high["total"] == pytest.approx(npv_total(0.59))  # 9 500
    assert row.npv_low["kommune"] == pytest.approx(npv_kommune(0.41))  # −4 750
    assert row.npv_high["region"] == pytest.approx(npv_region(0.59))  # 9 750
    assert row.npv_low["stat"] == 0.0
    assert row.swing == pytest.approx(9000.0)


def test_plain_numbers_vary_with_a_given_range_and_the_tornado_is_sorted(case, fixture_kb):
    result = analyse(
        case,
        fixture_kb,
        inputs={"success.rate_with": None, "intervention.costs[0].amount": (500.0, 1500.0)},
    )
    first, second = result.one_way
    # amount: NPV = 15 000 − 10 a → 10 000 at 500, 0 at 1 500: swing 10 000 > 9 000
    assert first.path == "intervention.costs[0].amount"
    assert first.basis == "given"
    assert first.point == 1000.0
    assert first.npv_low["total"] == pytest.approx(npv_total(0.5, 500))
    assert first.npv_high["total"] == pytest.approx(npv_total(0.5, 1500))
    assert first.npv_high["kommune"] == pytest.approx(npv_kommune(0.5, 1500))
    assert first.swing == pytest.approx(10_000)
    assert second.path == "success.rate_with"
    assert second.swing == pytest.approx(9000)
    # the other input stays at its point value in each input's scenarios
    assert second.npv_low["total"] == pytest.approx(npv_total(0.41, 1000))


def test_all_scenarios_go_through_the_engine_in_one_run(case, fixture_kb, monkeypatch):
    from socialinvest.knowledge.base import KnowledgeBase
    from socialinvest.runner import prepare

    assert isinstance(fixture_kb, KnowledgeBase)
    calls: list[int] = []
    original = sens.run_arrays

    def counting(prepared, arrays):
        calls.append(arrays["intake"].shape[0])
        return original(prepared, arrays)

    monkeypatch.setattr(sens, "run_arrays", counting)
    from socialinvest.case.load import LoadedCase

    prepared = prepare(LoadedCase.of(case), fixture_kb, every_input=True)
    slots = {s.path: s for s in prepared.slots}
    chosen = [
        (slots["success.rate_with"], None),
        (slots["intervention.costs[0].amount"], (500.0, 1500.0)),
        (slots["consequences[0].units_per_success[2]"], (-8.0, -2.0)),
    ]
    _, rows = sens.one_way(prepared, chosen)
    assert calls == [1 + 2 * 3]  # the point scenario and two per input, one engine run
    units = next(r for r in rows if r.path.startswith("consequences"))
    # one fewer day in year 3 per success is 3 successes · 200 kr. = 600 kr.
    assert units.npv_low["total"] - units.npv_high["total"] == pytest.approx(6 * 600)


def test_thresholds_in_a_given_range(case, fixture_kb):
    result = analyse(
        case,
        fixture_kb,
        inputs={"success.rate_with": None},
        thresholds={"success.rate_with": (0.3, 0.7), "intervention.costs[0].amount": (0, 2000)},
    )
    rate, amount = result.thresholds
    by = {c.target: c for c in rate.crossings}
    assert set(by) == {"total", "kommune", "region"}  # the state has no flows
    assert by["total"].values == [pytest.approx(0.4, abs=1e-10)]  # 50 000 (r − 0.2) = 10 000
    assert by["kommune"].values == [pytest.approx(0.6, abs=1e-10)]  # 25 000 (r − 0.2) = 10 000
    assert by["region"].values == []
    assert by["region"].sign == "positive"
    assert by["region"].npv_at_low == pytest.approx(npv_region(0.3))
    by = {c.target: c for c in amount.crossings}
    assert by["total"].values == [pytest.approx(1500)]  # 15 000 − 10 a = 0
    assert by["kommune"].values == [pytest.approx(750)]  # 7 500 − 10 a = 0
    assert amount.basis == "given"


def test_no_crossing_within_the_distributions_interval_is_said_clearly(case, fixture_kb):
    result = analyse(case, fixture_kb, thresholds={"success.rate_with": None})
    [t] = result.thresholds
    assert t.basis == "interval"
    assert (t.low, t.high) == pytest.approx((0.4002, 0.5998))  # 0.1 % and 99.9 % of U(0.4, 0.6)
    by = {c.target: c for c in t.crossings}
    # total crosses at 0.4 and kommune at 0.6: both just outside the interval
    assert by["total"].values == [] and by["total"].sign == "positive"
    assert by["kommune"].values == [] and by["kommune"].sign == "negative"
    out = result.to_dict()["thresholds"][0]["results"][0]
    assert out == {
        "target": "total",
        "values": [],
        "sign": "positive",
        "npv_at_low": pytest.approx(npv_total(0.4002)),
        "npv_at_high": pytest.approx(npv_total(0.5998)),
    }


def test_threshold_of_the_success_rate_is_the_break_even_success_rate(fixture_kb, tmp_path):
    data = base_case()  # discounted with the fixture's schedule, consequences over three years
    data["success"]["rate_with"] = {"dist": "beta", "mean": 0.5, "sd": 0.1}
    data["consequences"][0]["price"]["value"] = 200
    loaded = load_case(write_case(tmp_path, data))
    result = analyse(loaded, fixture_kb, thresholds={"success.rate_with": (0.0, 1.0)})
    expected = appraise(loaded, fixture_kb).break_even_success_rate()
    by = {c.target: c.values for c in result.thresholds[0].crossings}
    assert by["total"] == [pytest.approx(expected["total"], abs=1e-9)]
    assert by["kommune"] == [pytest.approx(expected["by_actor"]["kommune"], abs=1e-9)]


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"success.rate": None}, "the path of a numeric input"),
        ({"intervention.costs[0].amount": None}, "a range for an input given as a plain number"),
        ({"success.rate_with": (0.3, 1.5)}, "values between 0 and 1"),
        ({"intervention.costs[0].amount": (-5.0, 10.0)}, "values between 0 and inf"),
    ],
)
def test_inputs_that_cannot_be_varied_are_errors(case, fixture_kb, inputs, words):
    with pytest.raises(InputError) as info:
        analyse(case, fixture_kb, inputs=inputs)
    assert words in info.value.message
    assert "\n" not in info.value.message


def test_dirichlet_timing_is_skipped_by_default_and_refused_by_name(tmp_path, fixture_kb):
    data = base_case(discounting={"rate": 0.0})
    data["success"]["timing"] = {"dist": "dirichlet", "counts": [30, 70]}
    loaded = load_case(write_case(tmp_path, data))
    result = analyse(loaded, fixture_kb)
    assert result.one_way == []
    assert result.skipped == [{"input": "success.timing", "reason": "dirichlet"}]
    with pytest.raises(InputError, match="vector of shares"):
        analyse(loaded, fixture_kb, inputs={"success.timing": (0.0, 1.0)})


def test_state_transition_cases_get_one_way_sensitivity_but_no_thresholds():
    # issue 14: one-way sensitivity on state-transition cases (tests/test_never_mislead.py
    # checks its numbers); threshold values remain for success-rate cases
    case = load_case(EXAMPLES / "impact60-state-transition.yaml")
    found = analyse(case)
    assert {row.path for row in found.one_way} >= {"state_transition.parameters.rr_job"}
    with pytest.raises(InputError, match="threshold values for a success-rate case"):
        analyse(case, thresholds={"state_transition.parameters.rr_job": None})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("success.rate_with", ("success.rate_with", None)),
        ("success.rate_with=0.3:0.6", ("success.rate_with", (0.3, 0.6))),
        (
            "consequences[0].units_per_success[1]=-12:-8",
            ("consequences[0].units_per_success[1]", (-12, -8)),
        ),
        ("success.rate_with=0,3:0,6", ("success.rate_with", (0.3, 0.6))),
    ],
)
def test_parse_spec(text, expected):
    assert parse_spec(text) == expected


@pytest.mark.parametrize("text", ["success.rate_with=0.3", "a=b:c", "x=nan:1", "=1:2"])
def test_parse_spec_errors(text):
    with pytest.raises(InputError, match="PATH=LOW:HIGH"):
        parse_spec(text)


# -- command line --------------------------------------------------------------------------------


def test_cli_json(tmp_path):
    path = linear_case(tmp_path)  # own prices and no discounting: the bundled base does not matter
    result = runner.invoke(
        app,
        [
            "sensitivity",
            str(path),
            "--input",
            "success.rate_with",
            "-i",
            "intervention.costs[0].amount=500:1500",
            "--threshold",
            "success.rate_with=0.3:0.7",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["analysis"] == "sensitivity"
    assert data["npv_point"]["total"] == pytest.approx(npv_total(0.5))
    assert [r["input"] for r in data["one_way"]] == [
        "intervention.costs[0].amount",
        "success.rate_with",
    ]
    assert data["one_way"][1]["npv_low"]["by_actor"]["kommune"] == pytest.approx(npv_kommune(0.41))
    [threshold] = data["thresholds"]
    assert threshold["range"] == {"low": 0.3, "high": 0.7, "basis": "given"}
    assert threshold["results"][0]["values"] == [pytest.approx(0.4)]
    assert data["provenance"]["case_sha256"]


@pytest.mark.parametrize(("lang", "words"), [("da", "Tærskelværdi"), ("en", "Threshold value")])
def test_cli_table(tmp_path, lang, words):
    path = linear_case(tmp_path)
    result = runner.invoke(
        app, ["sensitivity", str(path), "--threshold", "success.rate_with", "--lang", lang]
    )
    assert result.exit_code == 0, result.output
    assert words in result.stdout
    assert "success.rate_with" in result.stdout
    none = "ingen: positiv i hele intervallet" if lang == "da" else "none: positive throughout"
    assert none in result.stdout


def test_cli_writes_a_file(tmp_path):
    path = linear_case(tmp_path)
    out = tmp_path / "sens.json"
    result = runner.invoke(app, ["sensitivity", str(path), "-f", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["one_way"][0]["input"] == (
        "success.rate_with"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--input", "success.rate"],
        ["--input", "success.rate_with=0.3"],
        ["--threshold", "intervention.costs[0].amount"],
    ],
)
def test_cli_errors_are_one_sentence_with_exit_code_2(tmp_path, args):
    path = linear_case(tmp_path)
    result = runner.invoke(app, ["sensitivity", str(path), *args, "--lang", "en"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1


def test_the_uncertain_example_runs():
    result = analyse(load_case(EXAMPLES / "impact60-uncertain.yaml"))
    swings = [row.swing for row in result.one_way]
    assert swings == sorted(swings, reverse=True)
    assert len(swings) >= 4
    assert np.isfinite(swings).all()


def test_a_reversed_or_empty_range_is_refused():
    for text in ("success.rate_with=0.6:0.3", "success.rate_with=0.2:0.2"):
        with pytest.raises(InputError, match="LOW below HIGH"):
            parse_spec(text)
