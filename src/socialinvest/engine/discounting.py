"""Discount factors for yearly flows (METHOD.md, "Time and discounting")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def yearly_rates(bands: Sequence[tuple[int, float]], n_years: int) -> FloatArray:
    """The rate r_k for each year k = 0 … n_years-1 from a step schedule.

    ``bands`` are (from_year, rate) pairs: r_k is the rate of the band with the largest
    from_year ≤ k. The Finance Ministry schedule is [(0, 3.5 %), (35, 2.5 %), (70, 1.5 %)]: the
    years from time 0 to time 35 are discounted at 3.5 %, from 35 to 70 at 2.5 %, later at 1.5 %.
    """
    starts = np.array([b[0] for b in bands], dtype=np.int64)
    rates = np.array([b[1] for b in bands], dtype=np.float64)
    k = np.arange(n_years)
    return rates[np.searchsorted(starts, k, side="right") - 1]


def discount_factors(
    bands: Sequence[tuple[int, float]], n_years: int, convention: str = "start"
) -> FloatArray:
    """DF for the flows of analysis years 0 … n_years-1.

    A flow at time t (years after the start) has DF(t) = Π_{k<t} 1/(1+r_k). Under the "start"
    convention a year's flows fall at its start (t = year index, so year 0 is not discounted);
    under "end" at its end (t = year index + 1).
    """
    if convention not in ("start", "end"):
        raise ValueError(f"unknown discounting convention {convention!r}")
    rates = yearly_rates(bands, n_years + 1)
    # cumulative product over k < t of 1/(1+r_k), for t = 0 … n_years
    at_time = np.concatenate(([1.0], np.cumprod(1.0 / (1.0 + rates[:n_years]))))
    offset = 0 if convention == "start" else 1
    return at_time[offset : offset + n_years]
