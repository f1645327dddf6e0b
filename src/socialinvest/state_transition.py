"""Running a state-transition (cohort Markov) case: from the case to engine arrays and back.

The pure computations live in socialinvest.engine.markov (traces, within-cycle corrections,
rewards, discounting) and socialinvest.engine.expressions (formulas); this module evaluates the
case's parameters and cells for every draw, builds both arms' transition matrices, prices the
consequences of the difference in state occupancy per actor and area, and reuses the
success-rate engine for the intervention's costs and the appraisal.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialinvest.case.load import LoadedCase
from socialinvest.case.models import Consequence, DirichletRow, Dist, StateTransition, point
from socialinvest.engine import markov, microsim
from socialinvest.engine.appraisal import appraise_flows
from socialinvest.engine.discounting import discount_factors
from socialinvest.engine.distributions import make_distribution
from socialinvest.engine.expressions import Expression, evaluation_plan, parse
from socialinvest.engine.success_rate import Flows, SuccessRateInputs, success_rate_flows
from socialinvest.engine.summary import Summary, combine, expand_areas, summarise, zero_summary
from socialinvest.errors import InputError
from socialinvest.knowledge.base import KnowledgeBase
from socialinvest.resolve import Resolver, prepare_costs, used_areas
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
    areas: np.ndarray  # [K] index into used_areas
    meta: dict[str, Any]
    used_areas: list[str]

    @property
    def case(self) -> Any:
        return self.loaded.case

    def cells_per_draw(self) -> int:
        """Cells of one draw: the budget arrays, both arms' transition matrices, and with a
        simulation every person's path (a byte per cycle)."""
        cells = len(ACTORS) * len(self.used_areas) * self.loaded.case.horizon_years
        cells = max(cells, self.n_cycles * len(self.model.states) ** 2 * 2)
        if self.model.simulation is not None:
            cells = max(cells, self.model.simulation.individuals * (self.n_cycles + 1) // 4)
        return cells

    def run_chunk(
        self, n: int, seed: np.random.SeedSequence | None
    ) -> tuple[Summary, OutcomeDraws]:
        """Run ``n`` draws (means when ``seed`` is None): the summary and per-arm outcomes."""
        return run_state_transition_chunk(self, n, seed)

    def combine(
        self, parts: Sequence[tuple[Summary, OutcomeDraws]]
    ) -> tuple[Summary, dict[str, np.ndarray]]:
        """The chunks as one summary and the per-arm outcomes of every draw."""
        summary = combine([part for part, _ in parts])
        return summary, combine_outcomes([outcomes for _, outcomes in parts]).values


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str, known: frozenset[str], tables: frozenset[str]) -> Expression:
    return parse(text, set(known), set(tables))


class _Sampler:
    """Values of numbers, distributions and formulas for D draws (means when rng is None)."""

    def __init__(self, prepared: PreparedStateTransition, n: int, rng: np.random.Generator | None):
        st = prepared.model
        self.n = n
        self.rng = rng
        self._drawn: dict[int, np.ndarray] = {}
        self._time_major: dict[str, np.ndarray] = {}
        self.tables = {
            name: (np.asarray(t.breaks, dtype=np.float64), np.asarray(t.values, dtype=np.float64))
            for name, t in st.tables.items()
        }
        cycle_years = 1.0 / prepared.cycles_per_year
        t = np.arange(1, prepared.n_cycles + 1, dtype=np.float64)[None, :]
        self.env: dict[str, Any] = {"t": t, "cycle_years": cycle_years}
        if st.start_age is not None:
            self.env["age"] = st.start_age + t * cycle_years
        formulas = {k: v for k, v in st.parameters.items() if isinstance(v, str)}
        for name, value in st.parameters.items():
            if not isinstance(value, str):
                self.env[name] = self.number(value)[:, None]
        # formulas of parameters, each after those it uses (in any order in the file)
        # a parameter may be a formula in t (and age): it then has a value per cycle [D, T]
        given = set(self.env)
        self.loaded = prepared.loaded
        for name, expression in evaluation_plan(formulas, given, set(self.tables)):
            self.env[name] = self._finite(
                np.asarray(expression.evaluate(self.env, self.tables), dtype=np.float64),
                formulas[name],
                ("state_transition", "parameters", name),
            ) * np.ones((n, 1))
        self.known = set(self.env)
        self.n_cycles = prepared.n_cycles
        self.env_tm = {
            name: (value.T if isinstance(value, np.ndarray) and value.ndim == 2 else value)
            for name, value in self.env.items()
        }

    def _finite(
        self, values: np.ndarray, text: str, path: tuple[str | int, ...] | None = None
    ) -> np.ndarray:
        """``values`` of the formula ``text``, refused in one sentence if one is not finite."""
        if not np.isfinite(values).all():
            from socialinvest.finite import formula_error

            raise formula_error(text, self.loaded, path)
        return values

    def number(self, value: Any) -> np.ndarray:
        """[D] values of a number or a one-dimensional distribution. An uncertain input is drawn
        once per draw and then reused (both arms see the same draw of a shared value)."""
        if isinstance(value, Dist):
            drawn = self._drawn.get(id(value))
            if drawn is None:
                if self.rng is None:
                    drawn = np.full(self.n, value.point)
                else:
                    drawn = np.asarray(
                        value.distribution.sample(self.n, self.rng), dtype=np.float64
                    )
                self._drawn[id(value)] = drawn
            return drawn
        return np.full(self.n, float(value))

    def raw_cell(self, value: Any) -> np.ndarray:
        """Values of a cell as [D or 1, T or 1] (broadcastable to [D, T], not copied)."""
        if isinstance(value, str):
            expression = self.parsed(value)
            result = np.asarray(expression.evaluate(self.env, self.tables), dtype=np.float64)
            result = self._finite(result, value)
            return result.reshape((1, 1)) if result.ndim == 0 else result
        if isinstance(value, Dist):
            return self.number(value)[:, None]
        return np.full((1, 1), float(value))

    def parsed(self, text: str) -> Expression:
        return _parse_cached(text, frozenset(self.known), frozenset(self.tables))

    def time_major_cell(self, value: Any) -> np.ndarray:
        """Values of a cell as [T or 1, D or 1] (formulas evaluated on time-major names)."""
        if isinstance(value, str):
            cached = self._time_major.get(value)
            if cached is None:
                expression = self.parsed(value)
                result = np.asarray(expression.evaluate(self.env_tm, self.tables), dtype=np.float64)
                result = self._finite(result, value)
                cached = result.reshape((1, 1)) if result.ndim == 0 else result
                self._time_major[value] = cached  # the same formula has the same values
            return cached
        return self.raw_cell(value).T

    def cell(self, value: Any) -> np.ndarray:
        """[D, T] values of a cell (number, distribution or formula)."""
        return np.broadcast_to(self.raw_cell(value), (self.n, self.n_cycles))


def _is_rest(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == "rest"


def _build_row(sampler: _Sampler, states: list[str], row: Any) -> np.ndarray:
    """One transition row, time-major: [T or 1, S_to, D or 1] (the smallest shape it needs)."""
    index = {s: k for k, s in enumerate(states)}
    n_states = len(states)
    if isinstance(row, DirichletRow):
        counts = [row.dirichlet.get(s, 0.0) for s in states]
        if sampler.rng is None:
            return (np.asarray(counts, dtype=np.float64) / sum(counts))[None, :, None]
        draws = make_distribution("dirichlet", counts=counts).sample(sampler.n, sampler.rng)
        return np.ascontiguousarray(np.asarray(draws, dtype=np.float64).T[None, :, :])
    cells = {index[to]: sampler.time_major_cell(v) for to, v in row.items() if not _is_rest(v)}
    rest = next((index[to] for to, v in row.items() if _is_rest(v)), None)
    t = max((c.shape[0] for c in cells.values()), default=1)
    d = max((c.shape[1] for c in cells.values()), default=1)
    out = np.zeros((t, n_states, d))
    taken = np.zeros((t, d)) if rest is not None else None
    for j, cell in cells.items():
        out[:, j, :] = cell
        if taken is not None:
            taken += cell
    if rest is not None and taken is not None:
        out[:, rest, :] = 1.0 - taken
    return out


def _rest_column(row: Any, states: list[str], origin: str) -> int:
    if not isinstance(row, DirichletRow):
        for to, value in row.items():
            if _is_rest(value):
                return states.index(to)
    return states.index(origin)


def transition_rows(
    prepared: PreparedStateTransition, sampler: _Sampler
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The rows of the comparator's and the intervention arm's transition matrices, one array
    [T or 1, S_to, D or 1] per from-state (time-major, so the trace reads contiguous memory).
    Rows the intervention does not change are shared between the arms."""
    st = prepared.model
    states = st.states
    n, n_cycles, n_states = sampler.n, sampler.n_cycles, len(states)
    comparator = [_build_row(sampler, states, st.transitions[origin]) for origin in states]
    intervention = list(comparator)
    effect = st.intervention_effect
    mask = np.zeros(n_cycles, dtype=bool)
    if effect.cycles is None:
        mask[:] = True
    else:
        mask[effect.cycles[0] - 1 : effect.cycles[1]] = True
    changed: dict[int, np.ndarray] = {}

    full = (n_cycles, n_states, n)

    def writable(i: int) -> np.ndarray:
        """The intervention's row i as its own full-size array (copied once)."""
        current = changed.get(i)
        if current is None or current.shape != full:
            source = comparator[i] if current is None else current
            changed[i] = np.array(np.broadcast_to(source, full))
        return changed[i]

    for origin, row in effect.transitions.items():
        i = states.index(origin)
        built = _build_row(sampler, states, row)
        if mask.all() and i not in changed:
            changed[i] = built  # replaced in every cycle: no copy of the comparator's row
            continue
        replacement = np.broadcast_to(built, (n_cycles, n_states, n))
        writable(i)[mask] = replacement[mask]
    for rr in effect.relative_risks:
        i = states.index(rr.from_)
        row_def = effect.transitions.get(rr.from_, st.transitions[rr.from_])
        rest = _rest_column(row_def, states, rr.from_)
        factor = np.broadcast_to(sampler.time_major_cell(rr.rr), (n_cycles, n))[mask]
        target = writable(i)
        for to in rr.to:
            j = states.index(to)
            target[mask, j, :] = target[mask, j, :] * factor
        others = [k for k in range(n_states) if k != rest]
        target[mask, rest, :] = 1.0 - target[mask][:, others, :].sum(axis=1)
    for i, changed_row in changed.items():
        intervention[i] = changed_row
    return comparator, intervention


def _check(
    loaded: LoadedCase, rows: list[np.ndarray], arm: str, states: list[str], sampled_only: bool
) -> None:
    """A clear error if any row has a value outside [0, 1] or does not sum to 1. With
    ``sampled_only``, rows that do not vary by draw are skipped (checked when loading)."""
    tolerance = markov.PROBABILITY_TOLERANCE
    for i, row in enumerate(rows):
        if sampled_only and row.shape[2] == 1:
            continue
        low, high = row.min(), row.max()
        worst = np.abs(row.sum(axis=1) - 1.0).max()
        if low >= -tolerance and high <= 1.0 + tolerance and worst <= tolerance:
            continue
        if not (np.isfinite(low) and np.isfinite(high)):
            found = "values that are not numbers"
        elif low < -tolerance or high > 1.0 + tolerance:
            found = f"a probability of {low if low < -tolerance else high:.6g}"
        else:
            found = f"probabilities that sum to {1.0 + worst:.6g} or {1.0 - worst:.6g}"
        section = "transitions" if arm == "comparator" else "intervention_effect"
        raise loaded.error(
            ("state_transition", section),
            "transition probabilities in [0, 1] with rows summing to 1",
            problem=f"gives invalid probabilities in the {arm} arm (row {states[i]}: {found})",
        )


def _trace(rows: list[np.ndarray], start: np.ndarray, n_cycles: int) -> np.ndarray:
    """Occupancy, time-major [T+1, S, D]: row t+1 = Σ_i occupancy_i(t) · row_i(cycle t+1).

    Rows are [T or 1, S_to, D or 1] and the trace is built as [T+1, S, D], so every operand of
    the loop (where a state-transition run spends most of its time) is contiguous.
    """
    n, n_states = start.shape
    trace = np.empty((n_cycles + 1, n_states, n))
    trace[0] = start.T
    for t in range(n_cycles):
        current = trace[t]
        nxt = trace[t + 1]
        nxt[:] = 0.0
        for i, row in enumerate(rows):
            nxt += current[i] * row[t if row.shape[0] > 1 else 0]
    return trace


def _entries(trace: np.ndarray, rows: list[np.ndarray], state: int) -> np.ndarray:
    """Share of the cohort entering ``state`` from another state in each cycle, [T, D]:
    Σ_{i ≠ state} occupancy_i(t − 1) · P_t(i → state)."""
    n_cycles = trace.shape[0] - 1
    out = np.zeros((n_cycles, trace.shape[2]))
    for i, row in enumerate(rows):
        if i != state:
            out += trace[:-1, i, :] * row[:, state, :]
    return out


def _occupancy(trace: np.ndarray, correction: str) -> np.ndarray:
    """Person-cycles per state and cycle, time-major [T, S, D], under the within-cycle
    correction (the same allocation as markov.cycle_occupancy, on time-major arrays)."""
    if correction == "beginning":
        return trace[:-1]  # row t − 1 counts for cycle t: a view, nothing computed
    if correction == "end":
        return trace[1:]
    if correction in ("life-table", "half-cycle"):
        occupancy: np.ndarray = 0.5 * (trace[:-1] + trace[1:])
        return occupancy
    n_cycles = trace.shape[0] - 1
    allocation = markov.cycle_allocation(n_cycles, correction)  # type: ignore[arg-type]
    cycles = np.arange(n_cycles)
    before = allocation[cycles, cycles][:, None, None]
    after = allocation[cycles, cycles + 1][:, None, None]
    occupancy = before * trace[:-1] + after * trace[1:]
    return occupancy


def prepare_state_transition(loaded: LoadedCase, kb: KnowledgeBase) -> PreparedStateTransition:
    case = loaded.case
    st = case.state_transition
    assert st is not None
    r = Resolver(loaded, kb)

    def ignore(*_: Any) -> None:  # uncertain cost amounts are sampled in run_chunk
        return None

    infos = []
    prices = []
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
    used = used_areas([c.area for c in infos], [c.area for c in case.intervention.costs])
    costs = prepare_costs(r, ignore, used)
    areas = [used.index(c.area) for c in infos]
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
        used_areas=used,
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
    comparator, intervention = transition_rows(prepared, sampler)
    _check(loaded, comparator, "comparator", st.states, sampled_only=False)
    _check(loaded, intervention, "intervention", st.states, sampled_only=False)
    return prepared


def _matrices(rows: list[np.ndarray], n: int, n_cycles: int) -> np.ndarray:
    """Time-major rows [T or 1, S_to, D or 1] → cycle-indexed matrices [D, T, S, S]."""
    n_states = len(rows)
    full = np.empty((n, n_cycles, n_states, n_states))
    for i, row in enumerate(rows):
        full[:, :, i, :] = np.broadcast_to(row, (n_cycles, n_states, n)).transpose(2, 0, 1)
    return full


def transition_draws(
    prepared: PreparedStateTransition, n: int, rng: np.random.Generator | None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The comparator's and the intervention arm's transition rows for ``n`` draws of the
    case's parameters (their means when ``rng`` is None), as :func:`transition_rows` gives
    them: the draws of a prepared state-transition case that the contract layer simulates."""
    return transition_rows(prepared, _Sampler(prepared, n, rng))


def transition_matrices(rows: list[np.ndarray], n: int, n_cycles: int) -> np.ndarray:
    """Rows from :func:`transition_draws` as cycle-indexed matrices [draw, cycle, from, to]."""
    return _matrices(rows, n, n_cycles)


def _simulate(
    prepared: PreparedStateTransition,
    arms: tuple[list[np.ndarray], list[np.ndarray]],
    start: np.ndarray,
    inner: np.random.SeedSequence,
) -> tuple[dict[str, np.ndarray], dict[str, dict[int, np.ndarray]], dict[str, np.ndarray]]:
    """Microsimulation of both arms with common random numbers: time-major occupancy shares
    [T+1, S, D] per arm, entries per cycle [T, D] into the states that are valued on entry, and
    each path outcome per arm [D] (mean per person)."""
    st = prepared.model
    simulation = st.simulation
    assert simulation is not None
    n = start.shape[0]
    streams = microsim.random_streams(inner, n, simulation.individuals, prepared.n_cycles)
    traces: dict[str, np.ndarray] = {}
    entries: dict[str, dict[int, np.ndarray]] = {}
    path_values: dict[str, np.ndarray] = {
        name: np.zeros((2, n)) for name in simulation.path_outcomes
    }
    n_states = len(st.states)
    for k, (arm, rows) in enumerate(zip(ARMS, arms, strict=True)):
        paths = microsim.simulate(
            _matrices(rows, n, prepared.n_cycles), streams, start_probabilities=start
        )
        counts = microsim.occupancy(paths, n_states)  # [D, T+1, S]
        traces[arm] = np.ascontiguousarray((counts / simulation.individuals).transpose(1, 2, 0))
        entries[arm] = {
            j: np.ascontiguousarray(
                ((paths[:, :, 1:] == j) & (paths[:, :, :-1] != j)).mean(axis=1).T
            )
            for j in _entry_states(st)
        }
        for name, po in simulation.path_outcomes.items():
            states = [st.states.index(s_name) for s_name in po.states]
            first, last = po.cycles if po.cycles is not None else (1, prepared.n_cycles)
            per_person: np.ndarray
            if po.kind == "time_in":
                per_person = microsim.time_in_states(paths, states, first=first, last=last)
            elif po.kind == "consecutive":
                assert po.k is not None
                per_person, _ = microsim.consecutive(paths, states, po.k, first=first, last=last)
            elif po.kind == "state_at":
                per_person = microsim.in_states(microsim.state_at(paths, last), states)
            else:
                entered = microsim.first_entry(paths, states, first=first, last=last)
                per_person = entered != microsim.NEVER
            path_values[name][k] = np.asarray(per_person, dtype=np.float64).mean(axis=1)
    return traces, entries, path_values


def _entry_states(st: StateTransition) -> list[int]:
    """The states whose entries an outcome or a consequence values."""
    names = {name for o in st.outcomes.values() for name in o.on_entry}
    names |= {c.state for c in st.consequences if c.units_per_entry is not None}
    return sorted(st.states.index(name) for name in names)


def run_state_transition_chunk(
    prepared: PreparedStateTransition,
    n: int,
    seed: np.random.SeedSequence | None,
) -> tuple[Summary, OutcomeDraws]:
    """Appraise ``n`` draws of a state-transition case (point values when ``seed`` is None).

    With a ``simulation`` section the arms are simulated person by person: the parameters are
    drawn from one stream of the chunk's seed (outer uncertainty) and the individuals' chance
    from another (inner), with the same numbers in both arms.
    """
    case = prepared.case
    st = prepared.model
    if seed is not None:
        outer, inner = seed.spawn(2)
        rng: np.random.Generator | None = np.random.default_rng(outer)
    else:
        rng = None
        inner = np.random.SeedSequence(st.simulation.seed if st.simulation else 0)
    sampler = _Sampler(prepared, n, rng)
    comparator, intervention = transition_rows(prepared, sampler)
    if rng is not None:
        _check(prepared.loaded, comparator, "comparator", st.states, sampled_only=True)
        _check(prepared.loaded, intervention, "intervention", st.states, sampled_only=True)
    states = st.states
    start = np.zeros((n, len(states)))
    for name, share in st.start.items():
        start[:, states.index(name)] = share
    occupancy = {}  # time-major [T, S, D]
    entries: dict[str, dict[int, np.ndarray]] = {}  # arm -> state -> [T, D]
    path_values: dict[str, np.ndarray] = {}
    if st.simulation is not None:
        traces, entries, path_values = _simulate(prepared, (comparator, intervention), start, inner)
        for arm in ARMS:
            occupancy[arm] = _occupancy(traces[arm], st.correction)
    else:
        for arm, matrices in zip(ARMS, (comparator, intervention), strict=True):
            trace = _trace(matrices, start, prepared.n_cycles)
            occupancy[arm] = _occupancy(trace, st.correction)
            entries[arm] = {j: _entries(trace, matrices, j) for j in _entry_states(st)}

    # intake per cohort (uncertain intake sampled per draw)
    cohorts = case.target_group.cohorts
    intake = np.stack([sampler.number(c.intake) for c in cohorts], axis=1)  # [D, C]
    # A later cohort is followed only for the cycles left in the horizon, from its own start.
    cycles_left = [
        prepared.n_cycles - (c.year - case.first_year) * prepared.cycles_per_year for c in cohorts
    ]

    # outcomes: totals over the cohorts, per arm
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
            per_cycle = np.zeros((prepared.n_cycles, n))  # time-major
            for s_name, value in table.items():
                per_cycle += occupancy[arm][:, states.index(s_name), :] * sampler.time_major_cell(
                    value
                )
            for s_name, value in outcome.on_entry.items():
                per_cycle += entries[arm][states.index(s_name)] * sampler.time_major_cell(value)
            cumulative = np.cumsum((active * weights)[:, None] * per_cycle, axis=0)  # [T, D]
            per_arm[k] = sum(
                (
                    intake[:, c] * cumulative[left - 1]
                    for c, left in enumerate(cycles_left)
                    if left > 0
                ),
                np.zeros(n),
            )
        values[name] = per_arm
    for name, parts in st.totals.items():
        values[name] = sum((values[p] for p in parts), np.zeros((2, n)))
    # path outcomes (microsimulation) are per person over their own windows: times the intake
    total_intake = intake.sum(axis=1)
    values.update({name: v * total_intake[None, :] for name, v in path_values.items()})

    n_years = case.horizon_years
    if not st.consequences and not case.intervention.costs:
        # a model with outcomes only (health economics): no budget flows to appraise
        return zero_summary(n, len(ACTORS), len(AREAS), n_years), OutcomeDraws(values)

    # budget flows: difference in priced activity between the arms, by calendar year
    cpy = prepared.cycles_per_year
    n_cons = len(st.consequences)
    units = np.zeros((n, n_cons, n_years))
    for k, item in enumerate(st.consequences):
        s = states.index(item.state)
        if item.units_per_entry is not None:
            per_entry = sampler.time_major_cell(item.units_per_entry)  # [T or 1, D or 1]
            delta = (entries["intervention"][s] - entries["comparator"][s]) * per_entry
        else:
            per_cycle = sampler.time_major_cell(item.units_per_cycle)  # [T or 1, D or 1]
            delta = (
                occupancy["intervention"][:, s, :] - occupancy["comparator"][:, s, :]
            ) * per_cycle
        delta = np.broadcast_to(delta, (prepared.n_cycles, n))
        for c, cohort in enumerate(cohorts):
            offset = (cohort.year - case.first_year) * cpy
            length = prepared.n_cycles - offset
            if length <= 0:
                continue
            # the cohort's cycles 1..length fall in calendar years offset // cpy onwards, cpy each
            first_year = offset // cpy
            starts = np.arange(0, length, cpy)
            per_year = np.add.reduceat(delta[:length], starts, axis=0)  # [years, D]
            units[:, k, first_year : first_year + len(starts)] += (per_year * intake[:, c]).T
    n_areas = len(prepared.used_areas)
    area_onehot = np.eye(n_areas)[prepared.areas]  # [K, R']
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
                a, ar = ACTORS.index(cost.actor), prepared.used_areas.index(cost.area)
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
        n_areas=n_areas,
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
    summary = expand_areas(summary, [AREAS.index(a) for a in prepared.used_areas])
    return summary, OutcomeDraws(values)


def combine_outcomes(parts: list[OutcomeDraws]) -> OutcomeDraws:
    if len(parts) == 1:
        return parts[0]
    names = parts[0].values
    return OutcomeDraws(
        {name: np.concatenate([p.values[name] for p in parts], axis=1) for name in names}
    )
