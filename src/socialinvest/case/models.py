"""Typed models of a business case file (YAML or JSON). Field-by-field docs: docs/case-format.md.

The models check each value on its own (types, ranges, required fields). Checks that relate several
fields (a cohort outside the horizon, a horizon shorter than the intervention) are made in
:mod:`socialinvest.case.checks`, so the error can name the exact field and line.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from socialinvest.vocabulary import ActivityUnit, Actor, Area, Direction, PriceUnit, Status

Share = Annotated[float, Field(ge=0, le=1, description="A share between 0 and 1.")]
Year = Annotated[int, Field(ge=1900, le=2200, description="A calendar year, e.g. 2025.")]
Money = Annotated[float, Field(ge=0, description="An amount in the case's currency (kr.).")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Cohort(_Strict):
    """Participants who start the intervention in one year."""

    year: Year = Field(description="Calendar year in which this cohort starts.")
    intake: float = Field(ge=0, description="Number of participants who start that year.")


class TargetGroup(_Strict):
    """Who the intervention is for (målgruppe) and how many start when."""

    description: str = Field(min_length=1, description="Who the participants are.")
    cohorts: list[Cohort] = Field(min_length=1, description="Intake per year.")


class _Cost(_Strict):
    name: str = Field(min_length=1, description="What the cost is for.")
    amount: Money
    actor: Actor = Field(default="kommune", description="Who pays: kommune, region or stat.")
    area: Area = Field(description="Budget area the cost falls in.")
    price_year: Year | None = Field(
        default=None, description="Price year of the amount; default: the case's price year."
    )


class PerParticipantCost(_Cost):
    """An amount per participant, paid in the intake year (or spread evenly over years)."""

    type: Literal["per_participant"]
    spread_years: int = Field(
        default=1, ge=1, le=50, description="Spread evenly over this many years from intake."
    )


class PerParticipantPeriodCost(_Cost):
    """An amount per participant per period (week, month, quarter or year) for some periods."""

    type: Literal["per_participant_period"]
    period: Literal["week", "month", "quarter", "year"] = Field(description="Length of a period.")
    periods: int = Field(ge=1, le=5200, description="Periods per participant, from intake.")


class FixedCost(_Cost):
    """An amount per year, every year from first_year to last_year (both included)."""

    type: Literal["fixed"]
    first_year: Year
    last_year: Year

    @model_validator(mode="after")
    def _ordered(self) -> FixedCost:
        if self.last_year < self.first_year:
            raise ValueError("last_year not before first_year")
        return self


class OneOffCost(_Cost):
    """A single amount in one year (e.g. start-up)."""

    type: Literal["one_off"]
    year: Year


CostItem = Annotated[
    PerParticipantCost | PerParticipantPeriodCost | FixedCost | OneOffCost,
    Field(discriminator="type"),
]


class Intervention(_Strict):
    """What is done (indsats), for how long, at what cost."""

    name: str = Field(min_length=1)
    description: str | None = None
    duration_years: int = Field(
        ge=1, le=50, description="Years a participant is in the intervention, from intake."
    )
    costs: list[CostItem] = Field(min_length=1)


class Success(_Strict):
    """The success measure (succesmål) and the success rates with and without the intervention."""

    measure: str = Field(min_length=1, description="What counts as a success.")
    rate_with: Share | None = Field(default=None, description="Success rate with the intervention.")
    rate_without: Share | None = Field(
        default=None, description="Success rate without it (deadweight, dødvægt)."
    )
    absolute_effect: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description="Additional success rate, when the two rates are not known separately.",
    )
    timing: list[Share] | None = Field(
        default=None,
        min_length=1,
        description="Share of successes reached in year 1, 2, ... after intake (sums to 1).",
    )

    @model_validator(mode="after")
    def _one_way(self) -> Success:
        rates = self.rate_with is not None or self.rate_without is not None
        if rates and self.absolute_effect is not None:
            raise ValueError("either rate_with and rate_without, or absolute_effect, not both")
        if not rates and self.absolute_effect is None:
            raise ValueError("rate_with and rate_without together, or absolute_effect")
        if rates and (self.rate_with is None or self.rate_without is None):
            raise ValueError("rate_with and rate_without together")
        return self

    @property
    def effect(self) -> float:
        if self.absolute_effect is not None:
            return self.absolute_effect
        assert self.rate_with is not None and self.rate_without is not None
        return self.rate_with - self.rate_without


class ActorShares(_Strict):
    kommune: Share = 0.0
    region: Share = 0.0
    stat: Share = 0.0

    @model_validator(mode="after")
    def _sum(self) -> ActorShares:
        total = self.kommune + self.region + self.stat
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"actor shares that sum to 1 (these sum to {total:g})")
        return self


class OwnPrice(_Strict):
    """A unit price given in the case file instead of taken from the knowledge base."""

    value: Money
    unit: PriceUnit
    price_year: Year | None = None
    area: Area
    direction: Direction = "expense"
    actor_split: ActorShares
    source: str = Field(min_length=1, description="Where the price comes from.")
    status: Status = Field(
        default="assumption", description="official, secondary or assumption (the default)."
    )


class Consequence(_Strict):
    """Change in units of a public activity per additional success, year by year after success."""

    name: str | None = Field(default=None, description="Label; default: the entry's label.")
    ref: str | None = Field(default=None, description="Knowledge-base ID of the unit price.")
    price: OwnPrice | None = Field(default=None, description="Own unit price, instead of ref.")
    unit: ActivityUnit | None = Field(
        default=None, description="Unit of units_per_success; default: the price's unit."
    )
    units_per_success: list[float] = Field(
        min_length=1,
        description=(
            "Change in units per additional success in year 1, 2, ... after success "
            "(negative: less of the activity)."
        ),
    )
    weeks_on_support: int | None = Field(
        default=None, ge=1, description="Duration band for the reimbursement split."
    )
    area: Area | None = Field(default=None, description="Override the entry's budget area.")

    @model_validator(mode="after")
    def _one_price(self) -> Consequence:
        if (self.ref is None) == (self.price is None):
            raise ValueError(
                "exactly one of 'ref' (a knowledge-base ID) and 'price' (an own price)"
            )
        return self


class DiscountSpec(_Strict):
    schedule: str | None = Field(default=None, description="Knowledge-base discount schedule ID.")
    rate: float | None = Field(default=None, ge=0, lt=1, description="A constant yearly rate.")

    @model_validator(mode="after")
    def _one(self) -> DiscountSpec:
        if self.schedule is not None and self.rate is not None:
            raise ValueError("either 'schedule' or 'rate', not both")
        return self


class Discounting(DiscountSpec):
    """How future years are discounted (diskontering)."""

    convention: Literal["start", "end"] = Field(
        default="start",
        description=(
            "start: a year's flows fall at its start (the first year is not discounted); "
            "end: at its end (the first year is discounted one year)."
        ),
    )
    gains: DiscountSpec | None = Field(
        default=None, description="A different schedule or rate for gains (consequences)."
    )


class OptimismBias(_Strict):
    costs: float = Field(default=0.0, ge=0, le=5, description="Uplift on costs, e.g. 0.1 = +10 %.")
    effects: Share = Field(default=0.0, description="Haircut on the effect, e.g. 0.1 = -10 %.")


class Adjustments(_Strict):
    """Optional adjustments; each one used is named in every output."""

    attribution: Share = Field(
        default=0.0, description="Share of the effect due to others than the intervention."
    )
    optimism_bias: OptimismBias = OptimismBias()
    drop_off: Share = Field(
        default=0.0, description="Yearly fall of the consequences after the first year (share)."
    )


class Case(_Strict):
    """A socio-economic business case (SØM's success-rate model)."""

    format: Literal[1] = Field(default=1, description="Version of this file format.")
    name: str = Field(min_length=1)
    description: str | None = None
    municipality: str | None = None
    currency: Literal["DKK"] = "DKK"
    price_year: Year = Field(description="All amounts are shown in this year's prices.")
    start_year: Year | None = Field(
        default=None, description="First calendar year of the analysis; default: price_year."
    )
    horizon_years: int = Field(ge=1, le=100, description="Years analysed, from start_year.")
    target_group: TargetGroup
    intervention: Intervention
    success: Success
    consequences: list[Consequence] = Field(default_factory=list)
    committees: dict[str, list[Area]] | None = Field(
        default=None, description="Committee (udvalg) name -> the budget areas it covers."
    )
    discounting: Discounting = Discounting()
    adjustments: Adjustments = Adjustments()
    price_index: dict[int, float] | None = Field(
        default=None,
        description="Own net price index values by year, to extend or replace the bundled index.",
    )

    # Where the case was read from (set by the loader; None for a case built in code).
    _source_file: str | None = PrivateAttr(default=None)
    _source_lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)
    _source_sha256: str | None = PrivateAttr(default=None)

    @property
    def first_year(self) -> int:
        return self.start_year if self.start_year is not None else self.price_year

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.horizon_years))
