"""The INDIGO interchange: a modelled contract as an INDIGO project document and back, a published
deal's document loaded onto a case and stress-tested, and clear errors for what cannot be mapped."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import yaml

from socialinvest.case.contract import Contract
from socialinvest.case.load import LoadedCase, load_case, load_case_text
from socialinvest.contract.indigo import (
    ASSUMED,
    EXTENSION,
    attach_contract,
    from_indigo,
    to_indigo,
)
from socialinvest.contract.result import ContractResult, evaluate_contract
from socialinvest.errors import InputError

from .conftest import EXAMPLES

SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "indigo" / "project.schema.json").read_text("utf-8")
)
AALBORG = EXAMPLES / "contracts" / "aalborg-impact60.yaml"
FAIR_CHANCE = EXAMPLES / "contracts" / "indigo" / "fair-chance-fund-rate-card.indigo.json"
SUCCESS_RATE_CASE = EXAMPLES / "impact60-uncertain.yaml"
DRAWS = 200


def validate(doc: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(doc)


@pytest.fixture(scope="module")
def aalborg() -> ContractResult:
    return evaluate_contract(LoadedCase.of(load_case(AALBORG)), draws=DRAWS, seed=1)


@pytest.fixture(scope="module")
def aalborg_doc(aalborg: ContractResult) -> dict[str, Any]:
    return to_indigo(aalborg)


# A richer contract on the same case: two payers, a loan with a coupon under capped equity, a
# first-loss guarantee, an evaluator paid by the vehicle, caps per person and per contract.
RICH_CONTRACT: dict[str, Any] = {
    "name": "Rich test contract",
    "start_date": "2025-01-01",
    "period": "month",
    "periods": 36,
    "parties": [
        {"name": "Kommunen", "role": "payer", "actor": "kommune", "share": 0.6},
        {"name": "Staten", "role": "payer", "actor": "stat", "share": 0.4},
        {"name": "Banken", "role": "investor"},
        {"name": "Fonden", "role": "investor"},
        {"name": "Udbyderen", "role": "provider"},
        {"name": "Evaluator A/S", "role": "evaluator"},
        {"name": "Garanten", "role": "guarantor"},
    ],
    "metrics": {
        "job": {"kind": "entry", "states": ["success"]},
        "job_6m": {"kind": "sustained", "k": 6, "states": ["success"]},
    },
    "success_exit_per_year": 0.2,
    "payments": [
        {"name": "Job", "metric": "job", "mechanism": "rate_card", "price": 40000},
        {"name": "Job i 6 mdr.", "metric": "job_6m", "mechanism": "rate_card", "price": 60000},
    ],
    "person_cap": 90000,
    "contract_cap": 9000000,
    "lag_periods": 2,
    "indexation": 0.02,
    "other_costs": [{"name": "Evaluering", "party": "Evaluator A/S", "amount": 300000}],
    "finance": {
        "tranches": [
            {
                "name": "Lån",
                "investor": "Banken",
                "kind": "senior_loan",
                "commitment": 4000000,
                "coupon": 0.04,
            },
            {
                "name": "Egenkapital",
                "investor": "Fonden",
                "kind": "equity",
                "commitment": 3000000,
                "max_return": 0.08,
            },
        ],
        "guarantee": {"guarantor": "Garanten", "amount": 1000000, "covers": ["Lån"]},
        "target_return": 0.05,
    },
}


@pytest.fixture(scope="module")
def rich() -> ContractResult:
    text = attach_contract(AALBORG.read_text("utf-8"), RICH_CONTRACT)
    return evaluate_contract(LoadedCase.of(load_case_text(text, "rich.yaml")), draws=DRAWS, seed=2)


# ----------------------------------------------------------------------------- (a) the schema


def test_aalborg_document_validates_against_the_indigo_schema(aalborg_doc: dict[str, Any]):
    validate(aalborg_doc)
    json.dumps(aalborg_doc, allow_nan=False)  # strict JSON


def test_rich_document_validates_against_the_indigo_schema(rich: ContractResult):
    doc = to_indigo(rich)
    validate(doc)
    json.dumps(doc, allow_nan=False)


def test_the_schema_rejects_what_indigo_rejects(aalborg_doc: dict[str, Any]):
    """The vendored schema is not vacuous: unwrapped values and unknown codes fail."""
    bad = copy.deepcopy(aalborg_doc)
    bad["name"] = "not wrapped in {'value': ...}"
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
    bad = copy.deepcopy(aalborg_doc)
    bad["outcome_payments"][0]["type"]["value"] = "Actual-ish"
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)


def test_the_hand_written_published_deal_validates():
    validate(json.loads(FAIR_CHANCE.read_text("utf-8")))


# ----------------------------------------------------------------------------- (b) key numbers


def test_total_commitment_is_the_example_files_tranches(aalborg_doc: dict[str, Any]):
    total = aalborg_doc["overall_project_finance"]["total_investment_commitment"]
    assert total["amount"]["exact"]["value"] == 7_000_000 + 5_000_000
    assert total["currency"]["value"] == "DKK"
    amounts = [
        i["investment_commitment"]["amount"]["exact"]["value"] for i in aalborg_doc["investments"]
    ]
    assert amounts == [7_000_000, 5_000_000]
    assert [i["investment_type"]["value"] for i in aalborg_doc["investments"]] == ["Equity"] * 2


def test_price_is_the_solved_price(aalborg: ContractResult, aalborg_doc: dict[str, Any]):
    (pricing,) = aalborg_doc["outcome_pricings"]
    assert pricing["price_per_unit"]["amount"]["value"] == aalborg.prices[0]
    assert pricing["outcome_metric_id"]["value"] == "weeks_in_job_or_education"
    assert "solved by the designer" in pricing["notes"]


def test_planned_payments_sum_to_the_expected_payments(
    aalborg: ContractResult, aalborg_doc: dict[str, Any]
):
    planned = aalborg_doc["outcome_payments"]
    assert {p["type"]["value"] for p in planned} == {"Planned"}
    assert [p["period"]["start_date"]["value"][:4] for p in planned] == ["2025", "2026", "2027"]
    expected = float(aalborg.flows.payments.mean(axis=0).sum())
    assert sum(p["money"]["amount"]["value"] for p in planned) == pytest.approx(expected, abs=0.05)
    outcome_tx = [
        t
        for t in aalborg_doc["transactions"]
        if t["transaction_type"]["value"] == "Outcome Payment"
    ]
    assert sum(t["money"]["amount"]["value"] for t in outcome_tx) == pytest.approx(
        expected, abs=0.05
    )


def test_no_cap_so_the_maximum_is_the_95th_percentile(
    aalborg: ContractResult, aalborg_doc: dict[str, Any]
):
    finance = aalborg_doc["overall_project_finance"]
    p95 = float(np.percentile(aalborg.flows.payments.sum(axis=1), 95))
    assert finance["maximum_potential_outcome_payment_v2"]["amount"]["value"] == pytest.approx(
        p95, abs=0.01
    )
    assert "95th percentile" in finance["notes"] and "not a contract cap" in finance["notes"]
    assert finance["maximum_potential_loss"]["value"] == "100%"
    assert "12,000,000 kr." in finance["notes"]
    assert aalborg_doc[EXTENSION]["maximum_potential_outcome_payment"]["basis"] == (
        "p95_of_simulated"
    )


def test_transactions_balance_each_investor(rich: ContractResult):
    """Expected drawdowns out and repayments in per investor equal its expected net flow."""
    doc = to_indigo(rich)
    orgs = {o["name"]["value"]: o["id"] for o in doc["organisations"]}
    for name in ("Banken", "Fonden"):
        org = orgs[name]
        out = sum(
            t["money"]["amount"]["value"]
            for t in doc["transactions"]
            if t.get("sending_organisation_id", {}).get("value") == org
        )
        back = sum(
            t["money"]["amount"]["value"]
            for t in doc["transactions"]
            if t.get("receiving_organisation_id", {}).get("value") == org
        )
        net = float(rich.flows.flows[name].mean(axis=0).sum())
        assert back - out == pytest.approx(net, abs=1.0)
    types = {t["transaction_type"]["value"] for t in doc["transactions"]}
    assert {"Outcome Payment", "Debt", "Equity", "Interest Payment", "Capital Repayment"} <= types


def test_caps_and_shares_in_indigo_fields(rich: ContractResult):
    doc = to_indigo(rich)
    finance = doc["overall_project_finance"]
    assert finance["maximum_potential_outcome_payment_v2"]["amount"]["value"] == 9_000_000
    assert "the contract cap" in finance["notes"]
    commitments = doc["outcome_payment_commitments"]
    assert [c["maximum_potential_outcome_payment"]["amount"]["value"] for c in commitments] == [
        pytest.approx(0.6 * 9_000_000),
        pytest.approx(0.4 * 9_000_000),
    ]
    for pricing in doc["outcome_pricings"]:
        assert pricing["maximum_price_if_all_targets_achieved"]["amount"]["value"] == "90000"
        assert "2%" in pricing["contracted_increases_to_outcome_pricing"]["value"]
    loan, equity = doc["investments"]
    assert loan["investment_type"]["value"] == "Debt"
    assert loan["maximum_potential_loss"]["value"] == "75%"  # 1 of 4 mio. guaranteed
    assert equity["maximum_potential_return"]["value"] == pytest.approx(8.0)
    assert equity["maximum_potential_return_type"]["value"] == "IRR"
    roles = {
        i["other_role_description"]["value"].split(" ")[0] for i in doc["intermediary_services"]
    }
    assert roles == {"Evaluator", "Guarantor"}


def test_results_are_modelled_never_actual(aalborg_doc: dict[str, Any]):
    for result in aalborg_doc["results"]:
        assert "result_type" not in result  # INDIGO's Interim/Final mean achieved results
        assert result["other_description_of_result"]["value"].startswith("MODELLED")
    text = aalborg_doc["results"][0]["other_description_of_result"]["value"]
    assert "P(loss)" in text and "Success rate" in text and "IRR per draw" in text
    assert "total_outcome_payments_made" not in aalborg_doc["overall_project_finance"]
    for tx in aalborg_doc["transactions"]:
        assert "MODELLED" in tx["notes"]


# ----------------------------------------------------------------------------- (c) round trip


def _terms(contract: Contract, prices: list[float]) -> dict[str, Any]:
    return {
        "name": contract.name,
        "start_date": contract.start_date,
        "period": contract.period,
        "periods": contract.periods,
        "parties": [p.model_dump() for p in contract.parties],
        "prices": prices,
        "person_cap": contract.person_cap,
        "contract_cap": contract.contract_cap,
        "tranches": [t.model_dump() for t in contract.finance.tranches],
        "guarantee": contract.finance.guarantee,
        "metrics": contract.metrics,
        "mechanisms": [p.mechanism for p in contract.payments],
        "lag": contract.lag_periods,
        "indexation": contract.indexation,
        "other_costs": contract.other_costs,
        "target_return": contract.finance.target_return,
    }


def _prices(contract: Contract) -> list[float]:
    return [float(p.price if p.price != "solve" else 0.0) or 0.0 for p in contract.payments]


@pytest.mark.parametrize("which", ["aalborg", "rich"])
def test_round_trip_gives_the_original_terms(which: str, request: pytest.FixtureRequest):
    result: ContractResult = request.getfixturevalue(which)
    section = from_indigo(to_indigo(result))
    back = Contract.model_validate(section)
    assert _terms(back, _prices(back)) == _terms(result.prep.contract, result.prices)
    assert back.designer is None  # the solved price is now a given price


def test_round_trip_from_indigo_fields_alone(rich: ContractResult):
    """Without the extension, parties, prices, caps and commitments still come back (from the
    INDIGO fields), and everything else is listed as an assumption."""
    doc = to_indigo(rich)
    del doc[EXTENSION]
    section = from_indigo(doc, period="month", payer_actor="kommune")
    back = Contract.model_validate(section)
    c = rich.prep.contract
    assert [(p.name, p.role) for p in back.parties] == [(p.name, p.role) for p in c.parties]
    assert [p.share for p in back.parties if p.role == "payer"] == [
        pytest.approx(0.6),
        pytest.approx(0.4),
    ]
    assert _prices(back) == rich.prices
    assert (back.person_cap, back.contract_cap) == (c.person_cap, c.contract_cap)
    assert [(t.name, t.investor, t.commitment, t.max_return) for t in back.finance.tranches] == [
        (t.name, t.investor, t.commitment, t.max_return) for t in c.finance.tranches
    ]
    assert [t.kind for t in back.finance.tranches] == ["senior_loan", "equity"]
    assert (back.start_date, back.periods) == (c.start_date, c.periods)
    assert back.finance.target_return == pytest.approx(0.05)
    assumed = [v for v in section["sources"].values() if v.startswith(ASSUMED)]
    assert any("entry" in v for v in assumed)  # metric kinds
    assert any("coupon" in v for v in assumed)  # Debt → a loan without a coupon


def test_a_95th_percentile_is_not_read_back_as_a_cap(aalborg_doc: dict[str, Any]):
    doc = copy.deepcopy(aalborg_doc)
    del doc[EXTENSION]
    section = from_indigo(doc)
    assert "contract_cap" not in section


# ----------------------------------------------------------------------------- (d) published deal


FAIR_CHANCE_METRICS = {
    "accommodation_3m": {"kind": "sustained", "k": 3},
    "accommodation_6m": {"kind": "sustained", "k": 6},
    "accommodation_12m": {"kind": "sustained", "k": 12},
    "accommodation_18m": {"kind": "sustained", "k": 18},
    "part_time_13w": {"kind": "sustained", "k": 3},
    "part_time_26w": {"kind": "sustained", "k": 6},
    "full_time_13w": {"kind": "sustained", "k": 3},
    "full_time_26w": {"kind": "sustained", "k": 6},
}
GBP = 8.7  # kr. per £: an ASSUMPTION (roughly the 2023–24 average), stated in the sources


def test_a_published_rate_card_loads_attaches_and_runs(tmp_path: Path):
    doc = json.loads(FAIR_CHANCE.read_text("utf-8"))
    section = from_indigo(
        doc,
        metrics=FAIR_CHANCE_METRICS,
        states=["success"],
        period="month",
        start_date=dt.date(2025, 1, 1),
        exchange_rates={"GBP": GBP},
    )
    contract = Contract.model_validate(section)
    assert len(contract.payments) == 17
    assert {p.mechanism for p in contract.payments} == {"rate_card"}
    assert contract.payments[3].price == pytest.approx(500 * GBP)  # into accommodation
    assert contract.person_cap == pytest.approx(15_000 * GBP)
    assert contract.contract_cap is None
    assert contract.periods == 36
    assert contract.finance.tranches[0].commitment == pytest.approx(1_000_000 * GBP)
    assert all(m.states == ["success"] for m in contract.metrics.values())
    assert contract.metrics["accommodation_12m"].k == 12
    assert "8.7 kr. per GBP" in section["sources"]["currency"]
    assert section["sources"]["start date"].startswith("given when loading (2025-01-01)")
    assert section["sources"]["metrics"].startswith(ASSUMED)  # the assessments are entries

    text = attach_contract(SUCCESS_RATE_CASE.read_text("utf-8"), section)
    path = tmp_path / "fair-chance-on-impact60.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = LoadedCase.of(load_case(path))
    result = evaluate_contract(loaded, draws=50, seed=3)
    totals = result.flows.payments.sum(axis=1)
    assert totals.mean() > 0
    assert (totals <= contract.person_cap * result.prep.n_participants + 1e-6).all()
    assert result.flows.imbalance.max() < 1e-6
    validate(to_indigo(result))


def test_attach_replaces_an_existing_contract_section():
    text = AALBORG.read_text("utf-8")
    new = copy.deepcopy(RICH_CONTRACT)
    out = attach_contract(text, new)
    data = yaml.safe_load(out)
    assert data["contract"]["name"] == "Rich test contract"
    assert out.count("\ncontract:") == 1
    assert data["discounting"] == yaml.safe_load(text)["discounting"]  # the case is kept


def test_without_prices_in_kroner_amounts_are_kept_and_said_so():
    doc = json.loads(FAIR_CHANCE.read_text("utf-8"))
    section = from_indigo(doc, start_date=dt.date(2025, 1, 1))
    assert "kept in GBP" in section["sources"]["currency"]
    assert section["payments"][0]["price"] == 500


# ----------------------------------------------------------------------------- (e) errors


def _broken(change: Any) -> dict[str, Any]:
    doc = json.loads(FAIR_CHANCE.read_text("utf-8"))
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: d["outcome_pricings"][2]["price_per_unit"]["amount"].update(value="lots"),
            "outcome_pricings[2].price_per_unit.amount.value",
        ),
        (lambda d: d.pop("investments"), "investments"),
        (lambda d: d.update(name="Not wrapped"), "name"),
        (
            lambda d: d["outcome_pricings"][0]["outcome_metric_id"].update(value="nope"),
            "outcome_pricings[0].outcome_metric_id.value",
        ),
        (
            lambda d: d["dates"].pop("start_date_of_service_provision"),
            "dates.start_date_of_service_provision.value",
        ),
        (
            lambda d: d["dates"]["anticipated_completion_date"].update(value="31/12/2017"),
            "dates.anticipated_completion_date.value",
        ),
        (
            lambda d: d["investments"][0]["investment_commitment"]["amount"].pop("exact"),
            "investments[0].investment_commitment.amount.exact.value",
        ),
        (lambda d: d["outcome_metrics"].clear(), "outcome_metrics"),
    ],
)
def test_a_malformed_document_names_the_field(change: Any, field: str):
    with pytest.raises(InputError) as info:
        from_indigo(_broken(change))
    message = info.value.message
    assert f"'{field}'" in message, message
    assert message.count(".") >= 1 and "\n" not in message


def test_an_unknown_metric_override_is_an_error():
    doc = json.loads(FAIR_CHANCE.read_text("utf-8"))
    with pytest.raises(InputError, match="metrics"):
        from_indigo(doc, metrics={"no_such_metric": {"kind": "entry"}})


def test_not_a_document_is_an_error():
    with pytest.raises(InputError):
        from_indigo([1, 2, 3])  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the examples


def test_the_committed_example_is_valid_and_loads_back_onto_its_case(tmp_path: Path):
    """examples/contracts/indigo/aalborg-impact60.indigo.json (written by the CLI) validates,
    and its terms load back onto the Aalborg case and run."""
    path = EXAMPLES / "contracts" / "indigo" / "aalborg-impact60.indigo.json"
    doc = json.loads(path.read_text("utf-8"))
    validate(doc)
    assert doc[EXTENSION]["run"] == {"draws": 1000, "seed": 1}
    section = from_indigo(doc)
    original = load_case(AALBORG).contract
    assert original is not None
    back = Contract.model_validate(section)
    assert [p.model_dump() for p in back.parties] == [p.model_dump() for p in original.parties]
    assert back.finance.tranches == original.finance.tranches
    (price,) = _prices(back)
    assert price == doc["outcome_pricings"][0]["price_per_unit"]["amount"]["value"]
    text = attach_contract(AALBORG.read_text("utf-8"), section)
    result = evaluate_contract(LoadedCase.of(load_case_text(text, "back.yaml")), draws=20, seed=1)
    assert result.prices == [price]


def test_the_cli_writes_the_indigo_document(tmp_path: Path):
    from typer.testing import CliRunner

    from socialinvest.cli import app

    out = tmp_path / "deal.indigo.json"
    args = ["contract", str(AALBORG), "--draws", "20", "--seed", "1", "--indigo", str(out)]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.stderr
    validate(json.loads(out.read_text("utf-8")))
