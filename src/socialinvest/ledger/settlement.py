"""Settlement: verified outcomes → payments, with the design stage's contract code.

For every participant n, payment line l and outcome period t the ledger knows the units achieved
(verified records, plus records accepted through a verification sample at its acceptance rate).
:func:`compute_items` prices them with the functions the design stage uses
(``contract.payments``: ``rate_card_value`` / ``duration_value``, ``indexation_factors``,
``cap_in_time_order``, ``apply_lag``) in the order ``payments.settle`` applies them:

1. value = price × units (the line's mechanism);
2. indexation: × (1 + i)^(t / periods per year);
3. the per-person cap over all of a person's lines, in time order (the latest payments are cut);
4. the contract cap over all persons, in time order;
5. the lag: paid L periods later; what would fall after maturity is paid at maturity (as
   ``partnership.settle_outcomes`` does).

A ``threshold`` line (against a baseline) is a cohort amount: :func:`assess_cohorts` maps each
participant to its design cohort by intake period and assesses every cohort once, with the design
stage's ``threshold_assessment_period`` and ``threshold_gain``; the amount (indexed, not
person-capped, under the contract cap, after the lag) is shared equally among the cohort's
participants' rows, and each assessment is kept (:class:`CohortAssessment`) for the statement.

The engine settles totals; a statement needs each person's share of a cut, so two allocation
rules are added, both documented on the statement: a person-cap cut in a period is shared among
that person's lines in proportion to their value, and a contract-cap cut in a period among all
persons in proportion to what they would get after their own cap. The result is checked against
``payments.settle`` on the same values: the totals per payment period must agree (to 10⁻⁶ kr.),
or the settlement is refused — so there is one implementation of the rules.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from socialinvest.contract.partnership import threshold_assessment_period
from socialinvest.contract.payments import (
    apply_lag,
    cap_in_time_order,
    duration_value,
    indexation_factors,
    rate_card_value,
    settle,
    threshold_gain,
)
from socialinvest.ledger.terms import Terms

FloatArray = npt.NDArray[np.float64]

TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Item:
    """What one participant earns on one payment line for one outcome period."""

    participant: int
    line: int
    outcome_period: int  # 1-based
    payment_period: int  # 1-based
    records: tuple[int, ...]
    units: float  # units paid for: verified + sample-accepted × acceptance
    sampled_units: float  # units of records accepted through a sample (before the factor)
    price: float
    index: float  # the indexation factor of the outcome period
    value: float  # price × units × index, before the caps
    person_cap_cut: float
    contract_cap_cut: float
    amount: float  # value − cuts


@dataclass(frozen=True, slots=True)
class Units:
    """The units of one participant, line and outcome period, and where they come from."""

    verified: float
    sampled: float  # units of records accepted through a sample, before the acceptance factor
    acceptance: float  # the sample's acceptance rate (1 when none applies)
    records: tuple[int, ...]

    @property
    def paid(self) -> float:
        return self.verified + self.sampled * self.acceptance


class EngineMismatch(RuntimeError):
    """The statement's items do not add up to the engine's settlement (a defect, not input)."""


@dataclass(frozen=True)
class Amounts:
    """Every participant's units and amounts by line and outcome period (arrays [N, L, T])."""

    people: tuple[int, ...]  # participant id of each row
    units: FloatArray  # paid units: verified + sample-accepted × acceptance
    sampled: FloatArray  # units of sample-accepted records, before the acceptance factor
    index: FloatArray  # [T] the indexation factor of each outcome period
    value: FloatArray  # price × units × index, before the caps
    after_person: FloatArray  # after the per-person cap
    amount: FloatArray  # after both caps
    payment_period: npt.NDArray[np.int64]  # [T] the 1-based payment period of each outcome period
    # the threshold lines' cohort assessments (their amounts are in the members' rows, shared
    # equally: ``value``, ``after_person`` and ``amount`` of a threshold line)
    cohorts: tuple[CohortAssessment, ...] = ()

    def by_payment_period(self, x: FloatArray) -> FloatArray:
        """[N, L, T] by outcome period → [N, L, T] by payment period."""
        t_n = x.shape[-1]
        move = np.zeros((t_n, t_n))
        move[np.arange(t_n), self.payment_period - 1] = 1.0
        out: FloatArray = x @ move
        return out


@dataclass(frozen=True, slots=True)
class CohortAssessment:
    """One threshold line's assessment of one design cohort against its baseline, with the
    design stage's rule (``contract.payments.threshold_gain``): a cohort amount."""

    line: int
    name: str  # the payment line's name
    cohort: int  # the design cohort (1-based)
    intake_period: int  # the cohort's intake period in the design (1-based)
    period: int  # the assessment period: the outcome period of its value (1-based)
    payment_period: int  # 1-based, after the lag
    members: tuple[int, ...]  # participant ids mapped to the cohort (its size)
    successes: float  # S: the members' paid units of the metric through ``period``
    baseline: float  # B = rate × size
    threshold: float
    direction: str  # "more" or "fewer"
    gain: float  # S − B ("more") or B − S ("fewer")
    paid_gain: float  # the gain when gain ≥ threshold × B and gain > 0, else 0
    price: float
    index: float  # the indexation factor of ``period``
    value: float  # price × paid_gain × index, before the contract cap
    contract_cap_cut: float
    amount: float  # value − contract_cap_cut, shared equally among the members

    @property
    def met(self) -> bool:
        return self.paid_gain > 0

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        out["members"] = len(self.members)
        out["rate"] = self.baseline / len(self.members)
        out["met"] = self.met
        return out


def design_cohorts(terms: Terms, intake: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each participant's design cohort (0-based) from its intake period (1-based): the last
    cohort whose intake period is at or before it (the first cohort for an earlier one)."""
    offsets = terms.prep.cohort_offsets  # 0-based intake periods of the design's cohorts
    j = np.searchsorted(offsets, np.asarray(intake, dtype=np.int64) - 1, side="right") - 1
    out: npt.NDArray[np.int64] = np.maximum(j, 0).astype(np.int64)
    return out


def assess_cohorts(
    terms: Terms,
    people: tuple[int, ...],
    units: FloatArray,
    intake: npt.NDArray[np.int64] | None,
) -> tuple[FloatArray, list[CohortAssessment]]:
    """The threshold lines' values [N, L, T] (a cohort's price × paid gain, not indexed, at its
    assessment period, shared equally among its members' rows) and each assessment (without
    the contract cap, added by :func:`compute_amounts`). Every enrolled participant must be a
    row: the baseline is rate × the cohort's enrolled participants."""
    c = terms.contract
    t_n = terms.n_periods
    value = np.zeros_like(units)
    out: list[CohortAssessment] = []
    lines = [i for i, p in enumerate(c.payments) if p.mechanism == "threshold"]
    if not lines:
        return value, out
    if intake is None or len(intake) != len(people):
        raise ValueError("threshold lines need the intake period of every row")
    cf = c.counterfactual
    assert cf.kind == "baseline" and cf.rate is not None  # Terms refuses anything else
    cohort = design_cohorts(terms, intake)
    offsets = terms.prep.cohort_offsets
    index = indexation_factors(t_n, c.indexation, terms.prep.periods_per_year)
    versions = terms.version_of_periods()  # the terms pricing each outcome period
    for line in lines:
        pay = c.payments[line]
        assert pay.metric is not None
        metric = terms.metric(pay.metric)
        for j, off in enumerate(offsets):
            rows = np.flatnonzero(cohort == j)
            at = threshold_assessment_period(metric, int(off), t_n)
            if rows.size == 0 or at is None:
                continue  # no one enrolled in it, or its measurement ends after maturity
            s_j = float(units[rows, line, : at + 1].sum())
            b_j = float(cf.rate * rows.size)
            gain = s_j - b_j if pay.direction == "more" else b_j - s_j
            paid = float(threshold_gain(s_j, b_j, pay.threshold, pay.direction))
            price = versions[at].prices[line]
            v = price * paid
            value[rows, line, at] = v / rows.size
            out.append(
                CohortAssessment(
                    line=line,
                    name=pay.name,
                    cohort=j + 1,
                    intake_period=int(off) + 1,
                    period=at + 1,
                    payment_period=min(at + 1 + c.lag_periods, t_n),
                    members=tuple(people[r] for r in rows),
                    successes=s_j,
                    baseline=b_j,
                    threshold=float(pay.threshold),
                    direction=pay.direction,
                    gain=gain,
                    paid_gain=paid,
                    price=price,
                    index=float(index[at]),
                    value=v * float(index[at]),
                    contract_cap_cut=0.0,
                    amount=v * float(index[at]),
                )
            )
    return value, out


def compute_amounts(
    terms: Terms,
    people: tuple[int, ...],
    units: FloatArray,
    sampled: FloatArray,
    intake: npt.NDArray[np.int64] | None = None,
) -> Amounts:
    """Price units [N, L, T] (rows: ``people``) by the contract's rules, checked against the
    engine's ``payments.settle``. ``intake``: each row's intake period (1-based), needed when
    the contract has a threshold line (then every enrolled participant must be a row). With
    dated amendments each run of outcome periods is priced by the terms in force
    (``Terms.segments``; see :func:`_amended`)."""
    u = np.asarray(units, dtype=np.float64)
    if terms.amendments:
        return _amended(terms, people, u, np.asarray(sampled, dtype=np.float64), intake)
    t_n = terms.n_periods
    c = terms.contract
    value = np.zeros_like(u)
    for line, pay in enumerate(c.payments):
        if pay.mechanism == "rate_card":
            value[:, line, :] = rate_card_value(
                u[None, :, line : line + 1, :], np.array([terms.prices[line]])
            )[0]
        elif pay.mechanism == "per_unit":
            value[:, line, :] = duration_value(u[None, :, line, :], terms.prices[line])[0]
    cohort_value, assessments = assess_cohorts(terms, people, u, intake)
    index = indexation_factors(t_n, c.indexation, terms.prep.periods_per_year)
    indexed = value * index  # [N, L, T], the per-person lines (the threshold lines are 0)
    person = indexed.sum(axis=1)  # [N, T]
    capped = person if c.person_cap is None else cap_in_time_order(person, c.person_cap)
    line_share = np.divide(
        indexed, person[:, None, :], out=np.zeros_like(indexed), where=person[:, None, :] > 0
    )
    after_person = capped[:, None, :] * line_share  # [N, L, T]
    rows = value.sum(axis=1)  # [N, T] for the engine: each person's per-person lines
    if assessments:  # a threshold line's cohort amount is not person-capped (as in the design)
        cohort_indexed = cohort_value * index
        value += cohort_value
        indexed += cohort_indexed
        after_person += cohort_indexed
    total = after_person.sum(axis=(0, 1))  # [T]
    after_contract = total if c.contract_cap is None else cap_in_time_order(total, c.contract_cap)
    factor = np.divide(after_contract, total, out=np.ones_like(total), where=total > 0)
    amount = after_person * factor

    # one implementation: the engine's settlement of the same values must give the same totals
    # (a cohort's value is one more row: a counterfactual excludes a per-person cap)
    if assessments:
        cohort_rows = np.zeros((len(assessments), t_n))
        for k, x in enumerate(assessments):
            cohort_rows[k, x.period - 1] = x.price * x.paid_gain
        rows = np.concatenate([rows, cohort_rows])
    engine = settle(rows[None, :, :], terms.engine_terms()).paid[0]
    mine = apply_lag(amount.sum(axis=(0, 1)), c.lag_periods)
    for paid in (engine, mine):
        if paid.shape[0] > t_n:
            paid[t_n - 1] += paid[t_n:].sum()
    if not np.allclose(engine[:t_n], mine[:t_n], rtol=0.0, atol=TOLERANCE):
        raise EngineMismatch("the statement's items differ from contract.payments.settle")
    pp = np.minimum(np.arange(1, t_n + 1) + c.lag_periods, t_n).astype(np.int64)
    cohorts = _capped_cohorts(assessments, factor)
    return Amounts(
        people,
        u,
        np.asarray(sampled, dtype=np.float64),
        index,
        indexed,
        after_person,
        amount,
        pp,
        cohorts,
    )


def _capped_cohorts(
    assessments: list[CohortAssessment], factor: FloatArray
) -> tuple[CohortAssessment, ...]:
    """The assessments with the contract cap's cut: ``factor`` [T] is what the cap leaves of
    each outcome period's value."""
    return tuple(
        dataclasses.replace(
            x,
            contract_cap_cut=x.value * (1.0 - float(factor[x.period - 1])),
            amount=x.value * float(factor[x.period - 1]),
        )
        for x in assessments
    )


def _headroom(cap: float | None, paid: FloatArray) -> FloatArray | None:
    """What a cap still allows after ``paid`` (never below 0: a cap lowered under what was
    paid already stops further payments and claws nothing back)."""
    if cap is None:
        return None
    out: FloatArray = np.maximum(cap - paid, 0.0)
    return out


def _amended(
    terms: Terms,
    people: tuple[int, ...],
    u: FloatArray,
    sampled: FloatArray,
    intake: npt.NDArray[np.int64] | None,
) -> Amounts:
    """Price units when amendments apply: each run of outcome periods with the version in force
    for its payments (prices, caps). The caps stay cumulative over the whole contract: a run's
    person and contract caps apply to what is paid in the run plus everything before it (the
    engine's ``cap_in_time_order`` on the run, with the headroom the earlier runs left). With
    one run this is exactly the unamended computation. A threshold line's cohort amount is
    priced by the version in force at its assessment period and, not person-capped, counts
    under the run's contract cap."""
    t_n = terms.n_periods
    c = terms.contract
    value = np.zeros_like(u)
    index = indexation_factors(t_n, c.indexation, terms.prep.periods_per_year)
    after_person = np.zeros_like(u)
    amount = np.zeros_like(u)
    paid_person = np.zeros(u.shape[0])
    paid_total = 0.0
    cohort_value, assessments = assess_cohorts(terms, people, u, intake)
    factors = np.ones(t_n)
    for a, b, version in terms.segments():
        for line, pay in enumerate(c.payments):
            price = version.prices[line]
            if pay.mechanism == "rate_card":
                value[:, line, a:b] = rate_card_value(
                    u[None, :, line : line + 1, a:b], np.array([price])
                )[0]
            elif pay.mechanism == "per_unit":
                value[:, line, a:b] = duration_value(u[None, :, line, a:b], price)[0]
        indexed = value[:, :, a:b] * index[a:b]
        person = indexed.sum(axis=1)  # [N, run]
        room = _headroom(version.person_cap, paid_person)
        capped = person if room is None else cap_in_time_order(person, room)
        share = np.divide(
            indexed, person[:, None, :], out=np.zeros_like(indexed), where=person[:, None, :] > 0
        )
        after_person[:, :, a:b] = capped[:, None, :] * share
        total = capped.sum(axis=0)
        if assessments:  # the cohort amounts: not person-capped
            run = cohort_value[:, :, a:b] * index[a:b]
            after_person[:, :, a:b] += run
            total = total + run.sum(axis=(0, 1))
        room_c = _headroom(version.contract_cap, np.array(paid_total))
        after_contract = total if room_c is None else cap_in_time_order(total, room_c)
        factor = np.divide(after_contract, total, out=np.ones_like(total), where=total > 0)
        amount[:, :, a:b] = after_person[:, :, a:b] * factor
        factors[a:b] = factor
        paid_person += capped.sum(axis=1)
        paid_total += float(after_contract.sum())
    pp = np.minimum(np.arange(1, t_n + 1) + c.lag_periods, t_n).astype(np.int64)
    value += cohort_value
    return Amounts(
        people,
        u,
        sampled,
        index,
        value * index,
        after_person,
        amount,
        pp,
        _capped_cohorts(assessments, factors),
    )


def compute_items(terms: Terms, units: dict[tuple[int, int, int], Units]) -> list[Item]:
    """Every item for units keyed (participant id, line index, outcome period 1-based), for
    contracts paid per participant (a threshold line needs every enrolled participant's intake
    period: :func:`compute_amounts` with ``intake``, as the ledger's statements do)."""
    if not units:
        return []
    people = tuple(sorted({k[0] for k in units}))
    row = {p: i for i, p in enumerate(people)}
    shape = (len(people), len(terms.prices), terms.n_periods)
    u, sampled = np.zeros(shape), np.zeros(shape)
    for (p, line, period), x in units.items():
        u[row[p], line, period - 1] += x.paid
        sampled[row[p], line, period - 1] += x.sampled
    a = compute_amounts(terms, people, u, sampled)
    versions = terms.version_of_periods()
    out: list[Item] = []
    for (p, line, period), x in sorted(units.items()):
        i, t = row[p], period - 1
        if x.paid == 0 and not x.records:
            continue
        out.append(
            Item(
                participant=p,
                line=line,
                outcome_period=period,
                payment_period=int(a.payment_period[t]),
                records=x.records,
                units=x.paid,
                sampled_units=x.sampled,
                price=versions[t].prices[line],
                index=float(a.index[t]),
                value=float(a.value[i, line, t]),
                person_cap_cut=float(a.value[i, line, t] - a.after_person[i, line, t]),
                contract_cap_cut=float(a.after_person[i, line, t] - a.amount[i, line, t]),
                amount=float(a.amount[i, line, t]),
            )
        )
    return out
