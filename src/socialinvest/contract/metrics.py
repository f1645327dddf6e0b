"""Outcome metrics on individual trajectories, period by period (METHOD.md §4, "Outcome metrics").

A trajectory is a boolean array ``in_states`` [D, N, T]: whether participant n of draw d is in the
metric's states in period t **after its own intake** (t = 0 is the first period). Every metric
turns it into the number of outcomes (or units) each participant achieves in each period, still
relative to intake; :func:`to_calendar` then moves each participant to the contract's calendar.

    entry       1 in the first period in the states (once per person)
    sustained   1 in the period a person completes k periods in a row in the states (once)
    state_at    1 in period ``at`` (1-based) if the person is in the states then (once)
    time_in     units_per_period in every period in the states (a duration, e.g. weeks in job)
    entries     1 in every period a person moves into the states (events that repeat)

A ``window`` (first, last periods after intake, 1-based) restricts what counts: runs for
``sustained`` count only periods inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _window(n_periods: int, window: tuple[int, int] | None) -> BoolArray:
    mask = np.zeros(n_periods, dtype=bool)
    if window is None:
        mask[:] = True
    else:
        mask[window[0] - 1 : window[1]] = True
    return mask


def first_true(flags: BoolArray) -> npt.NDArray[np.int32]:
    """The first period with a True in time-major flags [D, T, N], −1 where there is none
    ([D, N]): the number of periods from the first True on, counted in one pass per period
    over contiguous rows (numpy's argmax over a middle axis copies the array)."""
    d, h, n = flags.shape
    if h == 0:
        return np.full((d, n), -1, dtype=np.int32)
    seen = flags[:, 0].copy()
    count = seen.astype(np.int32)
    for t in range(1, h):
        seen |= flags[:, t]
        count += seen
    out: npt.NDArray[np.int32] = np.where(count > 0, h - count, -1).astype(np.int32)
    return out


def _all_of_last(flags: BoolArray, k: int) -> BoolArray:
    """Time-major [D, T, N]: True at t where flags[t − k + 1 … t] are all True (False for
    t < k − 1), in about log2(k) passes: with y_L the AND of the last L periods,
    y_(L+s)[t] = y_L[t] & y_L[t − s] for s ≤ L (the two windows overlap or touch)."""
    y = flags
    length = 1
    while length < k:
        step = min(length, k - length)
        nxt = np.zeros_like(y)
        if step < y.shape[1]:
            np.logical_and(y[:, step:], y[:, :-step], out=nxt[:, step:])
        y = nxt
        length += step
    return y


@dataclass(frozen=True)
class Events:
    """A metric's outcomes per participant in compact form, in periods after intake.

    ``once`` [D, N]: the period of the single outcome of an ``entry``, ``sustained`` or
    ``state_at`` metric (−1: none); ``flags`` [D, T, N] (time-major): the periods with an
    outcome of a ``time_in`` or ``entries`` metric, each worth ``units``. Exactly one of the
    two is set.
    """

    n_periods: int
    once: npt.NDArray[np.int32] | None = None
    flags: BoolArray | None = None
    units: float = 1.0

    def dense(self) -> FloatArray:
        """The outcomes as numbers [D, N, T] (what :func:`metric_counts` returns)."""
        if self.flags is not None:
            person_major = np.ascontiguousarray(self.flags.transpose(0, 2, 1))
            if self.units == 1.0:
                out: FloatArray = person_major.astype(np.float64)
                return out
            out = person_major.astype(np.float64) * float(self.units)
            return out
        assert self.once is not None
        out = np.zeros((*self.once.shape, self.n_periods))
        d, n = np.nonzero(self.once >= 0)
        out[d, n, self.once[d, n]] = 1.0
        return out


def metric_events(
    in_states: BoolArray,
    kind: str,
    *,
    k: int | None = None,
    at: int | None = None,
    window: tuple[int, int] | None = None,
    units_per_period: float = 1.0,
    in_states_before: BoolArray | None = None,
) -> Events:
    """Outcomes per participant and period after intake (see :func:`metric_counts`), compact:
    one period index per person for the metrics that count once, booleans for the others.

    ``in_states`` is **time-major** [D, T, N] here (each period's people contiguous, so every
    step is a pass over long rows); ``in_states_before`` [D, N].
    """
    x = np.asarray(in_states, dtype=bool)
    n_periods = x.shape[1]
    if window is None:
        xw = x
    else:
        w = _window(n_periods, window)
        xw = x & w[None, :, None]
    if kind == "time_in":
        return Events(n_periods, flags=xw, units=float(units_per_period))
    if kind == "entry":
        return Events(n_periods, once=first_true(xw))
    if kind == "state_at":
        assert at is not None
        inside = window is None or window[0] <= at <= window[1]
        if at <= n_periods and inside:
            once = np.where(x[:, at - 1], np.int32(at - 1), np.int32(-1)).astype(np.int32)
        else:
            once = np.full((x.shape[0], x.shape[2]), -1, dtype=np.int32)
        return Events(n_periods, once=once)
    if kind == "entries":
        out = xw.copy()
        np.logical_and(out[:, 1:], ~x[:, :-1], out=out[:, 1:])
        if in_states_before is not None:
            out[:, 0] &= ~np.asarray(in_states_before, dtype=bool)
        return Events(n_periods, flags=out)
    if kind == "sustained":
        assert k is not None
        return Events(n_periods, once=first_true(_all_of_last(xw, k)))
    raise ValueError(f"unknown metric kind {kind!r}")


def metric_counts(
    in_states: BoolArray,
    kind: str,
    *,
    k: int | None = None,
    at: int | None = None,
    window: tuple[int, int] | None = None,
    units_per_period: float = 1.0,
    in_states_before: BoolArray | None = None,
) -> FloatArray:
    """Outcomes [D, N, T] per participant and period after intake.

    ``in_states_before`` [D, N]: whether each person was in the states at intake (before period
    0); only ``entries`` uses it (being there already is no entry). Default: nobody was.
    """
    x = np.asarray(in_states, dtype=bool)
    return metric_events(
        np.ascontiguousarray(x.transpose(0, 2, 1)),
        kind,
        k=k,
        at=at,
        window=window,
        units_per_period=units_per_period,
        in_states_before=in_states_before,
    ).dense()


def to_calendar(relative: FloatArray, offsets: IntArray, n_periods: int) -> FloatArray:
    """Move each participant's periods after intake [D, N, T'] to contract periods [D, N, T]:
    participant n's period t after intake is contract period offsets[n] + t; what falls after
    the contract's last period is dropped."""
    rel = np.asarray(relative, dtype=np.float64)
    d, n, t_rel = rel.shape
    out = np.zeros((d, n, n_periods))
    offsets = np.asarray(offsets, dtype=np.int64)
    for off in np.unique(offsets):
        idx = np.flatnonzero(offsets == off)
        length = max(0, min(t_rel, n_periods - int(off)))
        if length:
            out[:, idx, int(off) : int(off) + length] = rel[:, idx, :length]
    return out


def success_intervals(
    succeeded: BoolArray,
    start_period: IntArray | FloatArray,
    exit_per_period: float,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """The periods after intake [first, end) [D, N] a person who ``succeeded`` spends in the
    success state: from ``start_period`` until it leaves again, with chance ``exit_per_period``
    in each later period (0: never; end = inf). Who did not succeed has first = end = inf."""
    ok = np.asarray(succeeded, dtype=bool)
    start = np.asarray(start_period, dtype=np.float64)
    if exit_per_period >= 1:
        length = np.ones(ok.shape)  # leaves again after one period
    elif exit_per_period > 0:
        u = 1.0 - rng.random(ok.shape)  # (0, 1]
        length = np.floor(np.log(u) / np.log1p(-exit_per_period)) + 1.0
    else:
        length = np.full(ok.shape, np.inf)
    first = np.where(ok, start, np.inf)
    end: FloatArray = first + length
    return first, end


def success_trajectories(
    succeeded: BoolArray,
    start_period: IntArray | FloatArray,
    n_periods: int,
    exit_per_period: float,
    rng: np.random.Generator,
) -> BoolArray:
    """Trajectories [D, N, T] of a success-rate case: a person who ``succeeded`` [D, N] is in
    the success state from period ``start_period[d, n]`` after intake until it leaves again, with
    chance ``exit_per_period`` in each later period (0: never)."""
    first, end = success_intervals(succeeded, start_period, exit_per_period, rng)
    t = np.arange(n_periods, dtype=np.float64)
    out: BoolArray = (t >= first[..., None]) & (t < end[..., None])
    return out
