"""Where the deal is heading: the design stage's Monte Carlo, conditioned on what the ledger has
observed.

The design stage (``contract.partnership.simulate_outcomes``) draws, for every draw d, the success
rate p_d of the case (its uncertainty) and every participant's trajectory with it. The
re-forecast keeps those draws and weighs them by how well each explains the observations
(Bayes' rule by importance weights):

    likelihood_d = Π_{i succeeded} p_d · Π_{i not yet} (1 − p_d · F(e_i))

where participant i has been observed for e_i periods since intake and F(e) is the share of
successes that happen within e periods of intake (the case's ``success.timing``, spread evenly
over each year's periods, as the design stage times them). A participant observed for the
whole timing (F = 1) is one Bernoulli trial, so with every participant observed to the end this
is the beta-binomial update: a Beta(a, b) prior on the success rate becomes Beta(a + s,
b + n − s). The draws are then resampled in proportion to their weights (systematic resampling,
seeded), which gives draws from the updated distribution of the success rate; each resampled
draw keeps its simulated participants, so the remaining periods and the participants not yet
enrolled are simulated with a success rate from the updated distribution.

The payments are the **realised** payments up to the current period (the approved settlements)
and the resampled draws' simulated payments after it; the waterfall and every party's position
follow with the design stage's code (``party_flows``, ``ContractResult``). With no observations
and nothing realised the weights are equal, no resampling is done, and the result *is* the
design stage's for the same seed.

Limits: success-rate cases only (a state-transition case is refused); the individual paths of
the draws are the design stage's (an observed participant's own future is simulated as any
participant's, with the updated rate); the intake is assumed to follow the plan in force
(the case's, or a dated amendment's: ``Terms.current``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from socialinvest.case.models import point
from socialinvest.contract.partnership import (
    Outcomes,
    party_flows,
    settle_outcomes,
    simulate_outcomes,
)
from socialinvest.contract.result import ContractResult, stats
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.sampling import check_seed
from socialinvest.ledger.terms import Terms

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Observation:
    """One enrolled participant as the ledger has seen it."""

    intake_period: int  # 1-based
    observed_through: int  # the last contract period observed (1-based)
    success_period: int | None  # the first period with a success, if any


def timing_cdf(terms: Terms, exposure: int) -> float:
    """F(e): the share of successes within ``exposure`` periods of intake (the case's timing
    by year, each year's share spread evenly over its periods, as the design stage draws it)."""
    case = terms.prep.loaded.case
    assert case.success is not None
    spec = case.success.timing
    if spec is None:
        shares = np.array([1.0])
    elif isinstance(spec, list):
        shares = np.array([point(x) for x in spec], dtype=np.float64)
    else:
        shares = np.asarray(spec.distribution.mean(), dtype=np.float64)
    shares = shares / shares.sum()
    ppy = terms.prep.periods_per_year
    years = np.arange(shares.shape[0])
    within = np.clip((exposure - years * ppy) / ppy, 0.0, 1.0)
    return float((shares * within).sum())


def log_likelihood(terms: Terms, rates: FloatArray, observed: list[Observation]) -> FloatArray:
    """log likelihood_d of the observations for each draw's success rate p_d."""
    p = np.clip(np.asarray(rates, dtype=np.float64), 1e-12, 1 - 1e-12)
    out = np.zeros_like(p)
    successes = sum(1 for o in observed if o.success_period is not None)
    out += successes * np.log(p)
    exposures: dict[int, int] = {}
    for o in observed:
        if o.success_period is None:
            e = max(0, o.observed_through - o.intake_period + 1)
            exposures[e] = exposures.get(e, 0) + 1
    for e, count in exposures.items():
        f = timing_cdf(terms, e)
        if f > 0:
            out += count * np.log1p(-p * f)
    return out


def systematic_resample(weights: FloatArray, seed: int) -> IntArray:
    """Indices of ``len(weights)`` draws in proportion to the weights (systematic resampling:
    one uniform offset, then equal steps; low variance and reproducible)."""
    w = np.asarray(weights, dtype=np.float64)
    n = w.shape[0]
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    u = (np.random.default_rng(seed).random() + np.arange(n)) / n
    out: IntArray = np.searchsorted(cum, u, side="right").astype(np.int64)
    return out


def _take(o: Outcomes, idx: IntArray) -> Outcomes:
    return dataclasses.replace(
        o,
        draws=int(idx.shape[0]),
        person_units={i: u[idx] for i, u in o.person_units.items()},
        people_settled=None if o.people_settled is None else o.people_settled[idx],
        contract_units={i: u[idx] for i, u in o.contract_units.items()},
        success_share=o.success_share[idx],
        metric_totals={k: v[idx] for k, v in o.metric_totals.items()},
        own_gains={k: v[idx] for k, v in o.own_gains.items()},
    )


@dataclass
class Forecast:
    result: ContractResult  # every party's position, from the conditioned draws
    design: ContractResult  # the design stage's, same draws and seed
    rates: FloatArray  # [D] the success rate of each (resampled) draw
    prior_rates: FloatArray  # [D] the design stage's
    effective_draws: float  # 1 / Σ w² of the normalised weights
    as_of: int  # the last period observed (0: none)
    paid_through: int  # payments up to this period are the realised ones
    target_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        paid = self.result.flows.payments.sum(axis=1)
        design_paid = self.design.flows.payments.sum(axis=1)
        out: dict[str, Any] = {
            "as_of_period": self.as_of,
            "paid_through_period": self.paid_through,
            "draws": int(self.rates.shape[0]),
            "effective_draws": self.effective_draws,
            "success_rate": {"prior": stats(self.prior_rates), "updated": stats(self.rates)},
            "achieved_share": stats(self.result.outcomes.success_share),
            "outcome_payments": {"design": stats(design_paid), "forecast": stats(paid)},
            "parties": self.result.parties(),
            "fan": fan(self.design.flows.payments, self.result.flows.payments, self.paid_through),
        }
        if self.target_rate is not None:
            out["target_rate"] = self.target_rate
            out["prob_target"] = {
                "design": float((self.design.outcomes.success_share >= self.target_rate).mean()),
                "forecast": float((self.result.outcomes.success_share >= self.target_rate).mean()),
            }
        return out


def fan(design: FloatArray, forecast: FloatArray, paid_through: int) -> dict[str, Any]:
    """Cumulative payments by period: the design stage's 5–50–95 % band, the realised path up to
    ``paid_through`` and the forecast's band (for a fan chart)."""
    d = np.cumsum(design, axis=1)
    f = np.cumsum(forecast, axis=1)
    band = np.percentile(d, [5, 50, 95], axis=0)
    fband = np.percentile(f, [5, 50, 95], axis=0)
    return {
        "design": {"p05": band[0].tolist(), "p50": band[1].tolist(), "p95": band[2].tolist()},
        "realised": f[0, :paid_through].tolist(),
        "forecast": {"p05": fband[0].tolist(), "p50": fband[1].tolist(), "p95": fband[2].tolist()},
    }


def reforecast(
    terms: Terms,
    observed: list[Observation],
    realised: FloatArray | None = None,
    *,
    as_of: int = 0,
    paid_through: int | None = None,
    draws: int = 1000,
    seed: int = 1,
    target_rate: float | None = None,
) -> Forecast:
    """The design stage's draws conditioned on the observations; ``realised``: [T] the outcome
    payments made so far by period; those up to ``paid_through`` (default ``as_of``: the last
    period a settlement has been approved for) replace the simulated ones, and the simulated
    payments after it stand (outcomes observed but not yet settled are paid later)."""
    from socialinvest.runner import Prepared, to_result

    prep = terms.prep
    if not isinstance(prep.business, Prepared):
        raise LedgerError("forecast_state_transition")
    if draws < 2:
        raise LedgerError("forecast_draws", n=2)
    check_seed(seed)
    outcomes = simulate_outcomes(prep, draws, seed)
    prices = list(terms.prices)
    design_paid = settle_outcomes(prep, outcomes, prices)
    meta = prep.business.meta
    knowledge = prep.meta["knowledge"]
    business = to_result(
        prep.loaded, knowledge, outcomes.summary, meta, {"draws": draws, "seed": seed}
    )
    design = ContractResult(prep, outcomes, prices, party_flows(prep, design_paid), None, business)
    summary = outcomes.summary
    prior = np.clip(summary.baseline + summary.effect, 0.0, 1.0).astype(np.float64)

    ll = log_likelihood(terms, prior, observed)
    if observed and np.ptp(ll) > 0:
        w = np.exp(ll - ll.max())
        w = w / w.sum()
        ess = float(1.0 / np.sum(w**2))
        idx = systematic_resample(w, seed)
    else:
        ess = float(draws)
        idx = np.arange(draws, dtype=np.int64)
    cond = _take(outcomes, idx)
    paid = settle_outcomes(prep, cond, prices)
    through = as_of if paid_through is None else min(paid_through, as_of)
    if realised is not None and through > 0:
        r = np.asarray(realised, dtype=np.float64)[:through]
        paid = paid.copy()
        paid[:, :through] = r[None, :]
    result = ContractResult(prep, cond, prices, party_flows(prep, paid), None, business)
    return Forecast(result, design, prior[idx], prior, ess, as_of, through, target_rate)


def observe(ledger: Ledger, as_of: int) -> tuple[list[Observation], FloatArray]:
    """The observations and the realised payments [T] of a ledger at period ``as_of``.

    A participant's success is its first record (entered or verified; not rejected, disputed or
    in conflict) with a positive value in the contract's success metric, or, for a contract
    without one (e.g. weeks in work only), in any metric. A withdrawn participant is observed up
    to its withdrawal. The realised payments are the approved settlements' payments (posted in
    the period each settlement ends); pass ``ledger.posted_through`` as the re-forecast's
    ``paid_through``."""
    terms = ledger.terms
    success = terms.prep.success_metric
    first: dict[int, int] = {}
    for r in ledger.records.values():
        if r.status not in SUCCESS_STATUSES or r.value <= 0 or r.period > as_of:
            continue
        if success is not None and r.metric != success:
            continue
        first[r.participant] = min(first.get(r.participant, r.period), r.period)
    people = [(p.id, p.intake_period, p.withdrawn) for p in ledger.participants.values()]
    payments = [
        (posting.period, posting.amount)
        for posting in ledger.journal.postings
        if posting.kind == "payment"
    ]
    return observe_from(terms, people, first, payments, as_of)


SUCCESS_STATUSES = ("entered", "verified")  # a success counts unless rejected, disputed, …


def observe_from(
    terms: Terms,
    people: Iterable[tuple[int, int, dt.date | None]],
    first: dict[int, int],
    payments: Iterable[tuple[int, int]],
    as_of: int,
) -> tuple[list[Observation], FloatArray]:
    """:func:`observe` from what a store can sum: the participants (id, intake period,
    withdrawal date), each one's first success period (records in ``SUCCESS_STATUSES`` with a
    positive value, up to ``as_of``, in the success metric if the contract has one) and the
    payment postings (period, øre)."""
    observed = []
    for pid, intake, withdrawn in people:
        if intake > as_of:
            continue
        through = as_of
        if withdrawn is not None:
            through = min(through, terms.period_of(withdrawn))
        observed.append(Observation(intake, through, first.get(pid)))
    realised = np.zeros(terms.n_periods)
    for period, amount in payments:
        if period <= as_of:
            realised[period - 1] += amount / 100
    return observed, realised
