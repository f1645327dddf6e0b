"""Running a state-transition (cohort Markov) case: from the case to engine arrays and back.

The pure computations live in socialinvest.engine.markov (traces, within-cycle corrections,
rewards, discounting) and socialinvest.engine.expressions (formulas); this module evaluates the
case's parameters and cells for every draw, builds both arms' transition matrices, prices the
consequences of the difference in state occupancy per actor and area, and reuses the
success-rate engine for the intervention's costs and the appraisal.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialinvest.case.load import LoadedCase
from socialinvest.case.models import Consequence, DirichletRow, Dist, StateTransition, point
from socialinvest.engine import markov, microsim
from socialinvest.engine.appraisal import appraise_flows
from socialinvest.engine.discounting import discount_factors
from socialinvest.engine.distributions import make_distribution
from socialinvest.engine.expressions import Expression, SharedOperations, evaluation_plan, parse
from socialinvest.engine.success_rate import Flows, SuccessRateInputs, success_rate_flows
from socialinvest.engine.summary import Summary, combine, expand_areas, summarise, zero_summary
from socialinvest.errors import InputError
from socialinvest.knowledge.base import KnowledgeBase
from socialinvest.model import CHUNK_CELLS
from socialinvest.resolve import Resolver, prepare_costs, used_areas
from socialinvest.vocabulary import ACTORS, AREAS, CYCLES_PER_YEAR

ARMS = ("comparator", "intervention")
# A chunk of a cohort model holds up to this many float64 cells (192 MB, the chunk's work that
# socialinvest.limits counts): its cost is a loop over the cycles, so a large chunk (all the
# draws of a usual run) spends less time outside numpy than many small ones.
COHORT_CHUNK_CELLS = 24_000_000
_TEMPORARIES = 6  # [cycle, draw] arrays alive at once while evaluating formulas and values


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
        """Cells of one draw: the budget arrays and, for a cohort, as if the trace of both
        arms and each move's probabilities (the moves that exist; one the intervention changes
        three times) were held for every cycle, with the entries valued, the values that are
        formulas and the occupancy they or a consequence per cycle read, and temporaries (an
        upper bound: rows and trace are held a block of cycles at a time; the hip PSA's 10,000
        draws peak at 19 MB of arrays against 174 MB counted); with a simulation both arms'
        dense transition matrices and every person's path (a byte per cycle)."""
        cells = len(ACTORS) * len(self.used_areas) * self.loaded.case.horizon_years
        st = self.model
        n_states = len(st.states)
        if st.simulation is None:
            moves, changed = _move_counts(st)
            per_cycle = moves + 3 * changed + 2 * len(_entry_states(st)) + _TEMPORARIES
            per_cycle += _valued_per_cycle(st)
            return max(cells, (self.n_cycles + 1) * n_states * 2 + self.n_cycles * per_cycle)
        cells = max(cells, self.n_cycles * n_states**2 * 2)
        return max(cells, st.simulation.individuals * (self.n_cycles + 1) // 4)

    def chunk_cells(self) -> int:
        """Cells a chunk may hold: a cohort's sparse arrays take :data:`COHORT_CHUNK_CELLS`
        (large chunks: a chunk's work is a loop over the cycles, whatever its draws), a
        microsimulation the runner's budget."""
        return CHUNK_CELLS if self.model.simulation is not None else COHORT_CHUNK_CELLS

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


@functools.lru_cache(maxsize=64)
def _plan_cached(
    formulas: tuple[tuple[str, str], ...], given: frozenset[str], tables: frozenset[str]
) -> list[tuple[str, Expression]]:
    """The parameters' formulas parsed and in order (evaluation_plan), once per model."""
    return evaluation_plan(dict(formulas), set(given), set(tables))


class _Sampler:
    """Values of numbers, distributions and formulas for D draws (means when rng is None)."""

    def __init__(self, prepared: PreparedStateTransition, n: int, rng: np.random.Generator | None):
        st = prepared.model
        self.n = n
        self.rng = rng
        self._drawn: dict[int, np.ndarray] = {}
        self._time_major: dict[str, np.ndarray] = {}
        self._formulas = _cell_formulas(st)
        self._shared: SharedOperations | None = None
        self._parsed: dict[str, Expression] = {}  # shared with the windows, as _drawn
        self._rows: dict[int, Any] = {}  # id of a transition row -> its draws or layout
        # id of a formula's cached values -> their smallest and largest value
        self.ranges: dict[int, tuple[float, float]] = {}
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
        plan = _plan_cached(tuple(formulas.items()), frozenset(given), frozenset(self.tables))
        for name, expression in plan:
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

    def window(self, first: int, last: int) -> _Sampler:
        """This sampler for cycles first+1 … last only: the names that change from cycle to
        cycle cut to these cycles, the drawn values shared (drawn once, in the same order)."""
        if first == 0 and last == self.n_cycles:
            return self
        part = copy.copy(self)
        part.n_cycles = last - first
        part.env_tm = {
            name: (
                value[first:last]
                if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[0] > 1
                else value
            )
            for name, value in self.env_tm.items()
        }
        part._time_major = {}
        part._shared = self._operations().fresh()  # the same shared operations, new values
        part.ranges = {}
        return part

    def _operations(self) -> SharedOperations:
        if self._shared is None:
            self._shared = SharedOperations(self.parsed(text) for text in self._formulas)
        return self._shared

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

    def dirichlet(self, row: DirichletRow, states: list[str]) -> dict[int, np.ndarray]:
        """A Dirichlet row's shares of the states with counts, [1, D] each (drawn on first
        use, then reused by every window; the counts' shares when rng is None)."""
        drawn = self._rows.get(id(row))
        if drawn is None:
            counts = [row.dirichlet.get(s, 0.0) for s in states]
            if self.rng is None:
                shares = (np.asarray(counts, dtype=np.float64) / sum(counts))[None, :]  # [1, S]
            else:
                sample = make_distribution("dirichlet", counts=counts).sample(self.n, self.rng)
                shares = np.asarray(sample, dtype=np.float64)  # [D, S]; zero counts stay zero
            drawn = {
                j: np.ascontiguousarray(shares[:, j])[None, :]
                for j, count in enumerate(counts)
                if count > 0
            }
            self._rows[id(row)] = drawn
        return drawn

    def layout(
        self, row: dict[str, Any], states: list[str]
    ) -> tuple[list[tuple[int, Any]], int | None]:
        """A row's cells other than "rest" (to-state, value), in the file's order, and the
        state that takes the rest (worked out once per chunk)."""
        known = self._rows.get(id(row))
        if known is None:
            moves = [(states.index(to), v) for to, v in row.items() if not _is_rest(v)]
            rest = next((states.index(to) for to, v in row.items() if _is_rest(v)), None)
            known = self._rows[id(row)] = (moves, rest)
        return known

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
        expression = self._parsed.get(text)
        if expression is None:
            known, tables = frozenset(self.known), frozenset(self.tables)
            expression = self._parsed[text] = _parse_cached(text, known, tables)
        return expression

    def time_major_cell(self, value: Any) -> np.ndarray:
        """Values of a cell as [T or 1, D or 1] (formulas evaluated on time-major names, an
        operation that several of the model's formulas share computed once)."""
        if isinstance(value, str):
            cached = self._time_major.get(value)
            if cached is None:
                expression = self.parsed(value)
                result = np.asarray(
                    self._operations().evaluate(expression, self.env_tm, self.tables),
                    dtype=np.float64,
                )
                cached = result.reshape((1, 1)) if result.ndim == 0 else result
                low, high = cached.min(), cached.max()  # also the range the checks need
                if not (np.isfinite(low) and np.isfinite(high)):
                    self._finite(result, value)
                self._time_major[value] = cached  # the same formula has the same values
                self.ranges[id(cached)] = (float(low), float(high))
            return cached
        return self.raw_cell(value).T

    def cell(self, value: Any) -> np.ndarray:
        """[D, T] values of a cell (number, distribution or formula)."""
        return np.broadcast_to(self.raw_cell(value), (self.n, self.n_cycles))


def _move_counts(st: StateTransition) -> tuple[int, int]:
    """The moves (from, to) a model's comparator rows have, and how many the intervention
    replaces or changes (at most)."""

    def size(row: Any) -> int:
        if isinstance(row, DirichletRow):
            return sum(1 for count in row.dirichlet.values() if count > 0)
        return len(row)

    moves = sum(size(row) for row in st.transitions.values())
    effect = st.intervention_effect
    changed = sum(size(row) for row in effect.transitions.values())
    for rr in effect.relative_risks:
        changed += size(effect.transitions.get(rr.from_, st.transitions[rr.from_])) + 1
    return moves, changed


def _valued_per_cycle(st: StateTransition) -> int:
    """[cycle, draw] arrays a cohort chunk may hold for its values (an upper bound): each
    formula of an outcome or a consequence (a value per cycle and draw, evaluated once per
    formula and kept while the chunk runs) and the counted occupancy of both arms of each state
    such a value or a consequence per cycle reads."""
    formulas: set[str] = set()
    states: set[str] = set()
    for outcome in st.outcomes.values():
        for table in (outcome.values, outcome.intervention or {}, outcome.on_entry):
            for state, value in table.items():
                if isinstance(value, str):
                    formulas.add(value)
                    if table is not outcome.on_entry:
                        states.add(state)
    for item in st.consequences:
        units = (item.units_per_cycle, item.units_per_entry)
        formulas |= {value for value in units if isinstance(value, str)}
        if item.units_per_cycle is not None:
            states.add(item.state)
    return len(formulas) + 2 * len(states)


def _cell_formulas(st: StateTransition) -> list[str]:
    """The formulas of the model's cells (transitions, the intervention's effect, outcomes,
    consequences): those a chunk evaluates on the time-major names."""
    cells: list[Any] = []
    rows = [*st.transitions.values(), *st.intervention_effect.transitions.values()]
    for row in rows:
        if not isinstance(row, DirichletRow):
            cells.extend(row.values())
    cells.extend(rr.rr for rr in st.intervention_effect.relative_risks)
    for outcome in st.outcomes.values():
        tables = (outcome.values, outcome.intervention or {}, outcome.on_entry)
        cells.extend(value for table in tables for value in table.values())
    for item in st.consequences:
        cells.extend((item.units_per_cycle, item.units_per_entry))
    return [c for c in cells if isinstance(c, str) and not _is_rest(c)]


def _is_rest(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == "rest"


@dataclass
class _Row:
    """One from-state's transition probabilities, sparse: to-state → values [T or 1, D or 1]
    (time-major, the smallest shape they need), in the order of the states; a state not listed
    is never moved to. ``complete``: the row sums to 1 by construction in every cycle (a "rest"
    cell is 1 minus the others, or a Dirichlet draw), so only its cells' range needs checking."""

    cells: dict[int, np.ndarray]
    complete: bool
    rest: int | None = None  # the cell that is 1 minus the others in every cycle


def _build_row(sampler: _Sampler, states: list[str], row: Any) -> _Row:
    """One transition row of the case file, its cells evaluated in the file's order."""
    if isinstance(row, DirichletRow):
        return _Row(sampler.dirichlet(row, states), complete=True)
    cells: dict[int, np.ndarray] = {}
    taken: np.ndarray | None = None
    moves, rest = sampler.layout(row, states)
    for j, value in moves:
        cell = sampler.time_major_cell(value)
        cells[j] = cell
        taken = cell if taken is None else taken + cell
    if rest is not None:
        if taken is None:
            cells[rest] = np.ones((1, 1))
        elif len(cells) > 1:  # a sum of its own: the complement in its place
            cells[rest] = np.subtract(1.0, taken, out=taken)
        else:
            cells[rest] = 1.0 - taken
    return _Row(dict(sorted(cells.items())), complete=rest is not None, rest=rest)


def _rest_column(row: Any, states: list[str], origin: str) -> int:
    if not isinstance(row, DirichletRow):
        for to, value in row.items():
            if _is_rest(value):
                return states.index(to)
    return states.index(origin)


def _full(cell: np.ndarray | None, n_cycles: int, n: int) -> np.ndarray:
    """A writable [T, D] copy of a cell (zeros for a state not moved to)."""
    if cell is None:
        return np.zeros((n_cycles, n))
    return np.array(np.broadcast_to(cell, (n_cycles, n)))


def _in_cycles(mask: np.ndarray, new: _Row, old: _Row, n: int) -> _Row:
    """Row ``new`` in the cycles of ``mask``, ``old`` in the others."""
    n_cycles = len(mask)
    cells = {}
    for j in sorted(set(new.cells) | set(old.cells)):
        cell = _full(old.cells.get(j), n_cycles, n)
        cell[mask] = np.broadcast_to(new.cells.get(j, 0.0), (n_cycles, n))[mask]
        cells[j] = cell
    return _Row(cells, complete=new.complete and old.complete)


def _arm_rows(
    prepared: PreparedStateTransition, sampler: _Sampler, first: int = 0
) -> tuple[list[_Row], list[_Row]]:
    """The comparator's and the intervention arm's transition rows, sparse, one per from-state
    (cells evaluated, and uncertain ones drawn, in the order of the case file), for the
    sampler's cycles (``first`` + 1 onwards). Rows the intervention does not change are shared
    between the arms."""
    st = prepared.model
    states = st.states
    n, n_cycles = sampler.n, sampler.n_cycles
    comparator = [_build_row(sampler, states, st.transitions[origin]) for origin in states]
    intervention = list(comparator)
    effect = st.intervention_effect
    mask = np.zeros(prepared.n_cycles, dtype=bool)
    if effect.cycles is None:
        mask[:] = True
    else:
        mask[effect.cycles[0] - 1 : effect.cycles[1]] = True
    mask = mask[first : first + n_cycles]
    every = bool(mask.all())
    for origin, row in effect.transitions.items():
        i = states.index(origin)
        built = _build_row(sampler, states, row)
        intervention[i] = built if every else _in_cycles(mask, built, intervention[i], n)
    for rr in effect.relative_risks:
        i = states.index(rr.from_)
        row_def = effect.transitions.get(rr.from_, st.transitions[rr.from_])
        rest = _rest_column(row_def, states, rr.from_)
        factor = np.broadcast_to(sampler.time_major_cell(rr.rr), (n_cycles, n))[mask]
        cells = dict(intervention[i].cells)
        for to in rr.to:
            j = states.index(to)
            if j in cells:  # a move that never happens stays at 0
                changed = _full(cells[j], n_cycles, n)
                changed[mask] = changed[mask] * factor
                cells[j] = changed
        taken: np.ndarray | None = None
        for k, cell in cells.items():
            if k != rest:
                part = np.broadcast_to(cell, (n_cycles, n))[mask]
                taken = part if taken is None else taken + part
        complement = _full(cells.get(rest), n_cycles, n)
        complement[mask] = 1.0 if taken is None else 1.0 - taken
        cells[rest] = complement
        complete = intervention[i].complete or every
        intervention[i] = _Row(dict(sorted(cells.items())), complete, rest if every else None)
    return comparator, intervention


def _dense(row: _Row, n_states: int) -> np.ndarray:
    """A sparse row as [T or 1, S_to, D or 1]."""
    cells = row.cells.values()
    t = max((c.shape[0] for c in cells), default=1)
    d = max((c.shape[1] for c in cells), default=1)
    out = np.zeros((t, n_states, d))
    for j, cell in row.cells.items():
        out[:, j, :] = cell
    return out


def transition_rows(
    prepared: PreparedStateTransition, sampler: _Sampler
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The rows of the comparator's and the intervention arm's transition matrices, one array
    [T or 1, S_to, D or 1] per from-state (time-major)."""
    n_states = len(prepared.model.states)
    comparator, intervention = _arm_rows(prepared, sampler)
    dense = {id(row): _dense(row, n_states) for row in comparator}
    return (
        [dense[id(row)] for row in comparator],
        [dense[id(row)] if id(row) in dense else _dense(row, n_states) for row in intervention],
    )


def _range(sampler: _Sampler, cell: np.ndarray) -> tuple[float, float]:
    """The smallest and largest value of a cell (a formula's, known from its evaluation)."""
    known = sampler.ranges.get(id(cell))
    return known if known is not None else (float(cell.min()), float(cell.max()))


def _check(
    loaded: LoadedCase,
    rows: list[_Row],
    arm: str,
    states: list[str],
    sampled_only: bool,
    sampler: _Sampler,
    checked: list[_Row] | None = None,
) -> None:
    """A clear error if any row has a value outside [0, 1] or does not sum to 1. With
    ``sampled_only`` (a run of several draws), cells that do not vary by draw are not checked
    again (they were, when loading). Rows that are those of ``checked`` (the comparator's, which
    the intervention keeps) are not checked again."""
    tolerance = markov.PROBABILITY_TOLERANCE
    skip = sampled_only and sampler.n > 1
    for i, row in enumerate(rows):
        if checked is not None and row is checked[i]:
            continue
        cells = [c for c in row.cells.values() if not (skip and c.shape[1] == 1)]
        if not cells and skip:
            continue
        if row.rest is not None and row.rest in row.cells:
            # the complement lies within 1 − (the others' largest) … 1 − (their smallest): when
            # that is within [0, 1], it needs no pass of its own
            others = [_range(sampler, c) for j, c in row.cells.items() if j != row.rest]
            if (
                1.0 - sum(high for _, high in others) >= -tolerance
                and 1.0 - sum(low for low, _ in others) <= 1.0 + tolerance
            ):
                complement = row.cells[row.rest]
                cells = [c for c in cells if c is not complement]
        ranges = [_range(sampler, c) for c in cells]
        if len(row.cells) < len(states):
            ranges.append((0.0, 0.0))  # the states not moved to
        low = np.min(np.array([r[0] for r in ranges]))
        high = np.max(np.array([r[1] for r in ranges]))
        worst = 0.0
        if not row.complete:  # a complete row sums to 1 up to rounding once its cells are in range
            total = sum(row.cells.values(), np.zeros((1, 1)))
            worst = float(np.abs(total - 1.0).max())
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


def _needed_states(st: StateTransition, arms: tuple[list[_Row], list[_Row]]) -> list[int]:
    """The states whose occupancy the outcomes and consequences use (valued per cycle, or
    entered), and every state from which these can be reached: the trace needs no others."""
    states = st.states
    wanted = set(_entry_states(st))
    for outcome in st.outcomes.values():
        names = set(outcome.values) | set(outcome.intervention or {})
        wanted |= {states.index(name) for name in names}
    wanted |= {states.index(c.state) for c in st.consequences}
    sources: dict[int, set[int]] = {}
    for rows in arms:
        for i, row in enumerate(rows):
            for j in row.cells:
                sources.setdefault(j, set()).add(i)
    todo = list(wanted)
    while todo:
        for i in sources.get(todo.pop(), ()):
            if i not in wanted:
                wanted.add(i)
                todo.append(i)
    return sorted(wanted)


@dataclass
class _Counts:
    """What a chunk's outcomes and consequences read of the trace of both arms, gathered a
    block of cycles at a time (the whole trace is never kept): ``weighted`` [R, S', 2, D], the
    trace's rows weighted by each of R rows of weights (``position``: state → index on S');
    ``kept`` the occupancy counted per cycle [T, 2, D] of the states whose values change from
    cycle to cycle and draw to draw, or that are priced; ``entries`` [T, 2, D] the share entering
    each state valued on entry."""

    weighted: np.ndarray
    position: dict[int, int]
    kept: dict[int, np.ndarray]
    entries: dict[int, np.ndarray]


_BLOCK_CELLS = 40_000  # cells of a [cycle, draw] array of a block (320 kB): stays in a cache


def _counting_weights(n_cycles: int, correction: str) -> tuple[np.ndarray, np.ndarray]:
    """[T] weights of trace rows t − 1 and t in the occupancy counted for cycle t (the
    within-cycle correction's allocation, markov.cycle_allocation)."""
    allocation = markov.cycle_allocation(n_cycles, correction)  # type: ignore[arg-type]
    cycles = np.arange(n_cycles)
    return allocation[cycles, cycles], allocation[cycles, cycles + 1]


def _count(
    blocks: Iterable[tuple[int, np.ndarray]],
    rows: np.ndarray,
    kept: list[int],
    position: dict[int, int],
    correction: str,
    n_cycles: int,
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Weighted sums of the trace rows (``rows`` [R, T+1] @ trace) and the counted occupancy
    of the ``kept`` states, from ``blocks`` (k0, trace rows k0 … k0 + b) that follow on each
    other (a block's last row is the next one's first)."""
    before, after = _counting_weights(n_cycles, correction)
    weighted: np.ndarray | None = None
    counted: dict[int, np.ndarray] = {}
    shape: tuple[int, ...] = ()
    for k0, block in blocks:
        shape = block.shape[1:]
        b = block.shape[0] - 1
        own = b + 1 if k0 + b == n_cycles else b  # the last block counts the last row too
        if len(rows):
            part = rows[:, k0 : k0 + own] @ block[:own].reshape(own, -1)
            weighted = part if weighted is None else np.add(weighted, part, out=weighted)
        for s in kept:
            trace = block[:, position[s]]  # [b+1, 2, D]
            if s not in counted:
                counted[s] = np.empty((n_cycles, *trace.shape[1:]))
            out = counted[s][k0 : k0 + b]
            if correction == "beginning":
                out[:] = trace[:-1]
            elif correction == "end":
                out[:] = trace[1:]
            else:
                np.multiply(before[k0 : k0 + b, None, None], trace[:-1], out=out)
                out += after[k0 : k0 + b, None, None] * trace[1:]
    if weighted is None:
        return np.zeros((0, *shape)), counted
    return weighted.reshape(len(rows), *shape), counted


def _arm_moves(
    arms: tuple[list[_Row], list[_Row]], needed: list[int]
) -> dict[tuple[int, int], tuple[np.ndarray | None, np.ndarray | None]]:
    """The moves (from, to) into the needed states, with their probabilities in each arm
    (None where an arm never makes the move), sources in the states' order."""
    comparator, intervention = arms
    wanted = set(needed)
    moves = {}
    for i in needed:
        for j in sorted(set(comparator[i].cells) | set(intervention[i].cells)):
            if j in wanted:
                moves[(i, j)] = (comparator[i].cells.get(j), intervention[i].cells.get(j))
    return moves


_ZERO = np.zeros((1, 1))


def _block_cycles(n: int, n_cycles: int) -> int:
    """Cycles per block: a [cycle, draw] array of a block holds about _BLOCK_CELLS cells."""
    return max(1, min(n_cycles, _BLOCK_CELLS // max(1, n)))


def _trace_blocks(
    st: StateTransition,
    rows_of: Callable[[int, int], tuple[list[_Row], list[_Row]]],
    needed: list[int],
    n: int,
    n_cycles: int,
    entries: dict[int, np.ndarray],
) -> Iterator[tuple[int, np.ndarray]]:
    """The trace of both arms, [b+1, S', 2, D] blocks of rows k0 … k0 + b (S': the ``needed``
    states): row t+1 of state j = Σ_i row t of i · P_t+1(i → j), over the moves that exist (a
    model's rows are mostly zeros), with the rows of each block's cycles from
    ``rows_of(k0, k0 + b)``. A move that both arms share is one operation on both arms' rows.
    Fills ``entries`` (state → [T, 2, D], zeros) with the shares entering each of its states
    from another."""
    position = {s: k for k, s in enumerate(needed)}
    n_states = len(needed)
    size = _block_cycles(n, n_cycles)
    block = np.empty((size + 1, n_states, 2, n))
    block[0] = 0.0
    for name, share in st.start.items():
        s = st.states.index(name)
        if s in position:
            block[0, position[s]] = share
    product = np.empty((2, n))
    for k0 in range(0, n_cycles, size):
        b = min(size, n_cycles - k0)
        moves = _arm_moves(rows_of(k0, k0 + b), needed)
        sources = {i for i, _ in moves}
        if len(moves) > _PER_SOURCE * max(1, len(sources)):
            _trace_by_source(block, moves, position, b, k0 == 0)
            _add_entries(entries, moves, position, block, k0, b)
            yield k0, block[: b + 1]
            block[0] = block[b]
            continue
        into: dict[int, list[tuple[int, list[tuple[int | None, np.ndarray]]]]] = {}
        for (i, j), (comparator, intervention) in moves.items():
            if comparator is intervention:
                assert comparator is not None
                parts: list[tuple[int | None, np.ndarray]] = [(None, comparator[:, None, :])]
            else:  # per arm: [b or 1, D or 1] each
                parts = [(0, _ZERO if comparator is None else comparator)]
                parts.append((1, _ZERO if intervention is None else intervention))
            into.setdefault(position[j], []).append((position[i], parts))
        never = [k for k in range(n_states) if k not in into]  # states never entered
        # after the first cycle, the states never entered are empty: their moves are left out
        later = {j: [term for term in terms if term[0] not in never] for j, terms in into.items()}
        empty = never + [j for j, terms in later.items() if not terms]
        later = {j: terms for j, terms in later.items() if terms}
        for r in range(b):
            current = block[r]
            nxt = block[r + 1]
            plan, zeros = (into, never) if k0 + r == 0 else (later, empty)
            if zeros:
                nxt[zeros] = 0.0
            for j, terms in plan.items():
                target = nxt[j]
                for first, (i, parts) in enumerate(terms):
                    for arm, move in parts:
                        p = move[r] if move.shape[0] > 1 else move[0]
                        if arm is None:
                            src, dst, tmp = current[i], target, product
                        else:
                            src, dst, tmp = current[i, arm], target[arm], product[arm]
                        if first == 0:
                            np.multiply(src, p, out=dst)
                        else:
                            np.multiply(src, p, out=tmp)
                            dst += tmp
        _add_entries(entries, moves, position, block, k0, b)
        yield k0, block[: b + 1]
        block[0] = block[b]


_PER_SOURCE = 4  # moves per source state above which the trace takes a source's row at once

Moves = dict[tuple[int, int], tuple[np.ndarray | None, np.ndarray | None]]


def _trace_by_source(
    block: np.ndarray, moves: Moves, position: dict[int, int], b: int, first: bool
) -> None:
    """Rows 1 … b of a trace block from its row 0, a source state at a time: its occupancy
    times its moves' probabilities [k, 2, D] added to its k targets (two operations per source
    instead of two per move: for models whose rows have many moves). The sums run over the
    sources in the same order as the move-by-move loop, so the numbers are the same."""
    by_source: dict[int, list[tuple[int, tuple[np.ndarray | None, np.ndarray | None]]]] = {}
    for (i, j), pair in moves.items():
        by_source.setdefault(position[i], []).append((position[j], pair))
    entered = {position[j] for _, j in moves}
    plan = []
    for i, targets in by_source.items():
        cells = [cell for _, pair in targets for cell in pair if cell is not None]
        t = max(c.shape[0] for c in cells)
        d = max(c.shape[1] for c in cells)
        stacked = np.zeros((t, len(targets), 2, d))
        for k, (_, pair) in enumerate(targets):
            for arm, cell in enumerate(pair):
                if cell is not None:
                    stacked[:, k, arm, :] = cell
        per_cycle = list(stacked) if t > 1 else [stacked[0]] * b
        plan.append((i, np.array([j for j, _ in targets]), per_cycle))
    for r in range(b):
        current = block[r]
        nxt = block[r + 1]
        nxt[:] = 0.0
        for i, into, per_cycle in plan:
            if (r > 0 or not first) and i not in entered:
                continue  # a state never entered is empty after the first cycle
            nxt[into] += current[i] * per_cycle[r]


def _add_entries(
    entries: dict[int, np.ndarray],
    moves: Moves,
    position: dict[int, int],
    block: np.ndarray,
    k0: int,
    b: int,
) -> None:
    """Add a block's shares entering each state of ``entries`` from another (cycles k0+1 …
    k0+b): Σ_{i ≠ j} occupancy_i(t − 1) · P_t(i → j)."""
    for j, entering in entries.items():
        for (i, to), pair in moves.items():
            if to == j and i != j:
                previous = block[:b, position[i]]  # rows t − 1 of cycles k0+1 … k0+b
                for arm, cell in enumerate(pair):
                    if cell is not None:
                        entering[k0 : k0 + b, arm] += previous[:, arm] * cell


def _value_terms(
    prepared: PreparedStateTransition, sampler: _Sampler
) -> list[tuple[str, int, int, bool, np.ndarray]]:
    """The outcomes' values (outcome, arm, state, on entry, value [T or 1, D or 1]),
    evaluated and drawn in the order of the case file."""
    st = prepared.model
    terms = []
    for name, outcome in st.outcomes.items():
        for k, arm in enumerate(ARMS):
            if arm not in outcome.arms:
                continue
            table = outcome.values
            if arm == "intervention" and outcome.intervention is not None:
                table = {**outcome.values, **outcome.intervention}
            for s_name, value in table.items():
                cell = sampler.time_major_cell(value)
                terms.append((name, k, st.states.index(s_name), False, cell))
            for s_name, value in outcome.on_entry.items():
                cell = sampler.time_major_cell(value)
                terms.append((name, k, st.states.index(s_name), True, cell))
    return terms


@dataclass
class _ValuePlan:
    """How each outcome's total is read off the trace: Σ_c intake_c · Σ_t w_t · value_t over
    the cycles of cohort c within the horizon (w: the outcome's discount weights in its
    cycles). The occupancy counted in cycle t is Σ_k A[t, k] · trace row k (A: the
    within-cycle correction's allocation), so a value that does not change from cycle to cycle
    and draw to draw needs only Σ_k (w A)_k · trace row k: ``rows`` [R, T+1] hold these
    weights, and ``weighted`` terms (outcome, arm, cohort, row, state, factor) read the sums.
    ``per_cycle`` terms (outcome, arm, cohort, weights [T], state, on entry, value) need the
    occupancy or the entries cycle by cycle."""

    rows: np.ndarray
    weighted: list[tuple[str, int, int, int, int, np.ndarray | float]]
    per_cycle: list[tuple[str, int, int, np.ndarray, int, bool, np.ndarray]]


def _value_plan(
    prepared: PreparedStateTransition, terms: list[tuple[str, int, int, bool, np.ndarray]]
) -> _ValuePlan:
    st = prepared.model
    n_cycles = prepared.n_cycles
    first_year = prepared.case.first_year
    # A later cohort is followed only for the cycles left in the horizon, from its own start.
    cycles_left = [
        n_cycles - (c.year - first_year) * prepared.cycles_per_year
        for c in prepared.case.target_group.cohorts
    ]
    allocation = markov.cycle_allocation(n_cycles, st.correction)  # [T, T+1]
    weights: dict[str, np.ndarray] = {}
    for name, outcome in st.outcomes.items():
        w = markov.cycle_discount_weights(
            outcome.discount_rate,
            n_cycles,
            first=outcome.discount_first_cycle,
            cycles_per_year=prepared.cycles_per_year,
        )
        if outcome.cycles is not None:
            active = np.zeros(n_cycles)
            active[outcome.cycles[0] - 1 : outcome.cycles[1]] = 1.0
            w = w * active
        weights[name] = w
    rows: list[np.ndarray] = []
    plain: dict[tuple[str, int], int] = {}
    weighted = []
    per_cycle = []
    for name, k, s, on_entry, value in terms:
        for c, left in enumerate(cycles_left):
            if left <= 0:
                continue
            w = weights[name].copy()
            w[left:] = 0.0
            if on_entry or (value.shape[0] > 1 and value.shape[1] > 1):
                per_cycle.append((name, k, c, w, s, on_entry, value))
            elif value.shape[0] == 1:  # one value in every cycle (per draw, or for all)
                if (name, c) not in plain:
                    plain[(name, c)] = len(rows)
                    rows.append(w @ allocation)
                weighted.append((name, k, c, plain[(name, c)], s, value[0]))
            else:  # a value per cycle, the same for every draw: part of the weights
                rows.append((w * value[:, 0]) @ allocation)
                weighted.append((name, k, c, len(rows) - 1, s, 1.0))
    return _ValuePlan(np.array(rows).reshape(len(rows), n_cycles + 1), weighted, per_cycle)


def _outcome_values(
    st: StateTransition, plan: _ValuePlan, counts: _Counts, intake: np.ndarray
) -> dict[str, np.ndarray]:
    """Each outcome's total over the cohorts per arm, [2, D] (see _ValuePlan)."""
    n = intake.shape[0]
    values = {name: np.zeros((2, n)) for name in st.outcomes}
    for name, k, c, r, s, factor in plan.weighted:
        values[name][k] += intake[:, c] * (factor * counts.weighted[r, counts.position[s], k])
    for name, k, c, w, s, on_entry, value in plan.per_cycle:
        source = counts.entries[s] if on_entry else counts.kept[s]
        values[name][k] += intake[:, c] * (w @ (source[:, k, :] * value))
    return values


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
    comparator, intervention = _arm_rows(prepared, sampler)
    _check(loaded, comparator, "comparator", st.states, False, sampler)
    _check(loaded, intervention, "intervention", st.states, False, sampler)
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
    n_cycles = prepared.n_cycles
    # the transition rows a block of cycles at a time (small arrays, held in the cache); the
    # first block draws the uncertain inputs of the transitions, in the order of the file
    size = n_cycles if st.simulation is not None else _block_cycles(n, n_cycles)

    def checked_rows(first: int, last: int) -> tuple[list[_Row], list[_Row]]:
        window = sampler.window(first, last)
        comparator, intervention = _arm_rows(prepared, window, first)
        if rng is not None:
            _check(prepared.loaded, comparator, "comparator", st.states, True, window)
            _check(
                prepared.loaded, intervention, "intervention", st.states, True, window, comparator
            )
        return comparator, intervention

    def rows_of(first: int, last: int) -> tuple[list[_Row], list[_Row]]:
        try:
            return checked_rows(first, last)
        except InputError:
            if (first, last) == (0, n_cycles):
                raise
            # A mistake found in a block of cycles is reported as for the whole horizon: the
            # first formula (in the file's order) that is not finite in any cycle, the
            # comparator before the intervention, the worst value over every cycle. The draws
            # are the same (drawn once, shared by every window), so the sentence is that of a
            # run in one piece; this refusal's only cost is the whole horizon's rows.
            checked_rows(0, n_cycles)
            raise

    arms = rows_of(0, size)
    states = st.states
    # intake per cohort (uncertain intake sampled per draw), drawn before the outcomes' values
    # as it always was: the order of the draws is part of what a seed means
    cohorts = case.target_group.cohorts
    intake = np.stack([sampler.number(c.intake) for c in cohorts], axis=1)  # [D, C]
    plan = _value_plan(prepared, _value_terms(prepared, sampler))
    kept = {s for _, _, _, _, s, on_entry, _ in plan.per_cycle if not on_entry}
    kept |= {states.index(c.state) for c in st.consequences if c.units_per_cycle is not None}
    entered = _entry_states(st)
    path_values: dict[str, np.ndarray] = {}
    blocks: Iterable[tuple[int, np.ndarray]]
    if st.simulation is not None:
        start = np.zeros((n, len(states)))
        for name, share in st.start.items():
            start[:, states.index(name)] = share
        n_states = len(states)
        dense = ([_dense(row, n_states) for row in arms[0]], [_dense(r, n_states) for r in arms[1]])
        traces, arm_entries, path_values = _simulate(prepared, dense, start, inner)
        position = {s: s for s in range(n_states)}
        blocks = [(0, np.stack([traces[arm] for arm in ARMS], axis=2))]  # [T+1, S, 2, D]
        entries = {j: np.stack([arm_entries[arm][j] for arm in ARMS], axis=1) for j in entered}
    else:
        needed = _needed_states(st, arms)
        position = {s: k for k, s in enumerate(needed)}
        entries = {j: np.zeros((n_cycles, 2, n)) for j in entered}

        def block_rows(first: int, last: int) -> tuple[list[_Row], list[_Row]]:
            return arms if first == 0 else rows_of(first, last)

        blocks = _trace_blocks(st, block_rows, needed, n, n_cycles, entries)
    weighted, counted = _count(blocks, plan.rows, sorted(kept), position, st.correction, n_cycles)
    counts = _Counts(weighted, position, counted, entries)
    values = _outcome_values(st, plan, counts, intake)
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
            delta = (counts.entries[s][:, 1] - counts.entries[s][:, 0]) * per_entry
        else:
            per_cycle = sampler.time_major_cell(item.units_per_cycle)  # [T or 1, D or 1]
            occupancy = counts.kept[s]  # [T, 2, D]
            delta = (occupancy[:, 1] - occupancy[:, 0]) * per_cycle
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
                column = sum(
                    1 for c in case.intervention.costs[:i] if c.type not in ("fixed", "one_off")
                )
                amounts[:, column] = draws
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
