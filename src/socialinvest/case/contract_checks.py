"""Checks of a case's ``contract`` section that relate several fields (names, states, periods)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialinvest.case.contract import PERIODS_PER_YEAR, Contract
from socialinvest.errors import Alternatives, msg

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
            raise loaded.error((*base, "parties", i, "name"), msg("q_name_once"), value=party.name)
        names[party.name] = party.role
        if party.role == "payer" and party.actor is None:
            raise loaded.error(
                (*base, "parties", i),
                msg("q_payer_actor"),
                value=party.name,
            )
        if party.role != "payer" and (party.actor is not None or party.share is not None):
            raise loaded.error((*base, "parties", i), msg("q_actor_share_payer"), value=party.name)
    for role in ("payer", "investor", "provider"):
        if role not in names.values():
            raise loaded.error((*base, "parties"), msg("q_role_needed", role=role), has_value=False)
    payers = [(i, p) for i, p in enumerate(contract.parties) if p.role == "payer"]
    if len(payers) > 1:
        for i, p in payers:
            if p.share is None:
                raise loaded.error(
                    (*base, "parties", i),
                    msg("q_payer_share"),
                    value=p.name,
                )
    total_share = sum(payer_shares(contract).values())
    if abs(total_share - 1.0) > 1e-9:
        raise loaded.error(
            (*base, "parties"),
            msg("q_shares_sum"),
            problem=msg("q_shares_sum_to", total=f"{total_share:g}"),
        )

    def party_of(path: tuple[str | int, ...], name: str, roles: tuple[str, ...]) -> None:
        if names.get(name) not in roles:
            raise loaded.error(path, msg("q_party_role", roles=Alternatives(roles)), value=name)

    # the contract's time within the analysis
    ppy = PERIODS_PER_YEAR[contract.period]
    first_year = case.first_year
    last_year = first_year + case.horizon_years - 1
    if not first_year <= contract.start_date.year <= last_year:
        raise loaded.error(
            (*base, "start_date"),
            msg("q_date_in_analysis", first=str(first_year), last=str(last_year)),
            value=str(contract.start_date),
        )
    from socialinvest.contract.returns import contract_dates

    end_year = contract_dates(contract.start_date, contract.periods, contract.period)[-1].year
    if end_year > last_year:
        raise loaded.error(
            (*base, "periods"),
            msg("q_periods_in_analysis", last=str(last_year), end=str(end_year)),
            value=contract.periods,
        )

    # states of the model
    if case.state_transition is not None:
        states = list(case.state_transition.states)
        if contract.period != case.state_transition.cycle:
            raise loaded.error(
                (*base, "period"),
                msg("q_period_cycle", cycle=case.state_transition.cycle),
                value=contract.period,
            )
    else:
        states = ["success"]
    for name, metric in contract.metrics.items():
        for j, state in enumerate(metric.states):
            if state not in states:
                raise loaded.error(
                    (*base, "metrics", name, "states", j),
                    msg("q_model_state", states=", ".join(states)),
                    value=state,
                )
        if metric.window is not None and metric.window.first > contract.periods:
            raise loaded.error(
                (*base, "metrics", name, "window", "first"),
                msg("q_period_within", periods=contract.periods),
                value=metric.window.first,
            )
        for key in ("at",):
            value = getattr(metric, key)
            if value is not None and value > contract.periods:
                raise loaded.error(
                    (*base, "metrics", name, key),
                    msg("q_period_within", periods=contract.periods),
                    value=value,
                )
    success = default_success_metric(contract)
    if success is None and case.state_transition is None:
        pass  # a success-rate case's success rate is the share of participants who succeed
    elif success is None:
        raise loaded.error(
            (*base, "metrics"),
            msg("q_count_metric"),
            has_value=False,
        )
    elif success not in contract.metrics or contract.metrics[success].kind not in COUNT_KINDS:
        raise loaded.error(
            (*base, "success_metric"),
            msg("q_success_metric"),
            value=success,
        )

    cf = contract.counterfactual
    solve: list[int] = []
    for i, pay in enumerate(contract.payments):
        path = (*base, "payments", i)
        if pay.metric is not None and pay.metric not in contract.metrics:
            raise loaded.error((*path, "metric"), msg("q_metric_name"), value=pay.metric)
        kind = contract.metrics[pay.metric].kind if pay.metric is not None else None
        if pay.mechanism == "per_unit" and kind != "time_in":
            raise loaded.error(
                (*path, "metric"),
                msg("q_per_unit_metric"),
                value=pay.metric,
            )
        if pay.mechanism in ("rate_card", "threshold") and kind == "time_in":
            raise loaded.error(
                (*path, "metric"),
                msg("q_counting_metric", mechanism=pay.mechanism),
                value=pay.metric,
            )
        if pay.mechanism == "threshold" and cf.kind == "none":
            raise loaded.error(
                (*path, "mechanism"),
                msg("q_threshold_counterfactual"),
                value=pay.mechanism,
            )
        if pay.mechanism in ("rate_card", "per_unit") and cf.kind == "baseline":
            raise loaded.error(
                (*path, "mechanism"),
                msg("q_baseline_threshold"),
                value=pay.mechanism,
            )
        if pay.price == "solve":
            if solve:
                raise loaded.error(
                    (*path, "price"),
                    msg("q_one_solve"),
                    value="solve",
                )
            solve.append(i)
    if contract.person_cap is not None and cf.kind != "none":
        raise loaded.error(
            (*base, "person_cap"),
            msg("q_person_cap"),
            value=contract.person_cap,
        )
    designer = contract.designer
    if designer is None and solve:
        raise loaded.error(
            (*base, "payments", solve[0], "price"),
            msg("q_solve_needs_designer"),
            value="solve",
        )
    if designer is not None:
        lines = [p.name for p in contract.payments]
        if designer.payment not in lines:
            raise loaded.error(
                (*base, "designer", "payment"),
                msg("q_payment_name", names=", ".join(lines)),
                value=designer.payment,
            )
        target = contract.payments[lines.index(designer.payment)]
        if target.mechanism != "savings_share" and target.price != "solve":
            raise loaded.error(
                (*base, "payments", lines.index(designer.payment), "price"),
                msg("q_designer_solve"),
                value=target.price,
            )
        if target.mechanism == "savings_share":
            raise loaded.error(
                (*base, "designer", "payment"),
                msg("q_designer_price"),
                value=designer.payment,
            )
        if designer.price_range[1] <= designer.price_range[0]:
            raise loaded.error(
                (*base, "designer", "price_range"),
                msg("q_price_range"),
                value=designer.price_range,
            )

    tranche_names: set[str] = set()
    fin = contract.finance
    for i, tr in enumerate(fin.tranches):
        if tr.name in tranche_names:
            raise loaded.error(
                (*base, "finance", "tranches", i, "name"), msg("q_name_once"), value=tr.name
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
                    msg("q_tranche_name"),
                    value=name,
                )
    for i, cost in enumerate(contract.other_costs):
        party_of((*base, "other_costs", i, "party"), cost.party, ("intermediary", "evaluator"))
        if cost.periods is not None and cost.periods.last > contract.periods:
            raise loaded.error(
                (*base, "other_costs", i, "periods", "last"),
                msg("q_period_within", periods=contract.periods),
                value=cost.periods.last,
            )
    delivery = contract.provider.delivery_costs
    if isinstance(delivery, list) and len(delivery) > contract.periods:
        raise loaded.error(
            (*base, "provider", "delivery_costs"),
            msg("q_delivery_costs", periods=contract.periods),
            value=delivery,
        )
    cohorts = contract.participants.cohorts
    if isinstance(cohorts, list):
        years = -(-contract.periods // ppy)
        if len(cohorts) > years or sum(cohorts) <= 0:
            raise loaded.error(
                (*base, "participants", "cohorts"),
                msg("q_cohorts", years=years),
                value=cohorts,
            )
