"""Typed models of a case file's ``contract`` section: an outcome contract (a social investment
partnership or social impact bond) on top of the business case. Field by field:
docs/contract-format.md; the calculation: docs/method.md ("Outcome contracts").

Cross-field checks (party names, metric names, states of the case's model) are made in
:mod:`socialinvest.case.checks`, so the error can name the exact field and line.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from socialinvest.errors import invalid

PeriodName = Literal["week", "month", "quarter", "year"]
PERIODS_PER_YEAR: dict[str, int] = {"week": 52, "month": 12, "quarter": 4, "year": 1}
Role = Literal["payer", "investor", "provider", "intermediary", "evaluator", "guarantor"]
ROLES: tuple[Role, ...] = (
    "payer",
    "investor",
    "provider",
    "intermediary",
    "evaluator",
    "guarantor",
)

Money = Annotated[float, Field(ge=0, le=1e13, allow_inf_nan=False)]  # as case amounts
Rate = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Party(_Strict):
    """Someone who takes part in the contract."""

    name: str = Field(min_length=1, description="The party's name, unique in the contract.")
    role: Role = Field(
        description="payer, investor, provider, intermediary, evaluator or guarantor."
    )
    actor: Literal["kommune", "region", "stat", "none"] | None = Field(
        default=None,
        description=(
            "For a payer: whose budget gains of the business case it sets its payments against "
            "(a kommune compares with the kommune's gains, not the public sector's); 'none' for "
            "a funder without budget gains (a foundation or lottery fund as outcome payer)."
        ),
    )
    share: Rate | None = Field(
        default=None,
        description=(
            "For a payer: its share of every outcome payment (co-payers such as a state outcome "
            "fund); the payers' shares sum to 1. Default: 1 for a single payer."
        ),
    )


class Window(_Strict):
    first: int = Field(
        ge=1, description="First period after a participant's intake (1 = the first)."
    )
    last: int = Field(ge=1, description="Last period after intake that counts.")

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.last < self.first:
            raise invalid("x_last_first")
        return self


class Metric(_Strict):
    """An outcome measured on each participant's trajectory, period by period."""

    kind: Literal["entry", "sustained", "state_at", "time_in", "entries"] = Field(
        description=(
            "entry: the first period a participant is in the states (paid once); sustained: the "
            "period a participant has been in the states for k periods in a row (once); state_at: "
            "in the states at period 'at' after intake (once); time_in: every period spent in the "
            "states (a unit of duration, e.g. a week in job); entries: every move into the states "
            "(events that can repeat, e.g. reconvictions)."
        )
    )
    states: list[str] = Field(
        default_factory=lambda: ["success"],
        min_length=1,
        description=(
            "States of the case's state-transition model; for a success-rate case the only state "
            "is 'success' (the default)."
        ),
    )
    k: int | None = Field(default=None, ge=1, description="Periods in a row, for 'sustained'.")
    at: int | None = Field(default=None, ge=1, description="Period after intake, for 'state_at'.")
    window: Window | None = Field(
        default=None, description="Only periods in this window after intake count."
    )
    units_per_period: float = Field(
        default=1.0,
        gt=0,
        allow_inf_nan=False,
        description="For time_in: units per period in the states (e.g. 52/12 weeks a month).",
    )

    @model_validator(mode="after")
    def _needs(self) -> Metric:
        if self.kind == "sustained" and self.k is None:
            raise invalid("x_k_needed")
        if self.kind == "state_at" and self.at is None:
            raise invalid("x_at_needed")
        if self.kind != "sustained" and self.k is not None:
            raise invalid("x_k_only")
        if self.kind != "state_at" and self.at is not None:
            raise invalid("x_at_only")
        return self


class Counterfactual(_Strict):
    """What would have happened anyway, which the payments are measured against."""

    kind: Literal["none", "baseline", "comparison_group"] = Field(
        default="none",
        description=(
            "none: every outcome is paid; baseline: only outcomes above 'rate' × participants "
            "(per cohort, for threshold payments); comparison_group: only outcomes above those "
            "of a comparison group of 'size' persons without the intervention, scaled to the "
            "participants (its own chance included)."
        ),
    )
    rate: Rate | None = Field(
        default=None, description="For baseline: outcomes per participant without the intervention."
    )
    size: int | None = Field(
        default=None, ge=1, le=1_000_000, description="For comparison_group: its number of persons."
    )

    @model_validator(mode="after")
    def _needs(self) -> Counterfactual:
        if self.kind == "baseline" and self.rate is None:
            raise invalid("x_rate_needed")
        if self.kind == "comparison_group" and self.size is None:
            raise invalid("x_size_needed")
        if self.kind != "baseline" and self.rate is not None:
            raise invalid("x_rate_only")
        if self.kind != "comparison_group" and self.size is not None:
            raise invalid("x_size_only")
        return self


class Payment(_Strict):
    """One line of the payment mechanism."""

    name: str = Field(min_length=1, description="What is paid for.")
    metric: str | None = Field(
        default=None, description="The metric paid for (not for savings_share)."
    )
    mechanism: Literal["rate_card", "per_unit", "threshold", "savings_share"] = Field(
        description=(
            "rate_card: a price per outcome; per_unit: a price per unit of duration (a time_in "
            "metric); threshold: per cohort, a price per outcome above the counterfactual once "
            "the improvement reaches 'threshold'; savings_share: a share of the payers' own "
            "budget gains in the business case."
        )
    )
    price: Money | Literal["solve"] | None = Field(
        default=None,
        description="Kr. per outcome or unit; 'solve': the designer's price.",
    )
    threshold: Rate = Field(
        default=0.0,
        description=(
            "For threshold: the relative improvement on the counterfactual a cohort must reach "
            "before anything is paid (0.1 = 10 %)."
        ),
    )
    direction: Literal["more", "fewer"] = Field(
        default="more",
        description="For threshold: 'fewer' when fewer outcomes are better (e.g. reconvictions).",
    )
    share: Rate | None = Field(default=None, description="For savings_share: the share paid.")

    @model_validator(mode="after")
    def _needs(self) -> Payment:
        if self.mechanism == "savings_share":
            if self.share is None:
                raise invalid("x_share_needed")
            if self.metric is not None or self.price is not None:
                raise invalid("x_no_metric_price")
        else:
            if self.metric is None:
                raise invalid("x_metric_needed", mechanism=self.mechanism)
            if self.price is None:
                raise invalid("x_price_needed", mechanism=self.mechanism)
            if self.share is not None:
                raise invalid("x_share_only")
        return self


class TrancheSpec(_Strict):
    """One tranche of the capital stack."""

    name: str = Field(min_length=1)
    investor: str = Field(min_length=1, description="The investor party who holds the tranche.")
    kind: Literal["senior_loan", "subordinated_loan", "equity", "recoverable_grant"]
    commitment: Money = Field(description="Capital committed, kr.")
    seniority: int = Field(default=0, ge=0, description="0 is repaid first (loans and grants).")
    coupon: Rate = Field(default=0.0, description="Yearly interest on drawn principal (loans).")
    max_multiple: float | None = Field(
        default=None, ge=1, description="Cap: received at most this multiple of what was drawn."
    )
    max_return: Rate | None = Field(
        default=None, description="Cap: a yearly return (IRR) of at most this."
    )


class GuaranteeSpec(_Strict):
    """A first-loss guarantee."""

    guarantor: str = Field(min_length=1, description="The guarantor party.")
    amount: Money
    covers: list[str] = Field(min_length=1, description="Tranche names, covered in this order.")
    covers_interest: bool = False


class OtherCost(_Strict):
    """A cost of the partnership besides delivery, paid to a party (intermediary, evaluator)."""

    name: str = Field(min_length=1)
    party: str = Field(min_length=1, description="Who receives it (intermediary or evaluator).")
    amount: Money = Field(description="Kr. in all, spread evenly over the periods given.")
    periods: Window | None = Field(
        default=None, description="Periods of the contract it falls in (1-based); default: all."
    )
    paid_by: Literal["vehicle", "payers"] = Field(
        default="vehicle",
        description="vehicle: funded like delivery (by recycled payments and drawdowns); "
        "payers: paid directly by the outcome payers, in their shares.",
    )


class Finance(_Strict):
    """The capital stack and the waterfall."""

    tranches: list[TrancheSpec] = Field(min_length=1)
    drawdown: Literal["sequential", "pro_rata"] = "sequential"
    guarantee: GuaranteeSpec | None = None
    surplus_to: Literal["payer", "provider"] = Field(
        default="payer", description="Who receives cash above the return caps at maturity."
    )
    unfunded_costs: Literal["provider", "deferred"] = Field(
        default="provider",
        description=(
            "Costs the commitments cannot cover: 'provider' bears them for good; 'deferred' "
            "(deferred provider fees): they stay owed and are paid first from cash that "
            "arrives later, before any reserve for the investors."
        ),
    )
    target_return: float = Field(
        default=0.05, ge=-1, le=10, description="The investors' target yearly return (IRR)."
    )


class ProviderFees(_Strict):
    """What the provider is paid."""

    delivery_costs: Literal["case"] | list[Money] = Field(
        default="case",
        description=(
            "'case': the business case's intervention costs (expected, nominal, spread evenly "
            "over each year's periods); or an amount per contract period."
        ),
    )
    performance_share: Rate = Field(
        default=0.0,
        description="Share of every outcome payment passed on to the provider (performance fee).",
    )


class Designer(_Strict):
    """Solve a payment's price for the investors' target return (item 'Designer')."""

    payment: str = Field(min_length=1, description="The payment line whose price is solved.")
    target_return: float | None = Field(
        default=None,
        ge=-1,
        le=10,
        description="The yearly IRR of the investors' expected cash flows; default finance's.",
    )
    at_success_rate: Rate | None = Field(
        default=None,
        description=(
            "Meet the target at this success rate (draws whose achieved success rate is nearest) "
            "instead of over all draws, e.g. 0.5 = investors profit only above 50 %."
        ),
    )
    max_share_of_gains: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="Each payer pays at most this share of its expected own gains.",
    )
    price_range: list[Money] = Field(
        default_factory=lambda: [0.0, 1_000_000.0],
        min_length=2,
        max_length=2,
        description="[low, high] kr. searched.",
    )


class Participants(_Strict):
    cohorts: Literal["case"] | list[Annotated[int, Field(ge=0)]] = Field(
        default="case",
        description=(
            "'case': the case's cohorts (their expected intake, from the start of their year); "
            "or the number referred in each year of the contract."
        ),
    )


class Contract(_Strict):
    """An outcome contract on the business case."""

    name: str = Field(min_length=1)
    description: str | None = None
    start_date: dt.date = Field(description="Date of the contract's first period.")
    period: PeriodName = Field(description="Length of a contract period.")
    periods: int = Field(ge=1, le=2600, description="Number of periods; maturity is the last.")
    parties: list[Party] = Field(min_length=1)
    participants: Participants = Participants()
    metrics: dict[str, Metric] = Field(min_length=1)
    success_metric: str | None = Field(
        default=None,
        description=(
            "The metric whose share of participants is the contract's success rate; default: "
            "the first metric that is not time_in or entries. A success-rate case without such "
            "a metric: the share of participants who succeed."
        ),
    )
    success_exit_per_year: Rate = Field(
        default=0.0,
        description=(
            "Success-rate cases: the yearly chance that a participant who has succeeded leaves "
            "the success state again (e.g. loses the job)."
        ),
    )
    counterfactual: Counterfactual = Counterfactual()
    payments: list[Payment] = Field(min_length=1)
    person_cap: Money | None = Field(default=None, description="Most paid for one participant.")
    contract_cap: Money | None = Field(default=None, description="Most paid under the contract.")
    lag_periods: int = Field(default=0, ge=0, description="Periods from outcome to payment.")
    indexation: float = Field(
        default=0.0, ge=-0.5, le=1, description="Yearly indexation of the prices."
    )
    provider: ProviderFees = ProviderFees()
    other_costs: list[OtherCost] = Field(default_factory=list)
    finance: Finance
    designer: Designer | None = None
    sources: dict[str, str] = Field(
        default_factory=dict,
        description="Where each term comes from (published, assumed, solved); shown in output.",
    )
