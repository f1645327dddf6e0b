"""The three contract examples give the same results as before the speed work (issue 10).

The fixture ``fixtures/contract-regression/results.json`` was written by the code as it was
*before* the contract Monte Carlo was rewritten for speed (commit recorded in the file), for a
fixed seed and a modest number of draws; the optimised code must give the same key figures per
party to the øre (money) and to 1e-9 (rates, probabilities, shares), and the same per-draw
totals. The knowledge-base entries the examples use are copied into
``fixtures/contract-regression/knowledge`` so that an update of the bundled knowledge base does
not move these numbers.

This is a regression check by design (the issue asks for exactly this): the numbers were not
worked out by hand; the hand-worked contract tests are in ``test_contract_cases.py``.

To rewrite the fixture after a deliberate change of results (say why in the commit):
``.venv/bin/python -m tests.test_contract_regression --write``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialinvest.case.load import LoadedCase, load_case
from socialinvest.contract.result import evaluate_contract
from socialinvest.knowledge import KnowledgeBase

HERE = Path(__file__).parent
EXAMPLES = HERE.parent / "examples" / "contracts"
FIXTURE = HERE / "fixtures" / "contract-regression"
RESULTS = FIXTURE / "results.json"
NAMES = ("aalborg-impact60", "fair-chance-fund-rate-card", "peterborough-threshold")
DRAWS = 300
SEED = 20261205

MONEY_TOLERANCE = 0.005  # kr.: to the øre
RATIO_TOLERANCE = 1e-9

# keys whose values are shares, rates or probabilities (compared to RATIO_TOLERANCE)
_RATIO_KEYS = {
    "irr",
    "prob_loss",
    "prob_target",
    "prob_pays_more_than_saves",
    "prob_called",
    "value_for_money",
    "money_multiple",
    "irr_distribution",
    "success_rate",
    "break_even_success_rate",
    "share",
    "value",
    "range",
    "target_return",
}

_PARTY_KEYS = (
    "total",
    "cash_flows",
    "committed",
    "irr",
    "irr_distribution",
    "prob_loss",
    "prob_target",
    "money_multiple",
    "peak_capital",
    "outcome_payments",
    "own_gains",
    "net",
    "value_for_money",
    "prob_pays_more_than_saves",
    "revenue",
    "delivery_costs",
    "prob_called",
    "break_even_success_rate",
)


def key_figures(name: str) -> dict[str, Any]:
    """What the fixture keeps of one example's contract result."""
    kb = KnowledgeBase(FIXTURE / "knowledge", version="contract-regression")
    loaded = LoadedCase.of(load_case(EXAMPLES / f"{name}.yaml"))
    result = evaluate_contract(loaded, kb, draws=DRAWS, seed=SEED)
    d = result.to_dict()
    parties = {}
    for party in d["parties"]:
        parties[party["name"]] = {k: party[k] for k in _PARTY_KEYS if k in party}
    designer = d["designer"]
    return {
        "prices": [p.get("price", p.get("share")) for p in d["contract"]["payments"]],
        "success_rate": d["success_rate"],
        "metrics": d["metrics"],
        "outcome_payments": d["outcome_payments"],
        "delivery_costs": d["delivery_costs"],
        "investors": d["investors"],
        "parties": parties,
        "designer_price": None if designer is None else designer.get("price"),
        "business_npv": d["business_case"]["npv"],
        "per_draw": {
            "outcome_payments": result.flows.payments.sum(axis=1).tolist(),
            "success_share": result.outcomes.success_share.tolist(),
            "investors": result.investors_combined().sum(axis=1).tolist(),
        },
    }


def _compare(expected: Any, actual: Any, path: str, ratio: bool, errors: list[str]) -> None:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            errors.append(f"{path}: expected a mapping, got {actual!r}")
            return
        for k, v in expected.items():
            if k not in actual:
                errors.append(f"{path}.{k}: missing")
                continue
            _compare(v, actual[k], f"{path}.{k}", ratio or k in _RATIO_KEYS, errors)
        return
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            errors.append(f"{path}: expected {len(expected)} items, got {actual!r:.80}")
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _compare(e, a, f"{path}[{i}]", ratio, errors)
        return
    if isinstance(expected, float) and isinstance(actual, int | float) and actual is not None:
        tol = RATIO_TOLERANCE if ratio else MONEY_TOLERANCE
        if not math.isclose(expected, float(actual), rel_tol=0.0, abs_tol=tol):
            errors.append(f"{path}: expected {expected!r}, got {actual!r}")
        return
    if expected != actual:
        errors.append(f"{path}: expected {expected!r}, got {actual!r}")


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert data["draws"] == DRAWS and data["seed"] == SEED
    return data


@pytest.mark.parametrize("name", NAMES)
def test_contract_example_results_unchanged(name: str, recorded: dict[str, Any]) -> None:
    actual = json.loads(json.dumps(key_figures(name)))  # same float/None shapes as the file
    errors: list[str] = []
    _compare(recorded["examples"][name], actual, name, False, errors)
    assert not errors, "\n".join(errors[:20])


def test_the_comparison_catches_a_change_of_one_ore(recorded: dict[str, Any]) -> None:
    """The comparison itself fails on a difference of 1 øre in a payment, and of 1e-8 in a
    probability (so the test above could fail)."""
    example = recorded["examples"]["fair-chance-fund-rate-card"]
    changed = json.loads(json.dumps(example))
    changed["per_draw"]["outcome_payments"][17] += 0.01
    errors: list[str] = []
    _compare(example, changed, "x", False, errors)
    assert errors == [
        f"x.per_draw.outcome_payments[17]: expected "
        f"{example['per_draw']['outcome_payments'][17]!r}, got "
        f"{changed['per_draw']['outcome_payments'][17]!r}"
    ]
    changed = json.loads(json.dumps(example))
    investor = next(p for p in changed["parties"].values() if "prob_loss" in p)
    investor["prob_loss"] += 1e-8
    errors = []
    _compare(example, changed, "x", False, errors)
    assert len(errors) == 1 and errors[0].endswith(f"got {investor['prob_loss']!r}")
    assert np.isfinite(example["per_draw"]["outcome_payments"]).all()


def _write() -> None:
    import subprocess

    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=HERE
    ).stdout.strip()
    data = {
        "written_by": commit,
        "draws": DRAWS,
        "seed": SEED,
        "examples": {name: key_figures(name) for name in NAMES},
    }
    RESULTS.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        _write()
    else:
        print(__doc__)
