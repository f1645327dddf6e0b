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


def _first(flags: BoolArray) -> FloatArray:
    """1 at the first True along the last axis, 0 elsewhere."""
    out = np.zeros(flags.shape, dtype=np.float64)
    any_ = np.asarray(flags.any(axis=-1))
    idx = np.asarray(flags.argmax(axis=-1))
    np.put_along_axis(out, idx[..., None], any_[..., None].astype(np.float64), axis=-1)
    return out


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
    n_periods = x.shape[-1]
    w = _window(n_periods, window)
    xw = x & w
    if kind == "time_in":
        out: FloatArray = xw.astype(np.float64) * float(units_per_period)
        return out
    if kind == "entry":
        return _first(xw)
    if kind == "state_at":
        assert at is not None
        out = np.zeros(x.shape)
        if at <= n_periods and w[at - 1]:
            out[..., at - 1] = x[..., at - 1]
        return out
    if kind == "entries":
        before = (
            np.zeros(x.shape[:-1], dtype=bool)
            if in_states_before is None
            else np.asarray(in_states_before, dtype=bool)
        )
        previous = np.concatenate([before[..., None], x[..., :-1]], axis=-1)
        out = (xw & ~previous).astype(np.float64)
        return out
    if kind == "sustained":
        assert k is not None
        run = np.zeros(x.shape[:-1], dtype=np.int64)
        reached = np.zeros(x.shape, dtype=bool)
        for t in range(n_periods):
            run = np.where(xw[..., t], run + 1, 0)
            reached[..., t] = run == k
        return _first(reached)
    raise ValueError(f"unknown metric kind {kind!r}")


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
    ok = np.asarray(succeeded, dtype=bool)
    start = np.asarray(start_period, dtype=np.float64)
    if exit_per_period >= 1:
        length = np.ones(ok.shape)  # leaves again after one period
    elif exit_per_period > 0:
        u = 1.0 - rng.random(ok.shape)  # (0, 1]
        length = np.floor(np.log(u) / np.log1p(-exit_per_period)) + 1.0
    else:
        length = np.full(ok.shape, np.inf)
    start = np.where(ok, start, np.inf)
    t = np.arange(n_periods, dtype=np.float64)
    out: BoolArray = (t >= start[..., None]) & (t < (start + length)[..., None])
    return out
