"""A partnership's terms: the contract section of one case version, pinned, with its prices.

The ledger settles with the design stage's own objects: :class:`Terms` holds the
:class:`~socialinvest.contract.partnership.PreparedContract` of the case version the partnership
was created from (its dates, periods, payers' shares, capital stack, delivery costs) and the
price of every payment line (a price the designer solves — ``price: solve`` — must be agreed and
given when the partnership is created, since a running contract pays a fixed price).

The ledger settles payment lines paid per participant, ``rate_card`` (a price per outcome) and
``per_unit`` (a price per unit of duration), and ``threshold`` lines against a ``baseline``
counterfactual (each design cohort assessed once, with the design stage's rule:
``settlement.assess_cohorts``). Refused at creation: a comparison group (its outcomes are data
the ledger does not hold) and shares of savings (the payer's measured savings, likewise).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from socialinvest.case.contract import Contract, Metric
from socialinvest.case.load import LoadedCase
from socialinvest.contract.partnership import (
    PreparedContract,
    participants_of,
    prepare_contract,
    prices_of,
)
from socialinvest.contract.payments import Settlement
from socialinvest.contract.returns import contract_dates
from socialinvest.knowledge import KnowledgeBase
from socialinvest.ledger.errors import LedgerError

PER_PERSON = ("rate_card", "per_unit")
SETTLED = (*PER_PERSON, "threshold")  # a threshold line needs a baseline (contract checks)
ONCE = ("entry", "sustained", "state_at")  # a person achieves these at most once


@dataclass(frozen=True)
class Version:
    """The terms one settlement period is priced by: the contract as created (number 0) or as a
    dated amendment changed it (number k, from settlement period ``effective``)."""

    number: int  # 0: the terms the partnership was created with; k: amendment k
    effective: int  # the first settlement period (1-based) these terms price
    prices: tuple[float, ...]  # per payment line
    person_cap: float | None
    contract_cap: float | None
    planned_intake: tuple[int, ...]


@dataclass(frozen=True)
class Amendment:
    """An agreed, dated change of the terms: the whole new version (both versions are kept, the
    earlier ones in :attr:`Terms.amendments` before it and the original in :class:`Terms`)."""

    number: int  # 1, 2, … in the order they were approved
    effective: int  # settlement period from which it prices (never an approved one)
    prices: tuple[float, ...]
    person_cap: float | None
    contract_cap: float | None
    planned_intake: tuple[int, ...]
    reference: str  # the signed amendment document (e.g. "Allonge 1, underskrevet 2026-11-20")
    agreed_by: tuple[str, ...]  # the organisations whose agreement the payer records
    approved_by: str  # the payer's user and organisation
    approved_at: str  # ISO timestamp

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["prices"], d["planned_intake"] = list(self.prices), list(self.planned_intake)
        d["agreed_by"] = list(self.agreed_by)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Amendment:
        return cls(
            number=int(d["number"]),
            effective=int(d["effective"]),
            prices=tuple(float(x) for x in d["prices"]),
            person_cap=None if d["person_cap"] is None else float(d["person_cap"]),
            contract_cap=None if d["contract_cap"] is None else float(d["contract_cap"]),
            planned_intake=tuple(int(x) for x in d["planned_intake"]),
            reference=str(d["reference"]),
            agreed_by=tuple(d["agreed_by"]),
            approved_by=str(d["approved_by"]),
            approved_at=str(d["approved_at"]),
        )


@dataclass(frozen=True)
class Terms:
    prep: PreparedContract
    prices: tuple[float, ...]  # per payment line
    version: str  # the case version's SHA-256
    eligibility: tuple[str, ...]  # the criteria an enrolment declares
    settle_every: int  # contract periods per settlement period
    planned_intake: tuple[int, ...]  # participants planned per cohort (the design stage's)
    # agreed, dated amendments in the order approved (see :meth:`in_force`); the fields above
    # stay the terms the partnership was created with (version 0)
    amendments: tuple[Amendment, ...] = ()

    @classmethod
    def from_case(
        cls,
        loaded: LoadedCase,
        *,
        prices: dict[str, float] | None = None,
        eligibility: tuple[str, ...] = (),
        settle_every: int | None = None,
        kb: KnowledgeBase | None = None,
        prep: PreparedContract | None = None,
    ) -> Terms:
        """Pin a case version's contract. ``prices``: payment line name → agreed price, for lines
        priced 'solve' (and to override none other). ``settle_every``: default a quarter.
        ``prep``: the case already prepared (``prepare_contract``), to save preparing it again."""
        if prep is None:
            prep = prepare_contract(loaded, kb)
        contract = prep.contract
        if contract.counterfactual.kind == "comparison_group":
            raise LedgerError("unsupported_comparison_group")
        for pay in contract.payments:
            if pay.mechanism not in SETTLED:
                raise LedgerError("unsupported_mechanism", line=pay.name, mechanism=pay.mechanism)
        given = dict(prices or {})
        unknown = set(given) - {p.name for p in contract.payments if p.price == "solve"}
        if unknown:
            raise LedgerError("price_not_solved", line=sorted(unknown)[0])
        resolved: list[float] = []
        for i, pay in enumerate(contract.payments):
            if pay.price == "solve":
                if pay.name not in given:
                    raise LedgerError("price_needed", line=pay.name)
                resolved.append(float(given[pay.name]))
            else:
                resolved.append(prices_of(contract, 0.0)[i])
        ppy = prep.periods_per_year
        every = settle_every if settle_every is not None else max(1, ppy // 4)
        if every < 1 or every > contract.periods:
            raise LedgerError("settle_every", value=every, periods=contract.periods)
        sizes = [int((prep.cohort == c).sum()) for c in range(prep.cohort_offsets.shape[0])]
        return cls(
            prep=prep,
            prices=tuple(resolved),
            version=loaded.sha256,
            eligibility=tuple(eligibility),
            settle_every=every,
            planned_intake=tuple(sizes),
        )

    # ------------------------------------------------------------------ the calendar
    @property
    def contract(self) -> Contract:
        return self.prep.contract

    @property
    def n_periods(self) -> int:
        return self.prep.n_periods

    @property
    def dates(self) -> list[dt.date]:
        return self.prep.dates

    def period_of(self, day: dt.date) -> int:
        """The 1-based contract period a date falls in (0 before the start; n+1 after maturity)."""
        if day < self.dates[0]:
            return 0
        if day >= self.end:
            return self.n_periods + 1
        return bisect.bisect_right(self.dates, day)

    @property
    def end(self) -> dt.date:
        """The day after the contract's last period."""
        c = self.contract
        return contract_dates(c.start_date, c.periods + 1, c.period)[-1]

    @property
    def n_settlements(self) -> int:
        return -(-self.n_periods // self.settle_every)

    def settlement_span(self, index: int) -> tuple[int, int]:
        """The contract periods (1-based, inclusive) whose payments settlement ``index``
        (1-based) covers."""
        if not 1 <= index <= self.n_settlements:
            raise LedgerError("settlement_index", index=index, n=self.n_settlements)
        first = (index - 1) * self.settle_every + 1
        return first, min(index * self.settle_every, self.n_periods)

    def settlement_of(self, period: int) -> int:
        return (period - 1) // self.settle_every + 1

    # ------------------------------------------------------------------ versions
    def with_amendments(self, amendments: tuple[Amendment, ...]) -> Terms:
        return dataclasses.replace(self, amendments=tuple(amendments))

    @property
    def original(self) -> Version:
        c = self.contract
        return Version(0, 1, self.prices, c.person_cap, c.contract_cap, self.planned_intake)

    def versions(self) -> list[Version]:
        """Every version, the original first, each amendment as approved."""
        out = [self.original]
        for a in self.amendments:
            out.append(
                Version(
                    a.number, a.effective, a.prices, a.person_cap, a.contract_cap, a.planned_intake
                )
            )
        return out

    def in_force(self, settlement: int) -> Version:
        """THE lookup of the terms that price settlement period ``settlement`` (1-based): the
        latest amendment effective on or before it, else the original terms. An outcome is
        priced by the terms of the settlement period its payment falls in (see
        :meth:`version_of_periods`), so an approved statement is never re-priced: an amendment
        may only take effect from a settlement period not approved yet."""
        chosen = self.original
        for v in self.versions()[1:]:
            if v.effective <= settlement:
                chosen = v
        return chosen

    def current(self, settlement: int) -> Terms:
        """These terms as they stand in settlement period ``settlement``: the prices, caps and
        planned intake in force then, as if the contract had been written so (no amendments),
        for a re-forecast of what is still to come. The original terms themselves when no
        amendment applies. An amended intake plan changes the participants the forecast
        simulates: each cohort's size, entering at its cohort's intake period as planned."""
        v = self.in_force(settlement)
        if v.number == 0:
            return self
        prep = self.prep
        if v.planned_intake != self.planned_intake:
            if sum(v.planned_intake) == 0:
                raise LedgerError("forecast_no_intake", version=v.number)
            offsets, cohort = participants_of(prep.cohort_offsets, v.planned_intake)
            prep = dataclasses.replace(prep, offsets=offsets, cohort=cohort)
        payments = [
            pay if pay.price == "solve" else pay.model_copy(update={"price": price})
            for pay, price in zip(self.contract.payments, v.prices, strict=True)
        ]
        contract = self.contract.model_copy(
            update={
                "person_cap": v.person_cap,
                "contract_cap": v.contract_cap,
                "payments": payments,
            }
        )
        return dataclasses.replace(
            self,
            prep=dataclasses.replace(prep, contract=contract),
            prices=v.prices,
            planned_intake=v.planned_intake,
            amendments=(),
        )

    def payment_period_of(self, outcome_period: int) -> int:
        """The 1-based payment period of an outcome period: the lag later, at most maturity."""
        return min(outcome_period + self.contract.lag_periods, self.n_periods)

    def version_of_periods(self) -> list[Version]:
        """The version pricing each outcome period (index t − 1): the version in force in the
        settlement period of the outcome's payment period."""
        if not self.amendments:
            return [self.original] * self.n_periods
        return [
            self.in_force(self.settlement_of(self.payment_period_of(t)))
            for t in range(1, self.n_periods + 1)
        ]

    def segments(self) -> list[tuple[int, int, Version]]:
        """Runs of outcome periods priced by one version: (first, end) 0-based with the end
        exclusive, and the version, in time order. One run when there is no amendment."""
        out: list[tuple[int, int, Version]] = []
        for t, v in enumerate(self.version_of_periods()):
            if out and out[-1][2].number == v.number:
                out[-1] = (out[-1][0], t + 1, v)
            else:
                out.append((t, t + 1, v))
        return out

    # ------------------------------------------------------------------ the rules
    def metric(self, name: str) -> Metric:
        return self.contract.metrics[name]

    @property
    def threshold_lines(self) -> tuple[int, ...]:
        """The payment lines assessed per design cohort (a cohort amount)."""
        return tuple(i for i, p in enumerate(self.contract.payments) if p.mechanism == "threshold")

    @property
    def paid_metrics(self) -> set[str]:
        return {p.metric for p in self.contract.payments if p.metric}

    def engine_terms(self) -> Settlement:
        """The design stage's settlement terms (caps, lag, indexation) for payments.settle."""
        c = self.contract
        return Settlement(
            person_cap=c.person_cap,
            contract_cap=c.contract_cap,
            lag=c.lag_periods,
            indexation_rate=c.indexation,
            periods_per_year=self.prep.periods_per_year,
        )

    @property
    def payers(self) -> dict[str, float]:
        return dict(self.prep.payer_shares)

    def describe(self) -> dict[str, Any]:
        c = self.contract
        return {
            "contract": c.name,
            "version": self.version,
            "start_date": c.start_date.isoformat(),
            "period": c.period,
            "periods": c.periods,
            "settle_every": self.settle_every,
            "payments": [
                {"name": p.name, "metric": p.metric, "mechanism": p.mechanism, "price": price}
                for p, price in zip(c.payments, self.prices, strict=True)
            ],
            "person_cap": c.person_cap,
            "contract_cap": c.contract_cap,
            "lag_periods": c.lag_periods,
            "indexation": c.indexation,
            "eligibility": list(self.eligibility),
        }
