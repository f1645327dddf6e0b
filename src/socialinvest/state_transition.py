"""Running a state-transition (cohort Markov) case: from the case to engine arrays and back.

The pure computations live in socialinvest.engine.markov (traces, within-cycle corrections,
rewards, discounting) and socialinvest.engine.expressions (formulas); this module evaluates the
case's parameters and cells for every draw, builds both arms' transition matrices, prices the
consequences of the difference in state occupancy per actor and area, and reuses the
success-rate engine for the intervention's costs and the appraisal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from socialinvest.case.load import LoadedCase
from socialinvest.case.models import Consequence, DirichletRow, Dist, StateTransition, point
from socialinvest.engine import markov
from socialinvest.engine.appraisal import appraise_flows
from socialinvest.engine.discounting import discount_factors
from socialinvest.engine.distributions import make_distribution
from socialinvest.engine.expressions import parse
from socialinvest.engine.success_rate import Flows, SuccessRateInputs, success_rate_flows
from socialinvest.engine.summary import Summary, summarise
from socialinvest.errors import InputError
from socialinvest.knowledge.base import KnowledgeBase
from socialinvest.vocabulary import ACTORS, AREAS, CYCLES_PER_YEAR

ARMS = ("comparator", "intervention")


@dataclass(frozen=True)
class OutcomeDraws:
    """Per-person totals of each outcome and total, per arm, for every draw: name -> [2, D]."""

    values: dict[str, np.ndarray]


@dataclass
class PreparedStateTransition:
    loaded: LoadedCase
    model: StateTransition
    n_cycles: int
    cycles_per_year: int
    costs: dict[str, Any]
    prices: np.ndarray  # [K, A] signed price per unit for each actor
    areas: np.ndarray  # [K] area index
    meta: dict[str, Any]

    @property
    def case(self) -> Any:
        return self.loaded.case


class _Sampler:
    """Values of numbers, distributions and formulas for D draws (means when rng is None)."""

    def __init__(self, prepared: PreparedStateTransition, n: int, rng: np.random.Generator | None):
        st = prepared.model
        self.n = n
        self.rng = rng
        self.tables = {
            name: (np.asarray(t.breaks, dtype=np.float64), np.asarray(t.values, dtype=np.float64))
            for name, t in st.tables.items()
        }
        cycle_years = 1.0 / prepared.cycles_per_year
        t = np.arange(1, prepared.n_cycles + 1, dtype=np.float64)[None, :]
        self.env: dict[str, Any] = {"t": t, "cycle_years": cycle_years}
        if st.start_age is not None:
            self.env["age"] = st.start_age + t * cycle_years
        for name, value in st.parameters.items():
            if isinstance(value, str):
                known = set(self.env) - {"t", "age"}
                self.env[name] = np.asarray(
                    parse(value, known, set(self.tables)).evaluate(self.env, self.tables),
                    dtype=np.float64,
                ) * np.ones((n, 1))
            else:
                self.env[name] = self.number(value)[:, None]
        self.known = set(self.env)
        self.n_cycles = prepared.n_cycles

    def number(self, value: Any) -> np.ndarray:
        """[D] values of a number or a one-dimensional distribution."""
        if isinstance(value, Dist):
            if self.rng is None:
                return np.full(self.n, value.point)
            return np.asarray(value.distribution.sample(self.n, self.rng), dtype=np.float64)
        return np.full(self.n, float(value))

    def cell(self, value: Any) -> np.ndarray:
        """[D, T] values of a cell (number, distribution or formula)."""
        if isinstance(value, str):
            expression = parse(value, self.known, set(self.tables))
            result = np.asarray(expression.evaluate(self.env, self.tables), dtype=np.float64)
        else:
            result = self.number(value)[:, None]
        return np.broadcast_to(result, (self.n, self.n_cycles)).astype(np.float64)


def _is_rest(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == "rest"


def _rows(
    sampler: _Sampler,
    states: list[str],
    table: dict[str, Any],
    into: np.ndarray,
    mask: np.ndarray | None = None,
) -> None:
    """Write the rows of ``table`` into the [D, T, S, S] matrices (only cycles in ``mask``)."""
    index = {s: k for k, s in enumerate(states)}
    for origin, row in table.items():
        i = index[origin]
        new = np.zeros((sampler.n, sampler.n_cycles, len(states)))
        if isinstance(row, DirichletRow):
            counts = [row.dirichlet.get(s, 0.0) for s in states]
            if sampler.rng is None:
                probs = np.asarray(counts, dtype=np.float64) / sum(counts)
                new[:] = probs[None, None, :]
            else:
                draws = make_distribution("dirichlet", counts=counts).sample(sampler.n, sampler.rng)
                new[:] = np.asarray(draws)[:, None, :]
        else:
            rest = None
            for to, value in row.items():
                if _is_rest(value):
                    rest = index[to]
                else:
                    new[:, :, index[to]] = sampler.cell(value)
            if rest is not None:
                new[:, :, rest] = 1.0 - new.sum(axis=2)
        if mask is None:
            into[:, :, i, :] = new
        else:
            into[:, mask, i, :] = new[:, mask, :]


def _rest_column(row: Any, states: list[str], origin: str) -> int:
    if not isinstance(row, DirichletRow):
        for to, value in row.items():
            if _is_rest(value):
                return states.index(to)
    return states.index(origin)


def transition_matrices(
    prepared: PreparedStateTransition, sampler: _Sampler
) -> tuple[np.ndarray, np.ndarray]:
    """[D, T, S, S] matrices of the comparator and the intervention arm."""
    st = prepared.model
    states = st.states
    n_states = len(states)
    comparator = np.zeros((sampler.n, sampler.n_cycles, n_states, n_states))
    _rows(sampler, states, st.transitions, comparator)
    intervention = comparator.copy()
    effect = st.intervention_effect
    mask = np.zeros(sampler.n_cycles, dtype=bool)
    if effect.cycles is None:
        mask[:] = True
    else:
        mask[effect.cycles[0] - 1 : effect.cycles[1]] = True
    _rows(sampler, states, effect.transitions, intervention, mask)
    for rr in effect.relative_risks:
        i = states.index(rr.from_)
        row = effect.transitions.get(rr.from_, st.transitions[rr.from_])
        rest = _rest_column(row, states, rr.from_)
        factor = sampler.cell(rr.rr)[:, mask]
        for to in rr.to:
            j = states.index(to)
            intervention[:, mask, i, j] = intervention[:, mask, i, j] * factor
        others = np.delete(np.arange(n_states), rest)
        intervention[:, mask, i, rest] = 1.0 - intervention[:, mask, i, :][..., others].sum(-1)
    return comparator, intervention


def _check(loaded: LoadedCase, matrices: np.ndarray, arm: str) -> None:
    try:
        markov.validate_transitions(matrices)
    except ValueError as exc:
        path: tuple[str | int, ...] = ("state_transition",) + (
            ("transitions",) if arm == "comparator" else ("intervention_effect",)
        )
        raise loaded.error(
            path,
            "transition probabilities in [0, 1] with rows summing to 1",
            problem=f"gives invalid probabilities in the {arm} arm ({exc})",
        ) from None


def prepare_state_transition(loaded: LoadedCase, kb: KnowledgeBase) -> PreparedStateTransition:
    from socialinvest.runner import _prepare_costs, _Resolver

    case = loaded.case
    st = case.state_transition
    assert st is not None
    r = _Resolver(loaded, kb)

    def ignore(*_: Any) -> None:  # uncertain cost amounts are sampled in run_chunk
        return None

    costs = _prepare_costs(r, ignore)
    infos = []
    prices = []
    areas = []
    for i, item in enumerate(st.consequences):
        as_consequence = Consequence(
            name=item.name,
            ref=item.ref,
            price=item.price,
            unit=item.unit,
            units_per_success=[0.0],
            weeks_on_support=item.weeks_on_support,
            area=item.area,
        )
        try:
            info, price, _ = r.consequence(i, as_consequence)
        except InputError as exc:
            field = (exc.field or "").replace("consequences[", "state_transition.consequences[", 1)
            raise InputError(
                exc.expected,
                file=exc.file,
                line=exc.line,
                field=field,
                value=exc.value,
                has_value=exc.has_value,
            ) from None
        infos.append(info)
        prices.append(price)
        areas.append(AREAS.index(info.area))
    cpy = CYCLES_PER_YEAR[st.cycle]
    prepared = PreparedStateTransition(
        loaded=loaded,
        model=st,
        n_cycles=case.horizon_years * cpy,
        cycles_per_year=cpy,
        costs=costs,
        prices=np.array(prices, dtype=np.float64).reshape(len(prices), len(ACTORS)),
        areas=np.array(areas, dtype=np.int64),
        meta={},
    )
    bands_costs, costs_label = r.discount(case.discounting, ("discounting",))
    if case.discounting.gains is not None:
        bands_gains, gains_label = r.discount(case.discounting.gains, ("discounting", "gains"))
    else:
        bands_gains, gains_label = bands_costs, costs_label
    prepared.meta = {
        "consequences": infos,
        "costs": costs["cost_rows"],
        "adjustments": {},
        "discounting": {
            "costs": costs_label,
            "gains": gains_label,
            "convention": case.discounting.convention,
        },
        "bands_costs": bands_costs,
        "bands_gains": bands_gains,
        "provenance": r.provenance,
    }
    # Check the matrices at the inputs' point values now, so a mistake is reported on loading.
    sampler = _Sampler(prepared, 1, None)
    comparator, intervention = transition_matrices(prepared, sampler)
    _check(loaded, comparator, "comparator")
    _check(loaded, intervention, "intervention")
    return prepared


def run_state_transition_chunk(
    prepared: PreparedStateTransition, n: int, seed: np.random.SeedSequence | None
) -> tuple[Summary, OutcomeDraws]:
    """Appraise ``n`` draws of a state-transition case (point values when ``seed`` is None)."""
    case = prepared.case
    st = prepared.model
    rng = np.random.default_rng(seed) if seed is not None else None
    sampler = _Sampler(prepared, n, rng)
    comparator, intervention = transition_matrices(prepared, sampler)
    if rng is not None:
        _check(prepared.loaded, comparator, "comparator")
        _check(prepared.loaded, intervention, "intervention")
    states = st.states
    start = np.zeros((n, len(states)))
    for name, share in st.start.items():
        start[:, states.index(name)] = share
    occupancy = {}
    for arm, matrices in zip(ARMS, (comparator, intervention), strict=True):
        trace = markov.cohort_trace(matrices, start, prepared.n_cycles)
        occupancy[arm] = markov.cycle_occupancy(trace, st.correction)  # [D, T, S]

    # outcomes per person, per arm
    values: dict[str, np.ndarray] = {}
    for name, outcome in st.outcomes.items():
        per_arm = np.zeros((2, n))
        weights = markov.cycle_discount_weights(
            outcome.discount_rate,
            prepared.n_cycles,
            first=outcome.discount_first_cycle,
            cycles_per_year=prepared.cycles_per_year,
        )
        active = np.ones(prepared.n_cycles)
        if outcome.cycles is not None:
            active[:] = 0.0
            active[outcome.cycles[0] - 1 : outcome.cycles[1]] = 1.0
        for k, arm in enumerate(ARMS):
            if arm not in outcome.arms:
                continue
            table = outcome.values
            if arm == "intervention" and outcome.intervention is not None:
                table = {**outcome.values, **outcome.intervention}
            reward = np.zeros((n, prepared.n_cycles, len(states)))
            for s_name, value in table.items():
                reward[:, :, states.index(s_name)] = sampler.cell(value)
            per_cycle = (occupancy[arm] * reward).sum(axis=2)  # [D, T]
            per_arm[k] = (per_cycle * active * weights).sum(axis=1)
        values[name] = per_arm
    for name, parts in st.totals.items():
        values[name] = sum((values[p] for p in parts), np.zeros((2, n)))

    # intake per cohort (uncertain intake sampled per draw)
    cohorts = case.target_group.cohorts
    intake = np.stack([sampler.number(c.intake) for c in cohorts], axis=1)  # [D, C]
    total_intake = intake.sum(axis=1)
    values = {name: v * total_intake[None, :] for name, v in values.items()}

    # budget flows: difference in priced activity between the arms, by calendar year
    n_years = case.horizon_years
    cpy = prepared.cycles_per_year
    n_cons = len(st.consequences)
    units = np.zeros((n, n_cons, n_years))
    for k, item in enumerate(st.consequences):
        s = states.index(item.state)
        per_cycle = sampler.cell(item.units_per_cycle)  # [D, T]
        delta = (occupancy["intervention"][:, :, s] - occupancy["comparator"][:, :, s]) * per_cycle
        for c, cohort in enumerate(cohorts):
            offset = (cohort.year - case.first_year) * cpy
            length = prepared.n_cycles - offset
            if length <= 0:
                continue
            calendar_year = (offset + np.arange(length)) // cpy
            contribution = delta[:, :length] * intake[:, c, None]
            for year in np.unique(calendar_year).tolist():
                units[:, k, year] += contribution[:, calendar_year == year].sum(axis=1)
    area_onehot = np.eye(len(AREAS))[prepared.areas]  # [K, R]
    gains = -np.einsum("dky,ka,kr->dary", units, prepared.prices, area_onehot)

    costs = prepared.costs
    amounts = np.repeat(costs["participant_amount"], n, axis=0)
    other = np.repeat(costs["other_costs"], n, axis=0)
    for i, cost in enumerate(case.intervention.costs):
        if isinstance(cost.amount, Dist):
            row = costs["cost_rows"][i]
            draws = sampler.number(cost.amount) * row["price_factor"]
            if cost.type in ("fixed", "one_off"):
                mask = np.zeros(other.shape[1:])
                a, ar = ACTORS.index(cost.actor), AREAS.index(cost.area)
                first = case.first_year
                if cost.type == "fixed":
                    mask[a, ar, cost.first_year - first : cost.last_year - first + 1] = 1.0
                else:
                    mask[a, ar, cost.year - first] = 1.0
                other = (
                    other
                    + (draws - point(cost.amount) * row["price_factor"])[:, None, None, None]
                    * mask[None]
                )
            else:
                position = sum(
                    1 for c in case.intervention.costs[:i] if c.type not in ("fixed", "one_off")
                )
                amounts[:, position] = draws
    cost_inputs = SuccessRateInputs(
        n_years=n_years,
        n_areas=len(AREAS),
        cohort_year=np.array([c.year - case.first_year for c in cohorts], dtype=np.int64),
        intake=intake,
        effect=np.zeros(n),
        effect_factor=np.ones(n),
        timing=np.ones((n, 1)),
        profiles=np.zeros((n, 0, 1)),
        drop_off=np.zeros(n),
        unit_prices=np.zeros((n, 0, len(ACTORS))),
        consequence_area=np.zeros(0, dtype=np.int64),
        participant_amount=amounts,
        participant_schedule=costs["participant_schedule"],
        participant_actor=costs["participant_actor"],
        participant_area=costs["participant_area"],
        other_costs=other,
        cost_uplift=np.ones(n),
    )
    cost_flows = success_rate_flows(cost_inputs)
    flows = Flows(
        gains=gains,
        gains_per_effect=np.zeros_like(gains),
        costs=cost_flows.costs,
        successes=np.zeros((n, n_years)),
        units=units,
        additional_successes=np.zeros(n),
    )
    meta = prepared.meta
    convention = meta["discounting"]["convention"]
    df_costs = discount_factors(meta["bands_costs"], n_years, convention)
    df_gains = discount_factors(meta["bands_gains"], n_years, convention)
    appraisal = appraise_flows(flows, df_gains, df_costs)
    summary = summarise(flows, appraisal, np.zeros(n), np.zeros(n))
    return summary, OutcomeDraws(values)


def combine_outcomes(parts: list[OutcomeDraws]) -> OutcomeDraws:
    if len(parts) == 1:
        return parts[0]
    names = parts[0].values
    return OutcomeDraws(
        {name: np.concatenate([p.values[name] for p in parts], axis=1) for name in names}
    )
