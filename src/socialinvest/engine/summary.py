"""Summaries of many draws that stay small whatever the number of draws.

The engine's arrays per chunk are [draw, actor, area, year]; a run with a million draws cannot keep
them all. A chunk is reduced to sums of the large arrays (for their means) and to the per-draw
figures that are scalars per actor (NPV, break-even year, ...), which are kept for every draw so
that quantiles and probabilities are exact.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from socialinvest.engine.appraisal import Appraisal, break_even_index
from socialinvest.engine.success_rate import Flows

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Summary:
    """Means of the yearly arrays and per-draw key figures. D draws, A actors, R areas, Y years."""

    draws: int
    gains_mean: FloatArray  # [A, R, Y]
    costs_mean: FloatArray  # [A, R, Y]
    discounted_net_mean: FloatArray  # [A, R, Y]
    discount_gains: FloatArray  # [Y]
    discount_costs: FloatArray  # [Y]
    active: BoolArray  # [A, R] any gain or cost in any draw
    npv: FloatArray  # [D, A]
    discounted_gains: FloatArray  # [D, A]
    discounted_costs: FloatArray  # [D, A]
    gains_per_effect: FloatArray  # [D, A] discounted gains per unit of additional success rate
    break_even: IntArray  # [D, A] year index or −1
    break_even_total: IntArray  # [D]
    additional_successes: FloatArray  # [D]
    baseline: FloatArray  # [D] success rate without the intervention (0 for an absolute effect)
    effect: FloatArray  # [D] additional success rate Δs

    @property
    def cumulative_mean(self) -> FloatArray:
        """[A, Y] mean cumulative discounted net result per actor."""
        out: FloatArray = np.cumsum(self.discounted_net_mean.sum(axis=1), axis=-1)
        return out

    @property
    def npv_total(self) -> FloatArray:
        out: FloatArray = self.npv.sum(axis=1)
        return out


def summarise(
    flows: Flows, appraisal: Appraisal, baseline: FloatArray, effect: FloatArray
) -> Summary:
    """The summary of one chunk of draws."""
    n = flows.gains.shape[0]
    gains_per_effect = (
        flows.gains_per_effect
        * (
            appraisal.discount_gains
            if appraisal.discount_gains.ndim == 1
            else appraisal.discount_gains[:, None, None, :]
        )
    ).sum(axis=(2, 3))
    return Summary(
        draws=n,
        gains_mean=flows.gains.mean(axis=0),
        costs_mean=flows.costs.mean(axis=0),
        discounted_net_mean=appraisal.discounted_net.mean(axis=0),
        discount_gains=np.asarray(appraisal.discount_gains),
        discount_costs=np.asarray(appraisal.discount_costs),
        active=(np.abs(flows.gains).sum(axis=(0, 3)) + np.abs(flows.costs).sum(axis=(0, 3))) > 0,
        npv=appraisal.npv,
        discounted_gains=appraisal.discounted_gains,
        discounted_costs=appraisal.discounted_costs,
        gains_per_effect=gains_per_effect,
        break_even=appraisal.break_even,
        break_even_total=appraisal.break_even_total,
        additional_successes=flows.additional_successes,
        baseline=np.broadcast_to(baseline, (n,)).astype(np.float64),
        effect=np.broadcast_to(effect, (n,)).astype(np.float64),
    )


#: The Summary's per-draw figures (a leading draw axis): concatenated when chunks are combined.
PER_DRAW = (
    "npv",
    "discounted_gains",
    "discounted_costs",
    "gains_per_effect",
    "break_even",
    "break_even_total",
    "additional_successes",
    "baseline",
    "effect",
)


def combine(parts: list[Summary]) -> Summary:
    """One summary of several chunks (in order): weighted means, concatenated per-draw figures."""
    if len(parts) == 1:
        return parts[0]
    total = sum(p.draws for p in parts)

    def mean(name: str) -> FloatArray:
        return np.asarray(sum(getattr(p, name) * (p.draws / total) for p in parts))

    first = parts[0]
    return Summary(
        draws=total,
        gains_mean=mean("gains_mean"),
        costs_mean=mean("costs_mean"),
        discounted_net_mean=mean("discounted_net_mean"),
        discount_gains=first.discount_gains,
        discount_costs=first.discount_costs,
        active=np.logical_or.reduce([p.active for p in parts]),
        **{name: joined([getattr(p, name) for p in parts]) for name in PER_DRAW},
    )


def joined(arrays: list[npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """The arrays concatenated along their first axis. Arrays that already lie one after the
    other in one array mapped from shared memory (consecutive row ranges of it: a run's chunks
    as the workers of a local cluster wrote them, socialinvest.scale) are given back as that
    range of rows, without a copy; any others are copied, as ``np.concatenate`` does."""
    first = arrays[0]
    whole = first.base
    if (
        isinstance(whole, np.ndarray)
        and isinstance(whole.base, mmap.mmap)
        and whole.ndim == first.ndim
        and whole.flags.c_contiguous
        and whole.size  # rows of no cells are contiguous in any order: their count decides
    ):
        row = whole.strides[0] if whole.shape[0] else 0
        at = whole.__array_interface__["data"][0]
        start = first.__array_interface__["data"][0] - at
        rows = 0
        for a in arrays:
            if not (
                a.base is whole
                and a.flags.c_contiguous
                and a.dtype == whole.dtype
                and a.shape[1:] == whole.shape[1:]
                and a.__array_interface__["data"][0] - at == start + rows * row
            ):
                break
            rows += a.shape[0]
        else:
            if row and start % row == 0:
                return whole[start // row : start // row + rows]
    return np.concatenate(arrays, axis=0)


def zero_summary(n: int, n_actors: int, n_areas: int, n_years: int) -> Summary:
    """The summary of ``n`` draws without any budget flow (break-even in the first year)."""
    zeros = np.zeros((n_actors, n_areas, n_years))
    return Summary(
        draws=n,
        gains_mean=zeros,
        costs_mean=zeros,
        discounted_net_mean=zeros,
        discount_gains=np.ones(n_years),
        discount_costs=np.ones(n_years),
        active=np.zeros((n_actors, n_areas), dtype=bool),
        npv=np.zeros((n, n_actors)),
        discounted_gains=np.zeros((n, n_actors)),
        discounted_costs=np.zeros((n, n_actors)),
        gains_per_effect=np.zeros((n, n_actors)),
        break_even=np.zeros((n, n_actors), dtype=np.int64),
        break_even_total=np.zeros(n, dtype=np.int64),
        additional_successes=np.zeros(n),
        baseline=np.zeros(n),
        effect=np.zeros(n),
    )


def expand_areas(summary: Summary, area_index: list[int], n_areas: int = 8) -> Summary:
    """The summary with its area axis expanded from the areas computed (positions
    ``area_index`` of the full list of ``n_areas``) to all areas (zeros elsewhere)."""
    if len(area_index) == n_areas and area_index == list(range(n_areas)):
        return summary

    def expand(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        shape = (values.shape[0], n_areas, *values.shape[2:])
        full = np.zeros(shape, dtype=values.dtype)
        full[:, area_index] = values
        return full

    return replace(
        summary,
        gains_mean=expand(summary.gains_mean),
        costs_mean=expand(summary.costs_mean),
        discounted_net_mean=expand(summary.discounted_net_mean),
        active=expand(summary.active),
    )


def mean_break_even(summary: Summary) -> tuple[int, IntArray]:
    """Break-even year index of the mean cumulative curve: total and per actor."""
    cumulative = summary.cumulative_mean
    return int(break_even_index(cumulative.sum(axis=0))), break_even_index(cumulative)
