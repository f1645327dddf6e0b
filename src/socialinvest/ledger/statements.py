"""A settlement statement: its lines per payer, pseudonym and payment line, each amount explained
(the rule, the records, each cap's cut, a sample's rate), and what an approval locks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from socialinvest.ledger.audit import Head


@dataclass(frozen=True)
class StatementLine:
    payer: str
    participant: int
    pseudonym: str  # the short form, or "anonymised"
    line: str  # the payment line's name
    kind: str  # "regular" or "adjustment"
    outcome_periods: tuple[int, ...]
    payment_periods: tuple[int, ...]
    records: tuple[int, ...]
    units: float
    price: float
    value: float  # the payer's share of price × units × index, before the caps
    person_cap_cut: float
    contract_cap_cut: float
    sample: dict[str, Any] | None  # the sample's rejection rate, when sampled units are paid
    amount: float  # the payer's share, after the caps (adjustment: the difference)
    amount_ore: int
    terms_version: int = 0  # the terms that priced it: 0 the original, k amendment k
    # a threshold line: the cohort's assessment (all payers together; size, S, B, threshold,
    # gain, price, amount), of which this line is the participant's equal share
    cohort: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass
class Statement:
    index: int
    first_period: int
    last_period: int
    lines: list[StatementLine]
    # amounts of all payers together by (participant, line, payment period), for adjustments
    keyed: dict[tuple[int, int, int], float]
    status: str = "draft"
    approved_by: str | None = None
    approved_at: str | None = None
    audit_head: Head | None = None  # the chain's head when approved (keep it elsewhere too)
    setoff: dict[str, int] = field(default_factory=dict)  # payer → clawback carried on (øre)
    # the threshold lines' cohort assessments paid in this statement (all payers together)
    cohorts: list[dict[str, Any]] = field(default_factory=list)

    def total_ore(self, payer: str | None = None) -> int:
        return sum(x.amount_ore for x in self.lines if payer is None or x.payer == payer)

    def by_payer(self) -> dict[str, list[StatementLine]]:
        out: dict[str, list[StatementLine]] = defaultdict(list)
        for x in self.lines:
            out[x.payer].append(x)
        return dict(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "periods": [self.first_period, self.last_period],
            "status": self.status,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at,
            "setoff": {payer: amount / 100 for payer, amount in self.setoff.items()},
            "cohorts": list(self.cohorts),
            "payers": {
                name: {
                    "total": sum(x.amount_ore for x in lines) / 100,
                    "lines": [x.to_dict() for x in lines],
                }
                for name, lines in self.by_payer().items()
            },
        }
