"""The summary of a chunk of success-rate draws without the [draw, actor, area, year] arrays.

``success_rate_flows`` → ``appraise_flows`` → ``summarise`` builds the gains and costs of every
draw per actor, area *and* year, then keeps of the area axis only means over draws. Every figure
of a :class:`Summary` is linear in those arrays, so this module computes the same figures from
smaller ones (issue 10, speed):

* per draw, gains and costs per actor and year (the area axis summed first), which give the
  discounted sums, the NPVs and the cumulative series behind the break-even years; these arrays
  are laid out draw-minor ([actor, year, draw]) so that every step is a pass over long contiguous
  rows, not thousands of rows of ten years;
* the means over draws per actor, area and year as sums of products over the draw axis
  (``np.einsum``, not BLAS: a multi-threaded BLAS spins its threads on a shared machine for
  products this small), never a [D, A, R, Y] array except the other costs' own input;
* whether an actor and area has any flow at all (``active``): zero whenever a bound built from
  absolute values is zero (exactly what the full arrays would say); otherwise the full arrays of
  a few draws are built until a flow is found, so the answer is exact, not a bound.

The figures equal the three-step path's up to the order of floating-point sums (about 1e-15
relative; ``benchmarks/check_success_summary.py`` compares both on examples at a fixed seed).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from socialinvest.engine.appraisal import NO_BREAK_EVEN
from socialinvest.engine.success_rate import SuccessRateInputs
from socialinvest.engine.summary import Summary

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Draws per block of the exact check of ``active`` (usually the first block settles it).
_ACTIVE_BLOCK = 256
# Same tolerance as engine.appraisal's break-even (cumulative results within this of zero).
_BREAK_EVEN_TOLERANCE = 1e-6


def _cumulate_break_even(net: FloatArray) -> tuple[IntArray, IntArray]:
    """Cumulate ``net`` [A, Y, D] over years in place; the break-even year of each actor and
    draw [A, D] and of their total [D]: the first year from which the cumulative result stays
    ≥ −tolerance, NO_BREAK_EVEN if none (``engine.appraisal.break_even_index``: one past the
    last year that is not ok, a nan is not ok). A loop over the few years, each step a pass over
    all draws."""
    n_actors, n_years, d = net.shape
    last_bad = np.zeros((n_actors, d), dtype=np.int64)  # last year not ok, + 1
    last_bad_total = np.zeros(d, dtype=np.int64)
    total = np.empty(d)
    for y in range(n_years):
        if y:
            net[:, y] += net[:, y - 1]
        # Σ over actors in their order, as ndarray.sum over that short axis adds them
        np.copyto(total, net[0, y])
        for a in range(1, n_actors):
            total += net[a, y]
        last_bad[~(net[:, y] >= -_BREAK_EVEN_TOLERANCE)] = y + 1
        last_bad_total[~(total >= -_BREAK_EVEN_TOLERANCE)] = y + 1
    last_bad[last_bad == n_years] = NO_BREAK_EVEN
    last_bad_total[last_bad_total == n_years] = NO_BREAK_EVEN
    return last_bad, last_bad_total


def _place_draw_minor(
    per_cohort: FloatArray, shares: FloatArray, cohort_year: IntArray, n_years: int
) -> FloatArray:
    """Σ_c per_cohort[c, d] · shares[x, s, d] placed at year cohort_year[c] + s.

    per_cohort: [C, D]; shares: [X, S, D] → [X, n_years, D] (``_place_by_cohort``, draw-minor).
    """
    out = np.zeros((shares.shape[0], n_years, per_cohort.shape[1]))
    for c, start in enumerate(cohort_year.tolist()):
        width = min(shares.shape[1], n_years - start)
        if width > 0:
            out[:, start : start + width, :] += per_cohort[c] * shares[:, :width, :]
    return out


def success_rate_summary(
    inp: SuccessRateInputs,
    discount_gains: FloatArray,
    discount_costs: FloatArray,
    baseline: FloatArray,
) -> Summary:
    """The Summary that ``summarise(flows, appraise_flows(flows, dg, dc), baseline, effect)``
    gives for ``flows = success_rate_flows(inp)``, with yearly discount factors [Y]."""
    n_years = inp.n_years
    n_areas = inp.n_areas
    d = inp.intake.shape[0]
    n_actors = inp.other_costs.shape[1]
    dg = np.asarray(discount_gains, dtype=np.float64)
    dc = np.asarray(discount_costs, dtype=np.float64)
    effect = np.ascontiguousarray(np.broadcast_to(inp.effect, (d,)), dtype=np.float64)
    uplift = np.ascontiguousarray(np.broadcast_to(inp.cost_uplift, (d,)), dtype=np.float64)

    # ---- successes and units per unit of Δs, draw-minor (as success_rate_flows)
    successes_per_effect = inp.intake * inp.effect_factor[:, None]  # [D, C]
    timing = np.broadcast_to(inp.timing, (d, inp.timing.shape[1])).T[None]  # [1, L, D]
    successes = _place_draw_minor(
        np.ascontiguousarray(successes_per_effect.T), timing, inp.cohort_year, n_years
    )[0]  # [Y, D]
    n_profile = inp.profiles.shape[2]
    decay = (1.0 - inp.drop_off)[None, :] ** np.arange(n_profile)[:, None]  # [J, D]
    profile = np.broadcast_to(inp.profiles, (d, *inp.profiles.shape[1:])).transpose(1, 2, 0)
    profile = profile * decay[None]  # [K, J, D]
    n_cons = profile.shape[0]
    units = np.zeros((n_cons, n_years, d))  # [K, Y, D]
    term = np.empty((n_years, d))
    for k in range(n_cons):
        for j in range(min(n_profile, n_years)):
            np.multiply(successes[: n_years - j], profile[k, j], out=term[: n_years - j])
            units[k, j:] += term[: n_years - j]
    prices = np.broadcast_to(inp.unit_prices, (d, n_cons, n_actors)).transpose(1, 2, 0)
    prices = np.ascontiguousarray(prices)  # [K, A, D]

    # ---- gains per unit of Δs by actor and year; their mean by actor, area and year
    gains_year = np.empty((n_actors, n_years, d))  # [A, Y, D]
    gains_sum = np.zeros((n_actors, n_areas, n_years))  # Σ_d gains [A, R, Y]
    np.einsum("kyd,kad->ayd", units, prices, out=gains_year)
    np.negative(gains_year, out=gains_year)
    for k, area in enumerate(inp.consequence_area.tolist()):
        gains_sum[:, area, :] -= np.einsum("ad,yd->ay", prices[k], units[k] * effect)

    # ---- costs (before the optimism uplift) by actor and year; their mean by actor and area
    amounts = np.broadcast_to(inp.participant_amount, (d, inp.participant_amount.shape[1]))
    schedule = inp.participant_schedule[:, :, None] * amounts.T[:, None, :]  # [P, S, D]
    intake = np.ascontiguousarray(np.broadcast_to(inp.intake, successes_per_effect.shape).T)
    per_participant = np.empty((schedule.shape[0], n_years, d))  # [P, Y, D]
    for p in range(schedule.shape[0]):
        per_participant[p] = _place_draw_minor(
            intake, schedule[p : p + 1], inp.cohort_year, n_years
        )[0]
    other = np.broadcast_to(inp.other_costs, (d, n_actors, n_areas, n_years))
    costs_year = np.zeros((n_actors, n_years, d))  # [A, Y, D]
    for r in range(n_areas):
        costs_year += other[:, :, r, :].transpose(1, 2, 0)
    costs_sum = np.einsum("d,dx->x", uplift, other.reshape(d, -1)).reshape(
        n_actors, n_areas, n_years
    )
    items = list(zip(inp.participant_actor.tolist(), inp.participant_area.tolist(), strict=True))
    for p, (actor, area) in enumerate(items):
        costs_year[actor] += per_participant[p]
        costs_sum[actor, area, :] += np.einsum("yd,d->y", per_participant[p], uplift)
    costs_year *= uplift

    # ---- discounted sums per actor and draw
    gains_per_effect = np.einsum("y,ayd->ad", dg, gains_year)  # [A, D]
    disc_costs = np.einsum("y,ayd->ad", dc, costs_year)
    disc_gains = gains_per_effect * effect
    # yearly discounted net per actor, cumulated
    cumulative = gains_year
    cumulative *= dg[:, None] * effect[None, :]
    costs_year *= dc[:, None]
    cumulative -= costs_year
    break_even, break_even_total = _cumulate_break_even(cumulative)

    gains_mean = gains_sum / d
    costs_mean = costs_sum / d
    active = _active(inp, units, prices, per_participant, other, effect, uplift, items)
    return Summary(
        draws=d,
        gains_mean=gains_mean,
        costs_mean=costs_mean,
        discounted_net_mean=gains_mean * dg - costs_mean * dc,
        discount_gains=dg,
        discount_costs=dc,
        active=active,
        npv=np.ascontiguousarray((disc_gains - disc_costs).T),
        discounted_gains=np.ascontiguousarray(disc_gains.T),
        discounted_costs=np.ascontiguousarray(disc_costs.T),
        gains_per_effect=np.ascontiguousarray(gains_per_effect.T),
        break_even=np.ascontiguousarray(break_even.T),
        break_even_total=break_even_total,
        additional_successes=successes_per_effect.sum(axis=1) * effect,
        baseline=np.broadcast_to(baseline, (d,)).astype(np.float64),
        effect=effect,
    )


def _active(
    inp: SuccessRateInputs,
    units: FloatArray,
    prices: FloatArray,
    per_participant: FloatArray,
    other: FloatArray,
    effect: FloatArray,
    uplift: FloatArray,
    items: list[tuple[int, int]],
) -> BoolArray:
    """[A, R]: does any draw have a non-zero gain or cost in that actor and area (any year)?

    Exactly what ``|gains| + |costs|`` summed over draws and years > 0 says. The full arrays of
    the first draws settle most cells; a cell still open whose bound (sums of the absolute
    values of its terms over all draws) is zero has no flow; the few left are checked on the
    full arrays of the following blocks of draws until a flow is found.
    """
    n_actors, n_areas = other.shape[1], other.shape[2]
    d = units.shape[2]
    area_onehot = np.eye(n_areas)[inp.consequence_area]  # [K, R]
    actor_onehot = np.eye(n_actors)[inp.participant_actor]  # [P, A]
    cost_area_onehot = np.eye(n_areas)[inp.participant_area]  # [P, R]

    def exact(block: slice) -> BoolArray:
        gains = -np.einsum("kyd,kad,kr->dary", units[:, :, block], prices[:, :, block], area_onehot)
        gains *= effect[block, None, None, None]
        costs = np.einsum(
            "pyd,pa,pr->dary", per_participant[:, :, block], actor_onehot, cost_area_onehot
        )
        costs = (costs + other[block]) * uplift[block, None, None, None]
        found: BoolArray = (np.abs(gains).sum(axis=(0, 3)) + np.abs(costs).sum(axis=(0, 3))) > 0
        return found

    active = exact(slice(0, min(d, _ACTIVE_BLOCK)))
    pending = ~active
    if d <= _ACTIVE_BLOCK or not pending.any():
        return active
    # bounds of the open cells over all draws
    bound = np.zeros((n_actors, n_areas))
    abs_effect = np.abs(effect)
    for k, area in enumerate(inp.consequence_area.tolist()):
        if pending[:, area].any():
            weight = np.abs(units[k]).sum(axis=0) * abs_effect  # [D]
            bound[:, area] += np.einsum("ad,d->a", np.abs(prices[k]), weight)
    abs_uplift = np.abs(uplift)
    for p, (actor, area) in enumerate(items):
        if pending[actor, area]:
            bound[actor, area] += np.einsum(
                "d,d->", np.abs(per_participant[p]).sum(axis=0), abs_uplift
            )
    # The other costs of an open cell: whether any is non-zero in a draw whose uplift is not
    # zero (a pass that stops at the first; the sum of their absolute values, as above, was
    # three times slower, a tenth of a block's time). A cell so kept open that has no flow
    # after all (a product that underflows to zero) is found so by the exact check below.
    uplifted = slice(None) if np.all(uplift != 0) else uplift != 0
    for actor, area in zip(*np.nonzero(pending), strict=True):
        if other[uplifted, actor, area, :].any():
            bound[actor, area] = np.inf
    pending &= bound > 0
    for start in range(_ACTIVE_BLOCK, d, _ACTIVE_BLOCK):
        if not pending.any():
            break
        found = exact(slice(start, min(d, start + _ACTIVE_BLOCK)))
        active |= found & pending
        pending &= ~found
    return active
