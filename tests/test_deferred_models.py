"""The outcome contract's models are imported and built only for a case that has a contract, the
state-transition models built only for a case with that section (case.models.Deferred); their
errors read as when the models were the fields' types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from socialinvest.case.load import load_case_text
from socialinvest.case.models import Case
from socialinvest.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "examples" / "contracts" / "aalborg-impact60.yaml"
PLAIN = ROOT / "examples" / "impact60-job-education.yaml"
MARKOV = ROOT / "examples" / "impact60-state-transition.yaml"


def error_of(document: dict) -> str:
    with pytest.raises(InputError) as caught:
        load_case_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "case.yaml")
    return caught.value.render("en")


def test_a_case_without_a_contract_does_not_import_the_contract_models():
    code = (
        "import sys; from socialinvest.case.load import load_case; "
        f"load_case({str(PLAIN)!r}); "
        "print(sorted(m for m in sys.modules if m.startswith('socialinvest.case.contract')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_contract_is_its_model():
    from socialinvest.case.contract import Contract, Party

    case = Case.model_validate(yaml.safe_load(CONTRACT.read_text(encoding="utf-8")))
    assert isinstance(case.contract, Contract)
    assert all(isinstance(p, Party) for p in case.contract.parties)
    # in code too: a model instance is kept, None stays None
    assert Case.model_validate({**case.model_dump(), "contract": case.contract}).contract is (
        case.contract
    )
    assert Case.model_validate({**case.model_dump(), "contract": None}).contract is None
    dumped = case.model_dump(mode="json")["contract"]
    assert dumped["parties"][0] == case.contract.parties[0].model_dump(mode="json")


def test_a_contract_field_on_a_case_without_a_contract_is_refused_as_before():
    document = yaml.safe_load(PLAIN.read_text(encoding="utf-8"))
    document["parties"] = [{"name": "Aalborg Kommune", "role": "payer"}]
    message = error_of(document)
    assert "field 'parties' is not a known field" in message
    # the case's own fields, the contract among them, as the models declare them
    assert "adjustments, committees, consequences, contract, correlations, currency" in message


def test_errors_inside_a_contract_name_the_contract_s_fields():
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    document["contract"]["finance"]["payerz"] = 1
    assert error_of(document).endswith(
        "field 'contract.finance.payerz' is not a known field; expected one of the known "
        "fields: drawdown, guarantee, surplus_to, target_return, tranches, unfunded_costs."
    )
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    document["contract"]["parties"][1]["role"] = "banker"
    message = error_of(document)
    assert "field 'contract.parties[1].role' has 'banker'" in message
    assert "expected one of" in message and "payer" in message
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    document["contract"] = 7
    assert "field 'contract' has 7" in error_of(document)


def test_a_case_without_a_state_transition_section_does_not_build_its_models():
    code = (
        "from socialinvest.case.load import load_case; "
        "from socialinvest.case.models import StateTransition; "
        f"load_case({str(PLAIN)!r}); print(StateTransition.__pydantic_complete__); "
        f"load_case({str(MARKOV)!r}); print(StateTransition.__pydantic_complete__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_errors_inside_a_state_transition_section_name_its_fields():
    from socialinvest.case.models import StateTransition

    document = yaml.safe_load(MARKOV.read_text(encoding="utf-8"))
    assert isinstance(Case.model_validate(document).state_transition, StateTransition)
    document["state_transition"]["intervention_effect"]["payerz"] = 1
    assert error_of(document).endswith(
        "field 'state_transition.intervention_effect.payerz' is not a known field; expected one "
        "of the known fields: cycles, name, relative_risks, transitions."
    )
    document = yaml.safe_load(MARKOV.read_text(encoding="utf-8"))
    document["state_transition"]["cycle"] = "decade"
    message = error_of(document)
    assert "field 'state_transition.cycle' has 'decade'" in message
    assert "year" in message and "quarter" in message
