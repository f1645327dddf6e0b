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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from socialinvest.case.contract import PERIODS_PER_YEAR, Contract
from socialinvest.case.contract_checks import default_success_metric, payer_shares
from socialinvest.case.load import LoadedCase
from socialinvest.case.models import point
from socialinvest.contract.finance import CapitalStack, Guarantee, Tranche, Waterfall, run_waterfall
from socialinvest.contract.metrics import metric_counts, success_trajectories, to_calendar
from socialinvest.contract.payments import (
    Settlement,
    apply_lag,
    cap_in_time_order,
    indexation_factors,
    settle,
    threshold_value,
)
from socialinvest.contract.returns import contract_dates
from socialinvest.engine import microsim
from socialinvest.engine.summary import Summary, combine
from socialinvest.errors import InputError
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


def prepare_contract(loaded: LoadedCase, kb: KnowledgeBase | None = None) -> PreparedContract:
    """Resolve a case with a contract section: the business case, participants, dates and the
    delivery costs by period."""
    from socialinvest.runner import prepare_model

    case = loaded.case
    contract = case.contract
    if contract is None:
        raise InputError(
            "a case with a 'contract' section (docs/contract-format.md)",
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
    offsets = np.repeat(np.array(cohort_offsets, dtype=np.int64), sizes)
    cohort = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
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


@dataclass
class Trajectories:
    """What the metrics need of one chunk's people: for each set of states, whether each person
    is in it in each period after intake [D, N, T], and whether at intake [D, N]."""

    in_states: Callable[[tuple[str, ...]], tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]]
    succeeded: FloatArray | None = None  # [D] share who succeed (success-rate cases)


def _success_rate_trajectories(
    prep: PreparedContract,
    arrays: dict[str, Any],
    arm: str,
    n_people: int,
    rng: np.random.Generator,
) -> Trajectories:
    """Success-rate case: success with the draw's rate, at a period drawn from the timing."""
    business = prep.business
    n = prep.n_periods
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
    path = success_trajectories(succeeded, start, n, exit_per_period, rng)
    before = np.zeros((d, n_people), dtype=bool)

    def in_states(states: tuple[str, ...]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        return path, before

    return Trajectories(in_states, succeeded.mean(axis=1))


def _state_transition_trajectories(
    prep: PreparedContract,
    rows: list[np.ndarray],
    n_draws: int,
    n_people: int,
    seed: np.random.SeedSequence,
) -> Trajectories:
    from socialinvest.state_transition import transition_matrices

    st = prep.business.model
    n = prep.n_periods
    start = np.zeros((n_draws, len(st.states)))
    for name, share in st.start.items():
        start[:, st.states.index(name)] = share
    streams = microsim.random_streams(seed, n_draws, n_people, n)
    paths = microsim.simulate(
        transition_matrices(rows, n_draws, n), streams, start_probabilities=start
    )

    def in_states(states: tuple[str, ...]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        idx = [st.states.index(s) for s in states]
        inside = np.isin(paths, idx)
        return inside[:, :, 1:], inside[:, :, 0]

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


def _units_for_chunk(
    prep: PreparedContract,
    treated: Trajectories,
    comparison: Trajectories | None,
    summary: Summary,
    n_draws: int,
    keep_people: bool,
) -> tuple[
    dict[int, npt.NDArray[np.float32]], dict[int, FloatArray], FloatArray, dict[str, FloatArray]
]:
    contract = prep.contract
    n = prep.n_periods
    n_people = prep.n_participants
    n_cohorts = prep.cohort_offsets.shape[0]
    counts: dict[str, FloatArray] = {}  # metric -> [D, C, T] calendar, summed per cohort
    cmp_counts: dict[str, FloatArray] = {}  # metric -> [D, C, T] calendar, comparison group
    person_counts: dict[str, FloatArray] = {}  # metric -> [D, N, T] (only with a person cap)

    def relative(name: str, traj: Trajectories) -> FloatArray:
        m = contract.metrics[name]
        inside, before = traj.in_states(tuple(m.states))
        rel = metric_counts(
            inside,
            m.kind,
            k=m.k,
            at=m.at,
            window=(m.window.first, m.window.last) if m.window else None,
            units_per_period=m.units_per_period,
            in_states_before=before,
        )
        return rel

    def by_cohort(rel: FloatArray, cohort_of: IntArray) -> FloatArray:
        """Sum each cohort's people (who share an intake period), then place it in time. The
        people of a cohort are consecutive (``np.repeat``), so each sum is one segment."""
        sizes = np.bincount(cohort_of, minlength=n_cohorts)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        sums = np.zeros((rel.shape[0], n_cohorts, rel.shape[2]))
        full = np.flatnonzero(sizes > 0)
        sums[:, full] = np.add.reduceat(rel, starts[full], axis=1)
        return to_calendar(sums, prep.cohort_offsets, n)

    needed = {p.metric for p in contract.payments if p.metric}
    if prep.success_metric is not None:
        needed.add(prep.success_metric)
    per_person = {
        p.metric
        for p in contract.payments
        if keep_people and p.metric and p.mechanism in ("rate_card", "per_unit")
    }
    for name in needed:
        rel = relative(name, treated)
        counts[name] = by_cohort(rel, prep.cohort)
        if name in per_person:
            person_counts[name] = to_calendar(rel, prep.offsets, n)
        if comparison is not None:
            assert prep.comparison_cohort is not None
            cmp_counts[name] = by_cohort(relative(name, comparison), prep.comparison_cohort)
    # the share achieving the success metric; a success-rate case without a count metric: the
    # share who succeed (whenever the success falls)
    if prep.success_metric is not None:
        success_share = counts[prep.success_metric].sum(axis=(1, 2)) / n_people
    else:
        assert treated.succeeded is not None
        success_share = treated.succeeded
    totals = {name: c.sum(axis=(1, 2)) for name, c in counts.items()}

    person: dict[int, npt.NDArray[np.float32]] = {}
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
            elif keep_people:  # single precision: counts and units are small exact numbers
                person[i] = person_counts[pay.metric].astype(np.float32)
            else:
                level[i] = c.sum(axis=1)
            continue
        # threshold: per cohort, paid at the end of the cohort's measurement
        metric = contract.metrics[pay.metric]
        last = metric.window.last if metric.window else (metric.at or n)
        units = np.zeros((n_draws, n))
        for j, off in enumerate(prep.cohort_offsets):
            treated_c = c[:, j].sum(axis=1)
            if cf.kind == "baseline":
                assert cf.rate is not None
                base = np.full(n_draws, cf.rate * sizes[j])
            else:
                assert prep.comparison_cohort is not None
                in_c = prep.comparison_cohort == j
                base = cmp_counts[pay.metric][:, j].sum(axis=1) * sizes[j] / max(int(in_c.sum()), 1)
            gain = treated_c - base if pay.direction == "more" else base - treated_c
            met = gain >= pay.threshold * base - 1e-9
            paid_at = int(off) + last - 1
            if paid_at > n - 1:
                continue  # the cohort's measurement ends after maturity: it is not assessed
            units[:, paid_at] += np.where(met & (gain > 0), gain, 0.0)
        level[i] = units
    return person, level, success_share, totals


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
        raise InputError("a number of draws of at least 1", field="draws", value=draws)
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
            treated = _success_rate_trajectories(prep, arrays, "intervention", n_people, chance)
            if prep.comparison_offsets is not None:
                comparison = _success_rate_trajectories(
                    prep, arrays, "comparator", prep.comparison_offsets.shape[0], chance
                )
        else:
            summary, _ = run_state_transition_chunk(prep.business, m, None if point_only else s)
            short = dataclasses.replace(prep.business, n_cycles=n)
            outer = None if point_only else np.random.default_rng(_child(s, 0))
            comparator_rows, intervention_rows = transition_draws(short, m, outer)
            treated = _state_transition_trajectories(
                prep, intervention_rows, m, n_people, _child(s, 7)
            )
            if prep.comparison_offsets is not None:
                comparison = _state_transition_trajectories(
                    prep, comparator_rows, m, prep.comparison_offsets.shape[0], _child(s, 8)
                )
        p_units, l_units, share, totals = _units_for_chunk(
            prep, treated, comparison, summary, m, keep_people
        )
        summaries.append(summary)
        if p_units and contract.designer is None:
            settled_parts.append(_settle_people(prep, p_units, prices_of(contract), m))
            p_units = {}
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
    terms = Settlement(
        person_cap=prep.contract.person_cap,
        indexation_rate=prep.contract.indexation,
        periods_per_year=prep.periods_per_year,
    )
    earned: FloatArray = settle(per_person, terms).earned
    return earned


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


def party_flows(prep: PreparedContract, payments: FloatArray) -> PartyFlows:
    """The waterfall and each party's flows for outcome payments [D, T]."""
    contract = prep.contract
    n = prep.n_periods
    fee = contract.provider.performance_share
    other_total = sum(prep.other_costs.values(), np.zeros(n))
    costs = prep.delivery_costs + other_total
    wf = run_waterfall(capital_stack(prep), costs, payments * (1.0 - fee))
    # what the vehicle paid for each cost, in proportion to what it could fund
    # the surplus at maturity, when it goes to the provider (part of wf.provider, not a cost)
    surplus_part: FloatArray = np.zeros_like(wf.provider)
    if contract.finance.surplus_to == "provider":
        surplus_part[:, -1] = wf.surplus
    funded = wf.provider - surplus_part
    # what the vehicle paid, shared among the cost recipients in proportion to what each was
    # owed that period (its cost, plus, with deferred costs, what it is still owed)
    recipients = {"": prep.delivery_costs, **prep.other_costs}
    received = _share_funding(funded, recipients, contract.finance.unfunded_costs == "deferred")
    flows: dict[str, FloatArray] = {}
    for p in contract.parties:
        flows[p.name] = np.zeros_like(payments)
    for name, share in prep.payer_shares.items():
        flows[name] = (
            flows[name]
            + share * (wf.payer - payments * fee)
            - share * (sum(prep.payer_costs.values(), np.zeros(n)))
        )
    investors: dict[str, list[int]] = {}
    for k, t in enumerate(contract.finance.tranches):
        investors.setdefault(t.investor, []).append(k)
    for name, ks in investors.items():
        flows[name] = flows[name] + wf.investors[:, ks, :].sum(axis=1)
    if contract.finance.guarantee is not None:
        flows[contract.finance.guarantee.guarantor] += wf.guarantor
    providers = [p.name for p in contract.parties if p.role == "provider"]
    delivery_share = received[""]
    for name in providers:
        flows[name] = flows[name] + (delivery_share + payments * fee + surplus_part) / len(
            providers
        )
    for name in prep.other_costs:
        flows[name] = flows[name] + received[name]
    for name, cost in prep.payer_costs.items():
        flows[name] = flows[name] + cost
    return PartyFlows(
        flows=flows,
        payments=payments,
        waterfall=wf,
        delivery_costs=prep.delivery_costs,
        vehicle=wf.vehicle,
    )
