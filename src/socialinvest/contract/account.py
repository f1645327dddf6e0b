"""One account of who pays: the business case per public actor without and with the contract.

Without the contract every actor bears the intervention costs the case charges it and keeps its
budget gains (the business case as it is). With the contract the intervention's costs in the
contract's term are funded through the contract (the investors fund the provider), so they leave
the actors that bore them; the outcome payers pay their outcome payments (and any contract costs
they pay directly) instead; costs outside the contract's term stay with the actor the case
charges them to. Gains do not change: the contract changes who pays, not what the intervention
achieves.

Every amount is the mean over the contract's draws, in the case's price year, per calendar year
of the case; present values use the case's discount factors (gains and costs may be discounted
at different rates; outcome payments are costs). The summary's sentences on who pays and the
report's account table both read this one object, so they cannot disagree.

Which case costs the contract takes over: in each calendar year, the share of the case's
intervention costs that the contract's delivery costs cover (at most all of them), taken from
every actor in proportion to what the case charges it. With ``delivery_costs: case`` that share
is the part of the year inside the contract's term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from socialinvest.vocabulary import ACTORS

if TYPE_CHECKING:
    from socialinvest.contract.result import ContractResult

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Side:
    """One actor's yearly amounts on one side of the account (kroner, price year)."""

    gains: FloatArray  # [Y] budget gains
    costs: FloatArray  # [Y] intervention costs the actor bears
    payments: FloatArray  # [Y] outcome payments and direct contract costs (0 without contract)

    @property
    def net(self) -> FloatArray:
        out: FloatArray = self.gains - self.costs - self.payments
        return out


@dataclass(frozen=True)
class Account:
    """The business case per actor without and with the contract, year by year.

    ``years``: the case's calendar years; ``term``: the first and last calendar year of the
    contract. ``without``/``with_``: actor → :class:`Side`. ``funded``: [Y] the case's costs the
    contract takes over (funded by the investors through the vehicle). ``investors``: investor
    → [Y] its expected net cash flow (negative: capital paid in; positive: repaid with return).
    ``other_payers``: outcome payers that are no public actor → [Y] what they pay.
    ``payers``: outcome payer → its actor ("none" for no public actor).
    """

    years: list[int]
    term: tuple[int, int]
    without: dict[str, Side]
    with_: dict[str, Side]
    funded: FloatArray
    investors: dict[str, FloatArray]
    other_payers: dict[str, FloatArray]
    payers: dict[str, str]
    discount_gains: FloatArray
    discount_costs: FloatArray

    def involved(self) -> list[str]:
        """The actors with any amount on either side."""
        return [
            a
            for a in ACTORS
            if any(
                np.abs(s.gains).sum() + np.abs(s.costs).sum() + np.abs(s.payments).sum() > 0
                for s in (self.without[a], self.with_[a])
            )
        ]

    def present(self, side: Side) -> dict[str, float]:
        """Present values of one side: gains, costs, payments and net."""
        gains = float(side.gains @ self.discount_gains)
        costs = float(side.costs @ self.discount_costs)
        payments = float(side.payments @ self.discount_costs)
        return {
            "gains": gains,
            "costs": costs,
            "payments": payments,
            "net": gains - costs - payments,
        }

    def outside_term(self, actor: str) -> tuple[float, list[int]]:
        """The present value of the costs ``actor`` bears outside the contract's term with the
        contract, and the years they fall in."""
        costs = self.with_[actor].costs
        years = [y for y, c in zip(self.years, costs, strict=True) if abs(c) > 1e-9]
        return float(costs @ self.discount_costs), years

    def to_dict(self) -> dict[str, object]:
        def side(s: Side) -> dict[str, object]:
            return {
                "gains": s.gains.tolist(),
                "costs": s.costs.tolist(),
                "payments": s.payments.tolist(),
                "net": s.net.tolist(),
                "present_value": self.present(s),
            }

        return {
            "years": self.years,
            "term": list(self.term),
            "without_contract": {a: side(self.without[a]) for a in self.involved()},
            "with_contract": {a: side(self.with_[a]) for a in self.involved()},
            "funded_by_contract": self.funded.tolist(),
            "investors": {k: v.tolist() for k, v in self.investors.items()},
            "other_payers": {k: v.tolist() for k, v in self.other_payers.items()},
        }


def _yearly(per_period: FloatArray, year_index: npt.NDArray[np.int64], n_years: int) -> FloatArray:
    counted = np.bincount(year_index, weights=per_period, minlength=n_years)[:n_years]
    out: FloatArray = counted.astype(np.float64)
    return out


def account(result: ContractResult) -> Account:
    """The with/without account of an appraised contract (means over its draws)."""
    business = result.business
    summary = business.summary
    prep = result.prep
    years = list(business.years)
    n = len(years)
    gains = summary.gains_mean.sum(axis=1)  # [A, Y]
    costs = summary.costs_mean.sum(axis=1)  # [A, Y]
    dg = np.asarray(summary.discount_gains, dtype=np.float64)
    dc = np.asarray(summary.discount_costs, dtype=np.float64)
    if dg.ndim > 1:
        dg = dg.mean(axis=0)
    if dc.ndim > 1:
        dc = dc.mean(axis=0)
    year_index = np.asarray(prep.year_index, dtype=np.int64)
    delivery = _yearly(np.asarray(prep.delivery_costs, dtype=np.float64), year_index, n)
    total = costs.sum(axis=0)
    share = np.divide(delivery, total, out=np.zeros(n), where=total > 0).clip(0.0, 1.0)
    moved = costs * share  # [A, Y]

    payments = np.zeros((len(ACTORS), n))
    other: dict[str, FloatArray] = {}
    payers: dict[str, str] = {}
    investors: dict[str, FloatArray] = {}
    for party in prep.contract.parties:
        mean = result.flows.flows[party.name].mean(axis=0)
        if party.role == "payer":
            actor = party.actor or "none"
            payers[party.name] = actor
            paid = -_yearly(mean, year_index, n)
            if actor in ACTORS:
                payments[ACTORS.index(actor)] += paid
            else:
                other[party.name] = paid
        elif party.role == "investor":
            investors[party.name] = _yearly(mean, year_index, n)
    zero = np.zeros(n)
    without: dict[str, Side] = {
        a: Side(gains=gains[k].copy(), costs=costs[k].copy(), payments=zero.copy())
        for k, a in enumerate(ACTORS)
    }
    with_: dict[str, Side] = {
        a: Side(gains=gains[k].copy(), costs=costs[k] - moved[k], payments=payments[k])
        for k, a in enumerate(ACTORS)
    }
    dates = prep.dates
    return Account(
        years=years,
        term=(dates[0].year, dates[-1].year),
        without=without,
        with_=with_,
        funded=moved.sum(axis=0),
        investors=investors,
        other_payers=other,
        payers=payers,
        discount_gains=dg,
        discount_costs=dc,
    )
