"""Checks of a case's ``contract`` section that relate several fields (names, states, periods)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialinvest.case.contract import PERIODS_PER_YEAR, Contract

if TYPE_CHECKING:
    from socialinvest.case.load import LoadedCase

COUNT_KINDS = ("entry", "sustained", "state_at")


def default_success_metric(contract: Contract) -> str | None:
    if contract.success_metric is not None:
        return contract.success_metric
    return next((n for n, m in contract.metrics.items() if m.kind in COUNT_KINDS), None)


def payer_shares(contract: Contract) -> dict[str, float]:
    """Each payer's share of every outcome payment (checked to sum to 1)."""
    payers = [p for p in contract.parties if p.role == "payer"]
    if len(payers) == 1 and payers[0].share is None:
        return {payers[0].name: 1.0}
    return {p.name: float(p.share or 0.0) for p in payers}


def check_contract(loaded: LoadedCase) -> None:
    case = loaded.case
    contract = case.contract
    if contract is None:
        return
    base = ("contract",)

    names: dict[str, str] = {}
    for i, party in enumerate(contract.parties):
        if party.name in names:
            raise loaded.error((*base, "parties", i, "name"), "a name used once", value=party.name)
        names[party.name] = party.role
        if party.role == "payer" and party.actor is None:
            raise loaded.error(
                (*base, "parties", i),
                "an 'actor' (kommune, region or stat) for a payer: whose budget gains it sets "
                "its payments against",
                value=party.name,
            )
        if party.role != "payer" and (party.actor is not None or party.share is not None):
            raise loaded.error(
                (*base, "parties", i), "'actor' and 'share' only for a payer", value=party.name
            )
    for role in ("payer", "investor", "provider"):
        if role not in names.values():
            raise loaded.error(
                (*base, "parties"), f"at least one party with role {role}", has_value=False
            )
    payers = [(i, p) for i, p in enumerate(contract.parties) if p.role == "payer"]
    if len(payers) > 1:
        for i, p in payers:
            if p.share is None:
                raise loaded.error(
                    (*base, "parties", i),
                    "a 'share' of the outcome payments for each of several payers",
                    value=p.name,
                )
    total_share = sum(payer_shares(contract).values())
    if abs(total_share - 1.0) > 1e-9:
        raise loaded.error(
            (*base, "parties"),
            "payers' shares that sum to 1",
            problem=f"has payers' shares summing to {total_share:g}",
        )

    def party_of(path: tuple[str | int, ...], name: str, roles: tuple[str, ...]) -> None:
        if names.get(name) not in roles:
            raise loaded.error(
                path, f"the name of a party with role {' or '.join(roles)}", value=name
            )

    # the contract's time within the analysis
    ppy = PERIODS_PER_YEAR[contract.period]
    first_year = case.first_year
    last_year = first_year + case.horizon_years - 1
    if not first_year <= contract.start_date.year <= last_year:
        raise loaded.error(
            (*base, "start_date"),
            f"a date within the analysis {first_year}–{last_year}",
            value=str(contract.start_date),
        )
    from socialinvest.contract.returns import contract_dates

    end_year = contract_dates(contract.start_date, contract.periods, contract.period)[-1].year
    if end_year > last_year:
        raise loaded.error(
            (*base, "periods"),
            f"periods that end within the analysis (it ends {last_year}; the contract would "
            f"end {end_year}), or a longer horizon_years",
            value=contract.periods,
        )

    # states of the model
    if case.state_transition is not None:
        states = list(case.state_transition.states)
        if contract.period != case.state_transition.cycle:
            raise loaded.error(
                (*base, "period"),
                f"the state-transition model's cycle ({case.state_transition.cycle}): "
                "participants are simulated cycle by cycle",
                value=contract.period,
            )
    else:
        states = ["success"]
    for name, metric in contract.metrics.items():
        for j, state in enumerate(metric.states):
            if state not in states:
                raise loaded.error(
                    (*base, "metrics", name, "states", j),
                    "one of the model's states: " + ", ".join(states),
                    value=state,
                )
        if metric.window is not None and metric.window.first > contract.periods:
            raise loaded.error(
                (*base, "metrics", name, "window", "first"),
                f"a period within the contract's {contract.periods}",
                value=metric.window.first,
            )
        for key in ("at",):
            value = getattr(metric, key)
            if value is not None and value > contract.periods:
                raise loaded.error(
                    (*base, "metrics", name, key),
                    f"a period within the contract's {contract.periods}",
                    value=value,
                )
    success = default_success_metric(contract)
    if success is None and case.state_transition is None:
        pass  # a success-rate case's success rate is the share of participants who succeed
    elif success is None:
        raise loaded.error(
            (*base, "metrics"),
            "at least one metric of kind entry, sustained or state_at (its share of "
            "participants is the contract's success rate)",
            has_value=False,
        )
    elif success not in contract.metrics or contract.metrics[success].kind not in COUNT_KINDS:
        raise loaded.error(
            (*base, "success_metric"),
            "the name of a metric of kind entry, sustained or state_at",
            value=success,
        )

    cf = contract.counterfactual
    solve: list[int] = []
    for i, pay in enumerate(contract.payments):
        path = (*base, "payments", i)
        if pay.metric is not None and pay.metric not in contract.metrics:
            raise loaded.error(
                (*path, "metric"), "the name of one of the contract's metrics", value=pay.metric
            )
        kind = contract.metrics[pay.metric].kind if pay.metric is not None else None
        if pay.mechanism == "per_unit" and kind != "time_in":
            raise loaded.error(
                (*path, "metric"),
                "a metric of kind time_in for a per_unit payment",
                value=pay.metric,
            )
        if pay.mechanism in ("rate_card", "threshold") and kind == "time_in":
            raise loaded.error(
                (*path, "metric"),
                f"a metric that counts outcomes (not time_in) for a {pay.mechanism} payment",
                value=pay.metric,
            )
        if pay.mechanism == "threshold" and cf.kind == "none":
            raise loaded.error(
                (*path, "mechanism"),
                "a contract counterfactual (baseline or comparison_group) for a threshold payment",
                value=pay.mechanism,
            )
        if pay.mechanism in ("rate_card", "per_unit") and cf.kind == "baseline":
            raise loaded.error(
                (*path, "mechanism"),
                "threshold for a baseline counterfactual (a baseline rate is per cohort; use a "
                "comparison group to pay rate-card or per-unit outcomes above what would "
                "have happened anyway)",
                value=pay.mechanism,
            )
        if pay.price == "solve":
            if solve:
                raise loaded.error(
                    (*path, "price"),
                    "a price in kr.: the designer solves one payment's price (the first "
                    "with 'solve')",
                    value="solve",
                )
            solve.append(i)
    if contract.person_cap is not None and cf.kind != "none":
        raise loaded.error(
            (*base, "person_cap"),
            "no per-person cap when payments are measured against a counterfactual (the excess "
            "is known for the contract, not for a person)",
            value=contract.person_cap,
        )
    designer = contract.designer
    if designer is None and solve:
        raise loaded.error(
            (*base, "payments", solve[0], "price"),
            "a price in kr., or a 'designer' section that solves it",
            value="solve",
        )
    if designer is not None:
        lines = [p.name for p in contract.payments]
        if designer.payment not in lines:
            raise loaded.error(
                (*base, "designer", "payment"),
                "the name of one of the contract's payments: " + ", ".join(lines),
                value=designer.payment,
            )
        target = contract.payments[lines.index(designer.payment)]
        if target.mechanism != "savings_share" and target.price != "solve":
            raise loaded.error(
                (*base, "payments", lines.index(designer.payment), "price"),
                "'solve' for the payment the designer solves (or no designer section)",
                value=target.price,
            )
        if target.mechanism == "savings_share":
            raise loaded.error(
                (*base, "designer", "payment"),
                "a payment with a price (not a savings_share)",
                value=designer.payment,
            )
        if designer.price_range[1] <= designer.price_range[0]:
            raise loaded.error(
                (*base, "designer", "price_range"),
                "[low, high] with high above low",
                value=designer.price_range,
            )

    tranche_names: set[str] = set()
    fin = contract.finance
    for i, tr in enumerate(fin.tranches):
        if tr.name in tranche_names:
            raise loaded.error(
                (*base, "finance", "tranches", i, "name"), "a name used once", value=tr.name
            )
        tranche_names.add(tr.name)
        party_of((*base, "finance", "tranches", i, "investor"), tr.investor, ("investor",))
    if fin.guarantee is not None:
        party_of(
            (*base, "finance", "guarantee", "guarantor"), fin.guarantee.guarantor, ("guarantor",)
        )
        for j, name in enumerate(fin.guarantee.covers):
            if name not in tranche_names:
                raise loaded.error(
                    (*base, "finance", "guarantee", "covers", j),
                    "the name of a tranche",
                    value=name,
                )
    for i, cost in enumerate(contract.other_costs):
        party_of((*base, "other_costs", i, "party"), cost.party, ("intermediary", "evaluator"))
        if cost.periods is not None and cost.periods.last > contract.periods:
            raise loaded.error(
                (*base, "other_costs", i, "periods", "last"),
                f"a period within the contract's {contract.periods}",
                value=cost.periods.last,
            )
    delivery = contract.provider.delivery_costs
    if isinstance(delivery, list) and len(delivery) > contract.periods:
        raise loaded.error(
            (*base, "provider", "delivery_costs"),
            f"at most one amount per contract period ({contract.periods})",
            value=delivery,
        )
    cohorts = contract.participants.cohorts
    if isinstance(cohorts, list):
        years = -(-contract.periods // ppy)
        if len(cohorts) > years or sum(cohorts) <= 0:
            raise loaded.error(
                (*base, "participants", "cohorts"),
                f"a number referred in each of at most {years} contract years, at least one "
                "positive",
                value=cohorts,
            )
