"""A partnership's terms: the contract section of one case version, pinned, with its prices.

The ledger settles with the design stage's own objects: :class:`Terms` holds the
:class:`~socialinvest.contract.partnership.PreparedContract` of the case version the partnership
was created from (its dates, periods, payers' shares, capital stack, delivery costs) and the
price of every payment line (a price the designer solves — ``price: solve`` — must be agreed and
given when the partnership is created, since a running contract pays a fixed price).

The ledger settles payment lines paid per participant: ``rate_card`` (a price per outcome) and
``per_unit`` (a price per unit of duration), without a comparison group. Threshold lines
(assessed per cohort against a counterfactual) and shares of savings are refused at creation.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

from socialinvest.case.contract import Contract, Metric
from socialinvest.case.load import LoadedCase
from socialinvest.contract.partnership import PreparedContract, prepare_contract, prices_of
from socialinvest.contract.payments import Settlement
from socialinvest.contract.returns import contract_dates
from socialinvest.knowledge import KnowledgeBase
from socialinvest.ledger.errors import LedgerError

PER_PERSON = ("rate_card", "per_unit")
ONCE = ("entry", "sustained", "state_at")  # a person achieves these at most once


@dataclass(frozen=True)
class Terms:
    prep: PreparedContract
    prices: tuple[float, ...]  # per payment line
    version: str  # the case version's SHA-256
    eligibility: tuple[str, ...]  # the criteria an enrolment declares
    settle_every: int  # contract periods per settlement period
    planned_intake: tuple[int, ...]  # participants planned per cohort (the design stage's)

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
        for pay in contract.payments:
            if pay.mechanism not in PER_PERSON:
                raise LedgerError("unsupported_mechanism", line=pay.name, mechanism=pay.mechanism)
        if contract.counterfactual.kind == "comparison_group":
            raise LedgerError("unsupported_comparison_group")
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

    # ------------------------------------------------------------------ the rules
    def metric(self, name: str) -> Metric:
        return self.contract.metrics[name]

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
