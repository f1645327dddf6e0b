"""The inputs of a success-rate case as the XLSX report lays them out.

The engine receives its inputs already combined (a price per unit and actor, a cost per year).
The spreadsheet shows them before they are combined, so that an auditor can change each one:
the stated price, its price year and the net price index, the conversion to the consequence's
unit, the actor shares; the stated cost amount, its price year and its payment schedule.

This module resolves a case against the knowledge base the same way the runner does, and checks
its decomposition against the runner's own arrays (:func:`socialinvest.runner.prepare`), so the
spreadsheet can never silently start from other numbers than the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from socialinvest.case.load import LoadedCase
from socialinvest.case.models import (
    Case,
    Dist,
    FixedCost,
    OneOffCost,
    PerParticipantCost,
    PerParticipantPeriodCost,
    point,
)
from socialinvest.knowledge.base import DEFAULT_DISCOUNTING_ID, KnowledgeBase
from socialinvest.result import ConsequenceInfo, Result
from socialinvest.runner import prepare
from socialinvest.vocabulary import ACTORS, UNITS_PER_YEAR, activity_conversion

# Relative tolerance of the check against the runner's arrays (both are products of the same
# numbers in a different order).
_CHECK_RTOL = 1e-12


@dataclass(frozen=True)
class ConsequenceInput:
    name: str
    ref: str | None
    area: str
    unit: str  # unit of the change in activity (day, month, ...)
    price_unit: str  # unit of the stated price (DKK/day, ...)
    sign: float  # 1 expense, −1 revenue
    value: float  # stated price (point value)
    value_year: int  # price year of the stated value
    conversion: float  # price per price unit → price per activity unit
    shares: tuple[float, float, float]  # kommune, region, stat
    status: str
    source: str
    split_basis: str
    profile: tuple[float, ...]  # change in units per additional success, year 1, 2, …
    uncertain: bool  # any of its inputs is a distribution (its point value is used)


@dataclass(frozen=True)
class CostInput:
    name: str
    type: str  # per_participant, per_participant_period, fixed, one_off
    period: str | None
    actor: str
    area: str
    amount: float  # stated amount (point value), in its price year
    price_year: int
    # per participant: number of amounts paid in year 1, 2, … after intake;
    # fixed and one-off: 1 in the calendar years (indices) in which it is paid, else 0
    schedule: tuple[float, ...]
    per_participant: bool
    uncertain: bool


@dataclass(frozen=True)
class SheetInputs:
    """Every input of the deterministic calculation, as separate cells."""

    price_year: int
    first_year: int
    years: tuple[int, ...]
    convention: str
    absolute: bool
    rate_with: float
    rate_without: float
    absolute_effect: float
    measure: str
    attribution: float
    optimism_costs: float
    optimism_effects: float
    drop_off: float
    timing: tuple[float, ...]
    intake: tuple[float, ...]  # per analysis year (cohorts of the same year added up)
    bands_costs: tuple[tuple[int, float], ...]
    bands_gains: tuple[tuple[int, float], ...] | None  # None: gains use the costs' rates
    discount_label_costs: str
    discount_label_gains: str
    price_index: dict[int, float]  # years used → net price index
    consequences: tuple[ConsequenceInput, ...]
    costs: tuple[CostInput, ...]
    uncertain: dict[str, str]  # path of each input given as a distribution -> its kind


def _uncertain(value: object) -> bool:
    return isinstance(value, Dist)


def _consequence(
    case: Case, kb: KnowledgeBase, k: int, info: ConsequenceInfo, lang: str
) -> ConsequenceInput:
    item = case.consequences[k]
    profile = tuple(point(u) for u in item.units_per_success)
    uncertain = any(_uncertain(u) for u in item.units_per_success)
    name = info.name_da if lang == "da" and info.name_da else info.name
    if item.ref is not None:
        entry = kb.entry(item.ref)
        value, dated = kb.number(item.ref, case.price_year)
        value_year = dated.valid_from.year
        split = kb.split(item.ref, value_year, item.weeks_on_support)
        shares = tuple(float(split.shares[a]) for a in ACTORS)
        price_unit = str(entry.unit)
        sign = 1.0 if (entry.direction or "expense") == "expense" else -1.0
        basis = split.basis
    else:
        price = item.price
        assert price is not None
        value = point(price.value)
        value_year = price.price_year or case.price_year
        shares = tuple(float(getattr(price.actor_split, a)) for a in ACTORS)
        price_unit = price.unit
        sign = 1.0 if price.direction == "expense" else -1.0
        basis = "case"
        uncertain = uncertain or _uncertain(price.value)
    conversion = activity_conversion(info.unit, price_unit)
    assert conversion is not None, "the runner accepted this unit"
    return ConsequenceInput(
        name=name,
        ref=item.ref,
        area=info.area,
        unit=info.unit,
        price_unit=price_unit,
        sign=sign,
        value=value,
        value_year=value_year,
        conversion=conversion,
        shares=(shares[0], shares[1], shares[2]),
        status=info.status,
        source=info.source,
        split_basis=basis,
        profile=profile,
        uncertain=uncertain,
    )


def _cost(case: Case, index: int) -> CostInput:
    cost = case.intervention.costs[index]
    first = case.first_year
    n_years = case.horizon_years
    period: str | None = None
    if isinstance(cost, PerParticipantCost):
        schedule = tuple([1.0 / cost.spread_years] * cost.spread_years)
        per_participant = True
    elif isinstance(cost, PerParticipantPeriodCost):
        per_year = UNITS_PER_YEAR[cost.period]
        n_sched = math.ceil(cost.periods / per_year - 1e-12)
        schedule = tuple(min(per_year, cost.periods - s * per_year) for s in range(n_sched))
        per_participant = True
        period = cost.period
    else:
        mask = [0.0] * n_years
        if isinstance(cost, FixedCost):
            for year in range(cost.first_year, cost.last_year + 1):
                if 0 <= year - first < n_years:
                    mask[year - first] = 1.0
        else:
            assert isinstance(cost, OneOffCost)
            mask[cost.year - first] = 1.0
        schedule = tuple(mask)
        per_participant = False
    return CostInput(
        name=cost.name,
        type=cost.type,
        period=period,
        actor=cost.actor,
        area=cost.area,
        amount=point(cost.amount),
        price_year=cost.price_year or case.price_year,
        schedule=schedule,
        per_participant=per_participant,
        uncertain=_uncertain(cost.amount),
    )


def _discount_label(schedule: str | None, rate: float | None) -> str:
    if rate is not None:
        return f"constant {rate:.2%}"
    return schedule or DEFAULT_DISCOUNTING_ID


def sheet_inputs(result: Result, kb: KnowledgeBase, lang: str) -> SheetInputs:
    """The inputs of a success-rate ``result``'s case, checked against the runner's arrays."""
    case = result.case
    success = case.success
    assert success is not None, "a success-rate case"
    loaded = LoadedCase.of(case)
    prepared = prepare(loaded, kb)
    meta = prepared.meta
    n_years = case.horizon_years
    intake = [0.0] * n_years
    for cohort in case.target_group.cohorts:
        intake[cohort.year - case.first_year] += point(cohort.intake)
    timing_spec = success.timing
    if isinstance(timing_spec, Dist):
        timing = tuple(float(v) for v in np.asarray(timing_spec.distribution.mean()).tolist())
    else:
        timing = tuple(timing_spec or [1.0])
    consequences = tuple(
        _consequence(case, kb, k, info, lang) for k, info in enumerate(result.consequences)
    )
    costs = tuple(_cost(case, i) for i in range(len(case.intervention.costs)))
    price_index = {int(row["year"]): float(row["value"]) for row in result.price_index_used}
    adj = case.adjustments
    gains_spec = case.discounting.gains
    inputs = SheetInputs(
        price_year=case.price_year,
        first_year=case.first_year,
        years=tuple(case.years),
        convention=case.discounting.convention,
        absolute=success.absolute_effect is not None,
        rate_with=point(success.rate_with) if success.rate_with is not None else 0.0,
        rate_without=point(success.rate_without) if success.rate_without is not None else 0.0,
        absolute_effect=(
            point(success.absolute_effect) if success.absolute_effect is not None else 0.0
        ),
        measure=success.measure,
        attribution=point(adj.attribution),
        optimism_costs=point(adj.optimism_bias.costs),
        optimism_effects=point(adj.optimism_bias.effects),
        drop_off=point(adj.drop_off),
        timing=timing,
        intake=tuple(intake),
        bands_costs=tuple((int(a), float(b)) for a, b in meta["bands_costs"]),
        bands_gains=(
            tuple((int(a), float(b)) for a, b in meta["bands_gains"])
            if gains_spec is not None
            else None
        ),
        discount_label_costs=_discount_label(case.discounting.schedule, case.discounting.rate),
        discount_label_gains=(
            _discount_label(gains_spec.schedule, gains_spec.rate)
            if gains_spec is not None
            else _discount_label(case.discounting.schedule, case.discounting.rate)
        ),
        price_index=price_index,
        consequences=consequences,
        costs=costs,
        uncertain={slot.path: slot.spec.dist for slot in prepared.slots},
    )
    _check(inputs, prepared.base)
    return inputs


def price_factor(inputs: SheetInputs, year: int) -> float:
    """The factor from ``year`` prices to the case's price year (1 for the same year)."""
    if year == inputs.price_year:
        return 1.0
    return inputs.price_index[inputs.price_year] / inputs.price_index[year]


def _check(inputs: SheetInputs, base: dict[str, np.ndarray]) -> None:
    """Raise if the decomposed inputs do not recombine into the runner's arrays."""
    prices = np.array(
        [
            [
                c.sign * c.value * price_factor(inputs, c.value_year) * c.conversion * share
                for share in c.shares
            ]
            for c in inputs.consequences
        ]
    ).reshape(-1, len(ACTORS))
    if not np.allclose(prices, base["unit_prices"][0], rtol=_CHECK_RTOL, atol=0.0):
        raise RuntimeError("XLSX report: unit prices do not recombine into the engine's")
    amounts = [
        c.amount * price_factor(inputs, c.price_year) for c in inputs.costs if c.per_participant
    ]
    if not np.allclose(amounts, base["participant_amount"][0], rtol=_CHECK_RTOL, atol=0.0):
        raise RuntimeError("XLSX report: cost amounts do not recombine into the engine's")
    other = sum(
        (
            c.amount * price_factor(inputs, c.price_year) * np.asarray(c.schedule)
            for c in inputs.costs
            if not c.per_participant
        ),
        start=np.zeros(len(inputs.years)),
    )
    if not np.allclose(other, base["other_costs"][0].sum(axis=(0, 1)), rtol=1e-9, atol=1e-6):
        raise RuntimeError("XLSX report: fixed and one-off costs do not match the engine's")
    if not np.allclose(inputs.timing, base["timing"][0], rtol=_CHECK_RTOL, atol=0.0):
        raise RuntimeError("XLSX report: success timing does not match the engine's")
