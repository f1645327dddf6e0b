"""Typed models of a business case file (YAML or JSON). Field-by-field docs: docs/case-format.md.

The models check each value on its own (types, ranges, required fields). Checks that relate several
fields (a cohort outside the horizon, a horizon shorter than the intervention) are made in
:mod:`socialinvest.case.checks`, so the error can name the exact field and line.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from socialinvest.engine.distributions import (
    Distribution,
    DistributionError,
    Names,
    make_distribution,
)
from socialinvest.engine.distributions import Kind as DistKind
from socialinvest.errors import Joined, Msg, invalid, msg
from socialinvest.vocabulary import ActivityUnit, Actor, Area, Direction, PriceUnit, Status

Year = Annotated[int, Field(ge=1900, le=2200, description="A calendar year, e.g. 2025.")]


class Deferred:
    """Annotation metadata of a field holding a model (or None) that is imported and built only
    when a case gives a value for it: the outcome contract's ~40 models cost every `run` of a
    case without a contract ~15 ms to build, the state-transition models (``defer_build``)
    ~8 ms. The value is validated by the model itself, and
    pydantic places the model's errors under the field (``contract.parties.0.role``), as when the
    model is the field's type; the JSON schema is the model's, or null (``socialinvest schema``
    is unchanged); ``case.load`` finds the model through :meth:`model` for its messages."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def model(self) -> type[BaseModel]:
        model: type[BaseModel] = getattr(importlib.import_module(self.module), self.name)
        return model

    def _validate(self, value: Any, info: core_schema.ValidationInfo) -> Any:
        if value is None:
            return None
        return self.model().model_validate(value, context=info.context)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            self._validate, ref=f"deferred:{self.module}.{self.name}"
        )

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        model = self.model()
        model.model_rebuild()  # a model with defer_build is built now (else nothing happens)
        return handler(core_schema.nullable_schema(model.__pydantic_core_schema__))


if TYPE_CHECKING:
    from socialinvest.case.contract import Contract

    OptionalContract = Contract | None
else:
    OptionalContract = Annotated[Any, Deferred("socialinvest.case.contract", "Contract")]


def distribution_msg(exc: DistributionError) -> Msg | None:
    """The catalogue message of a distribution error (None for one without a key)."""
    if exc.key is None:
        return None

    def param(value: object) -> object:
        if isinstance(value, Names):
            return Joined(tuple(param(w) for w in value.words), value.last, value.optional)
        return value

    return Msg(exc.key, {name: param(value) for name, value in exc.params.items()})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)


class Dist(_Strict):
    """An uncertain input: a probability distribution instead of a number (Monte Carlo).

    One of these parameter sets per kind: fixed (value); normal (mean, sd); lognormal (mean, sd or
    meanlog, sdlog); beta (alpha, beta or mean, sd); gamma (shape, scale or shape, rate or mean,
    sd); uniform (min, max); triangular (min, mode, max); pert (min, mode, max, lambda=4);
    dirichlet (counts) for shares that sum to 1.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    dist: DistKind
    value: float | None = None
    mean: float | None = None
    sd: float | None = None
    meanlog: float | None = None
    sdlog: float | None = None
    alpha: float | list[float] | None = None
    beta: float | None = None
    shape: float | None = None
    scale: float | None = None
    rate: float | None = None
    min: float | None = None
    mode: float | None = None
    max: float | None = None
    lambda_: float | None = Field(default=None, alias="lambda")
    counts: list[float] | None = None

    _distribution: Distribution | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _build(self) -> Dist:
        given = {
            ("lambda" if name == "lambda_" else name): value
            for name, value in self.__dict__.items()
            if name != "dist" and value is not None
        }
        try:
            self._distribution = make_distribution(self.dist, **given)
        except DistributionError as exc:
            raise PydanticCustomError(
                "distribution", "{message}", {"message": str(exc), "keyed": distribution_msg(exc)}
            ) from None
        return self

    @property
    def distribution(self) -> Distribution:
        assert self._distribution is not None
        return self._distribution

    @property
    def point(self) -> float:
        """The value a single deterministic run uses: the distribution's mean."""
        return float(self.distribution.mean())

    def support(self) -> tuple[float, float]:
        if self.dist == "dirichlet":
            return 0.0, 1.0
        low, high = self.distribution.ppf(np.array([0.0, 1.0])).tolist()
        return float(low), float(high)


def _within(low: float, high: float, words: str) -> AfterValidator:
    def check(spec: Dist) -> Dist:
        if spec.dist == "dirichlet":
            raise invalid("v_one_dimensional")
        a, b = spec.support()
        if a < low or b > high:
            raise invalid(
                "v_support", words=msg(words), dist=spec.dist, low=f"{a:g}", high=f"{b:g}"
            )
        return spec

    return AfterValidator(check)


def _no_dirichlet(spec: Dist) -> Dist:
    if spec.dist == "dirichlet":
        raise invalid("v_one_dimensional")
    return spec


def _number_or_dist(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"  # no member has this tag: true/false is not a number
    return "distribution" if isinstance(value, dict | Dist) else "number"


Share = Annotated[float, Field(ge=0, le=1, description="A share between 0 and 1.")]
Money = Annotated[
    float, Field(ge=0, le=1e13, description="An amount in the case's currency (kr.).")
]
_pick = Discriminator(_number_or_dist)
_positive = _within(0, math.inf, "w_at_or_above_0")
# Numbers that may also be given as a distribution, e.g. {dist: beta, mean: 0.4, sd: 0.05}.
UncertainShare = Annotated[
    Annotated[Share, Tag("number")]
    | Annotated[Dist, _within(0, 1, "w_between_0_1"), Tag("distribution")],
    _pick,
]
UncertainMoney = Annotated[
    Annotated[Money, Tag("number")] | Annotated[Dist, _positive, Tag("distribution")], _pick
]
UncertainCount = Annotated[
    Annotated[float, Field(ge=0, le=1e8), Tag("number")]
    | Annotated[Dist, _positive, Tag("distribution")],
    _pick,
]
UncertainNumber = Annotated[
    Annotated[float, Tag("number")]
    | Annotated[Dist, AfterValidator(_no_dirichlet), Tag("distribution")],
    _pick,
]
UncertainEffect = Annotated[
    Annotated[float, Field(ge=-1, le=1), Tag("number")]
    | Annotated[Dist, _within(-1, 1, "w_between_minus_1_1"), Tag("distribution")],
    _pick,
]


def point(value: float | Dist) -> float:
    """The number a deterministic run uses for an input: itself, or its distribution's mean."""
    return value.point if isinstance(value, Dist) else float(value)


class Cohort(_Strict):
    """Participants who start the intervention in one year."""

    year: Year = Field(description="Calendar year in which this cohort starts.")
    intake: UncertainCount = Field(description="Number of participants who start that year.")


class TargetGroup(_Strict):
    """Who the intervention is for (målgruppe) and how many start when."""

    description: str = Field(min_length=1, description="Who the participants are.")
    cohorts: list[Cohort] = Field(min_length=1, description="Intake per year.")


class _Cost(_Strict):
    name: str = Field(min_length=1, description="What the cost is for.")
    amount: UncertainMoney = Field(description="An amount in kr. (or a distribution).")
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
            raise invalid("v_last_year")
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
    costs: list[CostItem] = Field(default_factory=list)


class Success(_Strict):
    """The success measure (succesmål) and the success rates with and without the intervention."""

    measure: str = Field(min_length=1, description="What counts as a success.")
    rate_with: UncertainShare | None = Field(
        default=None, description="Success rate with the intervention."
    )
    rate_without: UncertainShare | None = Field(
        default=None, description="Success rate without it (deadweight, dødvægt)."
    )
    absolute_effect: UncertainEffect | None = Field(
        default=None,
        description="Additional success rate, when the two rates are not known separately.",
    )
    timing: list[Share] | Dist | None = Field(
        default=None,
        description=(
            "Share of successes reached in year 1, 2, ... after intake (sums to 1), or a "
            "dirichlet distribution over those shares."
        ),
    )
    from_study: str | None = Field(
        default=None,
        description=(
            "ID of a published effect estimate in the effect library ('socialinvest knowledge "
            "list --kind effect_study'); rate_with (and rate_without) are taken from it."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _from_study(cls, data: object) -> object:
        from socialinvest.knowledge.effects import resolve_from_study

        return resolve_from_study(data)

    @model_validator(mode="after")
    def _one_way(self) -> Success:
        rates = self.rate_with is not None or self.rate_without is not None
        if rates and self.absolute_effect is not None:
            raise invalid("v_rates_or_effect")
        if not rates and self.absolute_effect is None:
            raise invalid("v_rates_needed")
        if rates and (self.rate_with is None or self.rate_without is None):
            raise invalid("v_rates_together")
        return self

    @property
    def effect(self) -> float:
        """The additional success rate a deterministic run uses."""
        if self.absolute_effect is not None:
            return point(self.absolute_effect)
        assert self.rate_with is not None and self.rate_without is not None
        return point(self.rate_with) - point(self.rate_without)

    @property
    def baseline(self) -> float:
        return point(self.rate_without) if self.rate_without is not None else 0.0


class ActorShares(_Strict):
    kommune: Share = 0.0
    region: Share = 0.0
    stat: Share = 0.0

    @model_validator(mode="after")
    def _sum(self) -> ActorShares:
        total = self.kommune + self.region + self.stat
        if abs(total - 1.0) > 1e-9:
            raise invalid("v_actor_shares", total=f"{total:g}")
        return self


class OwnPrice(_Strict):
    """A unit price given in the case file instead of taken from the knowledge base."""

    value: UncertainMoney
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
    units_per_success: list[UncertainNumber] = Field(
        min_length=1,
        max_length=100,  # one value a year; a horizon is at most 100 years (docs/limits.md)
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
            raise invalid("v_ref_or_price")
        return self


class DiscountSpec(_Strict):
    schedule: str | None = Field(default=None, description="Knowledge-base discount schedule ID.")
    rate: float | None = Field(default=None, ge=0, lt=1, description="A constant yearly rate.")

    @model_validator(mode="after")
    def _one(self) -> DiscountSpec:
        if self.schedule is not None and self.rate is not None:
            raise invalid("v_schedule_or_rate")
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
    costs: UncertainMoney = Field(default=0.0, description="Uplift on costs, e.g. 0.1 = +10 %.")
    effects: UncertainShare = Field(
        default=0.0, description="Haircut on the effect, e.g. 0.1 = -10 %."
    )


class Adjustments(_Strict):
    """Optional adjustments; each one used is named in every output."""

    attribution: UncertainShare = Field(
        default=0.0, description="Share of the effect due to others than the intervention."
    )
    optimism_bias: OptimismBias = OptimismBias()
    drop_off: UncertainShare = Field(
        default=0.0, description="Yearly fall of the consequences after the first year (share)."
    )


# -- state-transition (Markov) models -------------------------------------------------------------
# A transition cell or a reward: a number, a distribution, or a formula as text ("350/1734",
# "1 - exp(lam * ((t - 1)**g - t**g))"); "rest" takes what the other cells of the row leave.
Cell = Annotated[
    Annotated[float, Tag("number")]
    | Annotated[str, Tag("formula")]
    | Annotated[Dist, AfterValidator(_no_dirichlet), Tag("distribution")],
    Discriminator(
        lambda v: (
            "distribution"
            if isinstance(v, dict | Dist)
            else ("formula" if isinstance(v, str) else "number")
        )
    ),
]


class _StateModel(_Strict):
    """The state-transition models are built when a case has a state-transition section (the
    first validation of one builds them all), not when the package is imported: ~10 ms of every
    start-up (``Case.state_transition`` is :class:`Deferred`)."""

    model_config = ConfigDict(defer_build=True)


class DirichletRow(_StateModel):
    """A whole transition row drawn from a Dirichlet distribution over observed counts."""

    dirichlet: dict[str, float] = Field(
        description="Observed number of moves from this state to each state (counts >= 0)."
    )


class Table(_StateModel):
    """A step table for lookup(TABLE, x): the value of the band with the largest break <= x."""

    breaks: list[float] = Field(min_length=1, max_length=10_000)
    values: list[float] = Field(min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _shape(self) -> Table:
        if len(self.breaks) != len(self.values):
            raise invalid("v_values_breaks")
        if self.breaks != sorted(self.breaks):
            raise invalid("v_breaks_order")
        return self


class RelativeRisk(_StateModel):
    """The intervention multiplies the probability of moving ``from`` → each of ``to`` by ``rr``;
    the row's complement cell ("rest") takes up the difference."""

    from_: str = Field(alias="from", description="The state moved from.")
    to: list[str] = Field(min_length=1, description="The states moved to.")
    rr: Cell = Field(description="Relative risk (number, distribution or formula).")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TransitionEffect(_StateModel):
    """How the intervention changes the transitions, and for how long."""

    name: str = Field(default="Intervention", min_length=1)
    relative_risks: list[RelativeRisk] = Field(default_factory=list)
    transitions: dict[str, dict[str, Cell] | DirichletRow] = Field(
        default_factory=dict, description="Replacement rows (from-state -> row)."
    )
    cycles: list[int] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[first, last] cycle (1-based) in which the changes apply; default all.",
    )


class Outcome(_StateModel):
    """A reward per person per cycle in each state (a cost, a life year, a QALY), reported per
    arm; not priced per actor (use state consequences for budget flows)."""

    label: str | None = Field(
        default=None,
        description="The reader's name of the outcome in reports (default: its key).",
    )
    unit: str | None = Field(
        default=None,
        min_length=1,
        description="What the outcome counts, shown with it: e.g. GBP, life years, QALYs.",
    )
    values: dict[str, Cell] = Field(
        default_factory=dict, description="Value per cycle in each state (others 0)."
    )
    intervention: dict[str, Cell] | None = Field(
        default=None, description="Other values in the intervention arm (replace 'values')."
    )
    on_entry: dict[str, Cell] = Field(
        default_factory=dict,
        description="One-off value per person entering a state (from another state) in a cycle.",
    )
    arms: list[Literal["comparator", "intervention"]] = Field(
        default=["comparator", "intervention"], description="The arms the outcome applies to."
    )
    cycles: list[int] | None = Field(
        default=None, min_length=2, max_length=2, description="[first, last] cycle; default all."
    )
    discount_rate: float = Field(default=0.0, ge=0, lt=1, description="Yearly discount rate.")
    discount_first_cycle: bool = Field(
        default=False,
        description="true: cycle t is discounted t cycles (first cycle too); false: t - 1.",
    )


class Ratio(_StateModel):
    numerator: str
    denominator: str


class StateConsequence(_StateModel):
    """Units of a priced public activity per person per cycle spent in a state (budget flows)."""

    state: str
    name: str | None = None
    ref: str | None = None
    price: OwnPrice | None = None
    unit: ActivityUnit | None = None
    units_per_cycle: Cell | None = Field(
        default=None, description="Units per person per cycle spent in the state."
    )
    units_per_entry: Cell | None = Field(
        default=None, description="One-off units per person entering the state."
    )
    weeks_on_support: int | None = Field(default=None, ge=1)
    area: Area | None = None

    @model_validator(mode="after")
    def _one_price(self) -> StateConsequence:
        if (self.units_per_cycle is None) == (self.units_per_entry is None):
            raise invalid("v_units_kind")
        if (self.ref is None) == (self.price is None):
            raise invalid("v_ref_or_price")
        return self


class PathOutcome(_StateModel):
    """An outcome on each individual's path (microsimulation only), counted per arm."""

    kind: Literal["time_in", "consecutive", "state_at", "first_entry"] = Field(
        description=(
            "time_in: cycles spent in the states within the window; consecutive: whether a "
            "person has k consecutive cycles in the states (a share); state_at: whether a person "
            "is in the states at the window's last cycle (a share); first_entry: whether a person "
            "ever enters the states within the window (a share)."
        )
    )
    states: list[str] = Field(min_length=1)
    k: int | None = Field(default=None, ge=1, description="Cycles in a row, for consecutive.")
    cycles: list[int] | None = Field(
        default=None, min_length=2, max_length=2, description="[first, last] cycle; default all."
    )


class Simulation(_StateModel):
    """Run the model person by person (individual microsimulation) instead of as a cohort."""

    individuals: int = Field(ge=1, le=10_000_000, description="Simulated persons per draw.")
    seed: int = Field(
        default=0, ge=0, description="Seed of the individual chance in a run without --seed."
    )
    path_outcomes: dict[str, PathOutcome] = Field(default_factory=dict)


class StateTransition(_StateModel):
    """A cohort state-transition model: states, transitions, the intervention's effect on them,
    rewards, and priced consequences per state."""

    cycle: Literal["year", "quarter", "month", "week"] = "year"
    states: list[str] = Field(min_length=2, max_length=100)
    start: dict[str, float] = Field(description="Share of a cohort starting in each state.")
    start_age: float | None = Field(default=None, description="Age at the start (for 'age').")
    correction: Literal["beginning", "end", "life-table", "half-cycle", "simpson"] = Field(
        default="life-table",
        description="Within-cycle correction: which trace rows count for a cycle.",
    )
    parameters: dict[str, UncertainNumber | str] = Field(
        default_factory=dict,
        max_length=5_000,  # docs/limits.md
        description=(
            "Named numbers, distributions or formulas of the parameters above them, for use in "
            "formulas."
        ),
    )
    tables: dict[str, Table] = Field(default_factory=dict)
    transitions: dict[str, dict[str, Cell] | DirichletRow] = Field(
        description="Transition probabilities per cycle without the intervention: from -> to."
    )
    intervention_effect: TransitionEffect
    outcomes: dict[str, Outcome] = Field(default_factory=dict)
    totals: dict[str, list[str]] = Field(
        default_factory=dict, description="Sums of outcomes, e.g. cost: [cost_health, cost_drug]."
    )
    ratios: dict[str, Ratio] = Field(
        default_factory=dict, description="Incremental ratios between outcomes or totals."
    )
    consequences: list[StateConsequence] = Field(default_factory=list)
    simulation: Simulation | None = Field(
        default=None, description="Simulate individuals (path outcomes, small cohorts)."
    )


if TYPE_CHECKING:
    OptionalStateTransition = StateTransition | None
else:
    OptionalStateTransition = Annotated[
        Any, Deferred("socialinvest.case.models", "StateTransition")
    ]


class Correlation(_Strict):
    """A correlation between two uncertain inputs (Gaussian copula on their ranks)."""

    inputs: list[str] = Field(
        min_length=2,
        max_length=2,
        description="Paths of two inputs given as distributions, e.g. success.rate_with.",
    )
    rho: float = Field(ge=-1, le=1, description="Correlation of the underlying normals.")


class ReportMeta(_Strict):
    """What a council's paper shows on its cover: who wrote it, for which committee and
    meeting, under which case number; and the first budget year of the budget view."""

    author: str | None = Field(default=None, min_length=1)
    department: str | None = Field(default=None, min_length=1, description="Forvaltning.")
    committee: str | None = Field(default=None, min_length=1, description="Udvalg.")
    meeting_date: dt.date | None = Field(default=None, description="Mødedato, YYYY-MM-DD.")
    case_number: str | None = Field(default=None, min_length=1, description="Sagsnummer.")
    budget_year: Year | None = Field(
        default=None,
        description="First year of the budget view (this year and the three following); "
        "default: the first year of the analysis.",
    )


InputStatusKind = Literal["published", "study", "local", "assumption"]


class InputStatus(_Strict):
    """Where an input of the case comes from: published (a published figure), study (an
    estimate from a study or evaluation), local (the kommune's own data) or assumption; with
    an optional source (a reference, a link, a register)."""

    status: InputStatusKind
    source: str | None = Field(default=None, min_length=1)


class Case(_Strict):
    """A socio-economic business case (SØM's success-rate model)."""

    format: Literal[1] = Field(default=1, description="Version of this file format.")
    name: str = Field(min_length=1)
    description: str | None = None
    municipality: str | None = None
    currency: Literal["DKK"] = "DKK"
    model: Literal["success_rate", "state_transition"] = Field(
        default="success_rate",
        description="success_rate (SØM's method) or state_transition (a cohort Markov model).",
    )
    price_year: Year = Field(description="All amounts are shown in this year's prices.")
    start_year: Year | None = Field(
        default=None, description="First calendar year of the analysis; default: price_year."
    )
    horizon_years: int = Field(ge=1, le=100, description="Years analysed, from start_year.")
    target_group: TargetGroup
    intervention: Intervention
    success: Success | None = None
    state_transition: OptionalStateTransition = None
    consequences: list[Consequence] = Field(default_factory=list)
    committees: dict[str, list[Area]] | None = Field(
        default=None, description="Committee (udvalg) name -> the budget areas it covers."
    )
    discounting: Discounting = Discounting()
    adjustments: Adjustments = Adjustments()
    correlations: list[Correlation] | None = Field(
        default=None, description="Correlations between inputs given as distributions."
    )
    price_index: dict[int, float] | None = Field(
        default=None,
        description="Own net price index values by year, to extend or replace the bundled index.",
    )
    local_prices: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "A municipality's own prices laid over the national knowledge base: a folder of "
            "entry files or an .xlsx workbook with a 'prices' sheet, relative to the case file "
            "(docs/knowledge-base.md, 'Local prices')."
        ),
    )
    contract: OptionalContract = Field(
        default=None,
        description="An outcome contract on this case (docs/contract-format.md).",
    )
    report: ReportMeta | None = Field(
        default=None,
        description="Cover-page details of the report for a council (author, department, "
        "committee, meeting date, case number) and the budget view's first year.",
    )
    inputs: dict[str, InputStatus | InputStatusKind] | None = Field(
        default=None,
        description=(
            "The status (and source) of the case's inputs by path, e.g. success.rate_with: "
            "{status: published, source: ...}, or intervention.costs: assumption for every cost "
            "line; the longest path that starts an input's path applies (docs/case-format.md)."
        ),
    )

    @model_validator(mode="after")
    def _model_parts(self) -> Case:
        if self.model == "success_rate":
            if self.success is None:
                raise invalid("v_success_section")
            if self.state_transition is not None:
                raise invalid("v_state_transition_only")
        else:
            if self.state_transition is None:
                raise invalid("v_state_transition_section")
            if self.success is not None or self.consequences:
                raise invalid("v_no_success_with_st")
        return self

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
