"""Resolving a case against the knowledge base: references, price years and actor splits, with
every value used recorded for provenance; and the intervention's costs as engine arrays.

Both kinds of model prepare their runs with this (socialinvest.runner for success-rate cases,
socialinvest.state_transition for state-transition cases), so it sits below both of them.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
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
    point,
)
from socialinvest.errors import InputError, Msg, msg
from socialinvest.knowledge.base import (
    DEFAULT_DISCOUNTING_ID,
    PRICE_INDEX_ID,
    KnowledgeBase,
    plain_value,
)
from socialinvest.knowledge.effects import study_record
from socialinvest.knowledge.local import origin, with_local_prices
from socialinvest.knowledge.schema import DatedValue, ReimbursementSplit
from socialinvest.result import ConsequenceInfo
from socialinvest.vocabulary import ACTORS, AREAS, UNITS_PER_YEAR, activity_conversion

Path_ = tuple[str | int, ...]


@dataclass
class Provenance:
    """Every knowledge-base value a run used, keyed by entry ID (first use wins)."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    price_index: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, entry_id: str, record: dict[str, Any]) -> None:
        self.entries.setdefault(entry_id, record)


def reference_record(dated: DatedValue) -> dict[str, Any]:
    ref = dated.reference
    return {
        "status": dated.status,
        "source": ref.title,
        "publisher": ref.publisher,
        "url": ref.url,
        "accessed": ref.accessed.isoformat(),
        "note": ref.note,
    }


class Resolver:
    """Resolves one case against a knowledge base, collecting provenance as it goes."""

    def __init__(self, loaded: LoadedCase, kb: KnowledgeBase) -> None:
        self.loaded = loaded
        self.case: Case = loaded.case
        try:
            # a municipality's own prices laid over the knowledge base (docs/knowledge-base.md)
            self.kb = with_local_prices(kb, self.case.local_prices, loaded.file)
        except InputError as exc:
            if exc.field != "local_prices":
                raise
            raise exc.located(loaded.file, loaded.document.line_of(("local_prices",))) from None
        self.provenance = Provenance()
        success = getattr(self.case, "success", None)
        if success is not None and success.from_study:
            # the study the success rates came from is named among the values used
            self.provenance.add(f"effects/{success.from_study}", study_record(success.from_study))

    def error(self, path: Path_, expected: str | Msg, **kwargs: Any) -> InputError:
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
            {"year": year, "value": value, "entry": PRICE_INDEX_ID, **reference_record(dated)},
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
                msg("r_price_year", span=span),
                value=to_year,
            )
        raise self.error(
            path,
            msg("r_amount_year", span=span, year=str(from_year)),
            value=from_year if value is None else value,
        )

    # -- consequences --------------------------------------------------------------------------
    def consequence(
        self, i: int, item: Consequence
    ) -> tuple[ConsequenceInfo, np.ndarray, np.ndarray]:
        """Info, the signed price per unit for each actor in the case's price year, and that
        price per krone of the stated value (to apply sampled values of an own price)."""
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
        per_unit = point(price.value) * factor * conversion
        info = ConsequenceInfo(
            name=item.name or f"consequence {i + 1}",
            ref=None,
            unit=unit,
            area=item.area or price.area,
            direction=price.direction,
            price_per_unit=per_unit,
            status=price.status,
            source=price.source,
            units_per_success=tuple(point(u) for u in item.units_per_success),
        )
        return info, sign * per_unit * shares, sign * factor * conversion * shares

    def _unit_error(self, base: Path_, unit: str, price_unit: str) -> InputError:
        return self.error(
            (*base, "unit"),
            msg("r_unit", price_unit=price_unit),
            value=unit,
        )

    def _kb_consequence(
        self, i: int, item: Consequence, base: Path_
    ) -> tuple[ConsequenceInfo, np.ndarray, np.ndarray]:
        ref = item.ref
        assert ref is not None
        if ref not in self.kb:
            close = difflib.get_close_matches(ref, self.kb.ids(), n=1, cutoff=0.5)
            hint = msg("t_did_you_mean", name=close[0]) if close else ""
            raise self.error(
                (*base, "ref"),
                msg("r_knowledge_id", hint=hint),
                value=ref,
            )
        entry = self.kb.entry(ref)
        if entry.kind != "unit_price":
            raise self.error((*base, "ref"), msg("r_unit_price", kind=entry.kind), value=ref)
        if item.weeks_on_support is not None and not isinstance(
            entry.actor_split, ReimbursementSplit
        ):
            raise self.error(
                (*base, "weeks_on_support"),
                msg("r_weeks_on_support"),
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
            "origin": origin(self.kb, ref),
            "label": entry.label.en,
            "label_da": entry.label.da,
            "value": value,
            "unit": entry.unit,
            "year": value_year,
            "valid_from": dated.valid_from.isoformat(),
            **reference_record(dated),
            "price_factor": factor,
            "actor_split": {a: split.shares[a] for a in ACTORS},
            "actor_split_basis": split.basis,
            "actor_split_status": split.status,
        }
        if record["origin"] == "local":
            record["source"] = (
                f"{record['source']} [lokal pris / local price: {self.case.local_prices}]"
            )
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
                    "origin": origin(self.kb, schedule_id),
                    "label": self.kb.entry(schedule_id).label.en,
                    "label_da": self.kb.entry(schedule_id).label.da,
                    "value": plain_value(sched.value),
                    "unit": "share",
                    "year": sched.valid_from.year,
                    "valid_from": sched.valid_from.isoformat(),
                    **reference_record(sched),
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
            units_per_success=tuple(point(u) for u in item.units_per_success),
        )
        return info, sign * per_unit * shares, sign * factor * conversion * shares

    # -- discounting ---------------------------------------------------------------------------
    def discount(self, spec: DiscountSpec, path: Path_) -> tuple[list[tuple[int, float]], str]:
        if spec.rate is not None:
            return [(0, spec.rate)], f"constant {spec.rate:.2%}"
        schedule = spec.schedule or DEFAULT_DISCOUNTING_ID
        if schedule not in self.kb or self.kb.entry(schedule).kind != "discount_schedule":
            schedules = [i for i in self.kb.ids() if self.kb.entry(i).kind == "discount_schedule"]
            raise self.error(
                (*path, "schedule"),
                msg("r_discount_schedule", schedules=", ".join(schedules)),
                value=schedule,
            )
        bands, dated = self.kb.discount_bands(schedule, self.case.first_year)
        entry = self.kb.entry(schedule)
        self.provenance.add(
            schedule,
            {
                "id": schedule,
                "origin": origin(self.kb, schedule),
                "label": entry.label.en,
                "label_da": entry.label.da,
                "value": plain_value(dated.value),
                "unit": entry.unit,
                "year": dated.valid_from.year,
                "valid_from": dated.valid_from.isoformat(),
                **reference_record(dated),
            },
        )
        return [(b.from_year, b.rate) for b in bands], schedule


def _default_activity(price_unit: str) -> str:
    from socialinvest.vocabulary import PRICE_UNIT_ACTIVITY

    return PRICE_UNIT_ACTIVITY[price_unit]


@dataclass(frozen=True)
class SetColumn:
    """Write draws into arrays[name][:, *index] (times a scale)."""

    name: str
    index: tuple[int, ...]
    scale: float = 1.0

    def __call__(self, arrays: dict[str, np.ndarray], draws: np.ndarray) -> None:
        target = arrays[self.name]
        where: tuple[slice | int, ...] = (slice(None), *self.index)
        target[where] = draws * self.scale if draws.ndim == 1 else draws


@dataclass(frozen=True)
class AddDeviation:
    """Add (draw − centre) × mask to a [draw, actor, area, year] array."""

    name: str
    mask: np.ndarray
    centre: float

    def __call__(self, arrays: dict[str, np.ndarray], draws: np.ndarray) -> None:
        # In place, as SetColumn writes (the arrays are the caller's own, made for these draws:
        # a copy per slot of a [draw, actor, area, year] array was memory traffic that two
        # workers on one machine share); a new array when it has no draw axis yet. Only the
        # cells of the mask change (adding 0 · deviation elsewhere left them as they were), so
        # they are the only ones touched.
        shape = (len(draws), *self.mask.shape)
        target = arrays[self.name]
        if target.shape != shape or not target.flags.writeable:
            target = np.array(np.broadcast_to(target, shape))
        deviation = draws - self.centre
        for cell in np.argwhere(self.mask).tolist():
            where: tuple[slice | int, ...] = (slice(None), *cell)
            target[where] += deviation * float(self.mask[tuple(cell)])
        arrays[self.name] = target


def used_areas(*groups: list[str]) -> list[str]:
    """The budget areas a case uses, in the order of AREAS (at least one, so arrays are never
    empty). The engine works on these only; results are expanded to every area afterwards."""
    used = {area for group in groups for area in group}
    return [a for a in AREAS if a in used] or [AREAS[-1]]


def prepare_costs(
    r: Resolver,
    uncertain: Callable[[Path_, Any, Callable[..., None]], None],
    areas: list[str],
) -> dict[str, Any]:
    """Intervention costs as engine arrays (one draw, point values), registering uncertain
    amounts with ``uncertain``. The area axis holds only ``areas`` (those the case uses)."""
    case = r.case
    n_years = case.horizon_years
    first = case.first_year
    area_index = {a: k for k, a in enumerate(areas)}
    actor_index = {a: k for k, a in enumerate(ACTORS)}
    # intervention costs
    participant_amount: list[float] = []
    schedules: list[list[float]] = []
    p_actor: list[int] = []
    p_area: list[int] = []
    other = np.zeros((1, len(ACTORS), len(areas), n_years))
    cost_rows: list[dict[str, Any]] = []
    for i, cost in enumerate(case.intervention.costs):
        path: Path_ = ("intervention", "costs", i)
        factor = r.price_factor(cost.price_year or case.price_year, (*path, "price_year"))
        amount = point(cost.amount) * factor
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
        if isinstance(cost, FixedCost | OneOffCost):
            mask = np.zeros((len(ACTORS), len(areas), n_years))
            if isinstance(cost, FixedCost):
                mask[a, ar, cost.first_year - first : cost.last_year - first + 1] = factor
            else:
                mask[a, ar, cost.year - first] = factor
            other[0] += mask * point(cost.amount)
            uncertain(
                (*path, "amount"),
                cost.amount,
                AddDeviation("other_costs", mask, point(cost.amount)),
            )
            continue
        if isinstance(cost, PerParticipantCost):
            schedules.append([1.0 / cost.spread_years] * cost.spread_years)
        else:
            assert isinstance(cost, PerParticipantPeriodCost)
            per_year = UNITS_PER_YEAR[cost.period]
            n_sched = math.ceil(cost.periods / per_year - 1e-12)
            schedules.append([min(per_year, cost.periods - s * per_year) for s in range(n_sched)])
        uncertain(
            (*path, "amount"),
            cost.amount,
            SetColumn("participant_amount", (len(participant_amount),), factor),
        )
        participant_amount.append(amount)
        p_actor.append(a)
        p_area.append(ar)
    n_sched = max((len(s) for s in schedules), default=1)
    schedule = np.zeros((len(schedules), n_sched))
    for p, sched in enumerate(schedules):
        schedule[p, : len(sched)] = sched

    return {
        "participant_amount": np.array([participant_amount], dtype=np.float64).reshape(1, -1),
        "other_costs": other,
        "participant_schedule": schedule,
        "participant_actor": np.array(p_actor, dtype=np.int64),
        "participant_area": np.array(p_area, dtype=np.int64),
        "cost_rows": cost_rows,
    }
