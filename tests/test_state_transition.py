"""State-transition cases: the three published models written as case files reproduce their
published results; budget flows of a small model worked out by hand; errors; Monte Carlo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from socialinvest import appraise
from socialinvest.case import load_case, load_case_text
from socialinvest.cli import app

from .conftest import EXAMPLES, write_case

PUBLISHED = EXAMPLES / "published-models"
runner = CliRunner()


def outcomes(path: Path) -> dict:
    return appraise(load_case(path)).outcome_table()


def test_case_1_hiv_chancellor_1997():
    """Chancellor et al. (1997) via Briggs, Claxton & Sculpher (2006) Example 2.5; digits as
    asserted in the R package heemod's tests (relative tolerance 1e-8)."""
    table = outcomes(PUBLISHED / "hiv-chancellor-1997.yaml")
    o = table["outcomes"]
    assert o["cost"]["comparator"] == pytest.approx(44663.4535637, rel=1e-8)
    assert o["cost"]["intervention"] == pytest.approx(50601.6513312, rel=1e-8)
    assert o["life_years"]["comparator"] == pytest.approx(7.9912066, rel=1e-8)
    assert o["life_years"]["intervention"] == pytest.approx(8.9373889, rel=1e-8)
    assert table["ratios"]["cost_per_life_year_gained"]["value"] == pytest.approx(
        6275.95560, rel=1e-8
    )


def test_case_2_hiv_homogeneous_heemod_vignette():
    """heemod vignette "c_homogeneous" (cohort of 1,000; values as printed by heemod)."""
    o = outcomes(PUBLISHED / "hiv-homogeneous-heemod.yaml")["outcomes"]
    expected = {
        "cost_health": (33891136, 48739757),
        "cost_drugs": (14870957, 44245091),
        "cost_total": (48762093, 92984848),
        "life_years": (8585.843, 17256.937),
    }
    for name, (mono, comb) in expected.items():
        assert o[name]["comparator"] == pytest.approx(mono, rel=1e-6), name
        assert o[name]["intervention"] == pytest.approx(comb, rel=1e-6), name
    # per person: cost difference 44,222.75; life-year difference 8.671094; ratio 5,100.02
    assert o["cost_total"]["difference"] / 1000 == pytest.approx(44222.75, rel=1e-6)
    assert o["life_years"]["difference"] / 1000 == pytest.approx(8.671094, rel=1e-6)


def test_case_3_total_hip_replacement():
    """Briggs, Claxton & Sculpher (2006) Example 3.5; digits as asserted by heemod's tests."""
    table = outcomes(PUBLISHED / "total-hip-replacement.yaml")
    o = table["outcomes"]
    assert o["cost"]["comparator"] == pytest.approx(512.434658, rel=1e-8)
    assert o["cost"]["intervention"] == pytest.approx(610.311818, rel=1e-8)
    assert o["qaly"]["comparator"] == pytest.approx(14.6531896, rel=1e-8)
    assert o["qaly"]["intervention"] == pytest.approx(14.69770986, rel=1e-8)
    assert table["ratios"]["cost_per_qaly"]["value"] == pytest.approx(2198.486665, rel=1e-8)


SMALL = """
name: Two states, by hand
model: state_transition
price_year: 2024
horizon_years: 3
target_group:
  description: test
  cohorts: [{year: 2024, intake: 100}, {year: 2025, intake: 50}]
intervention:
  name: support
  duration_years: 1
  costs:
    - {name: support, type: per_participant, amount: 1000, area: employment}
state_transition:
  cycle: year
  states: [benefit, job]
  start: {benefit: 1}
  correction: end
  parameters: {p: 0.1}
  transitions:
    benefit: {benefit: rest, job: p}
    job: {job: 1}
  intervention_effect:
    cycles: [1, 1]
    relative_risks: [{from: benefit, to: [job], rr: 3}]
  consequences:
    - state: benefit
      ref: prices/cash-benefit       # 12,000 kr./month; long-term: kommune 80 %, stat 20 %
      unit: month
      units_per_cycle: 12
discounting: {rate: 0.05, convention: end}
"""


def test_budget_flows_of_a_small_model_by_hand(fixture_kb):
    result = appraise(load_case_text(SMALL, "small.yaml"), fixture_kb)
    # Share still on benefit at the end of cycles 1, 2, 3 ("end" correction):
    #   comparator: 0.9, 0.81, 0.729; intervention (rr 3 in cycle 1 only): 0.7, 0.63, 0.567
    # Difference per person: -0.2, -0.18, -0.162 years on benefit = 12 x that in months.
    diff = [0.7 - 0.9, 0.63 - 0.81, 0.567 - 0.729]
    # Cohort 2024 (100 persons) in years 2024-2026; cohort 2025 (50) in 2025-2026 (its cycles
    # 1 and 2 fall in 2025 and 2026).
    months = [
        100 * 12 * diff[0],
        100 * 12 * diff[1] + 50 * 12 * diff[0],
        100 * 12 * diff[2] + 50 * 12 * diff[1],
    ]
    gains = [-m * 12000 for m in months]
    costs = [100 * 1000, 50 * 1000, 0]
    df = [1 / 1.05, 1 / 1.05**2, 1 / 1.05**3]
    npv_kommune = sum((0.8 * g - c) * d for g, c, d in zip(gains, costs, df, strict=True))
    npv_stat = sum(0.2 * g * d for g, d in zip(gains, df, strict=True))
    npv = result.npv_by_actor()
    assert npv["kommune"] == pytest.approx(npv_kommune, rel=1e-12)
    assert npv["stat"] == pytest.approx(npv_stat, rel=1e-12)
    assert result.break_even_success_rate()["total"] is None  # no success rate in this model


def test_monte_carlo_over_a_dirichlet_row_and_a_parameter(fixture_kb, tmp_path):
    data = yaml.safe_load(SMALL)
    data["state_transition"]["parameters"]["p"] = {"dist": "beta", "mean": 0.1, "sd": 0.02}
    data["state_transition"]["transitions"]["job"] = {"dirichlet": {"job": 95, "benefit": 5}}
    case = load_case_text(yaml.safe_dump(data), "mc.yaml")
    point = appraise(case, fixture_kb)
    mc = appraise(case, fixture_kb, draws=4000, seed=9)
    again = appraise(case, fixture_kb, draws=4000, seed=9)
    assert np.array_equal(mc.summary.npv, again.summary.npv)
    npv = mc.summary.npv_total
    assert npv.std() > 0
    # the NPV is not linear in p, so only a loose check against the value at the means
    assert abs(npv.mean() - point.npv_total) < 0.1 * abs(point.npv_total)


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda d: d["state_transition"]["transitions"]["benefit"].update(jobb=0.1),
            ["state_transition.transitions.benefit.jobb", "one of the states (benefit, job)"],
        ),
        (
            lambda d: d["state_transition"]["transitions"]["benefit"].update(job="p *"),
            ["state_transition.transitions.benefit.job", "a formula that parses"],
        ),
        (
            lambda d: d["state_transition"]["transitions"]["benefit"].update(job="q"),
            ["only known names", "not q"],
        ),
        (
            lambda d: d["state_transition"]["transitions"].pop("job"),
            ["state_transition.transitions", "missing: job"],
        ),
        (
            lambda d: d["state_transition"]["transitions"]["benefit"].update(benefit=0.5),
            ["invalid probabilities", "comparator arm"],
        ),
        (
            lambda d: d["state_transition"]["intervention_effect"]["relative_risks"][0].update(
                rr=20
            ),
            ["invalid probabilities", "intervention arm"],
        ),
    ],
)
def test_state_transition_errors_are_one_sentence(tmp_path, change, fragments):
    data = yaml.safe_load(
        SMALL.replace("prices/cash-benefit", "benefits/cash-benefit/30-plus-without-children")
    )
    data["price_year"] = 2023
    change(data)
    result = runner.invoke(app, ["run", str(write_case(tmp_path, data)), "--lang", "en"])
    assert result.exit_code == 2, result.stdout
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    for fragment in fragments:
        assert fragment in line, (fragment, line)


def test_the_state_transition_example_with_monte_carlo():
    result = appraise(load_case(EXAMPLES / "impact60-state-transition.yaml"), draws=500, seed=4)
    table = result.outcome_table()
    months = table["outcomes"]["months_in_job_or_education"]
    # relative risks above 1 on moving into job and education: more months there, every draw
    assert months["difference"] > 0
    assert months["difference_interval"]["p05"] > 0
    assert result.uncertainty()["total"]["p05"] < result.uncertainty()["total"]["p95"]


def _simulated(individuals: int, rr: float = 3.0) -> dict:
    data = yaml.safe_load(SMALL)
    data["state_transition"]["intervention_effect"]["relative_risks"][0]["rr"] = rr
    data["state_transition"]["simulation"] = {
        "individuals": individuals,
        "path_outcomes": {
            "in_job_at_cycle_3": {"kind": "state_at", "states": ["job"], "cycles": [1, 3]},
            "two_years_in_job": {"kind": "consecutive", "states": ["job"], "k": 2},
        },
    }
    return data


def test_microsimulation_agrees_with_the_cohort_probabilities(fixture_kb):
    n = 100_000
    result = appraise(load_case_text(yaml.safe_dump(_simulated(n)), "ms.yaml"), fixture_kb)
    o = result.outcome_table()["outcomes"]
    intake = 150  # path outcomes are totals over the cohorts (100 + 50 persons)
    # In job after 3 cycles: comparator 1 - 0.9^3; intervention (rr 3 in cycle 1) 1 - 0.7 * 0.9^2
    for arm, p in [("comparator", 1 - 0.9**3), ("intervention", 1 - 0.7 * 0.9**2)]:
        share = o["in_job_at_cycle_3"][arm] / intake
        assert abs(share - p) <= 4 * np.sqrt(p * (1 - p) / n), (arm, share, p)
    # Two years in a row in job within three cycles: in job by cycle 2 (job is absorbing)
    for arm, p in [("comparator", 1 - 0.9**2), ("intervention", 1 - 0.7 * 0.9)]:
        share = o["two_years_in_job"][arm] / intake
        assert abs(share - p) <= 4 * np.sqrt(p * (1 - p) / n), (arm, share, p)


def test_microsimulation_uses_common_random_numbers_and_a_seed(fixture_kb):
    same = load_case_text(yaml.safe_dump(_simulated(500, rr=1.0)), "crn.yaml")
    mc = appraise(same, fixture_kb, draws=20, seed=3)
    # identical arms and the same random numbers: no difference at all, in every draw
    assert np.all(mc.outcomes["in_job_at_cycle_3"][0] == mc.outcomes["in_job_at_cycle_3"][1])
    assert np.all(mc.summary.discounted_gains == 0.0)  # no occupancy difference, no gains
    case = load_case_text(yaml.safe_dump(_simulated(500)), "seed.yaml")
    first = appraise(case, fixture_kb, draws=20, seed=3)
    again = appraise(case, fixture_kb, draws=20, seed=3)
    other = appraise(case, fixture_kb, draws=20, seed=4)
    assert np.array_equal(first.outcomes["two_years_in_job"], again.outcomes["two_years_in_job"])
    assert not np.array_equal(
        first.outcomes["two_years_in_job"], other.outcomes["two_years_in_job"]
    )


def test_one_off_values_on_entering_a_state_by_hand(fixture_kb):
    data = yaml.safe_load(SMALL)
    st = data["state_transition"]
    st["consequences"] = [
        {
            "state": "job",
            "units_per_entry": 1,
            "unit": "occurrence",
            "price": {
                "value": 10000,
                "unit": "DKK",
                "area": "employment",
                "actor_split": {"kommune": 1.0},
                "source": "job-start bonus (test)",
            },
        }
    ]
    st["outcomes"] = {"job_starts": {"on_entry": {"job": 1}}}
    result = appraise(load_case_text(yaml.safe_dump(data), "entry.yaml"), fixture_kb)
    # Entering job per person and cycle: comparator 0.1, 0.9 x 0.1, 0.81 x 0.1;
    # intervention (rr 3 in cycle 1): 0.3, 0.7 x 0.1, 0.63 x 0.1.
    comparator = [0.1, 0.09, 0.081]
    intervention = [0.3, 0.07, 0.063]
    starts = result.outcome_table()["outcomes"]["job_starts"]
    # outcomes count each cohort within the horizon: 2024 (100 persons) three cycles, 2025
    # (50 persons) two
    assert starts["comparator"] == pytest.approx(
        100 * sum(comparator) + 50 * sum(comparator[:2]), rel=1e-12
    )
    assert starts["intervention"] == pytest.approx(
        100 * sum(intervention) + 50 * sum(intervention[:2]), rel=1e-12
    )
    diff = [b - a for a, b in zip(comparator, intervention, strict=True)]
    # extra job starts per calendar year: cohort 2024 (100) cycles 1-3, cohort 2025 (50) 1-2
    extra = [100 * diff[0], 100 * diff[1] + 50 * diff[0], 100 * diff[2] + 50 * diff[1]]
    costs = [100 * 1000, 50 * 1000, 0]
    df = [1 / 1.05, 1 / 1.05**2, 1 / 1.05**3]
    npv = sum((-e * 10000 - c) * d for e, c, d in zip(extra, costs, df, strict=True))
    assert result.npv_by_actor()["kommune"] == pytest.approx(npv, rel=1e-12)
    # the microsimulation counts entries on the paths: close to the cohort value
    st["simulation"] = {"individuals": 50_000}
    simulated = appraise(load_case_text(yaml.safe_dump(data), "entry-ms.yaml"), fixture_kb)
    started = simulated.outcome_table()["outcomes"]["job_starts"]["comparator"]
    expected = 100 * sum(comparator) + 50 * sum(comparator[:2])
    # each person enters job at most once (absorbing): a Bernoulli per person and window
    p = sum(comparator)
    assert abs(started - expected) / 150 <= 4 * np.sqrt(p * (1 - p) / 50_000)


def test_parameter_formulas_may_come_in_any_order_but_not_in_a_circle(fixture_kb, tmp_path):
    data = yaml.safe_load(SMALL)
    data["state_transition"]["parameters"] = {"p": "half * 0.2", "half": 0.5}
    ordered = appraise(load_case_text(yaml.safe_dump(data, sort_keys=False), "o.yaml"), fixture_kb)
    data["state_transition"]["parameters"] = {"p": 0.1}
    plain = appraise(load_case_text(yaml.safe_dump(data, sort_keys=False), "p.yaml"), fixture_kb)
    assert ordered.npv_total == pytest.approx(plain.npv_total, rel=1e-12)
    data["state_transition"]["parameters"] = {"p": "q * 0.5", "q": "p * 2"}
    result = runner.invoke(app, ["run", str(write_case(tmp_path, data)), "--lang", "en"])
    assert result.exit_code == 2
    assert "state_transition.parameters" in result.stderr and "in a circle" in result.stderr


# A model whose Healthy → Dead probability is t / 40 in the draws with p above 0.05 (about 4 %
# of them) and 0 at the point values: over 1 from cycle 41, the "rest" cell 1 − 0.1 − t/40 below
# 0 from cycle 37; the worst value is at the last cycle, 60: 1 − 0.1 − 60/40 = −0.6.
LATE_IN_SOME_DRAWS = """
name: late
model: state_transition
price_year: 2023
horizon_years: 60
target_group: {description: x, cohorts: [{year: 2023, intake: 1}]}
intervention: {name: X, duration_years: 1}
state_transition:
  cycle: year
  states: [Healthy, Sick, Dead]
  start: {Healthy: 1}
  parameters:
    p: {dist: beta, alpha: 2, beta: 98}
  transitions:
    Healthy: {Healthy: rest, Sick: 0.1, Dead: "min(max(p - 0.05, 0) * 1000000, 1) * t / 40"}
    Sick: {Sick: rest, Dead: 0.1}
    Dead: {Dead: 1}
  intervention_effect:
    name: X
    relative_risks: [{from: Healthy, to: [Sick], rr: 0.5}]
  outcomes:
    ly: {unit: y, values: {Healthy: 1, Sick: 1}}
"""


def test_a_late_mistake_in_some_draws_is_reported_as_for_the_whole_horizon(fixture_kb, monkeypatch):
    from socialinvest import state_transition
    from socialinvest.errors import InputError

    # the trace is built 10 cycles at a time: the first block with a mistake (cycles 31-40)
    # has −0.1 at worst; the refusal names the worst value over every cycle, as in one piece
    monkeypatch.setattr(state_transition, "_block_cycles", lambda n, n_cycles: 10)
    case = load_case_text(LATE_IN_SOME_DRAWS, "late.yaml")
    with pytest.raises(InputError, match=r"row Healthy: a probability of -0\.6\)"):
        appraise(case, fixture_kb, draws=200, seed=1)
    # two formulas that are not finite in some draws: Healthy → Sick from cycle 40 on (log of
    # 0 or less), Sick → Dead in every cycle; the file's first is named, as for one piece
    data = yaml.safe_load(LATE_IN_SOME_DRAWS)
    rows = data["state_transition"]["transitions"]
    rows["Healthy"] = {
        "Healthy": "rest",
        "Sick": "0.1 - 0.0001 * log(1 - min(max(p - 0.05, 0) * 1000000, 1) * t / 40)",
        "Dead": 0.01,
    }
    rows["Sick"] = {"Sick": "rest", "Dead": "0.1 + 0.0001 * log(0.06 - p)"}
    case = load_case_text(yaml.safe_dump(data), "nan.yaml")
    with pytest.raises(InputError, match=r"state_transition\.transitions\.Healthy\.Sick"):
        appraise(case, fixture_kb, draws=200, seed=1)
