"""The schema every knowledge-base entry is validated against when it is loaded.

One entry is one YAML file under ``knowledge/data``; its path without ``.yaml`` is its ID. Every
value is dated (``valid_from``), has a unit from a closed vocabulary, a status (official, secondary,
assumption) and its own reference. See ``docs/knowledge-base.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from socialinvest.errors import invalid
from socialinvest.vocabulary import PRICE_UNITS, Area, Direction, Status, ValueUnit

Kind = Literal[
    "unit_price", "discount_schedule", "reimbursement_schedule", "price_index", "parameter"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    da: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Reference(_Strict):
    title: str = Field(min_length=3)
    publisher: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    accessed: dt.date
    note: str | None = None


class DiscountBand(_Strict):
    from_year: int = Field(ge=0)
    rate: float = Field(ge=0, lt=1)


class ReimbursementBand(_Strict):
    from_week: int = Field(ge=1)
    state_share: float = Field(ge=0, le=1)


class DatedValue(_Strict):
    valid_from: dt.date
    value: float | list[DiscountBand] | list[ReimbursementBand]
    status: Status
    reference: Reference


class ExplicitSplit(_Strict):
    """Shares of a unit price borne by each actor, with their own source."""

    kommune: float = Field(default=0.0, ge=0, le=1)
    region: float = Field(default=0.0, ge=0, le=1)
    stat: float = Field(default=0.0, ge=0, le=1)
    status: Status
    reference: Reference

    @model_validator(mode="after")
    def _sums_to_one(self) -> ExplicitSplit:
        total = self.kommune + self.region + self.stat
        if abs(total - 1.0) > 1e-9:
            raise invalid("kb_split_sum", total=f"{total:g}")
        return self


class ReimbursementSplit(_Strict):
    """The kommune/stat split follows a reimbursement staircase at a given duration on support."""

    reimbursement: str = Field(min_length=1)
    weeks_on_support: int = Field(default=53, ge=1)


ActorSplit = Annotated[ExplicitSplit | ReimbursementSplit, Field(union_mode="left_to_right")]


class Entry(_Strict):
    label: Text
    kind: Kind
    unit: ValueUnit
    values: list[DatedValue] = Field(min_length=1)
    description: Text | None = None
    area: Area | None = None
    direction: Direction | None = None
    actor_split: ActorSplit | None = None
    base: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Entry:
        dates = [v.valid_from for v in self.values]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise invalid("kb_values_order")
        numeric = all(isinstance(v.value, float | int) for v in self.values)
        if self.kind == "unit_price":
            if self.unit not in PRICE_UNITS:
                raise invalid("kb_money_unit", units=", ".join(PRICE_UNITS))
            if self.area is None or self.actor_split is None:
                raise invalid("kb_area_split")
            if not numeric or any(float(v.value) < 0 for v in self.values):  # type: ignore[arg-type]
                raise invalid("kb_price_non_negative")
        else:
            if self.area is not None or self.actor_split is not None or self.direction is not None:
                raise invalid("kb_only_unit_price")
        if self.kind == "discount_schedule":
            if self.unit != "rate" or not all(
                isinstance(v.value, list) and v.value and isinstance(v.value[0], DiscountBand)
                for v in self.values
            ):
                raise invalid("kb_discount_values")
            for v in self.values:
                assert isinstance(v.value, list)
                starts = [b.from_year for b in v.value]  # type: ignore[union-attr]
                if starts[0] != 0 or starts != sorted(set(starts)):
                    raise invalid("kb_discount_bands")
        if self.kind == "reimbursement_schedule":
            if self.unit != "share" or not all(
                isinstance(v.value, list) and v.value and isinstance(v.value[0], ReimbursementBand)
                for v in self.values
            ):
                raise invalid("kb_reimbursement_values")
            for v in self.values:
                assert isinstance(v.value, list)
                starts = [b.from_week for b in v.value]  # type: ignore[union-attr]
                if starts[0] != 1 or starts != sorted(set(starts)):
                    raise invalid("kb_reimbursement_bands")
        if self.kind == "price_index":
            if self.unit != "index" or not numeric or not self.base:
                raise invalid("kb_index_form")
            years = [v.valid_from.year for v in self.values]
            if len(set(years)) != len(years):
                raise invalid("kb_index_per_year")
        elif self.base is not None:
            raise invalid("kb_only_index_base")
        if self.kind == "parameter" and not numeric:
            raise invalid("kb_parameter_numbers")
        return self

    @property
    def statuses(self) -> set[str]:
        return {v.status for v in self.values}
