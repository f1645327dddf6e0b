"""Individual-level microsimulation of the cohort state-transition models (METHOD.md §2).

The model is the one ``markov`` runs as a cohort: the same transition matrices, the same start
distribution, the same timing. Here each of N individuals follows their own path, so that
outcomes which depend on a person's history ("26 consecutive weeks in job") can be counted, and
so that chance in small cohorts is visible.

Shapes: D outer draws (parameter uncertainty; leading axis everywhere), N individuals, T cycles,
S states.

* A path array is [D, N, T + 1] of state indices: column 0 is the starting state, column t the
  state after the transition of cycle t (row t of ``markov.cohort_trace``). Its dtype is the
  smallest of uint8 / int16 / int32 that holds S states (uint8 for S ≤ 256: mind unsigned
  arithmetic; cast before subtracting). Memory: D · N · (T + 1) bytes at uint8, e.g. 61 MB for
  D = N = 1000, T = 60.
* Transition matrices are [D, S, S] (every cycle) or [D, T, S, S] with ``[:, t - 1]`` the matrix
  of cycle t, exactly as in ``markov.cohort_trace``; a draw axis of length 1 is shared by all
  draws.

Random numbers. One uniform u[d, i, t] in [0, 1) decides column t of individual i's path in draw
d: for t ≥ 1 the next state is the number of entries of the cumulative row of the current state
that are ≤ u (the inverse-CDF rule; the cumulative row is set to exactly 1 from its last
positive entry on, so rounding in the cumulative sum can neither pick a state of probability
0 nor run past the last state). u[d, i, 0] draws the starting state from a start
distribution the same way, and is unused when start states are given.

Common random numbers across arms: ``RandomStreams`` is a recipe for these uniforms (a seed
and the sizes). Passing the same ``RandomStreams`` (or the same uniform array) to ``simulate``
for every arm gives every individual the same numbers in every arm, so that differences between
arms are not noise. Because the same u is compared with cumulative rows in the same state order,
an intervention that moves probability towards states later in the order (e.g. lowers
"job → benefit" in favour of "job → job", with benefit before job) makes each individual's next
state no earlier in the order whenever both arms are in the same state.

Seeds (reproducibility, chunking). The root ``np.random.SeedSequence`` is split by draw: draw d
uses the child ``SeedSequence(root.entropy, spawn_key=root.spawn_key + (d,))`` — the same as
``root.spawn(D)[d]`` on a fresh root — with numpy's default bit generator (PCG64), which fills
a [T + 1, N] block cycle by cycle: u[d, i, t] is element (t, i) of that block. Consequences:
draws are independent streams; a chunk of draws (``RandomStreams.draws``) has exactly the
numbers the same draws have in the whole run, so callers may chunk over draws (to bound memory
or run chunks in parallel) without changing the result; lengthening the horizon leaves the
earlier cycles of every path unchanged. Use a seed (or a spawned child) of its own for the inner
randomness, not the one that samples the parameters of the outer draws.

Path-dependent outcomes (``occupancy``, ``in_states``, ``time_in_states``, ``consecutive``,
``first_entry``, ``state_at``) and state rewards (``cycle_rewards``, ``individual_rewards``) work
on the path array, vectorised over draws and individuals.

Within-cycle correction: an individual is in one state per path column, so a cycle is counted in
the state at its end ("end": column t for cycle t, the default) or at its beginning ("beginning":
column t − 1). Life-table/half-cycle or Simpson corrections are cohort concepts and are not
offered; for large N the "end" and "beginning" totals converge to the cohort model's totals
under the same convention.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from socialinvest.engine.markov import PROBABILITY_TOLERANCE, validate_transitions

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
PathArray = npt.NDArray[np.integer[Any]]

SeedLike = int | Sequence[int] | np.random.SeedSequence | np.random.Generator
PathMethod = Literal["beginning", "end"]

# Uniforms processed at once by ``simulate`` (per block of draws): 2**20 float64 = 8 MB, small
# enough to stay in cache, large enough that numpy's per-call overhead does not dominate.
BLOCK_ELEMENTS = 1 << 20

NEVER = -1  # returned by ``consecutive`` and ``first_entry`` when the event never happens


# ------------------------------------------------------------------------- random numbers


def _root_seed(seed: SeedLike) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        # derive a root from the generator's stream (reproducible if the generator is)
        return np.random.SeedSequence([int(x) for x in seed.integers(0, 2**63, size=4)])
    if seed is None or isinstance(seed, bool):
        raise ValueError("give an explicit seed (int, SeedSequence or Generator)")
    return np.random.SeedSequence(seed)


@dataclass(frozen=True)
class RandomStreams:
    """The uniforms u[d, i, t] of ``n_draws`` draws × ``n_individuals`` × (``n_cycles`` + 1),
    generated on demand from a seed (see the module docstring for how the seed is split).

    Draw d of this object is draw ``first_draw + d`` of the run rooted at ``seed``. Build with
    ``random_streams``; chunk with ``draws``. Holding no arrays, it costs no memory: ``simulate``
    regenerates the numbers block by block, identically for every arm.
    """

    seed: np.random.SeedSequence
    n_draws: int
    n_individuals: int
    n_cycles: int
    first_draw: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.seed, np.random.SeedSequence):
            raise ValueError("RandomStreams.seed must be a numpy SeedSequence (random_streams)")
        for name, low in (("n_draws", 1), ("n_individuals", 1), ("n_cycles", 1)):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < low:
                raise ValueError(f"{name} must be an integer of at least {low}, got {value!r}")
        if self.first_draw < 0:
            raise ValueError(f"first_draw must be non-negative, got {self.first_draw}")

    def draw_seed(self, d: int) -> np.random.SeedSequence:
        """The SeedSequence of draw d (0 ≤ d < n_draws) of this object."""
        if not 0 <= d < self.n_draws:
            raise IndexError(f"draw {d} out of range for {self.n_draws} draws")
        root = self.seed
        return np.random.SeedSequence(
            root.entropy,
            spawn_key=(*root.spawn_key, self.first_draw + d),
            pool_size=root.pool_size,
        )

    def fill_block(self, start: int, out: FloatArray) -> None:
        """Write the uniforms of draws start … start + len(out) − 1, cycle-major, into ``out``
        ([B, T + 1, N]: ``out[b, t, i]`` = u[start + b, i, t])."""
        for b in range(out.shape[0]):
            np.random.default_rng(self.draw_seed(start + b)).random(out=out[b])

    def uniforms(self) -> FloatArray:
        """All uniforms as an array [D, N, T + 1] (8 bytes each: for small runs and tests)."""
        block = np.empty((self.n_draws, self.n_cycles + 1, self.n_individuals))
        self.fill_block(0, block)
        return np.ascontiguousarray(block.transpose(0, 2, 1))

    def draws(self, start: int, stop: int) -> RandomStreams:
        """Draws start … stop − 1 as a RandomStreams of their own, with the same numbers."""
        if not 0 <= start < stop <= self.n_draws:
            raise ValueError(f"need 0 ≤ start < stop ≤ {self.n_draws}, got {start}, {stop}")
        return RandomStreams(
            self.seed, stop - start, self.n_individuals, self.n_cycles, self.first_draw + start
        )

    def chunks(self, size: int) -> Iterator[RandomStreams]:
        """Consecutive chunks of at most ``size`` draws covering all draws."""
        if size < 1:
            raise ValueError(f"chunk size must be at least 1, got {size}")
        for start in range(0, self.n_draws, size):
            yield self.draws(start, min(start + size, self.n_draws))


def random_streams(
    seed: SeedLike, n_draws: int, n_individuals: int, n_cycles: int
) -> RandomStreams:
    """The random numbers of a microsimulation, reproducible from ``seed``.

    ``seed``: an int (or sequence of ints) or a ``np.random.SeedSequence`` used as the root; a
    ``np.random.Generator`` gives a root drawn from its stream (reproducible if the generator
    is, but then the numbers depend on what else the generator was used for).
    """
    return RandomStreams(_root_seed(seed), n_draws, n_individuals, n_cycles)


def uniforms(seed: SeedLike, n_draws: int, n_individuals: int, n_cycles: int) -> FloatArray:
    """The uniforms [D, N, T + 1] of ``random_streams(seed, …)`` as an array (u[d, i, t]
    decides column t of individual i's path in draw d). Equivalent to passing the
    ``RandomStreams`` itself to ``simulate``, which is faster and needs no memory for them."""
    return random_streams(seed, n_draws, n_individuals, n_cycles).uniforms()


# ------------------------------------------------------------------------------ simulation


def path_dtype(n_states: int) -> np.dtype[Any]:
    """The dtype of a path array for ``n_states`` states: uint8, int16 or int32."""
    if n_states <= 256:
        return np.dtype(np.uint8)
    if n_states <= 32768:
        return np.dtype(np.int16)
    return np.dtype(np.int32)


def _cumulative(p: FloatArray) -> FloatArray:
    """Cumulative rows for the inverse-CDF rule: exactly 1 from each row's last positive entry
    on (so rounding can neither select a state of probability 0 nor leave the row below 1)."""
    q = np.clip(p, 0.0, 1.0)
    cum = np.cumsum(q, axis=-1)
    n = q.shape[-1]
    last_positive = n - 1 - np.argmax(q[..., ::-1] > 0.0, axis=-1)
    cum[np.arange(n) >= last_positive[..., None]] = 1.0
    return cum


def _draws(what: str, length: int, n_draws: int) -> None:
    if length not in (1, n_draws):
        raise ValueError(f"{what} has {length} draws; the random numbers have {n_draws}")


def simulate(
    transitions: npt.ArrayLike,
    random: RandomStreams | npt.ArrayLike,
    *,
    start_probabilities: npt.ArrayLike | None = None,
    start_states: npt.ArrayLike | None = None,
    time_major: bool = False,
) -> PathArray:
    """State paths [D, N, T + 1] of N individuals over T cycles in D draws ([D, T + 1, N] with
    ``time_major``: each cycle's states of all individuals contiguous, the layout the simulation
    works in, so no transposed copy is made).

    ``transitions``: [D, S, S] or [D, T', S, S] with T' ≥ T (``[:, t - 1]`` is cycle t); a draw
    axis of length 1 is shared. Validated with ``markov.validate_transitions``.
    ``random``: a ``RandomStreams`` or a uniform array [D, N, T + 1] in [0, 1); it sets D, N
    and T. Pass the same one to every arm for common random numbers.
    Exactly one of ``start_probabilities`` [D, S] (shares summing to 1; start state i of draw
    d drawn with u[d, i, 0]) and ``start_states`` [N] or [D, N] (state indices).

    Raises ValueError on invalid matrices, start values, uniforms or mismatched shapes. Draws
    are processed in blocks of about ``BLOCK_ELEMENTS`` uniforms; the only other memory is the
    result, D · N · (T + 1) bytes at uint8. For more draws than fit, chunk over draws (``for
    part in streams.chunks(size)``): each chunk's paths equal those draws of the whole run.
    """
    given = np.asarray(transitions, dtype=np.float64)
    validate_transitions(given)
    n_states = given.shape[-1]

    if isinstance(random, RandomStreams):
        streams: RandomStreams | None = random
        u_array: FloatArray | None = None
        n_draws, n_people, n_cycles = random.n_draws, random.n_individuals, random.n_cycles
    else:
        streams = None
        u_array = np.asarray(random, dtype=np.float64)
        if u_array.ndim != 3 or u_array.shape[-1] < 2 or 0 in u_array.shape:
            raise ValueError(f"uniforms must have shape [D, N, T + 1], T ≥ 1; got {u_array.shape}")
        n_draws, n_people, n_cycles = u_array.shape[0], u_array.shape[1], u_array.shape[2] - 1

    _draws("transitions", given.shape[0], n_draws)
    if given.ndim == 4 and given.shape[1] < n_cycles:
        raise ValueError(
            f"cycle-indexed transitions cover {given.shape[1]} cycles, {n_cycles} are needed"
        )
    cycle_indexed = given.ndim == 4
    cum = _cumulative(given[:, :n_cycles] if cycle_indexed else given[:, None])  # [D', T|1, S, S]

    if (start_probabilities is None) == (start_states is None):
        raise ValueError("give exactly one of start_probabilities and start_states")
    start_cum: FloatArray | None = None
    x0: npt.NDArray[np.intp] | None = None
    if start_probabilities is not None:
        sp = np.asarray(start_probabilities, dtype=np.float64)
        if sp.ndim != 2 or sp.shape[1] != n_states:
            raise ValueError(f"start_probabilities must be [D, {n_states}], got {sp.shape}")
        _draws("start_probabilities", sp.shape[0], n_draws)
        tol = PROBABILITY_TOLERANCE
        if not np.isfinite(sp).all() or (sp < -tol).any() or (sp > 1 + tol).any():
            raise ValueError("start_probabilities must be probabilities in [0, 1]")
        if (np.abs(sp.sum(axis=1) - 1.0) > tol).any():
            raise ValueError("start_probabilities must sum to 1 in every draw (divide counts by N)")
        start_cum = _cumulative(sp)
    else:
        xs = np.asarray(start_states)
        if xs.dtype.kind not in "iu":
            raise ValueError(f"start_states must be integer state indices, got dtype {xs.dtype}")
        if xs.ndim == 1:
            xs = xs[None]
        if xs.ndim != 2 or xs.shape[1] != n_people:
            raise ValueError(f"start_states must be [N] or [D, N] with N = {n_people}")
        _draws("start_states", xs.shape[0], n_draws)
        if xs.size and (xs.min() < 0 or xs.max() >= n_states):
            raise ValueError(f"start_states must lie in 0 … {n_states - 1}")
        x0 = xs.astype(np.intp)

    shape = (n_draws, n_cycles + 1, n_people) if time_major else (n_draws, n_people, n_cycles + 1)
    paths = np.empty(shape, dtype=path_dtype(n_states))
    block = max(1, min(n_draws, BLOCK_ELEMENTS // (n_people * (n_cycles + 1))))
    u_buf = np.empty((block, n_cycles + 1, n_people))
    p_buf = None if time_major else np.empty((block, n_cycles + 1, n_people), dtype=paths.dtype)
    for d0 in range(0, n_draws, block):
        d1 = min(d0 + block, n_draws)
        b = d1 - d0
        u = u_buf[:b]
        if streams is not None:
            streams.fill_block(d0, u)
        else:
            assert u_array is not None
            u[...] = u_array[d0:d1].transpose(0, 2, 1)
            if not ((u >= 0.0) & (u < 1.0)).all():
                raise ValueError(f"uniforms of draws {d0} … {d1 - 1} are not all in [0, 1)")
        out = paths[d0:d1] if p_buf is None else p_buf[:b]

        # start states [b, N]
        if start_cum is not None:
            sc = start_cum if start_cum.shape[0] == 1 else start_cum[d0:d1]
            cur = np.zeros((b, n_people), dtype=np.intp)
            for j in range(n_states - 1):
                cur += sc[:, j, None] <= u[:, 0]
        else:
            assert x0 is not None
            cur = np.array(np.broadcast_to(x0 if x0.shape[0] == 1 else x0[d0:d1], (b, n_people)))
        out[:, 0] = cur

        # cumulative columns of this block: cols[t, j] is column j of every (draw, row), indexed
        # by draw * S + row
        cb = cum if cum.shape[0] == 1 else cum[d0:d1]
        cols = np.ascontiguousarray(cb.transpose(1, 3, 0, 2)).reshape(cb.shape[1], n_states, -1)
        offset = (np.arange(b, dtype=np.intp) * n_states)[:, None] if cb.shape[0] > 1 else 0
        for t in range(1, n_cycles + 1):
            ct = cols[t - 1 if cycle_indexed else 0]
            idx = cur + offset
            ut = u[:, t]
            nxt = np.zeros((b, n_people), dtype=np.intp)
            for j in range(n_states - 1):
                nxt += ct[j].take(idx) <= ut
            cur = nxt
            out[:, t] = cur
        if not time_major:
            paths[d0:d1] = out.transpose(0, 2, 1)
    return paths


# ------------------------------------------------------------------- path-dependent outcomes


def _check_paths(paths: npt.ArrayLike) -> PathArray:
    x = np.asarray(paths)
    if x.dtype.kind not in "iu" or x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"paths must be an integer array [..., T + 1], got {x.dtype} {x.shape}")
    if x.dtype.kind == "i" and x.size and int(x.min()) < 0:
        raise ValueError("paths hold negative state indices")
    return x


def _window(n_columns: int, first: int, last: int | None) -> tuple[int, int]:
    """Inclusive column window [first, last] checked against columns 0 … n_columns − 1."""
    stop = n_columns - 1 if last is None else last
    if not 0 <= first <= stop <= n_columns - 1:
        raise ValueError(
            f"window of columns {first} … {stop} is outside 0 … {n_columns - 1} (empty or too long)"
        )
    return first, stop


def in_states(paths: npt.ArrayLike, states: Sequence[int] | int) -> BoolArray:
    """Mask of the same shape as ``paths``: True where the state is one of ``states``."""
    x = _check_paths(paths)
    wanted = np.atleast_1d(np.asarray(states, dtype=np.int64))
    if wanted.size == 0 or (wanted < 0).any():
        raise ValueError(f"states must be non-empty state indices, got {states!r}")
    size = max(int(x.max(initial=0)), int(wanted.max())) + 1
    lookup = np.zeros(size, dtype=np.bool_)
    lookup[wanted] = True
    return np.asarray(lookup[x], dtype=np.bool_)


def state_at(paths: npt.ArrayLike, column: int) -> PathArray:
    """The state in path column ``column`` (0 = start, t = after cycle t): [...]."""
    x = _check_paths(paths)
    if not 0 <= column < x.shape[-1]:
        raise ValueError(f"column {column} is outside 0 … {x.shape[-1] - 1}")
    return np.asarray(x[..., column])


def occupancy(paths: npt.ArrayLike, n_states: int) -> IntArray:
    """Head counts [D, T + 1, S] per draw, column and state: the microsimulation's trace.
    Divide by N for shares comparable with ``markov.cohort_trace`` of a start distribution."""
    x = _check_paths(paths)
    if x.ndim != 3:
        raise ValueError(f"paths must have shape [D, N, T + 1], got {x.shape}")
    if x.size and (int(x.min()) < 0 or int(x.max()) >= n_states):
        raise ValueError(f"paths hold states outside 0 … {n_states - 1}")
    counts = np.empty((x.shape[0], x.shape[2], n_states), dtype=np.int64)
    for s in range(n_states):
        counts[:, :, s] = (x == s).sum(axis=1)
    return counts


def time_in_states(
    paths: npt.ArrayLike, states: Sequence[int] | int, *, first: int = 1, last: int | None = None
) -> IntArray:
    """Number of path columns first … last (inclusive) in which the individual is in one of
    ``states``: [...] (e.g. [D, N]).

    With the "end" convention column t stands for cycle t, so the defaults (1 … T) count the
    cycles spent in the states, and "weeks 1–156" is ``first=1, last=156``; under the
    "beginning" convention use ``first=0, last=155``.
    """
    mask = in_states(paths, states)
    lo, hi = _window(mask.shape[-1], first, last)
    return np.asarray(mask[..., lo : hi + 1].sum(axis=-1), dtype=np.int64)


def consecutive(
    paths: npt.ArrayLike,
    states: Sequence[int] | int,
    k: int,
    *,
    first: int = 1,
    last: int | None = None,
) -> tuple[BoolArray, IntArray]:
    """Whether an individual spends ``k`` consecutive path columns within first … last in one
    of ``states`` (the states may change within the set), and the column at which the run first
    reaches length k (``NEVER`` = −1 if it does not). Both [...] (e.g. [D, N]).

    Only columns inside the window count: a run that began before ``first`` is counted from
    ``first``. The run then started at column (returned − k + 1).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    mask = in_states(paths, states)
    lo, hi = _window(mask.shape[-1], first, last)
    run = np.zeros(mask.shape[:-1], dtype=np.int64)
    when = np.full(mask.shape[:-1], NEVER, dtype=np.int64)
    for t in range(lo, hi + 1):
        run += 1
        run *= mask[..., t]
        when[(run == k) & (when == NEVER)] = t
    return when != NEVER, when


def first_entry(
    paths: npt.ArrayLike,
    states: Sequence[int] | int,
    *,
    first: int = 0,
    last: int | None = None,
    from_outside: bool = False,
) -> IntArray:
    """The first path column in first … last at which the individual is in one of ``states``,
    or ``NEVER`` (−1): [...].

    With ``from_outside=True`` only a move into the set counts (column t in the set, column
    t − 1 not), so those who start in the set enter when they come back after leaving it.
    """
    mask = in_states(paths, states)
    lo, hi = _window(mask.shape[-1], first, last)
    if from_outside:
        entered = np.zeros_like(mask)
        entered[..., 1:] = mask[..., 1:] & ~mask[..., :-1]
        mask = entered
    window = mask[..., lo : hi + 1]
    hit = window.any(axis=-1)
    return np.where(hit, np.argmax(window, axis=-1) + lo, NEVER).astype(np.int64)


# ---------------------------------------------------------------------------------- rewards


def _cycle_columns(n_cycles: int, method: str) -> range:
    if method == "end":
        return range(1, n_cycles + 1)
    if method == "beginning":
        return range(0, n_cycles)
    raise ValueError(
        f"microsimulation counts a cycle in one state: method must be 'beginning' or 'end', "
        f"got {method!r} (within-cycle corrections are a cohort-model device)"
    )


def _rewards_per_cycle(rewards: npt.ArrayLike, n_draws: int, n_cycles: int) -> FloatArray:
    """[D', S] or [D', T', S] (T' ≥ T) → [D' , T | 1, S]."""
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim == 2:
        r = r[:, None]
    elif r.ndim == 3 and r.shape[1] >= n_cycles:
        r = r[:, :n_cycles]
    else:
        raise ValueError(
            f"state rewards have shape {r.shape}; they must be [D, S] or cover {n_cycles} cycles"
        )
    _draws("state rewards", r.shape[0], n_draws)
    return r


def cycle_rewards(paths: npt.ArrayLike, rewards: npt.ArrayLike, method: PathMethod) -> FloatArray:
    """Reward of each cycle [D, T], summed over the individuals of each draw.

    ``rewards`` as in ``markov.state_rewards``: [D, S] or [D, T, S] (value per cycle spent in
    a state; cycle t at index t − 1). Cycle t is counted in the state of column t ("end") or
    t − 1 ("beginning"). Equal to ``markov.state_rewards`` of the head-count trace
    ``occupancy(paths, S)``; divide by N for the per-person scale of a share trace.
    Undiscounted.
    """
    x = _check_paths(paths)
    if x.ndim != 3:
        raise ValueError(f"paths must have shape [D, N, T + 1], got {x.shape}")
    n_cycles = x.shape[2] - 1
    columns = _cycle_columns(n_cycles, method)
    r = _rewards_per_cycle(rewards, x.shape[0], n_cycles)
    occ = occupancy(x, r.shape[-1])[:, columns.start : columns.stop].astype(np.float64)
    return np.asarray((occ * r).sum(axis=-1), dtype=np.float64)


def individual_rewards(
    paths: npt.ArrayLike,
    rewards: npt.ArrayLike,
    method: PathMethod,
    *,
    weights: npt.ArrayLike | None = None,
) -> FloatArray:
    """Total reward of each individual [D, N]: Σ_t w_t · r(t, state counted for cycle t).

    ``rewards`` as in ``cycle_rewards``; ``weights`` [T] or [D, T] per cycle (e.g.
    ``markov.cycle_discount_weights``), default 1. The mean over individuals equals
    ``cycle_rewards`` weighted and divided by N.
    """
    x = _check_paths(paths)
    if x.ndim != 3:
        raise ValueError(f"paths must have shape [D, N, T + 1], got {x.shape}")
    n_draws, n_people, n_columns = x.shape
    n_cycles = n_columns - 1
    columns = _cycle_columns(n_cycles, method)
    r = _rewards_per_cycle(rewards, n_draws, n_cycles)
    n_states = r.shape[-1]
    if x.size and int(x.max()) >= n_states:
        raise ValueError(f"paths hold states beyond the {n_states} states of the rewards")
    w = np.ones((1, n_cycles)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[None]
    if w.ndim != 2 or w.shape[1] != n_cycles:
        raise ValueError(f"weights must be [T] or [D, T] with T = {n_cycles}, got {w.shape}")
    _draws("weights", w.shape[0], n_draws)
    # weighted reward table per cycle, flattened by (draw, state) for one gather per cycle
    table = np.broadcast_to(r * w[:, :, None], (n_draws, n_cycles, n_states))
    flat = np.ascontiguousarray(table.transpose(1, 0, 2)).reshape(table.shape[1], -1)
    offset = (np.arange(n_draws, dtype=np.intp) * n_states)[:, None]
    total = np.zeros((n_draws, n_people))
    for t, col in enumerate(columns):
        total += flat[t].take(x[:, :, col] + offset)
    return total
