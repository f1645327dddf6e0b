"""Run an outcome contract and describe every party's result (the ``contract`` command's data).

``evaluate_contract`` simulates the participants once, lets the designer solve a price if the
contract asks for one, settles the payments, runs the waterfall and summarises, per party:

- every party: expected cash flow per dated period, and the distribution of its total;
- investors: the IRR of the expected flows, the distribution of the IRR per draw (a total loss
  counts as −100 %), P(loss), P(reaching the target return), money multiple, peak capital;
- payers: outcome payments (nominal and present value at the case's discounting) against its
  own budget gains in the business case (its actor's), the net, value for money and
  P(pays more than it saves);
- provider: revenue against delivery cost;
- the success rate (share of participants who achieve the success metric) at which each party
  breaks even, estimated from the draws.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from socialinvest.case.load import LoadedCase
from socialinvest.contract.designer import Design, design, expected_irr, investor_names
from socialinvest.contract.partnership import (
    Outcomes,
    PartyFlows,
    PreparedContract,
    party_flows,
    prepare_contract,
    prices_of,
    settle_outcomes,
    simulate_outcomes,
)
from socialinvest.contract.returns import (
    is_loss,
    money_multiple,
    peak_capital_at_risk,
    reaches_target,
    xirr,
    year_fractions,
)
from socialinvest.knowledge import KnowledgeBase

FloatArray = npt.NDArray[np.float64]

MIN_DRAWS_BREAK_EVEN = 100


def stats(x: FloatArray) -> dict[str, float | None]:
    """Mean and the 5th, 50th and 95th percentiles of the finite values."""
    v = np.asarray(x, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"mean": None, "p05": None, "p50": None, "p95": None}
    p05, p50, p95 = np.percentile(v, [5, 50, 95])
    return {"mean": float(v.mean()), "p05": float(p05), "p50": float(p50), "p95": float(p95)}


def break_even_success(share: FloatArray, net: FloatArray, bins: int = 20) -> dict[str, Any]:
    """The achieved success rate at which a party's expected net crosses zero.

    The draws are sorted by their achieved success rate and grouped into ``bins`` groups of
    equal size; the zero of the groups' mean net is found by linear interpolation between the
    neighbouring groups where its sign first changes (either way: a payer's net can fall as the
    success rate rises). ``gains_above``: whether the party is better off above that rate.
    Without a sign change: ``note`` "below" (the net is ≥ 0 at every simulated rate, from
    ``range[0]``) or "above" (< 0 at every simulated rate, up to ``range[1]``); ``range`` is the
    lowest and the highest group's rate.
    """
    n = share.shape[0]
    if n < MIN_DRAWS_BREAK_EVEN:
        return {"value": None, "note": f"needs at least {MIN_DRAWS_BREAK_EVEN} draws"}
    if float(np.ptp(share)) < 1e-12:
        return {"value": None, "note": "the success rate does not vary between the draws"}
    order = np.argsort(share, kind="stable")
    groups = np.array_split(order, bins)
    s = np.array([share[g].mean() for g in groups])
    y = np.array([net[g].mean() for g in groups])
    simulated = [float(s[0]), float(s[-1])]
    positive = y >= 0
    if positive.all():
        return {"value": None, "note": "below", "range": simulated}
    if not positive.any():
        return {"value": None, "note": "above", "range": simulated}
    i = int(np.flatnonzero(positive[:-1] != positive[1:])[0]) + 1
    x0, x1, y0, y1 = s[i - 1], s[i], y[i - 1], y[i]
    value = x0 + (0.0 - y0) * (x1 - x0) / (y1 - y0) if y1 != y0 else x1
    return {
        "value": float(value),
        "note": None,
        "gains_above": bool(y1 > y0),
        "range": simulated,
    }


@dataclass
class ContractResult:
    prep: PreparedContract
    outcomes: Outcomes
    prices: list[float]
    flows: PartyFlows
    design: Design | None
    business: Any  # socialinvest.Result of the same draws

    # ------------------------------------------------------------------ per party
    def _investor(self, name: str) -> dict[str, Any]:
        f = self.flows.flows[name]
        dates = self.prep.dates
        irr = xirr(f, dates)
        total_loss = (f.sum(axis=1) < 0) & ~(f > 1e-9).any(axis=1)
        irr = np.where(np.isnan(irr) & total_loss, -1.0, irr)
        target = self.prep.contract.finance.target_return
        tau = year_fractions(dates)
        committed = sum(
            t.commitment for t in self.prep.contract.finance.tranches if t.investor == name
        )
        return {
            "committed": committed,
            "irr": _num(expected_irr(f.mean(axis=0), dates)),
            "irr_distribution": stats(irr),
            "prob_loss": float(is_loss(f).mean()),
            "target_return": target,
            "prob_target": float(reaches_target(f, target, tau).mean()),
            "money_multiple": stats(money_multiple(f)),
            "peak_capital": stats(peak_capital_at_risk(f)),
        }

    def _payer(self, name: str) -> dict[str, Any]:
        f = self.flows.flows[name]
        paid = -f
        pv = paid @ self.prep.discount
        gains = self.outcomes.own_gains[name]
        net = gains - pv
        mean_pv = float(pv.mean())
        return {
            "actor": next(p.actor for p in self.prep.contract.parties if p.name == name),
            "share": self.prep.payer_shares[name],
            "outcome_payments": {"nominal": stats(paid.sum(axis=1)), "present_value": stats(pv)},
            "own_gains": stats(gains),
            "net": stats(net),
            "value_for_money": float(gains.mean() / mean_pv) if mean_pv > 0 else None,
            "prob_pays_more_than_saves": float((net < 0).mean()),
        }

    def _net(self, name: str, role: str) -> FloatArray:
        f = self.flows.flows[name]
        if role == "payer":
            out: FloatArray = self.outcomes.own_gains[name] - (-f) @ self.prep.discount
            return out
        if role == "provider":
            providers = [p.name for p in self.prep.contract.parties if p.role == "provider"]
            out = f.sum(axis=1) - self.prep.delivery_costs.sum() / len(providers)
            return out
        out = f.sum(axis=1)
        return out

    def parties(self) -> list[dict[str, Any]]:
        out = []
        for party in self.prep.contract.parties:
            f = self.flows.flows[party.name]
            mean = f.mean(axis=0)
            entry: dict[str, Any] = {
                "name": party.name,
                "role": party.role,
                "cash_flows": [
                    {"period": t + 1, "date": d.isoformat(), "amount": float(mean[t])}
                    for t, d in enumerate(self.prep.dates)
                    if abs(mean[t]) > 1e-9
                ],
                "total": stats(f.sum(axis=1)),
            }
            if party.role == "investor":
                entry.update(self._investor(party.name))
            elif party.role == "payer":
                entry.update(self._payer(party.name))
            elif party.role == "provider":
                providers = [p.name for p in self.prep.contract.parties if p.role == "provider"]
                cost = float(self.prep.delivery_costs.sum()) / len(providers)
                entry.update(
                    {
                        "revenue": stats(f.sum(axis=1)),
                        "delivery_costs": cost,
                        "net": stats(f.sum(axis=1) - cost),
                    }
                )
            elif party.role == "guarantor":
                entry["prob_called"] = float((f.sum(axis=1) < -1e-9).mean())
            if party.role in ("investor", "payer", "provider"):
                entry["break_even_success_rate"] = break_even_success(
                    self.outcomes.success_share, self._net(party.name, party.role)
                )
            out.append(entry)
        return out

    def end_date(self) -> dt.date:
        """The contract's last day: the day before the period after its last one starts (the
        maturity date is the start of its last period)."""
        from socialinvest.contract.returns import contract_dates

        c = self.prep.contract
        following = contract_dates(c.start_date, c.periods + 1, c.period)[-1]
        return following - dt.timedelta(days=1)

    def investors_combined(self) -> FloatArray:
        names = investor_names(self.prep)
        out: FloatArray = sum(
            (self.flows.flows[n] for n in names), np.zeros_like(self.flows.payments)
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        c = self.prep.contract
        prices = []
        for pay, price in zip(c.payments, self.prices, strict=True):
            item: dict[str, Any] = {
                "name": pay.name,
                "mechanism": pay.mechanism,
                "metric": pay.metric,
            }
            if pay.mechanism == "savings_share":
                item["share"] = price
            else:
                item["price"] = price
                item["price_source"] = "solved by the designer" if pay.price == "solve" else "given"
            prices.append(item)
        combined = self.investors_combined()
        business = self.business.to_dict()
        return {
            "contract": {
                "name": c.name,
                "start_date": c.start_date.isoformat(),
                "period": c.period,
                "periods": c.periods,
                "maturity": self.prep.dates[-1].isoformat(),
                "end_date": self.end_date().isoformat(),
                "participants": self.prep.n_participants,
                "counterfactual": c.counterfactual.model_dump(exclude_none=True),
                "success_metric": self.prep.success_metric,
                "payments": prices,
                "person_cap": c.person_cap,
                "contract_cap": c.contract_cap,
                "lag_periods": c.lag_periods,
                "indexation": c.indexation,
                "sources": c.sources,
            },
            "run": {"draws": self.outcomes.draws, "seed": self.outcomes.seed},
            "success_rate": stats(self.outcomes.success_share),
            "metrics": {k: stats(v) for k, v in self.outcomes.metric_totals.items()},
            "outcome_payments": stats(self.flows.payments.sum(axis=1)),
            "delivery_costs": float(self.prep.delivery_costs.sum()),
            "investors": {
                "irr": _num(expected_irr(combined.mean(axis=0), self.prep.dates)),
                "prob_loss": float(is_loss(combined).mean()),
            },
            "parties": self.parties(),
            "designer": self.design.to_dict() if self.design is not None else None,
            "money_conservation": {
                "max_abs_imbalance": float(np.abs(self.flows.imbalance).max()),
            },
            "business_case": {
                "npv": business["npv"],
                "provenance": business["provenance"],
            },
        }


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def evaluate_contract(
    loaded: LoadedCase,
    kb: KnowledgeBase | None = None,
    *,
    draws: int = 1,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ContractResult:
    """Simulate, design (if asked), settle and summarise a case's contract."""
    from socialinvest.limits import check_case_run
    from socialinvest.runner import to_result

    check_case_run(loaded.case, draws, loaded)  # documented maxima and memory, before any work
    prep = prepare_contract(loaded, kb)
    outcomes = simulate_outcomes(prep, draws, seed, progress)
    solved: Design | None = None
    if prep.contract.designer is not None:
        solved = design(prep, outcomes)
    price = solved.price if solved is not None else None
    if solved is not None and price is None:
        price = 0.0
    prices = prices_of(prep.contract, price)
    payments = settle_outcomes(prep, outcomes, prices)
    flows = party_flows(prep, payments)
    run = {"draws": draws}
    if outcomes.seed is not None:
        run["seed"] = outcomes.seed
    business = to_result(loaded, prep.meta["knowledge"], outcomes.summary, prep.business.meta, run)
    return ContractResult(
        prep=prep, outcomes=outcomes, prices=prices, flows=flows, design=solved, business=business
    )
