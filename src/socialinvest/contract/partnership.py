"""An outcome contract on a business case: participants' trajectories, outcome payments, the
capital stack, and every party's cash flows, for every Monte Carlo draw (METHOD.md §4).

One run does three things per chunk of draws, from one seed per chunk:

1. the **business case** for the same draws (the payers' own budget gains per draw, and the
   case's uncertain success rate or transition parameters);
2. each participant's **trajectory** over the contract's periods: for a success-rate case a
   success with the draw's success rate, timed by the case's timing and lasting until an exit
   (``success_exit_per_year``); for a state-transition case a path of the microsimulation through
   the intervention arm with the draw's parameters. A comparison group, if any, follows the
   comparator arm (without the intervention). This is where the chance of a small cohort enters;
3. the **metrics** of every trajectory, priced per payment line (``units`` per kr. of price).

The payments for a set of prices, the waterfall and the parties' flows are then computed for all
draws at once (:func:`settle_outcomes`, :func:`party_flows`); the designer calls them again for
other prices without simulating anew.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from socialinvest.case.contract import PERIODS_PER_YEAR, Contract, Metric
from socialinvest.case.contract_checks import default_success_metric, payer_shares
from socialinvest.case.load import LoadedCase
from socialinvest.case.models import point
from socialinvest.contract.finance import CapitalStack, Guarantee, Tranche, Waterfall, run_waterfall
from socialinvest.contract.metrics import Events, metric_events, success_intervals
from socialinvest.contract.payments import (
    Settlement,
    apply_lag,
    cap_in_time_order,
    indexation_factors,
    settle,
    threshold_gain,
    threshold_value,
)
from socialinvest.contract.returns import contract_dates
from socialinvest.engine import microsim
from socialinvest.engine.summary import Summary, combine
from socialinvest.errors import InputError, msg
from socialinvest.knowledge import KnowledgeBase, default_knowledge_base
from socialinvest.vocabulary import ACTORS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# memory budget of one chunk: participants × periods × draws per metric array
_CHUNK_CELLS = 8_000_000


def _child(seed: np.random.SeedSequence, key: int) -> np.random.SeedSequence:
    """The ``key``-th child of ``seed`` without changing how many children it has spawned (so
    the business case's own ``seed.spawn`` sees the same children)."""
    return np.random.SeedSequence(
        entropy=seed.entropy, spawn_key=(*seed.spawn_key, key), pool_size=seed.pool_size
    )


@dataclass
class PreparedContract:
    loaded: LoadedCase
    contract: Contract
    business: Any  # runner.Prepared or state_transition.PreparedStateTransition
    periods_per_year: int
    dates: list[dt.date]
    offsets: IntArray  # [N] period of each participant's intake
    cohort: IntArray  # [N] cohort index of each participant
    cohort_offsets: IntArray  # [C]
    comparison_offsets: IntArray | None  # [M] intake periods of the comparison group
    comparison_cohort: IntArray | None  # [M]
    year_index: IntArray  # [T] index of each period's calendar year in the analysis
    discount: FloatArray  # [T] the case's discount factor of each period's year
    delivery_costs: FloatArray  # [T]
    other_costs: dict[str, FloatArray]  # party -> [T] (funded by the vehicle)
    payer_costs: dict[str, FloatArray]  # party -> [T] (paid directly by the payers)
    payer_shares: dict[str, float]
    payer_actor: dict[str, int]
    success_metric: str | None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_periods(self) -> int:
        return self.contract.periods

    @property
    def n_participants(self) -> int:
        return int(self.offsets.shape[0])

    @property
    def is_state_transition(self) -> bool:
        return self.loaded.case.model == "state_transition"


def by_period(yearly: FloatArray, year_index: IntArray, periods_per_year: int) -> FloatArray:
    """Yearly amounts [Y] spread evenly over each year's periods, for the contract's periods
    [T] (``year_index``: each period's year). A year has at least ``periods_per_year`` periods,
    so a year the contract covers only in part carries its share; a year with one period more
    (53 week starts) shares its amount among all of them."""
    count = np.bincount(year_index, minlength=yearly.shape[0]).astype(np.float64)
    out: FloatArray = yearly[year_index] / np.maximum(count, periods_per_year)[year_index]
    return out


def _spread(amount: float, first: int, last: int, n: int) -> FloatArray:
    out = np.zeros(n)
    out[first - 1 : last] = amount / (last - first + 1)
    return out


def participants_of(cohort_offsets: IntArray, sizes: Any) -> tuple[IntArray, IntArray]:
    """Each participant's intake period (0-based) and cohort index, from the cohorts' intake
    periods and sizes: every member of a cohort enters at its cohort's period."""
    counts = np.asarray(sizes, dtype=np.int64)
    offsets: IntArray = np.repeat(cohort_offsets, counts)
    cohort: IntArray = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    return offsets, cohort


def prepare_contract(loaded: LoadedCase, kb: KnowledgeBase | None = None) -> PreparedContract:
    """Resolve a case with a contract section: the business case, participants, dates and the
    delivery costs by period."""
    from socialinvest.runner import prepare_model

    case = loaded.case
    contract = case.contract
    if contract is None:
        raise InputError(
            msg("q_contract_section"),
            file=loaded.file,
            field="contract",
            has_value=False,
        )
    knowledge = kb or default_knowledge_base()
    business = prepare_model(loaded, knowledge)
    ppy = PERIODS_PER_YEAR[contract.period]
    n = contract.periods
    dates = contract_dates(contract.start_date, n, contract.period)

    # participants: cohorts by the year they start, entering at the start of that year
    start_year = contract.start_date.year
    cohorts = contract.participants.cohorts
    if cohorts == "case":
        sizes = [round(point(c.intake)) for c in case.target_group.cohorts]
        # a cohort enters at the first period on or after 1 January of its year (the first
        # period, for the year the contract starts in)
        cohort_offsets = []
        for i, c in enumerate(case.target_group.cohorts):
            january = dt.date(c.year, 1, 1)
            off = next((p for p, d in enumerate(dates) if d >= january), n)
            if c.year < start_year or off >= n:
                raise loaded.error(
                    ("target_group", "cohorts", i, "year"),
                    f"a cohort that starts within the contract ({contract.start_date} for "
                    f"{n} {contract.period}s), or give contract.participants.cohorts",
                    value=c.year,
                )
            cohort_offsets.append(off)
    else:
        sizes = list(cohorts)
        cohort_offsets = [i * ppy for i in range(len(cohorts))]
    offsets, cohort = participants_of(np.array(cohort_offsets, dtype=np.int64), sizes)
    if offsets.size == 0:
        raise loaded.error(
            ("contract", "participants"), "at least one participant", has_value=False
        )
    cmp_offsets = cmp_cohort = None
    cf = contract.counterfactual
    if cf.kind == "comparison_group":
        assert cf.size is not None
        weights = np.array(sizes, dtype=np.float64) / sum(sizes)
        if cf.size < sum(1 for x in sizes if x > 0):
            raise loaded.error(
                ("contract", "counterfactual", "size"),
                f"a comparison group of at least one person per cohort ({len(sizes)} cohorts)",
                value=cf.size,
            )
        cmp_sizes = np.where(
            np.array(sizes) > 0, np.maximum(np.floor(weights * cf.size), 1), 0
        ).astype(np.int64)
        cmp_sizes[np.argmax(weights)] += cf.size - int(cmp_sizes.sum())
        cmp_offsets = np.repeat(np.array(cohort_offsets, dtype=np.int64), cmp_sizes)
        cmp_cohort = np.repeat(np.arange(len(sizes), dtype=np.int64), cmp_sizes)

    # the case's discount factor of each period's calendar year; delivery costs by period
    point_run = business.run_chunk(1, None)
    summary: Summary = point_run[0] if isinstance(point_run, tuple) else point_run
    year_index = np.array([d.year - case.first_year for d in dates], dtype=np.int64)
    discount = summary.discount_costs[year_index].astype(np.float64)
    if contract.provider.delivery_costs == "case":
        yearly = summary.costs_mean.sum(axis=(0, 1))  # [Y] nominal, price-year kroner
        delivery = by_period(yearly, year_index, ppy)
    else:
        delivery = np.zeros(n)
        given = np.asarray(contract.provider.delivery_costs, dtype=np.float64)
        delivery[: given.shape[0]] = given
    other: dict[str, FloatArray] = {}
    direct: dict[str, FloatArray] = {}
    for cost in contract.other_costs:
        p_first, p_last = (cost.periods.first, cost.periods.last) if cost.periods else (1, n)
        target = other if cost.paid_by == "vehicle" else direct
        target[cost.party] = target.get(cost.party, np.zeros(n)) + _spread(
            cost.amount, p_first, p_last, n
        )
    shares = payer_shares(contract)
    actor = {
        p.name: ACTORS.index(p.actor)
        for p in contract.parties
        if p.role == "payer" and p.actor and p.actor != "none"
    }
    success = default_success_metric(contract)
    return PreparedContract(
        loaded=loaded,
        contract=contract,
        business=business,
        periods_per_year=ppy,
        dates=dates,
        offsets=offsets,
        cohort=cohort,
        cohort_offsets=np.array(cohort_offsets, dtype=np.int64),
        comparison_offsets=cmp_offsets,
        comparison_cohort=cmp_cohort,
        year_index=year_index,
        discount=discount,
        delivery_costs=delivery,
        other_costs=other,
        payer_costs=direct,
        payer_shares=shares,
        payer_actor=actor,
        success_metric=success,
        meta={
            "knowledge": knowledge,
            "delivery_from_case": contract.provider.delivery_costs == "case",
        },
    )


# ----------------------------------------------------------------------------- trajectories


BoolArray = npt.NDArray[np.bool_]
InStates = Callable[[tuple[str, ...], int, int], tuple[BoolArray, BoolArray]]


@dataclass
class Trajectories:
    """What the metrics need of one chunk's people: ``in_states(states, lo, hi)`` tells, for
    draws lo … hi − 1 of the chunk, whether each person is in the states in each of the first
    ``horizon`` periods after intake (time-major [b, H, N]), and whether at intake [b, N]. A
    block of draws at a time, so memory does not grow with the chunk."""

    in_states: InStates
    succeeded: FloatArray | None = None  # [D] share who succeed (success-rate cases)


def _success_rate_trajectories(
    prep: PreparedContract,
    arrays: dict[str, Any],
    arm: str,
    n_people: int,
    rng: np.random.Generator,
    horizon: int,
) -> Trajectories:
    """Success-rate case: success with the draw's rate, at a period drawn from the timing. The
    random numbers are drawn for the whole chunk at once ([D, N] each, in a fixed order); the
    trajectories [b, N, H] are made a block of draws at a time."""
    business = prep.business
    ppy = prep.periods_per_year
    if business.constants["absolute"]:
        with_rate = arrays["absolute_effect"]
        without = np.zeros_like(with_rate)
    else:
        with_rate, without = arrays["rate_with"], arrays["rate_without"]
    p = np.clip(with_rate if arm == "intervention" else without, 0.0, 1.0)
    timing = np.asarray(arrays["timing"], dtype=np.float64)  # [D, L] shares by year after intake
    d = p.shape[0]
    cum = np.cumsum(timing, axis=1)
    cum = cum / cum[:, -1:]
    u = rng.random((d, n_people))
    year = (u[..., None] > cum[:, None, :]).sum(axis=-1)  # [D, N] year after intake
    within = rng.integers(0, ppy, size=(d, n_people))
    start = year * ppy + within
    exit_per_period = 1.0 - (1.0 - prep.contract.success_exit_per_year) ** (1.0 / ppy)
    succeeded = rng.random((d, n_people)) < p[:, None]
    first, end = success_intervals(succeeded, start, exit_per_period, rng)
    # clipped to [0, H] as integers: inf (never) becomes H
    first_i = np.clip(first, 0, horizon).astype(np.int32)
    end_i = np.clip(end, 0, horizon).astype(np.int32)
    t = np.arange(horizon, dtype=np.int32)[None, :, None]

    def in_states(states: tuple[str, ...], lo: int, hi: int) -> tuple[BoolArray, BoolArray]:
        path: BoolArray = first_i[lo:hi, None, :] <= t  # time-major [b, H, N]
        path &= end_i[lo:hi, None, :] > t
        return path, np.zeros((hi - lo, n_people), dtype=bool)

    return Trajectories(in_states, succeeded.mean(axis=1))


def _state_transition_trajectories(
    prep: PreparedContract,
    rows: list[np.ndarray],
    n_draws: int,
    n_people: int,
    seed: np.random.SeedSequence,
    horizon: int,
) -> Trajectories:
    """State-transition case: each person's path through the arm's matrices, simulated a block
    of draws at a time for the first ``horizon`` periods only (the microsimulation's streams
    give every draw the same numbers in any block, and a shorter horizon leaves the earlier
    periods unchanged). Being in a set of states is an equality test on the small-integer
    paths."""
    from socialinvest.state_transition import transition_matrices

    st = prep.business.model
    start = np.zeros((n_draws, len(st.states)))
    for name, share in st.start.items():
        start[:, st.states.index(name)] = share
    streams = microsim.random_streams(seed, n_draws, n_people, horizon)
    matrices = transition_matrices([r[:horizon] for r in rows], n_draws, horizon)
    block: dict[str, Any] = {"range": None, "paths": None}

    def paths_of(lo: int, hi: int) -> np.ndarray:
        if block["range"] != (lo, hi):
            block["paths"] = None  # free the previous block first
            block["paths"] = microsim.simulate(
                matrices[lo:hi],
                streams.draws(lo, hi),
                start_probabilities=start[lo:hi],
                time_major=True,
            )
            block["range"] = (lo, hi)
        out: np.ndarray = block["paths"]
        return out

    def in_states(states: tuple[str, ...], lo: int, hi: int) -> tuple[BoolArray, BoolArray]:
        paths = paths_of(lo, hi)
        idx = sorted({st.states.index(s) for s in states})
        inside = paths == idx[0]
        for j in idx[1:]:
            inside |= paths == j
        return inside[:, 1:], inside[:, 0]

    return Trajectories(in_states)


# ----------------------------------------------------------------------------- outcomes


@dataclass
class Outcomes:
    """Everything the payments need, for all draws. Per payment line l, the value for a price p_l
    is p_l × units_l (linear: the caps come after)."""

    draws: int
    seed: int | None
    person_units: dict[int, npt.NDArray[np.float32]]  # line -> [D, N, T] (with a person cap)
    # with a person cap and no designer, the per-person lines are settled chunk by chunk at
    # the contract's prices (memory: [D, T] instead of [D, N, T] per line)
    people_settled: FloatArray | None
    contract_units: dict[int, FloatArray]  # line -> [D, T]
    success_share: FloatArray  # [D] share of participants who achieved the success metric
    metric_totals: dict[str, FloatArray]  # metric -> [D] outcomes of all participants
    own_gains: dict[str, FloatArray]  # payer -> [D] discounted gains of its actor
    summary: Summary  # the business case of the same draws

    def subset(self, mask: npt.NDArray[np.bool_]) -> Outcomes:
        """The same outcomes for the draws where ``mask`` is True (no business-case summary
        changes: only the per-draw arrays are cut)."""
        return dataclasses.replace(
            self,
            draws=int(mask.sum()),
            person_units={i: u[mask] for i, u in self.person_units.items()},
            people_settled=None if self.people_settled is None else self.people_settled[mask],
            contract_units={i: u[mask] for i, u in self.contract_units.items()},
            success_share=self.success_share[mask],
            metric_totals={k: v[mask] for k, v in self.metric_totals.items()},
            own_gains={k: v[mask] for k, v in self.own_gains.items()},
        )


# person-periods in one block of draws (the size of one boolean array of a metric, in bytes):
# large enough that numpy's per-call overhead does not count, small enough to stay near cache
_BLOCK_CELLS = 2_000_000


def _horizon(prep: PreparedContract, names: list[str]) -> int:
    """How many periods after intake the metrics ``names`` can count: none after the contract's
    last period for the earliest cohort, none after a metric's window or ``at``."""
    n = prep.n_periods
    span = n - int(prep.offsets.min())
    need = 1
    for name in names:
        m = prep.contract.metrics[name]
        last = n
        if m.kind == "state_at" and m.at is not None:
            last = min(last, m.at)
        if m.window is not None:
            last = min(last, m.window.last)
        need = max(need, last)
    return max(1, min(span, need))


def threshold_assessment_period(metric: Metric, offset: int, n: int) -> int | None:
    """The period (0-based) in which a threshold line assesses the cohort whose intake is period
    ``offset`` (0-based): the end of its measurement, ``window.last`` (or ``at``) periods after
    intake, or the contract's last period when the metric has neither; ``None`` when that falls
    after maturity (the cohort is not assessed). The ledger assesses a running partnership's
    cohorts with the same function."""
    last = metric.window.last if metric.window else (metric.at or n)
    paid_at = int(offset) + last - 1
    return None if paid_at > n - 1 else paid_at


def _cohort_counts(ev: Events, cohort_of: IntArray, cohort_offsets: IntArray, n: int) -> FloatArray:
    """Outcomes summed over each cohort's people, in contract periods [b, C, T]: what falls
    after the contract's last period is dropped. The people of a cohort are consecutive."""
    n_cohorts = cohort_offsets.shape[0]
    if ev.once is not None:
        b = ev.once.shape[0]
        offsets = cohort_offsets[cohort_of]
        cal = ev.once + offsets[None, :]
        valid = (ev.once >= 0) & (cal < n)
        cell = (np.arange(b, dtype=np.int64)[:, None] * n_cohorts + cohort_of[None, :]) * n + cal
        counts = np.bincount(cell[valid], minlength=b * n_cohorts * n)
        out: FloatArray = counts.reshape(b, n_cohorts, n).astype(np.float64)
        return out
    assert ev.flags is not None
    flags = ev.flags  # time-major [b, H, N]
    b, h, _ = flags.shape
    out = np.zeros((b, n_cohorts, n))
    sizes = np.bincount(cohort_of, minlength=n_cohorts)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for c in range(n_cohorts):
        off = int(cohort_offsets[c])
        length = min(h, n - off)
        if sizes[c] == 0 or length <= 0:
            continue
        part = flags[:, :length, starts[c] : starts[c] + sizes[c]]
        out[:, c, off : off + length] = part.sum(axis=2, dtype=np.int32)
    if ev.units != 1.0:
        out *= ev.units
    return out


def _person_calendar(ev: Events, offsets: IntArray, n: int) -> npt.NDArray[np.float32]:
    """Each person's outcomes in contract periods [b, N, T] (single precision: counts and units
    are small exact numbers)."""
    if ev.once is not None:
        b, n_people = ev.once.shape
        out = np.zeros((b, n_people, n), dtype=np.float32)
        cal = ev.once + offsets[None, :]
        d, i = np.nonzero((ev.once >= 0) & (cal < n))
        out[d, i, cal[d, i]] = 1.0
        return out
    assert ev.flags is not None
    b, h, n_people = ev.flags.shape
    out = np.zeros((b, n_people, n), dtype=np.float32)
    for off in np.unique(offsets):
        idx = np.flatnonzero(offsets == off)
        length = max(0, min(h, n - int(off)))
        if length:
            part = ev.flags[:, :length][:, :, idx]
            out[:, idx, int(off) : int(off) + length] = part.transpose(0, 2, 1)
    if ev.units != 1.0:
        out *= np.float32(ev.units)
    return out


def _people_value(
    lines: list[tuple[float, Events]], offsets: IntArray, n: int, b: int
) -> FloatArray:
    """Σ over the per-person lines of price × outcomes [b, N, T] in contract periods, added in
    line order (the same sums as price × units line by line)."""
    n_people = offsets.shape[0]
    value = np.zeros((b, n_people, n))
    flat = value.reshape(-1)
    for price, ev in lines:
        if ev.once is not None:
            cal = ev.once + offsets[None, :]
            valid = (ev.once >= 0) & (cal < n)
            cell = (
                np.arange(b, dtype=np.int64)[:, None] * n_people
                + np.arange(n_people, dtype=np.int64)[None, :]
            ) * n + cal
            flat[cell[valid]] += price  # one outcome per person and line: no repeated cells
        else:
            units = _person_calendar(ev, offsets, n)
            value += price * units.astype(np.float64)
    return value


def _units_for_chunk(
    prep: PreparedContract,
    treated: Trajectories,
    comparison: Trajectories | None,
    summary: Summary,
    n_draws: int,
    keep_people: bool,
    horizon: int,
    settle_prices: list[float] | None,
) -> tuple[
    dict[int, npt.NDArray[np.float32]],
    dict[int, FloatArray],
    FloatArray,
    dict[str, FloatArray],
    FloatArray | None,
]:
    """Units per payment line for one chunk of draws, the success share and the metrics'
    totals; with a person cap and ``settle_prices``, the per-person lines settled at those
    prices ([D, T]) instead of their units ([D, N, T] each). The trajectories are read a block
    of draws at a time; each metric is kept compact (a period per person, or booleans) until it
    is summed per cohort."""
    contract = prep.contract
    n = prep.n_periods
    n_people = prep.n_participants
    n_cohorts = prep.cohort_offsets.shape[0]

    wanted = {p.metric for p in contract.payments if p.metric}
    if prep.success_metric is not None:
        wanted.add(prep.success_metric)
    needed = [name for name in contract.metrics if name in wanted]
    # with a comparison group a rate card is paid on the cohorts' difference (no person cap)
    per_person_lines = [
        i
        for i, p in enumerate(contract.payments)
        if keep_people
        and contract.counterfactual.kind != "comparison_group"
        and p.metric
        and p.mechanism in ("rate_card", "per_unit")
    ]
    per_person = {contract.payments[i].metric for i in per_person_lines}

    counts = {name: np.zeros((n_draws, n_cohorts, n)) for name in needed}  # calendar [D, C, T]
    cmp_counts: dict[str, FloatArray] = {}  # the same for the comparison group
    if comparison is not None:
        # the comparison group is needed only for what is paid (not for the success share)
        paid = {p.metric for p in contract.payments if p.metric}
        cmp_counts = {name: np.zeros((n_draws, n_cohorts, n)) for name in needed if name in paid}
    person: dict[int, npt.NDArray[np.float32]] = {}
    settled: FloatArray | None = None
    if per_person_lines and settle_prices is not None:
        settled = np.zeros((n_draws, n))
    elif per_person_lines:
        person = {i: np.zeros((n_draws, n_people, n), dtype=np.float32) for i in per_person_lines}

    def events(traj: Trajectories, name: str, lo: int, hi: int, cache: dict[Any, Any]) -> Events:
        m = contract.metrics[name]
        states = tuple(m.states)
        if states not in cache:
            cache[states] = traj.in_states(states, lo, hi)
        inside, before = cache[states]
        return metric_events(
            inside,
            m.kind,
            k=m.k,
            at=m.at,
            window=(m.window.first, m.window.last) if m.window else None,
            units_per_period=m.units_per_period,
            in_states_before=before,
        )

    widest = max(n_people, 0 if prep.comparison_offsets is None else len(prep.comparison_offsets))
    block = max(1, _BLOCK_CELLS // max(1, widest * (horizon + 1)))
    for lo in range(0, n_draws, block):
        hi = min(lo + block, n_draws)
        seen: dict[Any, Any] = {}
        kept: dict[str, Events] = {}
        for name in needed:
            ev = events(treated, name, lo, hi, seen)
            counts[name][lo:hi] = _cohort_counts(ev, prep.cohort, prep.cohort_offsets, n)
            if name in per_person:
                kept[name] = ev
        seen.clear()
        if comparison is not None:
            assert prep.comparison_cohort is not None
            for name in cmp_counts:
                ev = events(comparison, name, lo, hi, seen)
                cmp_counts[name][lo:hi] = _cohort_counts(
                    ev, prep.comparison_cohort, prep.cohort_offsets, n
                )
            seen.clear()
        if settled is not None:
            assert settle_prices is not None
            lines = [
                (float(settle_prices[i]), kept[str(contract.payments[i].metric)])
                for i in per_person_lines
            ]
            value = _people_value(lines, prep.offsets, n, hi - lo)
            settled[lo:hi] = _settle_value(prep, value)
        else:
            for i in per_person_lines:
                ev = kept[str(contract.payments[i].metric)]
                person[i][lo:hi] = _person_calendar(ev, prep.offsets, n)

    # the share achieving the success metric; a success-rate case without a count metric: the
    # share who succeed (whenever the success falls)
    if prep.success_metric is not None:
        success_share = counts[prep.success_metric].sum(axis=(1, 2)) / n_people
    else:
        assert treated.succeeded is not None
        success_share = treated.succeeded
    totals = {name: c.sum(axis=(1, 2)) for name, c in counts.items()}

    level: dict[int, FloatArray] = {}
    cf = contract.counterfactual
    sizes = np.bincount(prep.cohort, minlength=prep.cohort_offsets.shape[0]).astype(np.float64)
    for i, pay in enumerate(contract.payments):
        if pay.mechanism == "savings_share":
            level[i] = _savings(prep, summary, n_draws)
            continue
        assert pay.metric is not None
        c = counts[pay.metric]
        if pay.mechanism in ("rate_card", "per_unit"):
            if cf.kind == "comparison_group":
                assert prep.comparison_offsets is not None
                scale = n_people / prep.comparison_offsets.shape[0]
                level[i] = threshold_value(
                    c.sum(axis=1), cmp_counts[pay.metric].sum(axis=1) * scale, 1.0, cumulative=True
                )
            elif keep_people:
                pass  # in ``person`` or ``settled``
            else:
                level[i] = c.sum(axis=1)
            continue
        # threshold: per cohort, paid at the end of the cohort's measurement
        metric = contract.metrics[pay.metric]
        units = np.zeros((n_draws, n))
        for j, off in enumerate(prep.cohort_offsets):
            paid_at = threshold_assessment_period(metric, int(off), n)
            if paid_at is None:
                continue  # the cohort's measurement ends after maturity: it is not assessed
            treated_c = c[:, j].sum(axis=1)
            if cf.kind == "baseline":
                assert cf.rate is not None
                base = np.full(n_draws, cf.rate * sizes[j])
            else:
                assert prep.comparison_cohort is not None
                in_c = prep.comparison_cohort == j
                base = cmp_counts[pay.metric][:, j].sum(axis=1) * sizes[j] / max(int(in_c.sum()), 1)
            units[:, paid_at] += threshold_gain(treated_c, base, pay.threshold, pay.direction)
        level[i] = units
    return person, level, success_share, totals, settled


def _savings(prep: PreparedContract, summary: Summary, n_draws: int) -> FloatArray:
    """The payers' own budget gains by period [D, T]: each payer actor's mean gains of the
    period's year spread evenly over the year's periods, scaled per draw by that actor's
    discounted gains relative to their mean."""
    out = np.zeros((n_draws, prep.n_periods))
    for actor in sorted(set(prep.payer_actor.values())):
        yearly = summary.gains_mean[actor].sum(axis=0)  # [Y]
        per_period = by_period(yearly, prep.year_index, prep.periods_per_year)
        g = summary.discounted_gains[:, actor]
        mean = g.mean()
        scale = g / mean if abs(mean) > 0 else np.ones_like(g)
        out += scale[:, None] * per_period[None, :]
    # a period in which the payers lose pays nothing (and is not netted against later gains)
    return np.maximum(out, 0.0)


def simulate_outcomes(
    prep: PreparedContract,
    draws: int = 1,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Outcomes:
    """Simulate the contract's participants for ``draws`` draws (point values and the
    contract's own seed 0 for the individual chance when draws == 1)."""
    from socialinvest.runner import Prepared, draw_arrays, run_arrays
    from socialinvest.state_transition import run_state_transition_chunk, transition_draws

    if draws < 1:
        raise InputError(msg("e_draws", limit=10_000_000), field="draws", value=draws)
    contract = prep.contract
    n, n_people = prep.n_periods, prep.n_participants
    keep_people = contract.person_cap is not None
    settled_parts: list[FloatArray] = []
    root = np.random.SeedSequence(seed if seed is not None else (0 if draws == 1 else None))
    used_seed = int(root.entropy)  # type: ignore[arg-type]
    # arrays of participants × periods per chunk: one per metric, and one per per-person line
    n_arrays = len(contract.metrics) + (len(contract.payments) if keep_people else 0)
    size = max(1, min(draws, 4 * _CHUNK_CELLS // max(1, n_people * n * n_arrays)))
    sizes = [size] * (draws // size) + ([draws % size] if draws % size else [])
    seeds = root.spawn(len(sizes))
    # ``sizes`` fixes the random streams (a seed per chunk); memory is bounded inside a chunk,
    # which reads the participants' trajectories a block of draws at a time
    wanted = {p.metric for p in contract.payments if p.metric}
    if prep.success_metric is not None:
        wanted.add(prep.success_metric)
    horizon = _horizon(prep, [name for name in contract.metrics if name in wanted])
    settle_prices = prices_of(contract) if keep_people and contract.designer is None else None
    summaries: list[Summary] = []
    person: dict[int, list[npt.NDArray[np.float32]]] = {}
    level: dict[int, list[FloatArray]] = {}
    share_parts: list[FloatArray] = []
    total_parts: dict[str, list[FloatArray]] = {}
    done = 0
    for m, s in zip(sizes, seeds, strict=True):
        point_only = draws == 1
        chance = np.random.default_rng(_child(s, 7))
        comparison: Trajectories | None = None
        if isinstance(prep.business, Prepared):
            rng = None if point_only else np.random.default_rng(s)
            arrays = draw_arrays(prep.business, m, rng)
            summary = run_arrays(prep.business, arrays)
            treated = _success_rate_trajectories(
                prep, arrays, "intervention", n_people, chance, horizon
            )
            if prep.comparison_offsets is not None:
                comparison = _success_rate_trajectories(
                    prep, arrays, "comparator", prep.comparison_offsets.shape[0], chance, horizon
                )
        else:
            summary, _ = run_state_transition_chunk(prep.business, m, None if point_only else s)
            short = dataclasses.replace(prep.business, n_cycles=n)
            outer = None if point_only else np.random.default_rng(_child(s, 0))
            comparator_rows, intervention_rows = transition_draws(short, m, outer)
            treated = _state_transition_trajectories(
                prep, intervention_rows, m, n_people, _child(s, 7), horizon
            )
            if prep.comparison_offsets is not None:
                n_cmp = prep.comparison_offsets.shape[0]
                comparison = _state_transition_trajectories(
                    prep, comparator_rows, m, n_cmp, _child(s, 8), horizon
                )
        p_units, l_units, share, totals, settled = _units_for_chunk(
            prep, treated, comparison, summary, m, keep_people, horizon, settle_prices
        )
        summaries.append(summary)
        if settled is not None:
            settled_parts.append(settled)
        for i, pu in p_units.items():
            person.setdefault(i, []).append(pu)
        for i, lu in l_units.items():
            level.setdefault(i, []).append(lu)
        share_parts.append(share)
        for name, tot in totals.items():
            total_parts.setdefault(name, []).append(tot)
        done += m
        if progress is not None:
            progress(done, draws)
    summary = combine(summaries) if len(summaries) > 1 else summaries[0]
    # a payer without an actor ('none') has no budget gains of its own
    own = {name: np.zeros(summary.discounted_gains.shape[0]) for name in prep.payer_shares}
    own.update(
        {
            name: summary.discounted_gains[:, actor].astype(np.float64)
            for name, actor in prep.payer_actor.items()
        }
    )
    return Outcomes(
        draws=draws,
        seed=used_seed if draws > 1 else None,
        person_units={i: np.concatenate(a) for i, a in person.items()},
        people_settled=np.concatenate(settled_parts) if settled_parts else None,
        contract_units={i: np.concatenate(a) for i, a in level.items()},
        success_share=np.concatenate(share_parts),
        metric_totals={k: np.concatenate(v) for k, v in total_parts.items()},
        own_gains=own,
        summary=summary,
    )


# ----------------------------------------------------------------------------- payments, flows


def prices_of(contract: Contract, solved: float | None = None) -> list[float]:
    """The price of every payment line (a savings share's 'price' is its share)."""
    out = []
    for pay in contract.payments:
        if pay.mechanism == "savings_share":
            out.append(float(pay.share or 0.0))
        elif pay.price == "solve":
            if solved is None:
                raise ValueError("the designer has not solved the price yet")
            out.append(float(solved))
        else:
            out.append(float(pay.price or 0.0))
    return out


def _settle_value(prep: PreparedContract, per_person: FloatArray) -> FloatArray:
    """Per-person values [D, N, T] by outcome period → payments [D, T]: indexed, each person
    capped in time order, summed. Only the people whose total passes the cap are capped (the
    others are paid what they earned), which is what capping every person in time order gives,
    without a cumulative sum over every person and period. ``per_person`` is overwritten."""
    contract = prep.contract
    value = np.asarray(per_person, dtype=np.float64)
    cap = contract.person_cap
    if value.ndim != 3 or cap is None or np.any(value < 0):
        terms = Settlement(
            person_cap=cap,
            indexation_rate=contract.indexation,
            periods_per_year=prep.periods_per_year,
        )
        general: FloatArray = settle(value, terms).earned  # (and its checks)
        return general
    if contract.indexation:
        n = value.shape[-1]
        value = value * indexation_factors(n, contract.indexation, prep.periods_per_year)
    d_idx, n_idx = np.nonzero(value.sum(axis=-1) > cap)
    if d_idx.size:  # (``value`` is this function's own array: the callers' are made for it)
        value[d_idx, n_idx] = cap_in_time_order(value[d_idx, n_idx], cap)
    earned: FloatArray = value.sum(axis=1)
    return earned


def _settle_people(
    prep: PreparedContract,
    units: dict[int, npt.NDArray[np.float32]],
    prices: list[float],
    d: int,
) -> FloatArray:
    """The per-person lines' payments [D, T] by outcome period: prices × units, indexed, each
    person capped in time order."""
    n = prep.n_periods
    per_person: FloatArray = np.zeros((d, 1, n), dtype=np.float64)
    for i, pu in units.items():
        per_person = per_person + float(prices[i]) * np.asarray(pu, dtype=np.float64)
    return _settle_value(prep, per_person)


def settle_outcomes(prep: PreparedContract, outcomes: Outcomes, prices: list[float]) -> FloatArray:
    """Outcome payments [D, T] by the period they are paid: prices × units, indexation, the
    per-person cap, the contract cap, the verification lag (what would fall after maturity is
    paid at maturity)."""
    contract = prep.contract
    n = prep.n_periods
    d = outcomes.draws
    total = np.zeros((d, n))
    if outcomes.person_units:
        total += _settle_people(prep, outcomes.person_units, prices, d)
    if outcomes.people_settled is not None:
        total += outcomes.people_settled
    if outcomes.contract_units:
        index = indexation_factors(n, contract.indexation, prep.periods_per_year)
        for i, u in outcomes.contract_units.items():
            mech = contract.payments[i].mechanism
            # a share of savings is not indexed: the savings are already in the case's prices
            total += prices[i] * u * (1.0 if mech == "savings_share" else index)
    if contract.contract_cap is not None:
        total = cap_in_time_order(total, contract.contract_cap)
    paid = apply_lag(total, contract.lag_periods)
    if paid.shape[1] > n:
        paid[:, n - 1] += paid[:, n:].sum(axis=1)
        paid = paid[:, :n]
    return paid


def capital_stack(prep: PreparedContract) -> CapitalStack:
    fin = prep.contract.finance
    ppy = prep.periods_per_year

    # a yearly rate per period: a week is 7 of 365 days (the IRR's year), a month 1/12 of a year
    years_per_period = 7.0 / 365.0 if prep.contract.period == "week" else 1.0 / ppy

    def per_period(rate: float) -> float:
        return float((1.0 + rate) ** years_per_period - 1.0)

    tranches = tuple(
        Tranche(
            name=t.name,
            kind=t.kind,
            commitment=t.commitment,
            seniority=t.seniority,
            coupon=per_period(t.coupon) if t.kind in ("senior_loan", "subordinated_loan") else 0.0,
            max_multiple=t.max_multiple,
            max_rate=per_period(t.max_return) if t.max_return is not None else None,
        )
        for t in fin.tranches
    )
    guarantee = None
    if fin.guarantee is not None:
        g = fin.guarantee
        guarantee = Guarantee(
            amount=g.amount, covers=tuple(g.covers), covers_interest=g.covers_interest
        )
    return CapitalStack(
        tranches=tranches,
        drawdown=fin.drawdown,
        guarantee=guarantee,
        surplus_to=fin.surplus_to,
        unfunded="deferred" if fin.unfunded_costs == "deferred" else "provider",
    )


@dataclass
class PartyFlows:
    """Every party's cash flows [D, T] (positive = receives), and what the provider spends."""

    flows: dict[str, FloatArray]
    payments: FloatArray  # [D, T] all outcome payments
    waterfall: Waterfall
    delivery_costs: FloatArray  # [T]
    vehicle: FloatArray  # [D, T] change in the vehicle's cash

    @property
    def imbalance(self) -> FloatArray:
        out: FloatArray = sum(self.flows.values(), np.zeros_like(self.vehicle)) + self.vehicle
        return out


def _share_funding(
    funded: FloatArray, costs: dict[str, FloatArray], deferred: bool
) -> dict[str, FloatArray]:
    """Split the vehicle's payments for costs [D, T] among the recipients' costs [T], period by
    period in proportion to what each is owed; with ``deferred``, what a recipient was not paid
    stays owed and counts in later periods."""
    d, n = funded.shape
    if not deferred:
        # nothing stays owed: each period's shares follow from the costs [T] alone
        total_t = sum(costs.values(), np.zeros(n))
        shares = {
            name: np.divide(c, total_t, out=np.zeros(n), where=total_t > 0)
            for name, c in costs.items()
        }
        return {name: funded * part[None, :] for name, part in shares.items()}
    owed = {name: np.zeros(d) for name in costs}
    out = {name: np.zeros((d, n)) for name in costs}
    for t in range(n):
        due = {name: c[t] + owed[name] for name, c in costs.items()}
        total = sum(due.values(), np.zeros(d))
        for name, x in due.items():
            part = np.divide(x, total, out=np.zeros(d), where=total > 0)
            out[name][:, t] = funded[:, t] * part
            owed[name] = x - out[name][:, t] if deferred else np.zeros(d)
    return out


def party_flows(
    prep: PreparedContract, payments: FloatArray, only: Collection[str] | None = None
) -> PartyFlows:
    """The waterfall and each party's flows for outcome payments [D, T]; with ``only``, the
    flows of those parties alone (the designer's evaluations need the investors and payers: the
    others' [D, T] arrays are not made). A party's flows are the same either way."""
    contract = prep.contract
    n = prep.n_periods

    def wanted(name: str) -> bool:
        return only is None or name in only

    fee = contract.provider.performance_share
    other_total = sum(prep.other_costs.values(), np.zeros(n))
    costs = prep.delivery_costs + other_total
    wf = run_waterfall(capital_stack(prep), costs, payments * (1.0 - fee))
    # what the vehicle paid for each cost, in proportion to what it could fund
    # the surplus at maturity, when it goes to the provider (part of wf.provider, not a cost)
    surplus_part: FloatArray = np.zeros_like(wf.provider)
    if contract.finance.surplus_to == "provider":
        surplus_part[:, -1] = wf.surplus
    providers = [p.name for p in contract.parties if p.role == "provider"]
    received: dict[str, FloatArray] = {}
    if any(wanted(name) for name in [*providers, *prep.other_costs]):
        funded = wf.provider - surplus_part
        # what the vehicle paid, shared among the cost recipients in proportion to what each
        # was owed that period (its cost, plus, with deferred costs, what it is still owed)
        recipients = {"": prep.delivery_costs, **prep.other_costs}
        received = _share_funding(funded, recipients, contract.finance.unfunded_costs == "deferred")
    flows: dict[str, FloatArray] = {}
    for p in contract.parties:
        if wanted(p.name):
            flows[p.name] = np.zeros_like(payments)
    for name, share in prep.payer_shares.items():
        if wanted(name):
            flows[name] = (
                flows[name]
                + share * (wf.payer - payments * fee)
                - share * (sum(prep.payer_costs.values(), np.zeros(n)))
            )
    investors: dict[str, list[int]] = {}
    for k, t in enumerate(contract.finance.tranches):
        investors.setdefault(t.investor, []).append(k)
    for name, ks in investors.items():
        if wanted(name):
            flows[name] = flows[name] + wf.investors[:, ks, :].sum(axis=1)
    guarantee = contract.finance.guarantee
    if guarantee is not None and wanted(guarantee.guarantor):
        flows[guarantee.guarantor] += wf.guarantor
    for name in providers:
        if wanted(name):
            flows[name] = flows[name] + (received[""] + payments * fee + surplus_part) / len(
                providers
            )
    for name in prep.other_costs:
        if wanted(name):
            flows[name] = flows[name] + received[name]
    for name, cost in prep.payer_costs.items():
        if wanted(name):
            flows[name] = flows[name] + cost
    return PartyFlows(
        flows=flows,
        payments=payments,
        waterfall=wf,
        delivery_costs=prep.delivery_costs,
        vehicle=wf.vehicle,
    )
