"""A small running partnership in a test database: organisations and users of every partnership
role, an approved case version with the core tests' small quarterly contract, the key in the
environment."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session

from socialinvest.ledger.cpr import synthetic_numbers
from socialinvest.service import partnerships as ps
from socialinvest.store import cases as case_store
from socialinvest.store import users as user_store
from socialinvest.store.models import User

from ..conftest import base_case
from ..ledger_support import CRITERIA, SMALL_CONTRACT
from .conftest import password_hash

KEY = "k1 " + "5a" * 32


def small_text() -> str:
    data = base_case(
        success={"measure": "in work", "rate_with": 1.0, "rate_without": 0.0, "timing": [1.0]},
        discounting={"rate": 0.04, "convention": "start"},
    )
    data["contract"] = copy.deepcopy(SMALL_CONTRACT)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@dataclass
class Deal:
    id: int
    users: dict[str, User]
    numbers: list[str]


ROLES = {
    # username: (organisation, partnership role, web role)
    "pia": ("Kommune", "payer", "analyst"),
    "rita": ("Kommune", "payer", "reviewer"),
    "paul": ("Provider", "provider", "analyst"),
    "eva": ("Evaluator", "evaluator", "analyst"),
    "erik": ("Evaluator", "evaluator", "analyst"),
    "ivan": ("Fund", "investor", "analyst"),
    "bank": ("Bank", "investor", "analyst"),
    "otto": ("Outsider", None, "admin"),
}


def use_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOCIALINVEST_LEDGER_KEY_FILE", raising=False)
    monkeypatch.setenv("SOCIALINVEST_LEDGER_KEY", KEY)


def make_deal(db: Session, *, min_count: int = 3, key: str = "small") -> Deal:
    users: dict[str, User] = {}
    orgs: dict[str, Any] = {}
    parties = []
    for username, (org_name, role, web_role) in ROLES.items():
        if org_name not in orgs:
            orgs[org_name] = user_store.organisation(db, org_name, create=True)
            if role is not None:
                parties.append((orgs[org_name], role))
        users[username] = user_store.create_user(
            db, orgs[org_name], username, password_hash(), role=web_role
        )
    db.commit()
    case = case_store.create_case(db, users["pia"], "Small partnership", small_text())
    case_store.approve(db, case, 1, users["rita"])
    pid = ps.create(
        db,
        users["pia"],
        case,
        1,
        key=key,
        name="Small partnership",
        parties=parties,
        eligibility=CRITERIA,
        settle_every=2,
        data_processors=["Provider"],
        demo=True,
        min_count=min_count,
    )
    return Deal(pid, users, synthetic_numbers(40, 7))


def outcomes_csv(rows: list[tuple[int, str, int, float]]) -> bytes:
    lines = ["participant,metric,period,value,source,reference"]
    lines += [f"{p},{m},{t},{v},Jobcenter,REF-{p}-{m}-{t}" for p, m, t, v in rows]
    return ("\n".join(lines) + "\n").encode()


JAN = dt.date(2024, 1, 15)
