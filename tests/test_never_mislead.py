"""Issue 14: a report never misleads a council or a fund.

Every test here was written to fail on the code before the issue: probabilities from one draw,
who pays stated twice, "pays only for documented effect" without a counterfactual, party cash
flows that do not add to zero, silently skipped tool checks on CI.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pyxirr
from typer.testing import CliRunner

from socialinvest.case.load import LoadedCase, load_case
from socialinvest.cli import app
from socialinvest.contract.account import account
from socialinvest.contract.result import evaluate_contract
from socialinvest.draws import default_draws, monte_carlo_error
from socialinvest.report.content import (
    ReportData,
    contract_summary,
    contract_view,
    summary_paragraphs,
)

from .conftest import EXAMPLES, base_case, require_tools, write_case
from .test_contract_cases import hand_case


def test_a_missing_tool_fails_on_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set but pdftoppm not installed"):
        require_tools("pdftoppm", install="poppler-utils")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="pdftoppm not installed"):
        require_tools("pdftoppm", install="poppler-utils")


# -- helpers ---------------------------------------------------------------------------------

runner = CliRunner()
AALBORG = EXAMPLES / "contracts" / "aalborg-impact60.yaml"
G = 1.08**0.25  # the senior loan's growth in one quarter (8 % a year)


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def kr(value: float) -> str:
    """12345.6 → "12.346 kr." (Danish, written here)."""
    whole = f"{abs(value):,.0f}".replace(",", ".")
    return ("-" if round(value) < 0 else "") + whole + " kr."


def evaluated(tmp_path: Path, data: dict[str, Any], kb, draws: int = 1, seed: int | None = None):
    path = write_case(tmp_path, data)
    return evaluate_contract(LoadedCase.of(load_case(path)), kb, draws=draws, seed=seed)


# -- 1. probabilities only from enough draws ----------------------------------------------------


def test_report_and_contract_default_to_monte_carlo_when_anything_is_uncertain():
    assert default_draws(load_case(EXAMPLES / "impact60-job-education.yaml")) == 1  # certain
    assert default_draws(load_case(EXAMPLES / "impact60-uncertain.yaml")) == 10_000
    assert default_draws(load_case(EXAMPLES / "impact60-state-transition.yaml")) == 10_000
    assert default_draws(load_case(AALBORG)) == 1_000  # participants succeed by chance


def test_a_report_without_draws_states_the_draws_its_probabilities_rest_on(tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(
        app, ["report", str(EXAMPLES / "impact60-uncertain.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = plain(out.read_text(encoding="utf-8"))
    # the probability of a positive result, from 10,000 draws (not the point values' one draw)
    assert "Usikkerheden er regnet med 10.000 trækninger" in html
    assert "Monte Carlo-simulering med 10.000 trækninger" in html


def test_no_probability_irr_table_or_break_even_rate_from_one_draw(tmp_path):
    out = tmp_path / "a.html"
    args = ["report", str(AALBORG), "--draws", "1", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    html = plain(out.read_text(encoding="utf-8"))
    assert "taber penge, er" not in html  # no P(loss)
    assert "Investorernes samlede interne rente pr. trækning" not in html  # no IRR table
    assert "Break-even-succesrate</th>" not in html and "aldrig" not in html
    assert "kræver mindst 100 trækninger, og kontrakten er regnet med 1" in html
    table = runner.invoke(app, ["contract", str(AALBORG), "--draws", "1", "--lang", "en"])
    assert table.exit_code == 0
    words = " ".join(table.stdout.replace("│", " ").split())
    assert "need at least 100 draws, and the contract was run with 1" in words
    assert "P(loss) – –" in words


def test_a_solved_price_states_its_draws_and_seed():
    table = runner.invoke(
        app, ["contract", str(AALBORG), "--draws", "120", "--seed", "7", "--lang", "en"]
    )
    assert table.exit_code == 0, table.output
    words = " ".join(table.stdout.replace("│", " ").split())
    assert "target return over 120 draws, seed 7" in words


def test_the_monte_carlo_error_of_a_probability():
    # 1.96 × √(0.62 × 0.38 / 1000) = 0.030085...
    assert monte_carlo_error(0.62, 1000) == pytest.approx(1.96 * (0.62 * 0.38 / 1000) ** 0.5)
    assert monte_carlo_error(0.62, 1000) == pytest.approx(0.0300853, abs=1e-6)
    assert monte_carlo_error(0.5, 1) == 0.0


# -- 2. one account of who pays, with and without the contract ----------------------------------


def account_case() -> dict[str, Any]:
    """The hand contract of test_contract_cases with the case's own delivery costs: the base
    case's 10 participants × 1,000 kr. in 2024 plus a fixed 3,000 kr. a year in 2024–2026,
    both the kommune's; the contract runs 8 quarters, 2024–2025, so 2026's 3,000 kr. fall
    outside its term."""
    data = hand_case()
    data["intervention"]["costs"].append(
        {
            "name": "fixed",
            "type": "fixed",
            "amount": 3000,
            "first_year": 2024,
            "last_year": 2026,
            "area": "social",
        }
    )
    data["contract"]["provider"] = {"delivery_costs": "case"}
    return data


def test_the_with_and_without_account_by_hand(tmp_path, fixture_kb):
    r = evaluated(tmp_path, account_case(), fixture_kb)
    acc = account(r)
    assert acc.years == [2024, 2025, 2026, 2027, 2028, 2029]
    assert acc.term == (2024, 2025)
    # without: the kommune bears 10 × 1,000 + 3,000 in 2024 and 3,000 in 2025 and 2026; its
    # gains are half of 10 successes × (10, 10, 5 days × 100 kr.): 5,000, 5,000, 2,500
    kommune_without = acc.without["kommune"]
    np.testing.assert_allclose(kommune_without.costs, [13000, 3000, 3000, 0, 0, 0])
    np.testing.assert_allclose(kommune_without.gains, [5000, 5000, 2500, 0, 0, 0])
    np.testing.assert_allclose(kommune_without.payments, 0)
    # the contract's delivery costs are the case's costs of 2024 and 2025 (its term): moved to
    # the investors; 2026's 3,000 stay with the kommune
    np.testing.assert_allclose(acc.funded, [13000, 3000, 0, 0, 0, 0])
    kommune_with = acc.with_["kommune"]
    np.testing.assert_allclose(kommune_with.costs, [0, 0, 3000, 0, 0, 0])
    # the waterfall by hand (sequential drawdown, senior first): the vehicle pays 3,250 a
    # quarter in 2024 and 750 a quarter in 2025. Senior draws 3,250 in q0, q1, q2; q3 receives
    # 13,900 (A and B settled plus their first quarter in work), so the vehicle holds 10,650;
    # q4–q6 +3,900 − 750 each: 20,100; q7 +10,850 − 750: 30,200 at maturity. The senior loan
    # takes 3,250 × (G⁷ + G⁶ + G⁵); equity drew nothing; the surplus returns to the payer.
    senior = 3250 * (G**7 + G**6 + G**5)
    surplus = 30200 - senior
    np.testing.assert_allclose(kommune_with.payments, [13900, 22550 - surplus, 0, 0, 0, 0])
    np.testing.assert_allclose(acc.investors["Bank"], [-9750, senior, 0, 0, 0, 0])
    np.testing.assert_allclose(acc.investors["Fund"], 0)
    # the region bears nothing and gains the other half, with or without the contract
    np.testing.assert_allclose(acc.with_["region"].net, [5000, 5000, 2500, 0, 0, 0])
    np.testing.assert_allclose(acc.without["region"].net, [5000, 5000, 2500, 0, 0, 0])
    # present values at 4 % (payments at the start of the year)
    d = [1, 1 / 1.04, 1 / 1.04**2]
    npv_without = (5000 - 13000) * d[0] + (5000 - 3000) * d[1] + (2500 - 3000) * d[2]
    npv_with = (5000 - 13900) * d[0] + (5000 - 22550 + surplus) * d[1] + (2500 - 3000) * d[2]
    assert acc.present(kommune_without)["net"] == pytest.approx(npv_without)
    assert acc.present(kommune_with)["net"] == pytest.approx(npv_with)
    outside, years = acc.outside_term("kommune")
    assert years == [2026] and outside == pytest.approx(3000 / 1.04**2)


def test_the_summary_says_who_pays_from_the_one_account(tmp_path, fixture_kb):
    r = evaluated(tmp_path, account_case(), fixture_kb)
    view = contract_view(r, "da")
    text = plain(" ".join(summary_paragraphs(ReportData(r.business, "da", contract=view))))
    senior = 3250 * (G**7 + G**6 + G**5)
    surplus = 30200 - senior
    d1, d2 = 1 / 1.04, 1 / 1.04**2
    costs_without = 13000 + 3000 * d1 + 3000 * d2
    gains = 5000 + 5000 * d1 + 2500 * d2
    payments = 13900 + (22550 - surplus) * d1
    assert (
        f"Kommunen betaler uden kontrakten {kr(costs_without)} i omkostninger og får "
        f"{kr(gains)} i budgetgevinster, netto {kr(gains - costs_without)}" in text
    )
    assert (
        f"med kontrakten betaler den {kr(payments)} i resultatbetalinger og {kr(3000 * d2)} i "
        f"omkostninger uden for kontraktens løbetid (2026), netto "
        f"{kr(gains - payments - 3000 * d2)}" in text
    )
    funded = 13000 + 3000 * d1
    assert f"finansierer investorerne (Bank og Fund) {kr(funded)}" in text
    # the business case's own "the kommune pays ..." sentence is not said a second time
    assert "Kommunen betaler " in text and text.count("Kommunen betaler") == 1


# -- 3. "only for documented effect" only with a comparison --------------------------------------


def _summary(kind: str) -> dict[str, Any]:
    return {
        "contract": {"counterfactual": {"kind": kind}},
        "run": {"draws": 1000, "seed": 3},
        "investors": {"prob_loss": 0.62},
        "parties": [
            {"name": "Fund", "role": "investor"},
            {"name": "Kommune", "role": "payer", "prob_pays_more_than_saves": 0.1},
        ],
    }


def test_pays_only_for_documented_effect_only_with_a_comparison():
    without = plain(contract_summary(_summary("none"), "en"))
    assert "only for" not in without and "documented" not in without
    assert "for every outcome achieved – including those that would have happened" in without
    group = plain(contract_summary(_summary("comparison_group"), "en"))
    assert "only for outcomes beyond a comparison group without the intervention" in group
    baseline = plain(contract_summary(_summary("baseline"), "da"))
    assert "kun for resultater ud over en aftalt basisrate" in baseline
    # the investors' loss probability with its Monte Carlo error and draws:
    # 1.96 × √(0.62 × 0.38 / 1000) = 3.0 %
    assert "62% (± 3.0%), from 1,000 draws, seed 3" in without


# -- 5. party cash flows add to zero per year, the vehicle included ------------------------------


def test_party_flows_add_to_zero_per_year_with_the_vehicle(tmp_path, fixture_kb):
    r = evaluated(tmp_path, hand_case(), fixture_kb)
    view = contract_view(r, "en")
    # the vehicle's change in cash by hand (test_contract_cases): +8,900 in q3 of 2024,
    # +1,900 in q4–q6 and −14,600 at maturity in 2025
    np.testing.assert_allclose(view.vehicle, [8900, 3 * 1900 - 14600])
    for y in range(len(view.years)):
        total = sum(view.cash_flows[p][y] for p in view.parties) + view.vehicle[y]
        assert total == pytest.approx(0, abs=1e-6)
    table = runner.invoke(app, ["contract", str(write_case(tmp_path, hand_case())), "--lang", "en"])
    assert "The contract's vehicle (cash)" in table.stdout
    # the hand contract's 8 quarters from 1 January 2024 fall in two calendar years
    assert list(view.years) == [2024, 2025]


# -- 4. a status for every input ---------------------------------------------------------------


def status_case() -> dict[str, Any]:
    """The base case (one cost line, rate_with, rate_without, one consequence profile) plus a
    second cost line and a timing: 7 inputs, of which 4 are given a status here."""
    data = base_case()
    data["intervention"]["costs"].append(
        {"name": "d", "type": "one_off", "amount": 500, "year": 2024, "area": "social"}
    )
    data["success"]["timing"] = [1.0]
    data["inputs"] = {
        "success.rate_with": {"status": "published", "source": "Evaluering 2021, tabel 3"},
        "success.rate_without": "local",
        "intervention.costs[0]": "study",
        "consequences": "assumption",
    }
    return data


def test_every_input_has_a_status_counted_in_the_summary_and_shown(tmp_path, fixture_kb):
    from socialinvest.report.content import inputs_sentence
    from socialinvest.report.html import render_html
    from socialinvest.runner import appraise

    path = write_case(tmp_path, status_case())
    result = appraise(load_case(path), fixture_kb)
    # 7 inputs: cohorts (none), costs[0] (study), costs[1] (none), rate_with (published),
    # rate_without (local), timing (none), consequences[0] (assumption) → 1 published, 1 study,
    # 1 local, 1 + 3 without a status = 4 assumptions; the own price is its own assumption
    sentence = inputs_sentence(result, "en")
    assert sentence.startswith(
        "Of the case's 7 inputs, 1 are published, 1 estimates from studies, 1 local data and 4 "
        "assumptions (3 of them without a status)."
    )
    html = render_html(ReportData(result, "da"))
    assert "Evaluering 2021, tabel 3" in html and "skøn fra en undersøgelse" in html
    assert html.count("ingen status angivet") == 3


def test_validate_strict_lists_inputs_without_a_status(tmp_path):
    data = status_case()
    data["inputs"]["succes.rate_with"] = "published"  # a typo names no input
    path = write_case(tmp_path, data)
    plain_run = runner.invoke(app, ["validate", str(path), "--lang", "en"])
    assert plain_run.exit_code == 0
    strict = runner.invoke(app, ["validate", str(path), "--strict", "--lang", "en"])
    assert strict.exit_code == 1
    assert (
        '3 inputs without a status (give them under "inputs"): target_group.cohorts, '
        "intervention.costs[1], success.timing" in strict.stdout
    )
    assert '"inputs" names succes.rate_with, which are no inputs of the case' in strict.stdout


@pytest.mark.parametrize(
    "example",
    sorted(EXAMPLES.glob("*.yaml"))
    + sorted((EXAMPLES / "contracts").glob("*.yaml"))
    + sorted((EXAMPLES / "published-models").glob("*.yaml")),
    ids=lambda p: p.stem,
)
def test_every_example_gives_every_input_a_status(example):
    result = runner.invoke(app, ["validate", "--strict", str(example)])
    assert result.exit_code == 0, result.stdout


# -- 9. the figures a fund reads, computed in the test --------------------------------------------

FUND_DRAWS = 200
PRICE, COST = 9000.0, 10000.0
QUARTERS = [dt.date(2024, 1, 1), dt.date(2024, 4, 1), dt.date(2024, 7, 1), dt.date(2024, 10, 1)]


def fund_case() -> dict[str, Any]:
    """10 participants in 2024, each succeeding with chance 1/2 (rate_with 0.5, rate_without 0)
    in 2024 and staying there. Each success saves 10 days at 2,000 kr., half the kommune's, so
    the kommune's own gains are certain: 5 additional successes × 10 × 2,000 × 0.5 = 50,000 kr.
    (2024, not discounted). The contract: four quarters of 2024, 10,000 kr. of delivery costs a
    quarter, 9,000 kr. per participant in the success state at quarter 4 (paid then, at
    maturity), one equity investor. So with S successes the investor pays 10,000 in each of
    the first three quarters (nothing has come in yet) and gets 9,000 S − 10,000 at maturity
    (the payment less the last quarter's cost), and the kommune pays 9,000 S."""
    data = base_case(
        success={"measure": "m", "rate_with": 0.5, "rate_without": 0.0, "timing": [1.0]},
        consequences=[
            {
                "name": "own",
                "price": {
                    "value": 2000,
                    "unit": "DKK/day",
                    "area": "health",
                    "actor_split": {"kommune": 0.5, "region": 0.5},
                    "source": "test",
                },
                "unit": "day",
                "units_per_success": [-10],
            }
        ],
        discounting={"rate": 0.04, "convention": "start"},
    )
    data["contract"] = {
        "name": "Fund contract",
        "start_date": "2024-01-01",
        "period": "quarter",
        "periods": 4,
        "parties": [
            {"name": "Kommune", "role": "payer", "actor": "kommune"},
            {"name": "Fund", "role": "investor"},
            {"name": "Provider", "role": "provider"},
        ],
        "participants": {"cohorts": [10]},
        "metrics": {"settled": {"kind": "state_at", "at": 4}},
        "payments": [
            {"name": "settled", "metric": "settled", "mechanism": "rate_card", "price": PRICE}
        ],
        "provider": {"delivery_costs": [COST] * 4},
        "finance": {
            "tranches": [
                {"name": "equity", "investor": "Fund", "kind": "equity", "commitment": 100000}
            ]
        },
    }
    return data


def hand_irr(successes: int) -> float:
    """The investor's IRR with S successes; −100 % when nothing comes back (a total loss)."""
    back = PRICE * successes - COST
    if back <= 0:
        return -1.0
    return float(pyxirr.xirr(QUARTERS, [-COST, -COST, -COST, back]))


def test_the_fund_figures_by_hand_over_200_draws(tmp_path, fixture_kb):
    from socialinvest.report.html import render_html

    r = evaluated(tmp_path, fund_case(), fixture_kb, draws=FUND_DRAWS, seed=5)
    # the simulation's only random part: how many of the 10 succeed in each draw
    successes = np.rint(r.outcomes.success_share * 10).astype(int)
    assert successes.shape == (FUND_DRAWS,)
    assert (successes <= 1).any(), "the seed should give at least one total loss"
    # payments and flows follow by hand from the successes
    np.testing.assert_allclose(r.flows.payments.sum(axis=1), PRICE * successes)
    view = contract_view(r, "en")
    assert view.draws == FUND_DRAWS and view.enough_draws
    irr = np.array([hand_irr(s) for s in successes])
    np.testing.assert_allclose(view.investor_irr, irr, atol=1e-7)  # a total loss is −100 %
    # the investors lose money unless 9,000 S − 10,000 ≥ 30,000, i.e. S ≥ 5 (45,000 − 10,000 =
    # 35,000 ≥ 30,000); S = 4 gives 26,000 back
    p_loss = float((successes <= 4).mean())
    assert view.prob_loss == pytest.approx(p_loss)
    # the kommune pays more than it saves when 9,000 S > 50,000, i.e. S ≥ 6 (not 1 − that)
    p_payer = float((successes >= 6).mean())
    assert view.payer_risks["Kommune"] == pytest.approx(p_payer)
    # break-even success rates: the investor's net (9,000 S − 40,000) and the kommune's
    # (50,000 − 9,000 S) are linear in the rate s = S / 10, so the estimate is exact:
    # investor 40,000 / 90,000 = 44.4 % (better off above), kommune 50,000 / 90,000 = 55.6 %
    # (better off below)
    assert view.break_even_success_rates["Fund"] == pytest.approx(40000 / 90000, abs=1e-9)
    assert view.break_even_success_rates["Kommune"] == pytest.approx(50000 / 90000, abs=1e-9)
    assert view.break_even_notes["Fund"] is None
    assert view.break_even_notes["Kommune"] == "falls"

    # the report's contract view: the IRR table's mean, 5th, 50th and 95th percentiles (not
    # the 10th and 90th), P(loss) with its Monte Carlo error, the payer's risk, the rates
    html = plain(render_html(ReportData(r.business, "en", contract=view)))

    def pct(x: float, digits: int = 1) -> str:
        return f"{100 * x:.{digits}f}%"

    p05, p50, p95 = np.percentile(irr, [5, 50, 95])
    row = [pct(irr.mean()), pct(p05), pct(p50), pct(p95)]
    error = 1.96 * (p_loss * (1 - p_loss) / FUND_DRAWS) ** 0.5
    cells = "".join(f'<td class="num">{c}</td>' for c in row)
    assert cells in html.replace("\n", "")
    assert f"{pct(p_loss)} (± {pct(error)})" in html
    assert f"Kommune, as outcome payer, pays more than it saves: {pct(p_payer)} (± " in html
    assert f"{pct(50000 / 90000)} (better off below it)" in html
    assert f'<td class="num">{pct(40000 / 90000)}</td>' in html
    # for the kommune's budget: the 95th percentile of its payments, 9,000 × S
    p95 = float(np.percentile(PRICE * successes, 95))
    assert (
        "Kommune: 95th percentile of the outcome payments in all (for budgeting, nominal)",
        f"DKK {p95:,.0f}",
    ) in view.terms


# -- 6. what a council member would stumble on -------------------------------------------------


def report_text(case: Path, tmp_path: Path, *args: str) -> str:
    import html as html_module
    import re

    out = tmp_path / f"{case.stem}.html"
    result = runner.invoke(app, ["report", str(case), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    page = re.sub(r"<svg.*?</svg>|<style.*?</style>", "", page, flags=re.S)
    return plain(html_module.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_danish_report_names_its_method_and_no_local_path(tmp_path):
    case = EXAMPLES / "impact60-job-education.yaml"
    text = report_text(case, tmp_path)
    assert "budgetøkonomisk efter SØM's metode" in text
    assert str(case.parent) not in text and "/" + case.name not in text
    assert "sagsfilen impact60-job-education.yaml" in text


def test_the_committee_table_shows_only_the_kommunes_amounts(tmp_path, fixture_kb):
    from socialinvest.report.html import render_html
    from socialinvest.runner import appraise

    # the base case's consequence, in the health area, split 30 % kommune, 70 % region
    data = base_case(committees={"Sundhedsudvalget": ["health"], "Socialudvalget": ["social"]})
    data["consequences"][0]["price"]["actor_split"] = {"kommune": 0.3, "region": 0.7}
    result = appraise(load_case(write_case(tmp_path, data)), fixture_kb)
    html = plain(render_html(ReportData(result, "en")))
    start = html.index("Net present value per committee")
    table = html[start : html.index("</table>", start)]
    kommune = result.by_committee()
    health = next(r for r in kommune if r["committee"] == "Sundhedsudvalget")
    region = health["npv_by_actor"]["region"]
    assert region > 0  # the region gains in the health area ...
    # the kommune's health figure is its 30 % of the same gains (its costs are social)
    assert health["npv_by_actor"]["kommune"] == pytest.approx(region * 0.3 / 0.7, rel=1e-12)
    assert f"DKK {region:,.0f}" not in table  # ... but not under a kommune committee
    assert f"DKK {health['npv_by_actor']['kommune']:,.0f}" in table
    assert ">Region<" not in table


def test_no_raw_identifiers_in_the_danish_state_transition_report(tmp_path):
    text = report_text(EXAMPLES / "impact60-state-transition.yaml", tmp_path, "--draws", "200")
    for raw in ("months_in_job_or_education", "months_on_cash_benefit", "cash_benefit", "month"):
        assert f" {raw}" not in text and f"{raw} " not in text, raw
    assert "Måneder i job eller uddannelse" in text


def test_one_year_is_not_one_years(tmp_path):
    text = report_text(
        EXAMPLES / "published-models" / "total-hip-replacement.yaml", tmp_path, "--lang", "en"
    )
    assert " 1 years" not in text and "(1 year per participant)" in text


def test_the_contract_end_date_is_its_last_day(tmp_path, fixture_kb):
    # 8 quarters from 1 January 2024: the last starts on 1 October 2025 and ends on 31 December
    r = evaluated(tmp_path, hand_case(), fixture_kb)
    assert r.to_dict()["contract"]["end_date"] == "2025-12-31"
    assert ("End date", "31 December 2025") in contract_view(r, "en").terms


# -- 7. council-ready -------------------------------------------------------------------------


def test_cover_budget_view_and_methods_for_a_council(tmp_path, fixture_kb):
    from socialinvest.report.html import render_html, sections
    from socialinvest.runner import appraise

    data = base_case(
        committees={"Socialudvalget": ["social"], "Sundhedsudvalget": ["health"]},
        report={
            "author": "Økonomiafdelingen",
            "department": "Social- og Sundhedsforvaltningen",
            "committee": "Socialudvalget",
            "meeting_date": "2025-03-04",
            "case_number": "25-001234",
            "budget_year": 2025,
        },
    )
    result = appraise(load_case(write_case(tmp_path, data)), fixture_kb)
    report = ReportData(result, "da")
    html = plain(render_html(report, paged=True))
    for label, value in [
        ("Udarbejdet af", "Økonomiafdelingen"),
        ("Forvaltning", "Social- og Sundhedsforvaltningen"),
        ("Udvalg", "Socialudvalget"),
        ("Mødedato", "4. marts 2025"),
        ("Sagsnummer", "25-001234"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html
    found = {s.key: s for s in sections(report)}
    assert list(found)[-1] == "methods" and "SØM" in found["methods"].parts[0].text
    budget = found["budget"].parts[0]
    # budget years 2025–2028 (the case runs 2024–2029). The kommune: the social committee
    # bears the cost (10 × 1,000 kr., all in 2024: nothing in 2025–2028); the health committee
    # gains half of 3 successes × 10, 10, 5 days × 100 kr. in 2024, 2025, 2026: 1,500 kr. in
    # 2025 and 750 kr. in 2026, i.e. 1,5 and 0,75 thousand kr.
    assert [c.text for c in budget.head[0]] == ["Udvalg", "2025", "2026", "2027", "2028"]
    rows = {row[0].text: [c.text for c in row[1:]] for row in budget.rows}
    assert rows["Sundhedsudvalget"] == ["2", "1", "0", "0"]
    assert rows["Socialudvalget"] == ["0", "0", "0", "0"]
    assert [c.text for c in budget.foot[0][1:]] == ["2", "1", "0", "0"]


def test_the_contract_sheet_recalculates_the_payments_for_a_new_price(tmp_path, fixture_kb):
    """The XLSX Contract sheet's payments are live: price × expected units. By hand for the hand
    contract (no cap, no lag, no indexation): weeks in work 2 × 13 in 2024 (A and B in quarter
    3) and 4 × 26 + 13 = 117 in 2025; settled 2 in 2024 and 1 in 2025. At 150 and 5,000 kr.:
    13,900 and 22,550 kr. With the weekly price changed to 200 kr. in the sheet, LibreOffice
    recalculates 2 × 13 × 200 + 10,000 = 15,200 and 117 × 200 + 5,000 = 28,400."""
    import subprocess

    import openpyxl

    from socialinvest.report.xlsx import build_workbook

    require_tools("soffice", install="libreoffice-calc-nogui")
    r = evaluated(tmp_path, hand_case(), fixture_kb)
    view = contract_view(r, "en")
    path = tmp_path / "c.xlsx"
    build_workbook(r.business, "en", kb=fixture_kb, contract=view, charts=False).save(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Contract"]
    rows = {str(row[0].value): row for row in ws.iter_rows() if isinstance(row[0].value, str)}
    weeks = rows["per week in work: expected units"]
    settled = rows["settled: expected units"]
    assert [weeks[1].value, weeks[2].value, weeks[3].value] == [150, 26, 117]
    assert [settled[1].value, settled[2].value, settled[3].value] == [5000, 2, 1]
    total = rows["Expected outcome payments in all"]
    assert str(total[2].value).startswith("=SUM(")
    weeks[1].value = 200  # the fund changes the price
    wb.save(path)
    out = tmp_path / "out"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    ws = openpyxl.load_workbook(out / "c.xlsx", data_only=True)["Contract"]
    rows = {str(row[0].value): row for row in ws.iter_rows() if isinstance(row[0].value, str)}
    total = rows["Expected outcome payments in all"]
    assert [total[2].value, total[3].value] == [pytest.approx(15200), pytest.approx(28400)]
    # the party flows with the vehicle add to zero every year (a live SUM)
    header = next(row for row in ws.iter_rows() if row[0].value == "Year")
    sums = next(c.column for c in header if c.value == "Sum")
    years = [row for row in ws.iter_rows() if row[0].value in (2024, 2025)]
    assert years and all(abs(row[sums - 1].value) < 1e-6 for row in years)


# -- 7. analyses: a parameter may be a formula in t ----------------------------------------------


def test_a_parameter_may_be_a_formula_in_t_by_hand(fixture_kb):
    import yaml

    from socialinvest.case.load import load_case_text
    from socialinvest.runner import appraise

    from .test_state_transition import SMALL

    data = yaml.safe_load(SMALL)
    # the chance of a job rises over time: p = 0.1 · t in cycle t (0.1, 0.2, 0.3)
    data["state_transition"]["parameters"] = {"p": "0.1 * t"}
    data["state_transition"]["intervention_effect"]["relative_risks"][0]["rr"] = 1
    data["state_transition"]["outcomes"] = {"years_on_benefit": {"values": {"benefit": 1}}}
    result = appraise(load_case_text(yaml.safe_dump(data, sort_keys=False), "t.yaml"), fixture_kb)
    # per person on benefit at the start, end correction: 0.9, 0.9 × 0.8 = 0.72, 0.72 × 0.7
    # = 0.504 years on benefit in cycles 1–3 (rr 1: no effect); the 100 of 2024 have three
    # cycles in the horizon, the 50 of 2025 two: 100 × 2.124 + 50 × 1.62 = 293.4
    table = result.outcome_table()
    assert table is not None
    years = table["outcomes"]["years_on_benefit"]
    assert years["comparator"] == pytest.approx(100 * (0.9 + 0.72 + 0.504) + 50 * (0.9 + 0.72))


def test_screen_reader_labels_are_in_the_reports_language(tmp_path):
    out = tmp_path / "r.html"
    args = ["report", str(EXAMPLES / "impact60-job-education.yaml"), "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "X-axis" not in html and "Title text" not in html and "mark container" not in html
    assert 'aria-label="Akkumuleret tilbagediskonteret nettoresultat"' in html


def test_a_published_model_in_pounds_is_not_labelled_in_kroner(tmp_path):
    text = report_text(EXAMPLES / "published-models" / "total-hip-replacement.yaml", tmp_path)
    assert "cost (GBP)" in text and "qaly (QALY)" in text
    assert "udfald i modellens egne enheder" in text
    assert "Priser i 2023-niveau" not in text and "Finansministeriet" not in text
    assert "Tilbagebetalingsår" not in text  # no payback year without flows
    assert "budgetøkonomisk efter SØM" not in text


# -- 7. analyses: compare on any declared outcome with ICERs --------------------------------------


def test_a_cost_per_qaly_frontier_with_the_published_icer():
    """Total hip replacement (Briggs, Claxton & Sculpher 2006, Example 3.5): NP1 against the
    standard prosthesis costs £97.88 more for 0.04452 more QALYs, £2,198.486665 per QALY as
    published (the digits heemod's tests assert). As alternatives: NP1 and do nothing (the
    standard prosthesis, the comparator: no difference)."""
    import json

    out = runner.invoke(
        app,
        [
            "compare",
            str(EXAMPLES / "published-models" / "total-hip-replacement.yaml"),
            "--with-do-nothing",
            "--effect",
            "qaly",
            "--cost",
            "cost",
            "--format",
            "json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    np1 = data["alternatives"][0]
    assert np1["effect"] == pytest.approx(14.69770986 - 14.6531896, rel=1e-6)
    assert np1["cost"] == pytest.approx(610.311818 - 512.434658, rel=1e-8)
    assert np1["frontier"]["status"] == "frontier"
    assert np1["frontier"]["icer"] == pytest.approx(2198.486665, rel=1e-8)
    assert data["frontier"] == ["do_nothing", np1["name"]]


def test_state_transition_alternatives_no_longer_tie_on_successes(tmp_path, fixture_kb):
    """Two state-transition alternatives with the same costs, one with a stronger effect (rr 3
    against rr 2 on moving into work): on additional successes (none in this model) they tie;
    on the declared outcome "years_in_job" the stronger one dominates the weaker."""
    import yaml

    from socialinvest.analysis.compare import compare
    from socialinvest.case.load import load_case_text

    from .test_state_transition import SMALL

    data = yaml.safe_load(SMALL)
    data["state_transition"]["outcomes"] = {"years_in_job": {"values": {"job": 1}}}
    strong = load_case_text(yaml.safe_dump(data, sort_keys=False), "strong.yaml")
    data["state_transition"]["intervention_effect"]["relative_risks"][0]["rr"] = 2
    weak = load_case_text(yaml.safe_dump(data, sort_keys=False), "weak.yaml")
    result = compare([("strong", strong), ("weak", weak)], fixture_kb, effect="years_in_job")
    # years in job by hand (end correction, cycle 1 only has the effect): strong 0.3, 0.37,
    # 0.433 per person of the 2024 cohort, comparator 0.1, 0.19, 0.271 → differences 0.2,
    # 0.18, 0.162; the 2025 cohort's first two cycles; weak: 0.2 → 0.1, 0.09, 0.081
    strong_d = 100 * (0.2 + 0.18 + 0.162) + 50 * (0.2 + 0.18)
    weak_d = 100 * (0.1 + 0.09 + 0.081) + 50 * (0.1 + 0.09)
    by_name = {a.name: a for a in result.alternatives}
    assert by_name["strong"].measure("years_in_job") == pytest.approx(strong_d)
    assert by_name["weak"].measure("years_in_job") == pytest.approx(weak_d)
    status = {a.name: p.status for a, p in zip(result.alternatives, result.frontier, strict=True)}
    assert status == {"strong": "frontier", "weak": "strongly_dominated"}


def test_sensitivity_on_a_state_transition_case(tmp_path, fixture_kb):
    """One-way sensitivity of a state-transition case: the NPV at the parameter's 5th and 95th
    percentile equals the NPV of the same case with the parameter written as that number."""
    import yaml
    from scipy import stats

    from socialinvest.analysis.sensitivity import analyse
    from socialinvest.case.load import load_case_text
    from socialinvest.runner import appraise

    from .test_state_transition import SMALL

    data = yaml.safe_load(SMALL)
    data["state_transition"]["parameters"] = {"p": {"dist": "beta", "alpha": 10, "beta": 90}}
    loaded = load_case_text(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    found = analyse(loaded, fixture_kb)
    (row,) = found.one_way
    assert row.path == "state_transition.parameters.p"
    low, high = stats.beta.ppf([0.05, 0.95], 10, 90)
    assert (row.low, row.high) == (pytest.approx(low), pytest.approx(high))
    for value, npv in ((low, row.npv_low), (high, row.npv_high)):
        data["state_transition"]["parameters"] = {"p": float(value)}
        fixed = appraise(
            load_case_text(yaml.safe_dump(data, sort_keys=False), "f.yaml"), fixture_kb
        )
        assert npv["total"] == pytest.approx(fixed.npv_total, rel=1e-12)
        assert npv["kommune"] == pytest.approx(fixed.npv_by_actor()["kommune"], rel=1e-12)
    assert found.npv_point["total"] != row.npv_low["total"]


# -- every example's summary states the numbers of the report's data ----------------------------


def mio(value: float, signed: bool = False) -> str:
    """Danish running-text money, written here: 12.4e6 → "12,4 mio. kr.", 86,010 → "86.010 kr."."""
    if abs(value) < 1_000_000:
        return ("+" if signed and round(value) > 0 else "") + kr(value)
    shown = f"{value / 1e6:.1f}".replace(".", ",")
    return ("+" if signed and round(value / 1e6, 1) > 0 else "") + shown + " mio. kr."


@pytest.mark.parametrize(
    "example",
    [*sorted(EXAMPLES.glob("*.yaml")), EXAMPLES / "contracts" / "aalborg-impact60.yaml"],
    ids=lambda p: p.stem,
)
def test_every_summary_sentence_states_the_reports_numbers(example):
    from socialinvest import service
    from socialinvest.vocabulary import ACTORS

    data = service.report_data(service.load(example), "da", draws=200, seed=3)
    text = plain(" ".join(summary_paragraphs(data)))
    result = data.result
    costs = result.discounted_costs_by_actor()
    gains = result.discounted_gains_by_actor()
    npv = result.npv_by_actor()
    involved = [a for k, a in enumerate(ACTORS) if result.actors_involved()[k]]
    total_costs = sum(costs.values())
    if total_costs > 0:
        assert f"koster i alt {mio(total_costs)}" in text
    if data.contract is None:
        assert f"nutidsværdi på {mio(result.npv_total, signed=True)}" in text
        for a in involved:
            if costs[a] > 0:
                assert f"betaler {mio(costs[a])}" in text, a
            if gains[a] > 0 and costs[a] > 0:
                assert f"får {mio(gains[a])} igen, netto {mio(npv[a], signed=True)}" in text, a
    else:
        acc = data.contract.account
        assert acc is not None
        kommune_without = acc.present(acc.without["kommune"])
        kommune_with = acc.present(acc.with_["kommune"])
        assert kommune_without["net"] == pytest.approx(npv["kommune"])  # one account
        assert f"netto {mio(kommune_without['net'], signed=True)}" in text
        assert f"{mio(kommune_with['payments'])} i resultatbetalinger" in text
        assert f"netto {mio(kommune_with['net'], signed=True)}" in text
    uncertainty = result.uncertainty() if data.has_npv_uncertainty else None
    if uncertainty is not None:
        prob = round(100 * uncertainty["total"]["prob_positive"])
        assert f"er positivt, er {prob} %" in text
        assert "200 trækninger" in text


# -- hand-worked engine cases the issue names ----------------------------------------------------


def test_optimism_bias_on_effects_and_costs_by_hand(tmp_path, fixture_kb):
    from socialinvest.runner import appraise

    # the base case: 10 participants, Δs = 0.5 − 0.2 = 0.3; costs 1,000 kr. each (2024, the
    # kommune); each success saves 10, 10, 5 days × 100 kr. in 2024–2026, half the kommune's
    data = base_case(
        adjustments={"optimism_bias": {"effects": 0.1, "costs": 0.2}},
        discounting={"rate": 0.04, "convention": "start"},
    )
    result = appraise(load_case(write_case(tmp_path, data)), fixture_kb)
    # effects cut by 10 %: 10 × 0.3 × 0.9 = 2.7 successes; costs up 20 %: 12,000 kr.
    successes = 10 * 0.3 * 0.9
    gains = successes * (1000 + 1000 / 1.04 + 500 / 1.04**2)
    assert result.additional_successes == pytest.approx(successes)
    assert result.npv_total == pytest.approx(gains - 12000)
    assert result.npv_by_actor()["kommune"] == pytest.approx(gains / 2 - 12000)


def test_a_cumulative_result_that_turns_negative_again_has_no_early_payback(tmp_path, fixture_kb):
    from socialinvest.runner import appraise

    # gains of 10 successes (Δs 1) × 100 kr. × (20, −5, −20) days → 20,000, −5,000, −20,000 kr.
    # against costs of 10,000 kr. in 2024: cumulative (no discounting) 10,000, 5,000, −15,000:
    # positive in 2024 and 2025, negative from 2026: no payback year within the horizon
    data = base_case(
        success={"measure": "m", "rate_with": 1.0, "rate_without": 0.0, "timing": [1.0]},
        discounting={"rate": 0.0, "convention": "start"},
    )
    data["consequences"][0]["units_per_success"] = [-20, 5, 20]
    result = appraise(load_case(write_case(tmp_path, data)), fixture_kb)
    np.testing.assert_allclose(result.cumulative_total()[:3], [10000, 5000, -15000])
    assert result.break_even_year is None


def test_a_contract_with_gains_and_costs_discounted_at_different_rates(tmp_path, fixture_kb):
    # the account case with gains discounted at 2 % and costs (and payments) at 4 %
    data = account_case()
    data["discounting"] = {"rate": 0.04, "convention": "start", "gains": {"rate": 0.02}}
    r = evaluated(tmp_path, data, fixture_kb)
    acc = account(r)
    senior = 3250 * (G**7 + G**6 + G**5)
    paid_2025 = 22550 - (30200 - senior)
    gains = 5000 + 5000 / 1.02 + 2500 / 1.02**2
    costs_without = 13000 + 3000 / 1.04 + 3000 / 1.04**2
    with_ = acc.present(acc.with_["kommune"])
    assert acc.present(acc.without["kommune"])["net"] == pytest.approx(gains - costs_without)
    assert with_["gains"] == pytest.approx(gains)
    assert with_["payments"] == pytest.approx(13900 + paid_2025 / 1.04)
    assert with_["net"] == pytest.approx(gains - 13900 - paid_2025 / 1.04 - 3000 / 1.04**2)
    # the payer's own view in the contract result uses the same present values
    payer = r.to_dict()["parties"][0]
    assert payer["outcome_payments"]["present_value"]["mean"] == pytest.approx(with_["payments"])
    assert payer["own_gains"]["mean"] == pytest.approx(gains)


def test_rates_from_the_effect_library_are_estimates_from_a_study():
    from socialinvest.inputs import case_inputs

    items = {i.path: i for i in case_inputs(load_case(EXAMPLES / "mst-young-offenders.yaml"))}
    for path in ("success.rate_with", "success.rate_without"):
        assert items[path].status == "study"
        assert items[path].source == "effects/multisystemic-therapy-schaeffer-borduin-2005"
    assert items["success.timing"].status == "assumption"  # given in the file


def test_sources_are_clickable_links_and_nothing_is_loaded(tmp_path):
    from socialinvest import service

    from .test_report import scan

    case = EXAMPLES / "impact60-job-education.yaml"
    out = tmp_path / "r.html"
    assert runner.invoke(app, ["report", str(case), "--out", str(out)]).exit_code == 0
    page = scan(out.read_text(encoding="utf-8"))
    used = service.appraise(service.load(case)).provenance_entries
    urls = {
        rec["url"] for rec in used if str(rec.get("url") or "").startswith(("https://", "http://"))
    }
    assert urls and set(page.links) == urls  # every knowledge-base source, as a link
    assert all(ref.startswith("#") for ref in page.resources)  # and nothing to load


def test_a_scenario_comparison_for_the_council():
    """Target 50 % (published), realised 46 % (published), pessimistic 35 % (assumption), all
    else equal: 120 × (rate − 20 %) additional successes, and since the costs are the same and
    every gain is linear in the success rate, NPV differences are in proportion to the rates'."""
    import json

    out = runner.invoke(
        app, ["compare", str(EXAMPLES / "scenarios" / "impact60-scenarios.yaml"), "-f", "json"]
    )
    assert out.exit_code == 0, out.output
    alts = json.loads(out.stdout)["alternatives"]
    successes = [a["additional_successes"] for a in alts]
    assert successes == [pytest.approx(120 * 0.30), pytest.approx(120 * 0.26), pytest.approx(18)]
    npv = [a["npv"]["total"] for a in alts]
    assert (npv[0] - npv[1]) / (npv[0] - npv[2]) == pytest.approx(0.04 / 0.15)
    assert [a["rank_npv"] for a in alts] == [1, 2, 3]
    assert len({a["discounted_costs"] for a in alts}) == 1
