"""Outcome payments of an outcome contract (METHOD.md §4, "Payment mechanism").

A payment mechanism turns outcomes per period into the *value earned* per period; ``settle`` then
applies the contract's terms in a fixed order:

1. **value** in the period the outcome is achieved (the mechanism: rate card, price per unit of
   duration, threshold with a slope, share of savings);
2. **indexation**: the value of outcome period p is multiplied by (1 + i)^(p / periods_per_year),
   i.e. prices are indexed to the period in which the outcome is achieved (period 0 = price base);
3. **per-person cap** over all of that person's payments (only for per-person values [D, N, P]);
   then the persons are summed;
4. **contract cap** over all payments;
5. **verification lag**: the payment for outcome period p falls in period p + L.

Caps are nominal amounts (not indexed) and are applied in time order: the cumulative payment is
clipped at the cap, so whatever is cut is cut from the latest payments and the sum never exceeds
the cap. The lag lengthens the horizon: outcomes of P periods give payments over P + L periods, so
no payment is lost off the end.

Shapes: D = draws (always the leading axis), N = persons, K = outcome types, P = periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Settlement:
    """How an earned value becomes payments: caps, indexation and verification lag."""

    person_cap: float | None = None  # maximum over all payments for one person
    contract_cap: float | None = None  # maximum over all payments of the contract
    lag: int = 0  # periods between the outcome and its payment
    indexation_rate: float = 0.0  # yearly price indexation
    periods_per_year: int = 1

    def __post_init__(self) -> None:
        if self.lag < 0:
            raise ValueError(f"the verification lag must be ≥ 0, not {self.lag}")
        if self.periods_per_year < 1:
            raise ValueError(f"periods_per_year must be ≥ 1, not {self.periods_per_year}")
        for name in ("person_cap", "contract_cap"):
            cap = getattr(self, name)
            if cap is not None and cap < 0:
                raise ValueError(f"{name} must be ≥ 0, not {cap}")


@dataclass(frozen=True)
class Payments:
    """The result of ``settle``."""

    uncapped: FloatArray  # [D, P] indexed value by outcome period, before any cap
    earned: FloatArray  # [D, P] by outcome period, after the caps
    paid: FloatArray  # [D, P + L] by payment period (the earned value shifted by the lag)
    person_total: FloatArray | None  # [D, N] each person's total after the per-person cap

    @property
    def total(self) -> FloatArray:
        """[D] all payments of the contract."""
        out: FloatArray = self.paid.sum(axis=-1)
        return out


# --------------------------------------------------------------------------- mechanisms (value)


def rate_card_value(counts: FloatArray, prices: FloatArray) -> FloatArray:
    """Σ_k price_k · count_k per period.

    counts: [D, K, P] (contract level) or [D, N, K, P] (per person); prices: [K] or [D, K].
    Returns [D, P] or [D, N, P].
    """
    counts = np.asarray(counts, dtype=np.float64)
    prices = np.asarray(prices, dtype=np.float64)
    if counts.ndim not in (3, 4):
        raise ValueError(f"counts must be [D, K, P] or [D, N, K, P], not shape {counts.shape}")
    if prices.ndim == 1:
        prices = prices[None, :]
    if counts.ndim == 3:
        out: FloatArray = np.einsum("dkp,dk->dp", counts, np.broadcast_to(prices, counts.shape[:2]))
        return out
    d, _, k, _ = counts.shape
    out = np.einsum("dnkp,dk->dnp", counts, np.broadcast_to(prices, (d, k)))
    return out


def duration_value(units: FloatArray, price_per_unit: float | FloatArray) -> FloatArray:
    """A price per unit of duration (e.g. per week in job or education, as in Aalborg's IMPACT60).

    units: [D, P] or [D, N, P] units achieved in each period; price_per_unit: scalar or [D].
    """
    units = np.asarray(units, dtype=np.float64)
    price = np.asarray(price_per_unit, dtype=np.float64)
    if price.ndim == 1:
        price = price.reshape((-1,) + (1,) * (units.ndim - 1))
    out: FloatArray = units * price
    return out


def threshold_value(
    successes: FloatArray,
    baseline: FloatArray | float,
    price: float | FloatArray,
    *,
    cumulative: bool = False,
) -> FloatArray:
    """Pay only for the successes above a baseline n · s_0, at a price per success above it.

    successes: [D, P]; baseline: scalar, [P] or [D, P] baseline successes of each period
    (n_p · s_0 for the cohort measured in period p); price: scalar or [D].

    ``cumulative=False``: each period is assessed on its own, value_p = price · max(S_p − B_p, 0).
    ``cumulative=True``: the contract is assessed on the running totals; the value earned to date
    is price · max over τ ≤ p of max(ΣS − ΣB, 0), so a later shortfall never claws back a payment
    and the last period settles the contract as a whole (Peterborough's "over all cohorts"). To pay
    on one final assessment, put all successes and the whole baseline in that period.
    Both are non-decreasing in every period's successes.
    """
    successes = np.asarray(successes, dtype=np.float64)
    base = np.broadcast_to(np.asarray(baseline, dtype=np.float64), successes.shape)
    p = np.asarray(price, dtype=np.float64)
    if p.ndim == 1:
        p = p[:, None]
    if not cumulative:
        out: FloatArray = p * np.maximum(successes - base, 0.0)
        return out
    excess = np.maximum(np.cumsum(successes - base, axis=-1), 0.0)
    earned_to_date = np.maximum.accumulate(excess, axis=-1)
    out = p * np.diff(earned_to_date, axis=-1, prepend=0.0)
    return out


def threshold_gain(
    successes: FloatArray | float,
    baseline: FloatArray | float,
    threshold: float,
    direction: str = "more",
) -> FloatArray:
    """One cohort's assessment against its counterfactual: the improvement paid for.

    gain = S − B (``direction`` "more") or B − S ("fewer", e.g. reconvictions); the whole gain is
    paid for (the "slope") when gain ≥ ``threshold`` × B and gain > 0, else nothing. successes
    and baseline: [D] (or scalars). The design stage and the ledger both assess with it.
    """
    s = np.asarray(successes, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    gain = s - b if direction == "more" else b - s
    met = gain >= threshold * b - 1e-9
    out: FloatArray = np.where(met & (gain > 0), gain, 0.0)
    return out


def savings_share_value(savings: FloatArray, share: float | FloatArray) -> FloatArray:
    """A share of the payer's measured savings (budget gains) per period, floored at 0.

    savings: [D, P]; share: scalar or [D]. A period with a loss pays nothing and is not netted
    against other periods.
    """
    savings = np.asarray(savings, dtype=np.float64)
    s = np.asarray(share, dtype=np.float64)
    if s.ndim == 1:
        s = s[:, None]
    out: FloatArray = s * np.maximum(savings, 0.0)
    return out


# --------------------------------------------------------------------------- terms


def indexation_factors(n_periods: int, yearly_rate: float, periods_per_year: int) -> FloatArray:
    """[P] (1 + i)^(p / periods_per_year) for p = 0 … P−1."""
    out: FloatArray = (1.0 + yearly_rate) ** (np.arange(n_periods) / periods_per_year)
    return out


def cap_in_time_order(payments: FloatArray, cap: float | FloatArray) -> FloatArray:
    """Clip the cumulative payments along the last axis at ``cap``; cuts fall on the latest ones.

    payments ≥ 0 of any shape [..., P]; cap broadcasts against payments[..., 0] (a scalar, [D]
    or [D, N]). paid_p = min(Σ_{τ≤p} x_τ, cap) − min(Σ_{τ<p} x_τ, cap).
    """
    payments = np.asarray(payments, dtype=np.float64)
    c = np.asarray(cap, dtype=np.float64)[..., None]
    clipped = np.minimum(np.cumsum(payments, axis=-1), c)
    out: FloatArray = np.diff(clipped, axis=-1, prepend=0.0)
    return out


def apply_lag(payments: FloatArray, lag: int) -> FloatArray:
    """[..., P] → [..., P + lag]: the amount of period p is paid in period p + lag."""
    if lag < 0:
        raise ValueError(f"the lag must be ≥ 0, not {lag}")
    pad = [(0, 0)] * (payments.ndim - 1) + [(lag, 0)]
    out: FloatArray = np.pad(payments, pad)
    return out


def settle(value: FloatArray, terms: Settlement) -> Payments:
    """Indexation, per-person cap, contract cap and verification lag, in that order.

    value: [D, P] (contract level) or [D, N, P] (per person), ≥ 0, by outcome period.
    """
    value = np.asarray(value, dtype=np.float64)
    if value.ndim not in (2, 3):
        raise ValueError(f"value must be [D, P] or [D, N, P], not shape {value.shape}")
    if np.any(value < 0):
        raise ValueError("outcome values must be ≥ 0")
    n_periods = value.shape[-1]
    indexed = value * indexation_factors(n_periods, terms.indexation_rate, terms.periods_per_year)
    person_total: FloatArray | None = None
    if value.ndim == 3:
        per_person = indexed
        if terms.person_cap is not None:
            per_person = cap_in_time_order(indexed, terms.person_cap)
        person_total = per_person.sum(axis=-1)
        uncapped = indexed.sum(axis=1)
        earned = per_person.sum(axis=1)
    else:
        if terms.person_cap is not None:
            raise ValueError("a per-person cap needs per-person values [D, N, P]")
        uncapped = indexed
        earned = indexed
    if terms.contract_cap is not None:
        earned = cap_in_time_order(earned, terms.contract_cap)
    return Payments(
        uncapped=uncapped,
        earned=earned,
        paid=apply_lag(earned, terms.lag),
        person_total=person_total,
    )
