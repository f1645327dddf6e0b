"""SØM's success-rate model (METHOD.md §1): successes → units of activity → priced cash flows.

Every gain is linear in the additional success rate Δs, so the model computes the flows for
Δs = 1 (``gains_per_effect``) once and scales them; the break-even success rate follows from the
same arrays without a second run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SuccessRateInputs:
    """Arrays for one run; D = draws, C = cohorts, L = timing lags, K = consequences,
    J = profile years, A = actors, R = areas, P = participant cost items, S = schedule years,
    Y = analysis years."""

    n_years: int
    n_areas: int
    cohort_year: IntArray  # [C] year index at which each cohort starts
    intake: FloatArray  # [D, C] participants
    effect: FloatArray  # [D] additional success rate Δs = s_I − s_0 (or the absolute effect)
    effect_factor: FloatArray  # [D] (1 − attribution) · (1 − optimism haircut on effects)
    timing: FloatArray  # [D, L] share of a cohort's successes in year ℓ after intake
    profiles: FloatArray  # [D, K, J] change in units per additional success, year j after success
    drop_off: FloatArray  # [D] yearly fall of the consequences after their first year
    unit_prices: FloatArray  # [D, K, A] public cost per unit borne by each actor (revenue < 0)
    consequence_area: IntArray  # [K] area index of each consequence
    participant_amount: FloatArray  # [D, P] amount per participant of each cost item
    participant_schedule: FloatArray  # [P, S] share of that amount paid in year s after intake
    participant_actor: IntArray  # [P]
    participant_area: IntArray  # [P]
    other_costs: FloatArray  # [D, A, R, Y] fixed and one-off costs, already placed in years
    cost_uplift: FloatArray  # [D] 1 + optimism bias on costs


@dataclass(frozen=True)
class Flows:
    """Yearly cash flows per actor and area (undiscounted), and the activity behind them."""

    gains: FloatArray  # [D, A, R, Y] budget gains (positive = the public sector spends less)
    gains_per_effect: FloatArray  # [D, A, R, Y] the same for Δs = 1
    costs: FloatArray  # [D, A, R, Y] intervention costs (positive = spending)
    successes: FloatArray  # [D, Y] additional successes reached in each year
    units: FloatArray  # [D, K, Y] change in units of each consequence in each year
    additional_successes: FloatArray  # [D] all additional successes of all cohorts


def _place_by_cohort(
    per_cohort: FloatArray, shares: FloatArray, cohort_year: IntArray, n_years: int
) -> FloatArray:
    """Σ_c per_cohort[..., c] · shares[..., s] placed at year cohort_year[c] + s.

    per_cohort: [D, C]; shares: [D or 1, X, S] → result [D, X, n_years].
    """
    d = per_cohort.shape[0]
    out = np.zeros((d, shares.shape[1], n_years))
    for c, start in enumerate(cohort_year.tolist()):
        width = min(shares.shape[2], n_years - start)
        if width > 0:
            out[:, :, start : start + width] += per_cohort[:, c, None, None] * shares[:, :, :width]
    return out


def success_rate_flows(inp: SuccessRateInputs) -> Flows:
    """Cash flows of the success-rate model for every draw at once."""
    n_years = inp.n_years
    # additional successes per unit of Δs, per cohort: n_c · f
    successes_per_effect = inp.intake * inp.effect_factor[:, None]  # [D, C]
    timed = _place_by_cohort(successes_per_effect, inp.timing[:, None, :], inp.cohort_year, n_years)
    successes_unit = timed[:, 0, :]  # [D, Y]

    # units of each consequence per year: convolution of successes with the (dropping) profile
    n_profile = inp.profiles.shape[2]
    decay = (1.0 - inp.drop_off)[:, None] ** np.arange(n_profile)[None, :]  # [D, J]
    profile = inp.profiles * decay[:, None, :]  # [D, K, J]
    units_unit = np.zeros((successes_unit.shape[0], profile.shape[1], n_years))
    for j in range(min(n_profile, n_years)):
        units_unit[:, :, j:] += successes_unit[:, None, : n_years - j] * profile[:, :, j, None]

    area_onehot = np.eye(inp.n_areas)[inp.consequence_area]  # [K, R]
    # gain = −(change in units) · (cost per unit) for each actor, summed into areas
    gains_unit = -np.einsum("dky,dka,kr->dary", units_unit, inp.unit_prices, area_onehot)

    n_actors = inp.other_costs.shape[1]
    per_participant = _place_by_cohort(
        inp.intake,
        inp.participant_amount[:, :, None] * inp.participant_schedule[None, :, :],
        inp.cohort_year,
        n_years,
    )  # [D, P, Y]
    actor_onehot = np.eye(n_actors)[inp.participant_actor]  # [P, A]
    cost_area_onehot = np.eye(inp.n_areas)[inp.participant_area]  # [P, R]
    costs = np.einsum("dpy,pa,pr->dary", per_participant, actor_onehot, cost_area_onehot)
    costs = (costs + inp.other_costs) * inp.cost_uplift[:, None, None, None]

    effect = inp.effect[:, None, None, None]
    return Flows(
        gains=gains_unit * effect,
        gains_per_effect=gains_unit,
        costs=costs,
        successes=successes_unit * inp.effect[:, None],
        units=units_unit * inp.effect[:, None, None],
        additional_successes=successes_per_effect.sum(axis=1) * inp.effect,
    )
