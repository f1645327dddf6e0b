"""From yearly cash flows to the figures a council asks for (METHOD.md §1, outputs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from socialinvest.engine.success_rate import Flows

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NO_BREAK_EVEN = -1
# Cumulative results within this many kroner of zero count as break-even (rounding noise).
_BREAK_EVEN_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Appraisal:
    """Appraisal of one run. Shapes: D draws, A actors, R areas, Y years."""

    discount_gains: FloatArray  # [Y] (or [D, Y])
    discount_costs: FloatArray  # [Y] (or [D, Y])
    net: FloatArray  # [D, A, R, Y] gains − costs, undiscounted
    discounted_net: FloatArray  # [D, A, R, Y]
    discounted_gains: FloatArray  # [D, A] over areas and years
    discounted_costs: FloatArray  # [D, A]
    npv: FloatArray  # [D, A]
    npv_total: FloatArray  # [D]
    cumulative: FloatArray  # [D, A, Y] cumulative discounted net per actor
    cumulative_total: FloatArray  # [D, Y]
    break_even: IntArray  # [D, A] year index, NO_BREAK_EVEN if none
    break_even_total: IntArray  # [D]
    return_per_krone: FloatArray  # [D, A] discounted gains / discounted costs (nan: no costs)
    return_per_krone_total: FloatArray  # [D]
    cost_per_success: FloatArray  # [D] discounted costs / additional successes (nan: none)
    break_even_effect: FloatArray  # [D, A] Δs at which the actor's NPV is 0 (nan: never)
    break_even_effect_total: FloatArray  # [D]


def break_even_index(cumulative: FloatArray) -> IntArray:
    """First year index from which the cumulative series stays ≥ 0 (last axis); −1 if none."""
    ok = cumulative >= -_BREAK_EVEN_TOLERANCE
    # stays_ok[..., y] is True when every year from y to the end is ok
    stays_ok = np.flip(np.logical_and.accumulate(np.flip(ok, axis=-1), axis=-1), axis=-1)
    first = np.argmax(stays_ok, axis=-1)
    return np.where(stays_ok[..., -1], first, NO_BREAK_EVEN).astype(np.int64)


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def _break_even_effect(costs: FloatArray, gains_per_effect: FloatArray) -> FloatArray:
    """Δs* with Δs* · G = C: C / G when G > 0; 0 when there is nothing to pay back; else nan."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        solved = costs / np.where(gains_per_effect > 0, gains_per_effect, 1.0)
    return np.where(costs <= 0, 0.0, np.where(gains_per_effect > 0, solved, np.nan))


def appraise_flows(
    flows: Flows, discount_gains: FloatArray, discount_costs: FloatArray
) -> Appraisal:
    """Discount, sum and derive break-even figures for every draw at once."""
    dg = discount_gains if discount_gains.ndim == 1 else discount_gains[:, None, None, :]
    dc = discount_costs if discount_costs.ndim == 1 else discount_costs[:, None, None, :]
    gains_d = flows.gains * dg
    costs_d = flows.costs * dc
    discounted_net = gains_d - costs_d
    disc_gains = gains_d.sum(axis=(2, 3))
    disc_costs = costs_d.sum(axis=(2, 3))
    npv = disc_gains - disc_costs
    yearly_actor = discounted_net.sum(axis=2)  # [D, A, Y]
    cumulative = np.cumsum(yearly_actor, axis=-1)
    cumulative_total = cumulative.sum(axis=1)
    gains_per_effect_d = (flows.gains_per_effect * dg).sum(axis=(2, 3))  # [D, A]
    total_costs = disc_costs.sum(axis=1)
    return Appraisal(
        discount_gains=discount_gains,
        discount_costs=discount_costs,
        net=flows.gains - flows.costs,
        discounted_net=discounted_net,
        discounted_gains=disc_gains,
        discounted_costs=disc_costs,
        npv=npv,
        npv_total=npv.sum(axis=1),
        cumulative=cumulative,
        cumulative_total=cumulative_total,
        break_even=break_even_index(cumulative),
        break_even_total=break_even_index(cumulative_total),
        return_per_krone=_ratio(disc_gains, disc_costs),
        return_per_krone_total=_ratio(disc_gains.sum(axis=1), total_costs),
        cost_per_success=_ratio(total_costs, flows.additional_successes),
        break_even_effect=_break_even_effect(disc_costs, gains_per_effect_d),
        break_even_effect_total=_break_even_effect(total_costs, gains_per_effect_d.sum(axis=1)),
    )
