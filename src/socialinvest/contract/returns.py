"""Investor returns on cash flows per draw (METHOD.md §4, "Per party").

Flows are [D, T] (draw axis first), positive = the investor receives. The IRR solves
Σ_t f_t (1 + r)^(−τ_t) = 0, with τ_t in periods (``periodic_irr``, r per period) or in years of
365 days from the first date (``xirr``, r a year, the spreadsheet XIRR convention).

The solver works on x = ln(1 + r) and scales the sum by a positive factor so that no power
overflows. It evaluates the NPV on a grid of x in [−500, 500] (r from −100 % to about 10^217),
dense near 0, takes the grid cell nearest r = 0 in which the NPV changes sign, and refines it with
a Newton step where that stays inside the bracket, a bisection otherwise (and every eighth step),
for all draws at once.

**The IRR is NaN** when the flows do not change sign (all ≥ 0 or all ≤ 0, e.g. capital never
drawn, or a total loss) or when the NPV changes sign nowhere on the grid. Flows with several sign
changes may have several IRRs; the one nearest 0 is returned (as numpy-financial does). For a
decision on a target return, ``probability_of_target`` uses the NPV at the target rate instead,
which needs no IRR.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_X_BRACKET = 500.0
_TOL = 1e-12
_MAX_ITER = 300


def year_fractions(dates: Sequence[dt.date] | npt.NDArray[np.datetime64]) -> FloatArray:
    """[T] years (of 365 days) from the first date."""
    days = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    out: FloatArray = (days - days[0]) / 365.0
    return out


def period_dates(start: dt.date, n_periods: int, months_per_period: int) -> list[dt.date]:
    """The dates of periods 0 … n−1 that start at ``start`` and last whole months each
    (1 = monthly, 3 = quarterly, 12 = yearly); a day past a month's end falls on its last day."""
    out = []
    for p in range(n_periods):
        months = start.month - 1 + p * months_per_period
        year, month = start.year + months // 12, months % 12 + 1
        next_first = dt.date(year + month // 12, month % 12 + 1, 1)
        last_day = (next_first - dt.timedelta(days=1)).day
        out.append(dt.date(year, month, min(start.day, last_day)))
    return out


def contract_dates(start: dt.date, n: int, period: str) -> list[dt.date]:
    """The date each of n contract periods (week, month, quarter or year) starts."""
    if period == "week":
        return [start + dt.timedelta(weeks=p) for p in range(n)]
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    return period_dates(start, n, months)


def _scaled_npv(flows: FloatArray, tau: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """h(x) = e^(−m) Σ f_t e^(−x τ_t) and h'(x), with m = max_t(−x τ_t) so no term overflows.

    The positive factor e^(−m) keeps the sign and the roots of the NPV.
    """
    minus_x = -x
    expo = minus_x[:, None] * tau[None, :]  # [D, T]
    # m = −x τ_min for x ≥ 0 and −x τ_max for x < 0, so dm/dx = −τ_ref; (−x)·τ is monotone in
    # τ, so this is the row maximum of expo itself (the same product, no pass over [D, T])
    tau_ref = np.where(x >= 0, tau.min(), tau.max())
    m = minus_x * tau_ref
    # w = flows · e^(expo − m), then Σ w and Σ w (τ_ref − τ), in place (fewer [D, T] arrays)
    np.subtract(expo, m[:, None], out=expo)
    np.exp(expo, out=expo)
    w = np.multiply(flows, expo, out=expo)
    h = w.sum(axis=1)
    lever = np.subtract(tau_ref[:, None], tau[None, :])
    np.multiply(w, lever, out=lever)
    dh = lever.sum(axis=1)
    return h, dh


def _grid() -> FloatArray:
    """Points in x = ln(1 + r), dense near 0: 0, ±1e-4 · 1.25^k up to ±500."""
    steps = 1e-4 * 1.25 ** np.arange(int(np.log(_X_BRACKET / 1e-4) / np.log(1.25)) + 1)
    half = np.append(steps[steps < _X_BRACKET], _X_BRACKET)
    out: FloatArray = np.concatenate((-half[::-1], [0.0], half))
    return out


_GRID = _grid()


def irr_on_times(flows: FloatArray, tau: FloatArray) -> FloatArray:
    """[D] the rate r per unit of τ with Σ_t f_t (1 + r)^(−τ_t) = 0; NaN where undefined.

    The NPV is evaluated on a grid of rates; of the grid cells in which it changes sign, the
    cell nearest to r = 0 is refined, so with several roots the one nearest 0 is returned (as
    numpy-financial's ``irr`` does), up to roots closer together than one grid cell.
    """
    f = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    tau = np.asarray(tau, dtype=np.float64)
    if f.shape[1] != tau.shape[0]:
        raise ValueError(f"flows [D, {f.shape[1]}] and times [{tau.shape[0]}] do not match")
    d = f.shape[0]
    g = _GRID.shape[0]
    # The scaling of _scaled_npv depends on x only, so the whole grid is one matrix product.
    expo = -np.outer(tau, _GRID)  # [T, G]
    h_grid = f @ np.exp(expo - expo.max(axis=0)[None, :])  # [D, G]
    sign = np.sign(h_grid)
    distance = np.abs(np.expm1(_GRID))  # [G] |r| at each grid point
    cell = np.minimum(distance[:-1], distance[1:])
    cost_cell = np.where(sign[:, :-1] * sign[:, 1:] < 0, cell[None, :], np.inf)  # [D, G−1]
    cost_zero = np.where(sign == 0, distance[None, :], np.inf)  # [D, G] a grid point is a root
    best_cell = cost_cell.argmin(axis=1)
    best_zero = cost_zero.argmin(axis=1)
    rows = np.arange(d)
    has_cell = np.isfinite(cost_cell[rows, best_cell])
    at_zero = np.isfinite(cost_zero[rows, best_zero]) & (
        cost_zero[rows, best_zero] <= np.where(has_cell, cost_cell[rows, best_cell], np.inf)
    )
    changes_sign = np.any(f > 0, axis=1) & np.any(f < 0, axis=1) & (has_cell | at_zero)

    lo = _GRID[np.minimum(best_cell, g - 2)]
    hi = _GRID[np.minimum(best_cell, g - 2) + 1]
    h_lo = h_grid[rows, np.minimum(best_cell, g - 2)]
    x = np.where(at_zero, _GRID[best_zero], 0.5 * (lo + hi))
    active = changes_sign & ~at_zero
    for it in range(_MAX_ITER):
        if not active.any():
            break
        h, dh = _scaled_npv(f[active], tau, x[active])
        a, b, fa = lo[active], hi[active], h_lo[active]
        xa = x[active]
        same = np.sign(h) == np.sign(fa)
        a = np.where(same, xa, a)
        fa = np.where(same, h, fa)
        b = np.where(same, b, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - h / dh
        use_newton = np.isfinite(newton) & (newton > a) & (newton < b) & (it % 8 != 7)
        x_new = np.where(use_newton, newton, 0.5 * (a + b))
        done = (h == 0) | (np.abs(x_new - xa) <= _TOL * (1.0 + np.abs(xa))) | (b - a <= _TOL)
        x_new = np.where(h == 0, xa, x_new)
        lo[active], hi[active], h_lo[active], x[active] = a, b, fa, x_new
        idx = np.flatnonzero(active)
        active[idx[done]] = False
    out: FloatArray = np.where(changes_sign, np.expm1(x), np.nan)
    return out


def periodic_irr(flows: FloatArray) -> FloatArray:
    """[D] IRR per period of flows [D, T] at periods 0 … T−1; NaN where undefined."""
    f = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    return irr_on_times(f, np.arange(f.shape[1], dtype=np.float64))


def xirr(flows: FloatArray, dates: Sequence[dt.date] | npt.NDArray[np.datetime64]) -> FloatArray:
    """[D] IRR a year of flows [D, T] on actual dates [T] (365-day years); NaN where undefined."""
    return irr_on_times(flows, year_fractions(dates))


def npv_at(flows: FloatArray, rate: float, tau: FloatArray) -> FloatArray:
    """[D] Σ_t f_t (1 + rate)^(−τ_t)."""
    f = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    out: FloatArray = f @ ((1.0 + rate) ** -np.asarray(tau, dtype=np.float64))
    return out


def money_multiple(flows: FloatArray) -> FloatArray:
    """[D] all received / all paid in; NaN where nothing was paid in."""
    f = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    paid_in = -np.minimum(f, 0.0).sum(axis=1)
    received = np.maximum(f, 0.0).sum(axis=1)
    out: FloatArray = np.divide(
        received, paid_in, out=np.full_like(received, np.nan), where=paid_in > 0
    )
    return out


def peak_capital_at_risk(flows: FloatArray) -> FloatArray:
    """[D] the largest net amount invested at any time: max_t −Σ_{τ≤t} f_τ, at least 0."""
    f = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    out: FloatArray = np.maximum((-np.cumsum(f, axis=1)).max(axis=1), 0.0)
    return out


def is_loss(flows: FloatArray) -> BoolArray:
    """[D] the investor gets back less than it paid in (undiscounted)."""
    f = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    out: BoolArray = f.sum(axis=1) < -1e-9 * (np.abs(f).sum(axis=1) + 1.0)
    return out


def probability_of_loss(flows: FloatArray) -> float:
    """Share of the draws in which the investor gets back less than it paid in."""
    return float(is_loss(flows).mean())


def reaches_target(flows: FloatArray, target_rate: float, tau: FloatArray) -> BoolArray:
    """[D] capital was paid in and the NPV at ``target_rate`` (per unit of τ) is ≥ 0.

    For conventional flows (out, then in) this is IRR ≥ target; it is defined also where the IRR
    is not (a total loss does not reach it; capital never drawn does not count as reaching it).
    """
    f = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    invested = np.any(f < 0, axis=1)
    npv = npv_at(f, target_rate, tau)
    out: BoolArray = invested & (npv >= -1e-9 * (np.abs(f).sum(axis=1) + 1.0))
    return out


def probability_of_target(flows: FloatArray, target_rate: float, tau: FloatArray) -> float:
    """Share of the draws that reach ``target_rate`` (see ``reaches_target``).

    tau: periods 0 … T−1 for a rate per period, or ``year_fractions(dates)`` for a yearly rate.
    """
    return float(reaches_target(flows, target_rate, tau).mean())
