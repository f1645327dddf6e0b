"""Two small business cases worked out by hand. Every expected number is computed below with
explicit arithmetic from the case's inputs; none is copied from the engine's output."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialinvest import appraise
from socialinvest.case import load_case_text

CASE_1 = """
name: Hand case 1 - two cohorts, step discounting, reimbursement split
price_year: 2024
horizon_years: 4
target_group:
  description: long-term cash benefit recipients
  cohorts: [{year: 2024, intake: 10}, {year: 2025, intake: 10}]
intervention:
  name: mentor
  duration_years: 1
  costs:
    - {name: mentor, type: per_participant, amount: 50000, actor: kommune, area: employment}
success: {measure: job, rate_with: 0.5, rate_without: 0.2}
consequences:
  - ref: prices/cash-benefit            # 12,000 kr./month in 2024, reimbursement split
    unit: month
    units_per_success: [-6, -12, -12]
    weeks_on_support: 53                # long-term band: state reimburses 20 %
discounting: {schedule: discounting/test-step, convention: start}   # 4 % years 0-2, then 2 %
"""


def test_case_1_two_cohorts_step_discounting_reimbursement(fixture_kb):
    result = appraise(load_case_text(CASE_1, "case1.yaml"), fixture_kb)

    # Additional successes per cohort: 10 participants x (0.5 - 0.2) = 3; successes fall in the
    # intake year (no timing given).
    x = 10 * (0.5 - 0.2)
    # Months of cash benefit per year (profile -6, -12, -12 from the success year):
    #   2024: cohort 2024 in its 1st year                   3 x -6            = -18
    #   2025: cohort 2024 2nd year + cohort 2025 1st year   3 x -12 + 3 x -6  = -54
    #   2026: cohort 2024 3rd year + cohort 2025 2nd year   3 x -12 + 3 x -12 = -72
    #   2027: cohort 2025 3rd year                          3 x -12           = -36
    months = [x * -6, x * -12 + x * -6, x * -12 + x * -12, x * -12]
    assert months == pytest.approx([-18, -54, -72, -36])
    gains = [-m * 12000 for m in months]  # fewer months saved at 12,000 kr. each
    # Reimbursement at 53+ weeks: the state bears 20 %, the kommune 80 %.
    gains_kommune = [0.8 * g for g in gains]
    gains_stat = [0.2 * g for g in gains]
    costs_kommune = [10 * 50000, 10 * 50000, 0, 0]  # 50,000 kr. per participant at intake
    # Step schedule 4 % for the years from time 0 to 2, then 2 %; start-of-year convention:
    df = [1.0, 1 / 1.04, 1 / 1.04**2, 1 / (1.04**2 * 1.02)]

    net_kommune = [g - c for g, c in zip(gains_kommune, costs_kommune, strict=True)]
    assert net_kommune == pytest.approx([-327200, 18400, 691200, 345600])
    npv_kommune = sum(n * d for n, d in zip(net_kommune, df, strict=True))
    npv_stat = sum(g * d for g, d in zip(gains_stat, df, strict=True))

    npv = result.npv_by_actor()
    assert npv["kommune"] == pytest.approx(npv_kommune, rel=1e-12)
    assert npv["stat"] == pytest.approx(npv_stat, rel=1e-12)
    assert npv["region"] == 0
    assert result.npv_total == pytest.approx(npv_kommune + npv_stat, rel=1e-12)

    # Break-even: kommune's cumulative discounted net is -327,200 in 2024,
    # -327,200 + 18,400/1.04 = -309,507.69 in 2025 and positive from 2026 on.
    cum_k = [
        sum(n * d for n, d in zip(net_kommune[: i + 1], df[: i + 1], strict=True)) for i in range(4)
    ]
    assert cum_k[1] == pytest.approx(-309507.6923, abs=1e-3)
    assert cum_k[2] > 0
    assert result.break_even_year_by_actor()["kommune"] == 2026
    assert result.break_even_year_by_actor()["stat"] == 2024  # only gains
    assert result.break_even_year_by_actor()["region"] is None  # no flows at all
    # Total: 2024 -284,000; 2025 +148,000/1.04 → still negative; 2026 positive for good.
    assert result.break_even_year == 2026

    # Return per krone = discounted gains / discounted costs (all costs are the kommune's).
    disc_costs = 500000 + 500000 / 1.04
    disc_gains = sum(g * d for g, d in zip(gains, df, strict=True))
    assert result.return_per_krone == pytest.approx(disc_gains / disc_costs, rel=1e-12)
    # Cost per additional success: discounted costs / (3 + 3).
    assert result.cost_per_additional_success == pytest.approx(disc_costs / 6, rel=1e-12)
    # Break-even success rate: gains are proportional to (s - 0.2); NPV = 0 where
    # (s - 0.2) / 0.3 x discounted gains = discounted costs.
    rate = result.break_even_success_rate()
    assert rate["total"] == pytest.approx(0.2 + 0.3 * disc_costs / disc_gains, rel=1e-12)
    disc_gains_k = sum(g * d for g, d in zip(gains_kommune, df, strict=True))
    assert rate["by_actor"]["kommune"] == pytest.approx(
        0.2 + 0.3 * disc_costs / disc_gains_k, rel=1e-12
    )

    # The JSON output carries the same figures.
    out = result.to_dict()
    assert out["break_even_year"] == 2026
    assert out["npv"]["by_actor"]["kommune"] == pytest.approx(npv_kommune, rel=1e-12)
    yearly = {(r["year"], r["actor"]): r for r in out["yearly"]}
    assert yearly[(2025, "kommune")]["net"] == pytest.approx(18400)
    assert yearly[(2025, "kommune")]["discounted_net"] == pytest.approx(18400 / 1.04)
    assert yearly[(2027, "stat")]["gains"] == pytest.approx(0.2 * 36 * 12000)


CASE_2 = """
name: Hand case 2 - end-of-year convention, constant rate, every cost type, adjustments
price_year: 2024
horizon_years: 3
target_group:
  description: test
  cohorts: [{year: 2024, intake: 20}]
intervention:
  name: test
  duration_years: 2
  costs:
    - {name: support, type: per_participant_period, amount: 1000, period: month, periods: 18,
       price_year: 2023, actor: kommune, area: employment}
    - {name: coordinator, type: fixed, amount: 100000, first_year: 2024, last_year: 2025,
       actor: region, area: health}
    - {name: start-up, type: one_off, amount: 50000, year: 2024, actor: stat, area: other}
success:
  measure: fewer admissions
  absolute_effect: 0.25
  timing: [0.5, 0.5]
consequences:
  - name: bed-days
    price: {value: 2000, unit: DKK/day, area: health, actor_split: {region: 1.0},
            source: own figure}
    unit: day
    units_per_success: [-10, -10]
  - ref: prices/tax-year-in-work       # revenue: 50,000 kr./year in 2023 prices, kommune 60 %
    unit: month
    units_per_success: [6]
discounting: {rate: 0.05, convention: end}
adjustments:
  attribution: 0.2
  optimism_bias: {costs: 0.1}
  drop_off: 0.5
"""


def test_case_2_end_convention_all_cost_types_and_adjustments(fixture_kb):
    result = appraise(load_case_text(CASE_2, "case2.yaml"), fixture_kb)
    index = 104.0 / 100.0  # fixture net price index: 2023 = 100, 2024 = 104

    # Additional successes: 20 x 0.25 x (1 - attribution 0.2) = 4; half in 2024, half in 2025.
    x = 20 * 0.25 * (1 - 0.2)
    assert x == 4
    s = [x * 0.5, x * 0.5, 0.0]
    # Bed-days with drop-off 0.5: the profile (-10, -10) becomes (-10, -5).
    days = [s[0] * -10, s[0] * -5 + s[1] * -10, s[1] * -5]
    assert days == [-20, -30, -10]
    gains_region = [-d * 2000 for d in days]  # region bears 100 %
    # Months in work: +6 in the success year; tax is revenue of 50,000 kr./year in 2023 prices
    # = 50,000 x 1.04 per year in 2024 prices = 50,000 x 1.04 / 12 per month.
    months = [s[0] * 6, s[1] * 6, 0.0]
    tax = [m * 50000 * index / 12 for m in months]
    gains_kommune = [0.6 * t for t in tax]
    gains_stat = [0.4 * t for t in tax]
    # Costs with 10 % optimism bias:
    #   support: 1,000 kr./month (2023 prices) x 1.04, 20 participants, 12 months then 6 months
    support = [20 * 1000 * index * 12 * 1.1, 20 * 1000 * index * 6 * 1.1, 0.0]
    coordinator = [100000 * 1.1, 100000 * 1.1, 0.0]
    start_up = [50000 * 1.1, 0.0, 0.0]
    # End-of-year convention at a constant 5 %: year t is discounted (1.05)^(t+1).
    df = [1 / 1.05, 1 / 1.05**2, 1 / 1.05**3]

    def pv(flows):
        return sum(f * d for f, d in zip(flows, df, strict=True))

    npv = result.npv_by_actor()
    assert npv["kommune"] == pytest.approx(pv(gains_kommune) - pv(support), rel=1e-12)
    assert npv["region"] == pytest.approx(pv(gains_region) - pv(coordinator), rel=1e-12)
    assert npv["stat"] == pytest.approx(pv(gains_stat) - pv(start_up), rel=1e-12)

    # Hand values of the regional flows: gains 40,000 / 60,000 / 20,000; costs 110,000 x 2.
    assert gains_region == [40000, 60000, 20000]
    rows = {(r["year"], r["actor"], r["area"]): r for r in result.to_dict()["yearly"]}
    assert rows[(2025, "region", "health")]["net"] == pytest.approx(60000 - 110000)
    assert rows[(2026, "region", "health")]["discounted_net"] == pytest.approx(20000 / 1.05**3)
    assert rows[(2024, "kommune", "employment")]["costs"] == pytest.approx(264000 * index)

    # Break-even effect (absolute effect): gains scale with the effect; NPV = 0 at
    # 0.25 x discounted costs / discounted gains.
    all_gains = pv(gains_region) + pv(gains_kommune) + pv(gains_stat)
    all_costs = pv(support) + pv(coordinator) + pv(start_up)
    rate = result.break_even_success_rate()
    assert rate["basis"] == "absolute_effect"
    assert rate["total"] == pytest.approx(0.25 * all_costs / all_gains, rel=1e-12)
    # Every adjustment used is reported.
    assert result.to_dict()["adjustments"] == {
        "attribution": 0.2,
        "optimism_bias_costs": 0.1,
        "drop_off": 0.5,
    }


def test_price_year_conversion_is_recorded_in_provenance(fixture_kb, tmp_path: Path):
    result = appraise(load_case_text(CASE_2, "case2.yaml"), fixture_kb)
    provenance = result.to_dict()["provenance"]
    tax = next(e for e in provenance["entries"] if e["id"] == "prices/tax-year-in-work")
    assert tax["value"] == 50000
    assert tax["year"] == 2023
    assert tax["price_factor"] == pytest.approx(1.04)
    assert tax["actor_split"] == {"kommune": 0.6, "region": 0.0, "stat": 0.4}
    assert [p["year"] for p in provenance["price_index"]] == [2023, 2024]
