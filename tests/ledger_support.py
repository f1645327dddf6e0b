"""Builders shared by the ledger's tests: a small quarterly partnership, keys and actors."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import yaml

from socialinvest.case.load import LoadedCase, load_case_text
from socialinvest.ledger.cpr import Keyring
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.records import Actor
from socialinvest.ledger.terms import Terms

from .conftest import base_case

KEY = "k1 " + "11" * 32
KEYRING = Keyring.parse(KEY, "test")

PAYER = Actor("pia", "Kommune", "payer")
PAYER2 = Actor("per", "Kommune", "payer")
PROVIDER = Actor("paul", "Provider", "provider")
EVALUATOR = Actor("eva", "Evaluator", "evaluator")
EVALUATOR2 = Actor("erik", "Evaluator", "evaluator")
INVESTOR = Actor("ivan", "Fund", "investor")

CRITERIA = ("on cash benefit", "30 or older")
ELIGIBLE = dict.fromkeys(CRITERIA, True)

# A quarterly contract over two years from 2024-01-01. Per participant: 5,000 kr. for finding a
# job (entry) and 150 kr. per week in work (13 weeks a quarter); at most 10,000 kr. per person and
# 25,000 kr. in all; paid one quarter after the outcome.
SMALL_CONTRACT: dict[str, Any] = {
    "name": "Small partnership",
    "start_date": "2024-01-01",
    "period": "quarter",
    "periods": 8,
    "parties": [
        {"name": "Kommune", "role": "payer", "actor": "kommune"},
        {"name": "Bank", "role": "investor"},
        {"name": "Fund", "role": "investor"},
        {"name": "Provider", "role": "provider"},
    ],
    "participants": {"cohorts": [3]},
    "metrics": {
        "job": {"kind": "entry"},
        "in_work": {"kind": "time_in", "units_per_period": 13},
    },
    "payments": [
        {"name": "job found", "metric": "job", "mechanism": "rate_card", "price": 5000},
        {"name": "per week in work", "metric": "in_work", "mechanism": "per_unit", "price": 150},
    ],
    "person_cap": 10000,
    "contract_cap": 25000,
    "lag_periods": 1,
    "provider": {"delivery_costs": [5000, 5000, 5000, 5000, 2000, 2000, 2000, 2000]},
    "finance": {
        "tranches": [
            {
                "name": "senior",
                "investor": "Bank",
                "kind": "senior_loan",
                "commitment": 12000,
                "coupon": 0.08,
            },
            {"name": "equity", "investor": "Fund", "kind": "equity", "commitment": 20000},
        ]
    },
}


def small_case(**contract: Any) -> LoadedCase:
    data = base_case(
        success={"measure": "in work", "rate_with": 1.0, "rate_without": 0.0, "timing": [1.0]},
        discounting={"rate": 0.04, "convention": "start"},
    )
    data["contract"] = copy.deepcopy(SMALL_CONTRACT)
    data["contract"].update(copy.deepcopy(contract))
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return LoadedCase.of(load_case_text(text, "small.yaml"))


def small_terms(kb: Any, settle_every: int = 2, **contract: Any) -> Terms:
    return Terms.from_case(
        small_case(**contract), eligibility=CRITERIA, settle_every=settle_every, kb=kb
    )


class Clock:
    """A clock that moves one minute per call, from 2024-01-01 09:00 UTC."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


def small_ledger(kb: Any, *, demo: bool = True, **contract: Any) -> Ledger:
    return Ledger.create(
        "small",
        small_terms(kb, **contract),
        KEYRING,
        PAYER,
        demo=demo,
        data_processors=["Provider"],
        clock=Clock(),
    )
