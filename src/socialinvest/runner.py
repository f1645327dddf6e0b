"""From a validated case and the knowledge base to engine arrays, and from the engine to a Result.

This is the edge where references are resolved, prices converted to the case's price year and
actor splits applied; every value taken from the knowledge base is recorded for provenance. The
engine itself (socialinvest.engine) never sees a file, a case model or the knowledge base.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialinvest.case.load import LoadedCase
from socialinvest.case.models import (
    Case,
    Consequence,
    DiscountSpec,
    FixedCost,
    OneOffCost,
    PerParticipantCost,
    PerParticipantPeriodCost,
)
from socialinvest.engine.appraisal import appraise_flows
from socialinvest.engine.discounting import discount_factors
from socialinvest.engine.success_rate import SuccessRateInputs, success_rate_flows
from socialinvest.errors import InputError
from socialinvest.knowledge.base import (
    DEFAULT_DISCOUNTING_ID,
    PRICE_INDEX_ID,
    KnowledgeBase,
    default_knowledge_base,
    plain_value,
)
from socialinvest.knowledge.schema import DatedValue, ReimbursementSplit
from socialinvest.result import ConsequenceInfo, Result
from socialinvest.vocabulary import ACTORS, AREAS, UNITS_PER_YEAR, activity_conversion

Path_ = tuple[str | int, ...]


@dataclass
class Provenance:
    """Every knowledge-base value a run used, keyed by entry ID (first use wins)."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    price_index: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, entry_id: str, record: dict[str, Any]) -> None:
        self.entries.setdefault(entry_id, record)


def _reference_record(dated: DatedValue) -> dict[str, Any]:
    ref = dated.reference
    return {
        "status": dated.status,
        "source": ref.title,
        "publisher": ref.publisher,
        "url": ref.url,
        "accessed": ref.accessed.isoformat(),
        "note": ref.note,
    }


class _Resolver:
    """Resolves one case against a knowledge base, collecting provenance as it goes."""

    def __init__(self, loaded: LoadedCase, kb: KnowledgeBase) -> None:
        self.loaded = loaded
        self.case: Case = loaded.case
        self.kb = kb
        self.provenance = Provenance()

    def error(self, path: Path_, expected: str, **kwargs: Any) -> InputError:
        return self.loaded.error(path, expected, **kwargs)

    # -- price years ---------------------------------------------------------------------------
    def _index_value(self, year: int) -> float | None:
        own = self.case.price_index or {}
        if year in own:
            self.provenance.price_index.setdefault(
                year,
                {
                    "year": year,
                    "value": own[year],
                    "status": "assumption",
                    "source": f"given in the case file {self.loaded.file}",
                },
            )
            return own[year]
        table = self.kb.price_index()
        if year not in table:
            return None
        value, dated = table[year]
        self.provenance.price_index.setdefault(
            year,
            {"year": year, "value": value, "entry": PRICE_INDEX_ID, **_reference_record(dated)},
        )
        return value

    def price_factor(self, from_year: int, path: Path_, value: Any = None) -> float:
        """Multiply an amount in ``from_year`` prices by this to get the case's price year.

        ``path`` and ``value`` name what carries ``from_year``, for the error when the net price
        index does not cover that year.
        """
        to_year = self.case.price_year
        if from_year == to_year:
            return 1.0
        target = self._index_value(to_year)
        source = self._index_value(from_year)
        if target is not None and source is not None:
            return target / source
        covered = sorted(set(self.kb.price_index()) | set(self.case.price_index or {}))
        span = f"{covered[0]}–{covered[-1]}"
        if target is None:
            raise self.error(
                ("price_year",),
                f"a price year the net price index covers ({span}), or index values for it under "
                "'price_index' in the case",
                value=to_year,
            )
        raise self.error(
            path,
            f"amounts whose year the net price index covers ({span}); this one is in {from_year} "
            f"prices, so add {from_year} under 'price_index' in the case or use another value",
            value=from_year if value is None else value,
        )

    # -- consequences --------------------------------------------------------------------------
    def consequence(self, i: int, item: Consequence) -> tuple[ConsequenceInfo, np.ndarray]:
        """Info and the signed price per unit for each actor, in the case's price year."""
        base: Path_ = ("consequences", i)
        if item.ref is not None:
            return self._kb_consequence(i, item, base)
        price = item.price
        assert price is not None
        unit = item.unit or _default_activity(price.unit)
        conversion = activity_conversion(unit, price.unit)
        if conversion is None:
            raise self._unit_error(base, unit, price.unit)
        year = price.price_year or self.case.price_year
        factor = self.price_factor(year, (*base, "price", "price_year"))
        shares = np.array([getattr(price.actor_split, a) for a in ACTORS])
        sign = 1.0 if price.direction == "expense" else -1.0
        per_unit = price.value * factor * conversion
        info = ConsequenceInfo(
            name=item.name or f"consequence {i + 1}",
            ref=None,
            unit=unit,
            area=item.area or price.area,
            direction=price.direction,
            price_per_unit=per_unit,
            status=price.status,
            source=price.source,
            units_per_success=tuple(item.units_per_success),
        )
        return info, sign * per_unit * shares

    def _unit_error(self, base: Path_, unit: str, price_unit: str) -> InputError:
        return self.error(
            (*base, "unit"),
            f"a unit the price's unit {price_unit} converts to (day, night, week, month, year "
            f"for a price per time; person or occurrence otherwise)",
            value=unit,
        )

    def _kb_consequence(
        self, i: int, item: Consequence, base: Path_
    ) -> tuple[ConsequenceInfo, np.ndarray]:
        ref = item.ref
        assert ref is not None
        if ref not in self.kb:
            close = difflib.get_close_matches(ref, self.kb.ids(), n=1, cutoff=0.5)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise self.error(
                (*base, "ref"),
                "the ID of a knowledge-base entry, as listed by 'socialinvest knowledge list'"
                + hint,
                value=ref,
            )
        entry = self.kb.entry(ref)
        if entry.kind != "unit_price":
            raise self.error(
                (*base, "ref"), f"a unit price, not a {entry.kind.replace('_', ' ')}", value=ref
            )
        if item.weeks_on_support is not None and not isinstance(
            entry.actor_split, ReimbursementSplit
        ):
            raise self.error(
                (*base, "weeks_on_support"),
                "no weeks_on_support here: this entry's actor split does not follow reimbursement",
                value=item.weeks_on_support,
            )
        unit = item.unit or _default_activity(entry.unit)
        conversion = activity_conversion(unit, entry.unit)
        if conversion is None:
            raise self._unit_error(base, unit, entry.unit)
        value, dated = self.kb.number(ref, self.case.price_year)
        value_year = dated.valid_from.year
        factor = self.price_factor(value_year, (*base, "ref"), value=ref)
        split = self.kb.split(ref, value_year, item.weeks_on_support)
        shares = np.array([split.shares[a] for a in ACTORS])
        direction = entry.direction or "expense"
        sign = 1.0 if direction == "expense" else -1.0
        per_unit = value * factor * conversion
        statuses = {dated.status, split.status}
        status = (
            "assumption"
            if "assumption" in statuses
            else ("secondary" if "secondary" in statuses else "official")
        )
        record = {
            "id": ref,
            "label": entry.label.en,
            "label_da": entry.label.da,
            "value": value,
            "unit": entry.unit,
            "year": value_year,
            "valid_from": dated.valid_from.isoformat(),
            **_reference_record(dated),
            "price_factor": factor,
            "actor_split": {a: split.shares[a] for a in ACTORS},
            "actor_split_basis": split.basis,
            "actor_split_status": split.status,
        }
        if split.reference is not None:
            record["actor_split_source"] = split.reference.title
            record["actor_split_url"] = split.reference.url
        self.provenance.add(ref, record)
        if isinstance(entry.actor_split, ReimbursementSplit):
            schedule_id = entry.actor_split.reimbursement
            _, sched = self.kb.state_share(schedule_id, 1, value_year)
            self.provenance.add(
                schedule_id,
                {
                    "id": schedule_id,
                    "label": self.kb.entry(schedule_id).label.en,
                    "label_da": self.kb.entry(schedule_id).label.da,
                    "value": plain_value(sched.value),
                    "unit": "share",
                    "year": sched.valid_from.year,
                    "valid_from": sched.valid_from.isoformat(),
                    **_reference_record(sched),
                },
            )
        info = ConsequenceInfo(
            name=item.name or entry.label.en,
            name_da=item.name or entry.label.da,
            ref=ref,
            unit=unit,
            area=item.area or entry.area or "other",
            direction=direction,
            price_per_unit=per_unit,
            status=status,
            source=dated.reference.title,
            units_per_success=tuple(item.units_per_success),
        )
        return info, sign * per_unit * shares

    # -- discounting ---------------------------------------------------------------------------
    def discount(self, spec: DiscountSpec, path: Path_) -> tuple[list[tuple[int, float]], str]:
        if spec.rate is not None:
            return [(0, spec.rate)], f"constant {spec.rate:.2%}"
        schedule = spec.schedule or DEFAULT_DISCOUNTING_ID
        if schedule not in self.kb or self.kb.entry(schedule).kind != "discount_schedule":
            schedules = [i for i in self.kb.ids() if self.kb.entry(i).kind == "discount_schedule"]
            raise self.error(
                (*path, "schedule"),
                "a discount schedule from the knowledge base (" + ", ".join(schedules) + ")",
                value=schedule,
            )
        bands, dated = self.kb.discount_bands(schedule, self.case.first_year)
        entry = self.kb.entry(schedule)
        self.provenance.add(
            schedule,
            {
                "id": schedule,
                "label": entry.label.en,
                "label_da": entry.label.da,
                "value": plain_value(dated.value),
                "unit": entry.unit,
                "year": dated.valid_from.year,
                "valid_from": dated.valid_from.isoformat(),
                **_reference_record(dated),
            },
        )
        return [(b.from_year, b.rate) for b in bands], schedule


def _default_activity(price_unit: str) -> str:
    from socialinvest.vocabulary import PRICE_UNIT_ACTIVITY

    return PRICE_UNIT_ACTIVITY[price_unit]


def prepare(loaded: LoadedCase, kb: KnowledgeBase) -> tuple[SuccessRateInputs, dict[str, Any]]:
    """Engine inputs (one draw) and the metadata a Result needs."""
    case = loaded.case
    r = _Resolver(loaded, kb)
    years = case.years
    n_years = len(years)
    first = case.first_year
    area_index = {a: k for k, a in enumerate(AREAS)}
    actor_index = {a: k for k, a in enumerate(ACTORS)}

    cohorts = case.target_group.cohorts
    cohort_year = np.array([c.year - first for c in cohorts], dtype=np.int64)
    intake = np.array([[c.intake for c in cohorts]], dtype=np.float64)

    success = case.success
    adj = case.adjustments
    timing = np.array([success.timing or [1.0]], dtype=np.float64)

    infos: list[ConsequenceInfo] = []
    prices: list[np.ndarray] = []
    for i, item in enumerate(case.consequences):
        info, price = r.consequence(i, item)
        infos.append(info)
        prices.append(price)
    n_cons = len(infos)
    n_profile = max((len(c.units_per_success) for c in case.consequences), default=1)
    profiles = np.zeros((1, n_cons, n_profile))
    for k, item in enumerate(case.consequences):
        profiles[0, k, : len(item.units_per_success)] = item.units_per_success
    unit_prices = (
        np.array(prices, dtype=np.float64)[None, :, :] if prices else np.zeros((1, 0, len(ACTORS)))
    )
    consequence_area = np.array([AREAS.index(c.area) for c in infos], dtype=np.int64)

    # intervention costs
    participant_amount: list[float] = []
    schedules: list[list[float]] = []
    p_actor: list[int] = []
    p_area: list[int] = []
    other = np.zeros((1, len(ACTORS), len(AREAS), n_years))
    cost_rows: list[dict[str, Any]] = []
    for i, cost in enumerate(case.intervention.costs):
        path: Path_ = ("intervention", "costs", i)
        factor = r.price_factor(cost.price_year or case.price_year, (*path, "price_year"))
        amount = cost.amount * factor
        a, ar = actor_index[cost.actor], area_index[cost.area]
        cost_rows.append(
            {
                "name": cost.name,
                "type": cost.type,
                "amount": amount,
                "actor": cost.actor,
                "area": cost.area,
                "price_factor": factor,
            }
        )
        if isinstance(cost, PerParticipantCost):
            participant_amount.append(amount)
            schedules.append([1.0 / cost.spread_years] * cost.spread_years)
        elif isinstance(cost, PerParticipantPeriodCost):
            per_year = UNITS_PER_YEAR[cost.period]
            n_sched = math.ceil(cost.periods / per_year - 1e-12)
            counts = [min(per_year, cost.periods - s * per_year) for s in range(n_sched)]
            participant_amount.append(amount)
            schedules.append(counts)
        elif isinstance(cost, FixedCost):
            other[0, a, ar, cost.first_year - first : cost.last_year - first + 1] += amount
            continue
        elif isinstance(cost, OneOffCost):
            other[0, a, ar, cost.year - first] += amount
            continue
        p_actor.append(a)
        p_area.append(ar)
    n_sched = max((len(s) for s in schedules), default=1)
    schedule = np.zeros((len(schedules), n_sched))
    for p, s in enumerate(schedules):
        schedule[p, : len(s)] = s

    bands_costs, costs_label = r.discount(case.discounting, ("discounting",))
    if case.discounting.gains is not None:
        bands_gains, gains_label = r.discount(case.discounting.gains, ("discounting", "gains"))
    else:
        bands_gains, gains_label = bands_costs, costs_label
    convention = case.discounting.convention

    inputs = SuccessRateInputs(
        n_years=n_years,
        n_areas=len(AREAS),
        cohort_year=cohort_year,
        intake=intake,
        effect=np.array([success.effect]),
        effect_factor=np.array([(1.0 - adj.attribution) * (1.0 - adj.optimism_bias.effects)]),
        timing=timing,
        profiles=profiles,
        drop_off=np.array([adj.drop_off]),
        unit_prices=unit_prices,
        consequence_area=consequence_area,
        participant_amount=np.array([participant_amount], dtype=np.float64).reshape(1, -1),
        participant_schedule=schedule,
        participant_actor=np.array(p_actor, dtype=np.int64),
        participant_area=np.array(p_area, dtype=np.int64),
        other_costs=other,
        cost_uplift=np.array([1.0 + adj.optimism_bias.costs]),
    )
    adjustments: dict[str, float] = {}
    if adj.attribution:
        adjustments["attribution"] = adj.attribution
    if adj.optimism_bias.costs:
        adjustments["optimism_bias_costs"] = adj.optimism_bias.costs
    if adj.optimism_bias.effects:
        adjustments["optimism_bias_effects"] = adj.optimism_bias.effects
    if adj.drop_off:
        adjustments["drop_off"] = adj.drop_off
    meta: dict[str, Any] = {
        "consequences": infos,
        "costs": cost_rows,
        "adjustments": adjustments,
        "discounting": {
            "costs": costs_label,
            "gains": gains_label,
            "convention": convention,
        },
        "bands_costs": bands_costs,
        "bands_gains": bands_gains,
        "provenance": r.provenance,
    }
    return inputs, meta


def appraise(case: Case | LoadedCase, kb: KnowledgeBase | None = None) -> Result:
    """Run the business case: budget net result per actor, area and year, and its key figures."""
    loaded = case if isinstance(case, LoadedCase) else LoadedCase.of(case)
    knowledge = kb or default_knowledge_base()
    inputs, meta = prepare(loaded, knowledge)
    n_years = inputs.n_years
    convention = meta["discounting"]["convention"]
    df_costs = discount_factors(meta["bands_costs"], n_years, convention)
    df_gains = discount_factors(meta["bands_gains"], n_years, convention)
    flows = success_rate_flows(inputs)
    appraisal = appraise_flows(flows, df_gains, df_costs)
    return Result(
        case=loaded.case,
        file=loaded.file,
        case_sha256=loaded.sha256,
        flows=flows,
        appraisal=appraisal,
        consequences=meta["consequences"],
        costs=meta["costs"],
        adjustments=meta["adjustments"],
        discounting=meta["discounting"],
        provenance_entries=list(meta["provenance"].entries.values()),
        price_index_used=[
            meta["provenance"].price_index[y] for y in sorted(meta["provenance"].price_index)
        ],
        knowledge_base_version=knowledge.version,
        knowledge_base_digest=knowledge.digest,
    )
