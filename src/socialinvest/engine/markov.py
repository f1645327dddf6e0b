"""Cohort state-transition (Markov) models (METHOD.md §2).

Shapes: D draws (leading axis everywhere, length 1 for a deterministic run), T cycles,
S states, K modified cells.

Timing conventions (the same as shared/reference/model-validation-cases.md):

* The trace has T + 1 rows; row t is the state occupancy after t transitions, row 0 the start.
* Cycle t = 1 … T is the transition from row t − 1 to row t. A cycle-indexed transition array
  [D, T, S, S] is indexed by t − 1: entry ``[:, t - 1]`` is the matrix of cycle t (used to go
  from row t − 1 to row t). A constant array [D, S, S] is used in every cycle.
* Rewards are returned per cycle ([D, T], cycle t at index t − 1) so that the caller can
  discount them (``cycle_discount_weights``) with one rate for costs and another for effects.

The engine is unit-agnostic: a cycle may be a year, a month or a week. The caller converts
rates and probabilities to the cycle length; only the discounting helper takes the number of
cycles per year, because discount rates are quoted per year.

Everything is vectorised over draws; the only Python loops run over cycles or states.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

CorrectionMethod = Literal["beginning", "end", "life-table", "half-cycle", "simpson"]
CORRECTION_METHODS: tuple[str, ...] = get_args(CorrectionMethod)

# Rows of a transition matrix must sum to 1, and entries lie in [0, 1], within this tolerance.
PROBABILITY_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- transitions


def _float_array(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def as_cycle_indexed(transitions: npt.ArrayLike, n_cycles: int) -> FloatArray:
    """The transition matrices as a cycle-indexed array [D, n_cycles, S, S].

    A constant array [D, S, S] is repeated for every cycle (as a read-only broadcast view). A
    cycle-indexed array [D, T, S, S] must cover at least ``n_cycles`` cycles; only the first
    ``n_cycles`` are used.
    """
    p = _float_array(transitions)
    if n_cycles < 1:
        raise ValueError(f"n_cycles must be at least 1, got {n_cycles}")
    if p.ndim == 3:
        d, s, s2 = p.shape
        return np.broadcast_to(p[:, None, :, :], (d, n_cycles, s, s2))
    if p.ndim == 4:
        if p.shape[1] < n_cycles:
            raise ValueError(
                f"cycle-indexed transitions cover {p.shape[1]} cycles, {n_cycles} are needed"
            )
        return p[:, :n_cycles]
    raise ValueError(f"transitions must have shape [D, S, S] or [D, T, S, S], got shape {p.shape}")


def validate_transitions(
    transitions: npt.ArrayLike, tolerance: float = PROBABILITY_TOLERANCE
) -> None:
    """Raise ValueError unless every matrix is square, every entry is a finite number in
    [0, 1] and every row sums to 1 (all within ``tolerance``).

    The message names the first offending draw, cycle and row (cycle t is index t − 1 of a
    cycle-indexed array; a constant array is reported as "every cycle").
    """
    p = _float_array(transitions)
    if p.ndim not in (3, 4) or p.shape[-1] != p.shape[-2]:
        raise ValueError(
            f"transitions must have shape [D, S, S] or [D, T, S, S], got shape {p.shape}"
        )
    cycle_indexed = p.ndim == 4
    p4 = p if cycle_indexed else p[:, None]

    def where(d: int, t: int, row: int) -> str:
        cycle = f"cycle {t + 1}" if cycle_indexed else "every cycle"
        return f"transition matrix of draw {d}, {cycle}, row {row}"

    bad_entry = ~np.isfinite(p4) | (p4 < -tolerance) | (p4 > 1.0 + tolerance)
    if bad_entry.any():
        d, t, row, col = (int(i) for i in np.argwhere(bad_entry)[0])
        raise ValueError(
            f"{where(d, t, row)}: entry to column {col} is {float(p4[d, t, row, col])!r}, "
            "must be a probability in [0, 1]"
        )
    sums = p4.sum(axis=-1)
    bad_row = np.abs(sums - 1.0) > tolerance
    if bad_row.any():
        d, t, row = (int(i) for i in np.argwhere(bad_row)[0])
        raise ValueError(
            f"{where(d, t, row)}: probabilities sum to {float(sums[d, t, row])!r}, "
            f"must sum to 1 (within {tolerance:g})"
        )


def cohort_trace(
    transitions: npt.ArrayLike, start: npt.ArrayLike, n_cycles: int, *, validate: bool = True
) -> FloatArray:
    """State occupancy [D, n_cycles + 1, S] of a cohort; row 0 is ``start``.

    ``transitions`` is [D, S, S] (the same matrix every cycle) or [D, T, S, S] with T ≥
    n_cycles, where ``transitions[:, t - 1]`` moves the cohort from row t − 1 to row t (cycle
    t). ``start`` is [D, S]: shares (summing to 1) or head counts. A draw axis of length 1 on
    either input is broadcast against the other.

    Raises ValueError if a row does not sum to 1 or an entry is not a probability (see
    ``validate_transitions``); ``validate=False`` skips that check for callers that have made it.
    """
    given = _float_array(transitions)
    p = as_cycle_indexed(given, n_cycles)
    if validate:
        # a constant matrix is checked once (errors then name "every cycle")
        validate_transitions(given if given.ndim == 3 else p)
    x0 = _float_array(start)
    if x0.ndim != 2 or x0.shape[1] != p.shape[-1]:
        raise ValueError(
            f"start must have shape [D, S] with S = {p.shape[-1]} states, got shape {x0.shape}"
        )
    if not np.isfinite(x0).all() or (x0 < 0).any():
        raise ValueError("start occupancy must be finite and non-negative")
    n_draws = np.broadcast_shapes((p.shape[0],), (x0.shape[0],))[0]
    trace = np.empty((n_draws, n_cycles + 1, p.shape[-1]))
    trace[:, 0] = x0
    for t in range(n_cycles):
        # row t+1 = row t · P(cycle t+1), for every draw at once
        trace[:, t + 1] = np.einsum("ds,dsk->dk", trace[:, t], p[:, t])
    return trace


def fill_complement(probabilities: npt.ArrayLike, complement: Sequence[int | None]) -> FloatArray:
    """Set the complement cell of each row to 1 − (sum of the row's other cells).

    ``probabilities`` is [..., S, S]; ``complement[i]`` is the column of row i that takes the
    rest ("C" in a published transition table), or None to leave row i as given. Whatever the
    input holds in a complement cell is ignored. The complement may be on the diagonal (the
    usual "stay" probability) or anywhere else in the row (e.g. all who survive a primary
    operation move on to "success"). A negative complement means the other cells sum to more
    than 1; ``cohort_trace`` rejects such matrices.
    """
    out = np.array(probabilities, dtype=np.float64, copy=True)
    n_states = out.shape[-1]
    if out.ndim < 2 or out.shape[-2] != n_states or len(complement) != n_states:
        raise ValueError(
            f"need [..., S, S] probabilities and one complement entry per row; got shape "
            f"{out.shape} and {len(complement)} entries"
        )
    for row, col in enumerate(complement):
        if col is None:
            continue
        if not 0 <= col < n_states:
            raise ValueError(f"complement column {col} of row {row} is not a state index")
        out[..., row, col] = 0.0
        out[..., row, col] = 1.0 - out[..., row, :].sum(axis=-1)
    return out


def relative_risk_matrices(
    base: npt.ArrayLike,
    rr: npt.ArrayLike,
    cells: Sequence[tuple[int, int]],
    n_cycles: int,
    *,
    duration: int | None = None,
    complement: Sequence[int | None] | None = None,
) -> FloatArray:
    """Cycle-indexed matrices [D, n_cycles, S, S] of an arm that multiplies chosen transitions
    of ``base`` by relative risks, the complement cell of each row taking the rest.

    ``base``: [D, S, S] or [D, T, S, S] (the comparator's matrices).
    ``cells``: the (from, to) transitions modified, K of them.
    ``rr``: [D] (one relative risk for all cells), [D, K] (one per cell), or [D, T, K] (per
    cycle and cell; then ``duration`` must be None).
    ``duration``: the effect applies in cycles 1 … duration only (matrix indices
    0 … duration − 1); later cycles use the base probabilities. None: every cycle.
    ``complement``: per row, the column that takes the rest (see ``fill_complement``); None
    means the diagonal for every row. A modified cell may not be a complement cell.

    The complement is recomputed in every cycle, so where rr = 1 a row that summed to 1 is
    returned unchanged.
    """
    p = np.array(as_cycle_indexed(base, n_cycles), dtype=np.float64, copy=True)
    n_states = p.shape[-1]
    comp: Sequence[int | None] = list(range(n_states)) if complement is None else complement
    rows = np.array([c[0] for c in cells], dtype=np.int64)
    cols = np.array([c[1] for c in cells], dtype=np.int64)
    for r, c in cells:
        if comp[r] == c:
            raise ValueError(f"cell ({r}, {c}) is modified and is also its row's complement")

    factor = _float_array(rr)
    if factor.ndim == 1:
        factor = np.broadcast_to(factor[:, None, None], (factor.shape[0], n_cycles, len(cells)))
    elif factor.ndim == 2:
        factor = np.broadcast_to(factor[:, None, :], (factor.shape[0], n_cycles, len(cells)))
    elif factor.ndim == 3:
        if duration is not None:
            raise ValueError("give either per-cycle relative risks [D, T, K] or a duration")
        factor = factor[:, :n_cycles]
    else:
        raise ValueError(f"rr must have shape [D], [D, K] or [D, T, K], got {factor.shape}")
    if factor.shape[1:] != (n_cycles, len(cells)):
        raise ValueError(
            f"rr has shape {factor.shape}, expected [D, {n_cycles}, {len(cells)}] after expansion"
        )
    if duration is not None:
        active = np.arange(n_cycles) < duration
        factor = np.where(active[None, :, None], factor, 1.0)

    n_draws = np.broadcast_shapes((p.shape[0],), (factor.shape[0],))[0]
    p = np.array(np.broadcast_to(p, (n_draws, *p.shape[1:])), copy=True)
    p[:, :, rows, cols] = p[:, :, rows, cols] * factor
    return fill_complement(p, comp)


def step_lookup(breaks: npt.ArrayLike, values: npt.ArrayLike, x: npt.ArrayLike) -> FloatArray:
    """Piecewise-constant table lookup: for each x, the value of the row with the largest
    break ≤ x (e.g. a mortality table by age band).

    ``breaks``: [K] strictly increasing; ``values``: [..., K] (a leading draw axis is kept);
    ``x``: [N]. Returns [..., N]. Raises ValueError if some x lies below the first break.
    """
    b = _float_array(breaks)
    v = _float_array(values)
    xs = _float_array(x)
    if b.ndim != 1 or v.shape[-1] != b.shape[0] or xs.ndim != 1:
        raise ValueError(
            f"need breaks [K], values [..., K], x [N]; got {b.shape}, {v.shape}, {xs.shape}"
        )
    if (np.diff(b) <= 0).any():
        raise ValueError("breaks must be strictly increasing")
    if (xs < b[0]).any():
        raise ValueError(f"value {float(xs.min())!r} lies below the first break {float(b[0])!r}")
    idx = np.searchsorted(b, xs, side="right") - 1
    return np.asarray(v[..., idx], dtype=np.float64)


# --------------------------------------------------------------- within-cycle correction


def _check_method(method: str) -> None:
    if method not in CORRECTION_METHODS:
        raise ValueError(
            f"unknown within-cycle correction {method!r}; use one of {CORRECTION_METHODS}"
        )


def correction_weights(n_cycles: int, method: CorrectionMethod) -> FloatArray:
    """Weights [n_cycles + 1] on trace rows 0 … T: person-cycles counted = Σ_k w_k · row_k.

    * "beginning": cycle t counted with row t − 1 → 1, …, 1, 0.
    * "end": cycle t counted with row t → 0, 1, …, 1.
    * "life-table" (= "half-cycle"): cycle t counted with the mean of rows t − 1 and t →
      1/2, 1, …, 1, 1/2.
    * "simpson": exactly the DARTH group's ``gen_wcc(method = "Simpson1/3")`` in their R
      package darthtools. In its 1-indexed terms: entries 1 and T + 1 are 1/3; the other
      even-indexed entries 2/3 and the odd-indexed 4/3. So rows 0 … T get 1/3, 2/3, 4/3,
      2/3, …, 4/3, 2/3, 1/3: the first interior weight is 2/3, where the textbook composite
      Simpson rule has 4/3. This asymmetry is reproduced deliberately, to match the
      published tutorials that use it. Note that the weights then sum to T − 2/3, not T
      (a constant occupancy of 1 is counted as T − 2/3 person-cycles). The published
      function computes these weights for any number of cycles, odd or even, and so does this
      one: for an odd T the last interior entry is 4/3 and the sum is T − 1/3.
    """
    _check_method(method)
    if n_cycles < 1:
        raise ValueError(f"n_cycles must be at least 1, got {n_cycles}")
    w = np.ones(n_cycles + 1)
    if method == "beginning":
        w[-1] = 0.0
    elif method == "end":
        w[0] = 0.0
    elif method in ("life-table", "half-cycle"):
        w[0] = w[-1] = 0.5
    else:  # simpson
        one_indexed = np.arange(1, n_cycles + 2)
        w = np.where(one_indexed % 2 == 0, 2.0 / 3.0, 4.0 / 3.0)
        w[0] = w[-1] = 1.0 / 3.0
    return w


def cycle_allocation(n_cycles: int, method: CorrectionMethod) -> FloatArray:
    """Matrix A [T, T + 1]: the occupancy counted in cycle t is Σ_k A[t − 1, k] · row_k.

    Column sums equal ``correction_weights``. "beginning", "end" and "life-table" allocate
    rows t − 1 and/or t to cycle t as their names say. For "simpson" (whose row weights are
    not a per-cycle rule) row 0's weight goes to cycle 1, row T's to cycle T, and each
    interior row's weight is shared equally by the two cycles it borders. Totals with
    constant rewards and no discounting therefore equal the DARTH group's; with rewards or
    discount factors that change between cycles they differ from DARTH's, who value row k at
    time k instead of per cycle.
    """
    w = correction_weights(n_cycles, method)
    a = np.zeros((n_cycles, n_cycles + 1))
    cycles = np.arange(n_cycles)
    if method == "beginning":
        a[cycles, cycles] = 1.0
    elif method == "end":
        a[cycles, cycles + 1] = 1.0
    elif method in ("life-table", "half-cycle"):
        a[cycles, cycles] = 0.5
        a[cycles, cycles + 1] = 0.5
    else:  # simpson
        a[0, 0] = w[0]
        a[-1, -1] = w[-1]
        interior = np.arange(1, n_cycles)
        a[interior - 1, interior] += w[interior] / 2.0
        a[interior, interior] += w[interior] / 2.0
    return a


def cycle_occupancy(trace: npt.ArrayLike, method: CorrectionMethod) -> FloatArray:
    """Person-cycles spent in each state in each cycle, [D, T, S], from a trace [D, T+1, S]
    under the within-cycle correction ``method`` (see ``cycle_allocation``)."""
    tr = _float_array(trace)
    if tr.ndim != 3 or tr.shape[1] < 2:
        raise ValueError(f"trace must have shape [D, T + 1, S] with T ≥ 1, got {tr.shape}")
    a = cycle_allocation(tr.shape[1] - 1, method)
    # Every method counts rows t − 1 and t only in cycle t (the allocation is bidiagonal), so the
    # occupancy is a weighted sum of two shifted views of the trace: O(D·T·S), not O(D·T²·S).
    cycles = np.arange(tr.shape[1] - 1)
    before = a[cycles, cycles][None, :, None]
    after = a[cycles, cycles + 1][None, :, None]
    return np.asarray(before * tr[:, :-1] + after * tr[:, 1:], dtype=np.float64)


# ------------------------------------------------------------------------------- rewards


def _per_cycle(x: FloatArray, n_cycles: int, trailing: int, what: str) -> FloatArray:
    """[D, *trailing] → [D, T, *trailing] broadcast; [D, T', *trailing] → first T cycles."""
    if x.ndim == 1 + trailing:
        return x[:, None]
    if x.ndim == 2 + trailing and x.shape[1] >= n_cycles:
        return x[:, :n_cycles]
    raise ValueError(f"{what} has shape {x.shape}; it must be constant or cover {n_cycles} cycles")


def state_rewards(
    trace: npt.ArrayLike, rewards: npt.ArrayLike, method: CorrectionMethod
) -> FloatArray:
    """Reward of each cycle [D, T] from the value per cycle spent in each state.

    ``rewards``: [D, S] (the same in every cycle) or [D, T, S] (cycle t at index t − 1), e.g.
    a cost per cycle or 1 for life years. Cycle t's reward is Σ_s occupancy(t, s) · r(t, s)
    with the occupancy of ``cycle_occupancy(trace, method)``. Undiscounted.
    """
    occ = cycle_occupancy(trace, method)
    r = _per_cycle(_float_array(rewards), occ.shape[1], 1, "state rewards")
    if r.shape[-1] != occ.shape[-1]:
        raise ValueError(f"state rewards have {r.shape[-1]} states, the trace {occ.shape[-1]}")
    return np.asarray((occ * r).sum(axis=-1), dtype=np.float64)


def transition_rewards(
    trace: npt.ArrayLike, transitions: npt.ArrayLike, rewards: npt.ArrayLike
) -> FloatArray:
    """Reward of each cycle [D, T] from one-off values per person moving from state i to j.

    ``rewards``: [D, S, S] or [D, T, S, S]; entry [i, j] (of cycle t) is the value per person
    moving i → j in cycle t, e.g. the cost of an operation on entering a state. The number
    moving in cycle t is the flow trace[t − 1, i] · P_t[i, j], with P_t the matrix of cycle t
    (``transitions[:, t − 1]``). The diagonal counts those who stay. No within-cycle
    correction applies: a transition happens once. Undiscounted.
    """
    tr = _float_array(trace)
    n_cycles = tr.shape[1] - 1
    p = as_cycle_indexed(transitions, n_cycles)
    r = _per_cycle(_float_array(rewards), n_cycles, 2, "transition rewards")
    flows = tr[:, :-1, :, None] * p  # [D, T, S, S]
    return np.asarray((flows * r).sum(axis=(-2, -1)), dtype=np.float64)


# --------------------------------------------------------------------------- discounting


def cycle_discount_weights(
    rate: npt.ArrayLike, n_cycles: int, *, first: bool, cycles_per_year: float = 1.0
) -> FloatArray:
    """Discount weights for cycles t = 1 … T: [T] for a scalar rate, [D, T] for rates [D].

    ``rate`` is the yearly rate r; the rate per cycle is q = (1 + r)^(1/cycles_per_year) − 1
    and the exponent counts cycles. ``first=True`` divides cycle t by (1 + q)^t (the first
    cycle is discounted: values fall at the end of the cycle); ``first=False`` by
    (1 + q)^(t − 1) (values fall at the start of the cycle; cycle 1 is not discounted). With
    yearly cycles (cycles_per_year = 1) q = r. Call once per rate for separate cost and effect
    rates.
    """
    r = _float_array(rate)
    if cycles_per_year <= 0:
        raise ValueError(f"cycles_per_year must be positive, got {cycles_per_year}")
    if (r <= -1).any():
        raise ValueError("discount rates must exceed −100 %")
    per_cycle = (1.0 + r) ** (1.0 / cycles_per_year) - 1.0
    exponent = np.arange(1, n_cycles + 1) - (0 if first else 1)
    return np.asarray((1.0 + per_cycle[..., None]) ** (-exponent), dtype=np.float64)
