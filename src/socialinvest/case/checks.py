"""Checks that relate several fields of a case; each failure names the field and its line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from socialinvest.case.models import (
    Adjustments,
    Dist,
    FixedCost,
    OneOffCost,
    PerParticipantPeriodCost,
    point,
)
from socialinvest.errors import Msg, msg
from socialinvest.vocabulary import CYCLES_PER_YEAR, UNITS_PER_YEAR

if TYPE_CHECKING:
    from socialinvest.case.load import LoadedCase


def check_case(loaded: LoadedCase) -> None:
    case = loaded.case
    first, last = case.first_year, case.first_year + case.horizon_years - 1
    span = msg("k_year_in_horizon", first=str(first), last=str(last))

    for i, cohort in enumerate(case.target_group.cohorts):
        if not first <= cohort.year <= last:
            raise loaded.error(("target_group", "cohorts", i, "year"), span, value=cohort.year)
    if sum(point(c.intake) for c in case.target_group.cohorts) <= 0:
        raise loaded.error(
            ("target_group", "cohorts"),
            msg("k_positive_intake"),
            problem=msg("k_no_participants"),
        )

    last_intake = max(c.year for c in case.target_group.cohorts)
    needed = last_intake + case.intervention.duration_years - 1
    if needed > last:
        raise loaded.error(
            ("horizon_years",),
            msg(
                "k_horizon_years",
                years=needed - first + 1,
                cohort=str(last_intake),
                duration=case.intervention.duration_years,
            ),
            value=case.horizon_years,
        )

    for i, cost in enumerate(case.intervention.costs):
        base = ("intervention", "costs", i)
        if isinstance(cost, FixedCost):
            for name in ("first_year", "last_year"):
                year = getattr(cost, name)
                if not first <= year <= last:
                    raise loaded.error((*base, name), span, value=year)
        elif isinstance(cost, OneOffCost):
            if not first <= cost.year <= last:
                raise loaded.error((*base, "year"), span, value=cost.year)
        elif isinstance(cost, PerParticipantPeriodCost):
            years_needed = cost.periods / UNITS_PER_YEAR[cost.period]
            if last_intake + years_needed > last + 1 + 1e-9:
                raise loaded.error(
                    (*base, "periods"),
                    msg("k_periods_in_horizon", cohort=str(last_intake), last=str(last)),
                    value=cost.periods,
                )
        else:
            if last_intake + cost.spread_years - 1 > last:
                raise loaded.error(
                    (*base, "spread_years"),
                    msg("k_spread_in_horizon", cohort=str(last_intake), last=str(last)),
                    value=cost.spread_years,
                )

    if case.state_transition is not None:
        check_state_transition(loaded)
    if case.contract is not None:  # the contract's models are imported only for one
        from socialinvest.case.contract_checks import check_contract

        check_contract(loaded)
    timing = case.success.timing if case.success is not None else None
    if isinstance(timing, Dist):
        if timing.dist != "dirichlet":
            raise loaded.error(
                ("success", "timing", "dist"),
                msg("k_timing_kind"),
                value=timing.dist,
            )
        timing_length = len(np.atleast_1d(timing.distribution.mean()))
        if timing_length > case.horizon_years:
            raise loaded.error(
                ("success", "timing"),
                msg("k_at_most_years", years=case.horizon_years),
                value=timing_length,
            )
    elif timing is not None:
        total = sum(timing)
        if abs(total - 1.0) > 1e-6:
            raise loaded.error(
                ("success", "timing"),
                msg("k_timing_sum"),
                problem=msg("k_sums_to", total=f"{total:g}"),
            )
        if len(timing) > case.horizon_years:
            raise loaded.error(
                ("success", "timing"),
                msg("k_at_most_years", years=case.horizon_years),
                value=timing,
            )

    if case.committees:
        seen: dict[str, str] = {}
        for name, areas in case.committees.items():
            for j, area in enumerate(areas):
                if area in seen:
                    raise loaded.error(
                        ("committees", name, j),
                        msg("k_committee_once", area=area, committee=seen[area]),
                        value=area,
                    )
                seen[area] = name

    if case.price_index:
        for year, value in case.price_index.items():
            if value <= 0:
                raise loaded.error(("price_index", str(year)), msg("k_positive_index"), value=value)


def check_state_transition(loaded: LoadedCase) -> None:
    """States, rows, formulas and rewards of a state-transition model refer to what exists."""
    from socialinvest.engine.expressions import ExpressionError, evaluation_order, parse

    st = loaded.case.state_transition
    assert st is not None
    base = ("state_transition",)
    states = st.states
    if len(set(states)) != len(states):
        raise loaded.error((*base, "states"), msg("k_state_once"), value=states)
    known_states = set(states)
    names = {"t", "age", "cycle_years", *st.parameters}
    clash = sorted(set(st.parameters) & {"t", "age", "cycle_years", "rest"})
    if clash:
        raise loaded.error(
            (*base, "parameters", clash[0]),
            msg("k_parameter_name"),
            problem=msg("k_reserved_name"),
        )
    tables = set(st.tables)

    def state(path: tuple[str | int, ...], name: str) -> None:
        if name not in known_states:
            raise loaded.error(path, msg("k_one_of_states", states=", ".join(states)), value=name)

    def formula(path: tuple[str | int, ...], value: object, allow_rest: bool = False) -> None:
        if not isinstance(value, str):
            return
        if allow_rest and value.strip() == "rest":
            return
        try:
            parsed = parse(value, names, tables)
        except ExpressionError as exc:
            raise loaded.error(path, _formula_message(exc), value=value) from None
        if "age" in parsed.names and st.start_age is None:
            raise loaded.error(
                (*base, "start_age"), msg("k_start_age"), problem=msg("t_is_missing")
            )

    numbers = {name for name, value in st.parameters.items() if not isinstance(value, str)}
    parameter_formulas = {
        name: value for name, value in st.parameters.items() if isinstance(value, str)
    }
    for name, value in parameter_formulas.items():
        try:  # a parameter may change over time: a formula in t (and age), as documented
            parsed = parse(value, {"t", "age", "cycle_years", *st.parameters}, tables)
        except ExpressionError as exc:
            raise loaded.error(
                (*base, "parameters", name), _formula_message(exc), value=value
            ) from None
        if "age" in parsed.names and st.start_age is None:
            raise loaded.error(
                (*base, "start_age"), msg("k_start_age"), problem=msg("t_is_missing")
            )
    try:
        evaluation_order(parameter_formulas, {"t", "age", "cycle_years", *numbers}, tables)
    except ExpressionError as exc:
        raise loaded.error((*base, "parameters"), _formula_message(exc), has_value=False) from None
    if abs(sum(st.start.values()) - 1.0) > 1e-9:
        raise loaded.error(
            (*base, "start"),
            msg("k_start_sum"),
            problem=msg("k_sums_to", total=f"{sum(st.start.values()):g}"),
        )
    for name in st.start:
        state((*base, "start", name), name)

    def rows(path: tuple[str | int, ...], table: dict[str, Any], complete: bool) -> None:
        for origin, row in table.items():
            state((*path, origin), origin)
            cells = row.dirichlet if hasattr(row, "dirichlet") else row
            rests = [to for to, v in cells.items() if isinstance(v, str) and v.strip() == "rest"]
            if len(rests) > 1:
                raise loaded.error((*path, origin), msg("k_one_rest"), value=rests)
            for to, value in cells.items():
                state((*path, origin, to), to)
                formula((*path, origin, to), value, allow_rest=True)
        if complete:
            missing = [s for s in states if s not in table]
            if missing:
                raise loaded.error(
                    path,
                    msg("k_row_for_every_state", missing=", ".join(missing)),
                    problem=msg("k_incomplete"),
                )

    rows((*base, "transitions"), st.transitions, complete=True)
    effect = st.intervention_effect
    rows((*base, "intervention_effect", "transitions"), effect.transitions, complete=False)
    for i, rr in enumerate(effect.relative_risks):
        path: tuple[str | int, ...] = (*base, "intervention_effect", "relative_risks", i)
        state((*path, "from"), rr.from_)
        for j, to in enumerate(rr.to):
            state((*path, "to", j), to)
        formula((*path, "rr"), rr.rr)
    n_cycles = loaded.case.horizon_years * CYCLES_PER_YEAR[st.cycle]
    spans: list[tuple[tuple[str | int, ...], list[int] | None]] = [
        ((*base, "intervention_effect", "cycles"), effect.cycles),
        *(((*base, "outcomes", name, "cycles"), o.cycles) for name, o in st.outcomes.items()),
    ]
    for span_path, cycles in spans:
        if cycles is not None and not 1 <= cycles[0] <= cycles[1] <= n_cycles:
            raise loaded.error(span_path, msg("k_cycles", cycles=n_cycles), value=cycles)
    for name, outcome in st.outcomes.items():
        for key in ("values", "intervention", "on_entry"):
            for s_name, value in (getattr(outcome, key) or {}).items():
                state((*base, "outcomes", name, key, s_name), s_name)
                formula((*base, "outcomes", name, key, s_name), value)
    outcome_names = set(st.outcomes)
    for name, parts in st.totals.items():
        if name in outcome_names:
            raise loaded.error((*base, "totals", name), msg("k_total_name"), value=name)
        for j, part in enumerate(parts):
            if part not in outcome_names:
                raise loaded.error(
                    (*base, "totals", name, j),
                    msg("k_an_outcome", names=", ".join(sorted(outcome_names))),
                    value=part,
                )
    summable = outcome_names | set(st.totals)
    for name, ratio in st.ratios.items():
        for key in ("numerator", "denominator"):
            value = getattr(ratio, key)
            if value not in summable:
                raise loaded.error(
                    (*base, "ratios", name, key),
                    msg("k_outcome_or_total", names=", ".join(sorted(summable))),
                    value=value,
                )
    for i, item in enumerate(st.consequences):
        state((*base, "consequences", i, "state"), item.state)
        formula((*base, "consequences", i, "units_per_cycle"), item.units_per_cycle)
        formula((*base, "consequences", i, "units_per_entry"), item.units_per_entry)
    simulation = st.simulation
    if simulation is not None:
        for name, po in simulation.path_outcomes.items():
            path = (*base, "simulation", "path_outcomes", name)
            for j, s_name in enumerate(po.states):
                state((*path, "states", j), s_name)
            if po.kind == "consecutive" and po.k is None:
                raise loaded.error(path, msg("k_consecutive_k"), problem=msg("k_incomplete"))
            if po.cycles is not None and not 1 <= po.cycles[0] <= po.cycles[1] <= n_cycles:
                raise loaded.error(
                    (*path, "cycles"),
                    msg("k_cycles", cycles=n_cycles),
                    value=po.cycles,
                )
            if name in st.outcomes or name in st.totals:
                raise loaded.error(path, msg("k_path_outcome_name"), value=name)
    if loaded.case.adjustments != Adjustments():
        raise loaded.error(
            ("adjustments",),
            msg("k_no_adjustments"),
            problem=msg("k_not_supported"),
        )
    if loaded.case.correlations:
        raise loaded.error(
            ("correlations",),
            msg("k_no_correlations"),
            problem=msg("k_not_supported"),
        )


def _formula_message(exc: Exception) -> str | Msg:
    """An ExpressionError's message from the catalogues (its English text if it has no key)."""
    key = getattr(exc, "key", None)
    return Msg(key, dict(getattr(exc, "params", {}))) if key else str(exc)
