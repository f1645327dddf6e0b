"""The contract designer (METHOD.md §4, "Design"): the price per outcome (or per unit) that gives
the investors a target return while each payer pays at most a share of its expected own gains,
and the trade-off over price and success rate.

The investors' **expected return** is the yearly IRR (on the periods' dates) of the investors'
combined *expected* cash flows: the mean over the draws, or over the draws whose achieved success
rate is nearest ``at_success_rate``. Everything is computed from one simulation of the
participants: a price changes the payments, not the trajectories (common random numbers).

To stay fast at 10,000 draws, the payers' limits and the trade-off table use a systematic
subsample of at most ``SUBSAMPLE`` draws (every k-th draw), and the target is solved on the
selected draws only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from socialinvest.contract.partnership import (
    Outcomes,
    PreparedContract,
    party_flows,
    prices_of,
    settle_outcomes,
)
from socialinvest.contract.returns import is_loss, xirr

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SUBSAMPLE = 3000


def systematic(n: int, at_most: int = SUBSAMPLE) -> BoolArray:
    """Every k-th of n draws, so that at most ``at_most`` are kept."""
    mask = np.zeros(n, dtype=bool)
    mask[:: max(1, -(-n // at_most))] = True
    return mask


def investor_names(prep: PreparedContract) -> list[str]:
    return [p.name for p in prep.contract.parties if p.role == "investor"]


def expected_irr(flows: FloatArray, dates: list[Any]) -> float:
    """Yearly IRR of the mean flows [T]; +inf when no capital is needed, −1 for a total loss."""
    mean = np.asarray(flows, dtype=np.float64)
    if not (mean < -1e-9).any():
        return float("inf")
    if not (mean > 1e-9).any():
        return -1.0
    value = float(xirr(mean[None, :], dates)[0])
    return value


def nearest_draws(share: FloatArray, target: float | None) -> BoolArray:
    """The draws the designer averages over: all, or those nearest a success rate."""
    if target is None or share.shape[0] == 1:
        return np.ones(share.shape[0], dtype=bool)
    keep = max(min(share.shape[0], 50), share.shape[0] // 10)
    order = np.argsort(np.abs(share - target), kind="stable")
    mask = np.zeros(share.shape[0], dtype=bool)
    mask[order[:keep]] = True
    return mask


@dataclass
class Evaluation:
    """A price's consequences, averaged over a selection of draws."""

    price: float
    investor_irr: float
    payer_pv: dict[str, float]  # expected present value of each payer's payments
    prob_loss: float


@dataclass
class Design:
    payment: str
    target_return: float
    at_success_rate: float | None
    max_share_of_gains: float
    price: float | None  # the price used (the solved one, or the highest the payers accept)
    feasible: bool
    reason: str  # why the price is what it is, in one sentence (English; the CLI translates)
    return_at_price: float | None
    payer_limit_price: dict[str, float | None] = field(default_factory=dict)
    target_price: float | None = None  # the price that meets the target (None: none in range)
    tradeoff: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def num(x: float | None) -> float | None:
            return None if x is None or not np.isfinite(x) else float(x)

        return {
            "payment": self.payment,
            "target_return": self.target_return,
            "at_success_rate": self.at_success_rate,
            "max_share_of_gains": self.max_share_of_gains,
            "price": num(self.price),
            "feasible": self.feasible,
            "reason": self.reason,
            "return_at_price": num(self.return_at_price),
            "payer_limit_price": {k: num(v) for k, v in self.payer_limit_price.items()},
            "target_price": num(self.target_price),
            "tradeoff": self.tradeoff,
        }


class _Evaluator:
    def __init__(self, prep: PreparedContract, outcomes: Outcomes, mask: BoolArray) -> None:
        self.prep = prep
        self.outcomes = outcomes.subset(mask)
        self.investors = investor_names(prep)
        self.needed = {*self.investors, *prep.payer_shares}  # the flows an evaluation uses
        self.line = [p.name for p in prep.contract.payments].index(
            prep.contract.designer.payment if prep.contract.designer else ""
        )

    def prices(self, price: float) -> list[float]:
        base = prices_of(self.prep.contract, price)
        base[self.line] = price
        return base

    def __call__(self, price: float) -> Evaluation:
        payments = settle_outcomes(self.prep, self.outcomes, self.prices(price))
        pf = party_flows(self.prep, payments, only=self.needed)
        sel = sum((pf.flows[name] for name in self.investors), np.zeros_like(payments))
        pv = {
            name: float(-(pf.flows[name] @ self.prep.discount).mean())
            for name in self.prep.payer_shares
        }
        return Evaluation(
            price=price,
            investor_irr=expected_irr(sel.mean(axis=0), self.prep.dates),
            payer_pv=pv,
            prob_loss=float(is_loss(sel).mean()),
        )


# scipy's smallest relative tolerance for brentq (4 × the machine epsilon), its default
_RTOL = 4 * float(np.finfo(float).eps)


def _compiled_brentq() -> Any:
    """scipy's compiled Brent root finder (``scipy.optimize._zeros._brentq``, the function
    ``scipy.optimize.brentq`` calls), loaded from its extension file without importing the
    package ``scipy.optimize`` (about 0.2 s of CPU: linprog, minimize, docstrings); the public
    function when the file cannot be found or loaded (another scipy layout)."""
    import sys

    loaded = sys.modules.get("scipy.optimize._zeros")
    if loaded is not None:
        return loaded._brentq
    try:
        from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
        from importlib.util import module_from_spec, spec_from_loader
        from pathlib import Path

        import scipy  # type: ignore[import-untyped,unused-ignore]

        folder = Path(scipy.__file__).parent / "optimize"
        path = next(
            folder / f"_zeros{suffix}"
            for suffix in EXTENSION_SUFFIXES
            if (folder / f"_zeros{suffix}").is_file()
        )
        loader = ExtensionFileLoader("scipy.optimize._zeros", str(path))
        spec = spec_from_loader("scipy.optimize._zeros", loader)
        assert spec is not None
        module = module_from_spec(spec)
        loader.exec_module(module)
        return module._brentq
    except Exception:  # any failure: the public function, with the same numbers
        return None


def brentq(
    f: Any, lo: float, hi: float, *, xtol: float, rtol: float = _RTOL, maxiter: int = 100
) -> float:
    """scipy's Brent root finder: the same compiled function and arguments as
    ``scipy.optimize.brentq`` (so the same root to the last bit), without importing
    ``scipy.optimize``; a NaN value raises ValueError as scipy's does."""
    compiled = _compiled_brentq()
    if compiled is None:
        from scipy.optimize import brentq as scipy_brentq  # type: ignore[import-untyped,unused-ignore]

        return float(scipy_brentq(f, lo, hi, xtol=xtol, rtol=rtol, maxiter=maxiter))
    if xtol <= 0 or rtol < _RTOL:
        raise ValueError(f"brentq: xtol must be > 0 and rtol ≥ {_RTOL:g}")

    def checked(x: float) -> float:
        value = f(x)
        if np.isnan(value):
            raise ValueError(f"The function value at x={x} is NaN; solver cannot continue.")
        return value  # type: ignore[no-any-return]

    return float(compiled(checked, lo, hi, xtol, rtol, int(maxiter), (), False, True))


def _solve(f: Any, lo: float, hi: float) -> float | None:
    """A root of an increasing f in [lo, hi], or None when f does not change sign there."""
    f_lo, f_hi = f(lo), f(hi)
    if f_lo >= 0:
        return lo
    if f_hi < 0:
        return None
    return float(brentq(f, lo, hi, xtol=1e-6 * max(1.0, abs(hi)), rtol=1e-10, maxiter=200))


def design(prep: PreparedContract, outcomes: Outcomes) -> Design:
    """Solve the designer's price; see the module docstring."""
    spec = prep.contract.designer
    assert spec is not None
    target = (
        spec.target_return
        if spec.target_return is not None
        else prep.contract.finance.target_return
    )
    mask = nearest_draws(outcomes.success_share, spec.at_success_rate)
    ev = _Evaluator(prep, outcomes, mask)
    lo, hi = spec.price_range

    def gap(p: float) -> float:
        r = ev(p).investor_irr
        return 1e9 if r == float("inf") else r - target

    price = _solve(gap, lo, hi)
    # the payers' limits (over all draws: what each payer expects to pay and gain)
    all_draws = _Evaluator(prep, outcomes, systematic(outcomes.draws))
    limits: dict[str, float | None] = {}
    for name in prep.payer_shares:
        gains = float(outcomes.own_gains[name].mean())
        cap = spec.max_share_of_gains * gains

        def over(p: float, name: str = name, cap: float = cap) -> float:
            return all_draws(p).payer_pv[name] - cap

        if over(lo) > 0:
            limits[name] = None  # even the lowest price is more than the payer accepts
        elif over(hi) <= 0:
            limits[name] = hi
        else:
            limits[name] = float(brentq(over, lo, hi, xtol=1e-6 * max(1.0, hi), maxiter=200))
    limit = min((v for v in limits.values() if v is not None), default=None)
    if any(v is None for v in limits.values()):
        limit = None
        feasible = False
        used = None
        reason = "a payer would pay more than the allowed share of its gains at any price"
    elif price is None:
        feasible = False
        used = limit
        reason = "no price in the searched range gives the investors the target return"
    elif limit is not None and price > limit + 1e-6 * max(1.0, abs(limit)):
        feasible = False
        used = limit
        reason = (
            "the price that gives the target return makes a payer pay more than the allowed "
            "share of its expected gains; the highest price the payers accept is used"
        )
    else:
        feasible = True
        used = price
        reason = "the price gives the investors the target return within the payers' limits"
    achieved = ev(used).investor_irr if used is not None else None
    out = Design(
        payment=spec.payment,
        target_return=target,
        at_success_rate=spec.at_success_rate,
        max_share_of_gains=spec.max_share_of_gains,
        price=used,
        feasible=feasible,
        reason=reason,
        return_at_price=achieved,
        payer_limit_price=limits,
    )
    out.tradeoff = tradeoff_table(prep, outcomes, used if used is not None else price or hi)
    out.target_price = price
    return out


def success_bands(
    share: FloatArray, width: float = 0.1, min_draws: int = 20
) -> list[tuple[float, float]]:
    """Bands of achieved success rate [a, b) with enough draws in them."""
    if share.shape[0] == 1:
        s = float(share[0])
        return [(s, s)]
    bands = []
    for k in range(round(1 / width)):
        a, b = round(k * width, 10), round((k + 1) * width, 10)
        inside = (share >= a) & ((share < b) if k < round(1 / width) - 1 else (share <= b))
        if inside.sum() >= min_draws:
            bands.append((a, b))
    return bands


def tradeoff_table(
    prep: PreparedContract, outcomes: Outcomes, centre: float
) -> list[dict[str, Any]]:
    """Rows (price, success band) → the investors' expected IRR and P(loss), and each payer's
    expected net (own gains − present value of payments) and P(pays more than it saves)."""
    factors = [0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.4]
    outcomes = outcomes.subset(systematic(outcomes.draws))
    share = outcomes.success_share
    bands = success_bands(share)
    rows: list[dict[str, Any]] = []
    every = np.ones(outcomes.draws, dtype=bool)
    ev = _Evaluator(prep, outcomes, every)
    for f in factors:
        price = centre * f
        payments = settle_outcomes(prep, outcomes, ev.prices(price))
        pf = party_flows(prep, payments, only=ev.needed)
        inv = sum((pf.flows[n] for n in ev.investors), np.zeros_like(payments))
        for a, b in bands:
            if share.shape[0] == 1:
                sel = every
            else:
                sel = (share >= a) & (share < b) if b < 1 else (share >= a) & (share <= b)
            row: dict[str, Any] = {
                "price": price,
                "success_rate_from": a,
                "success_rate_to": b,
                "draws": int(sel.sum()),
                "investor_irr": _finite(expected_irr(inv[sel].mean(axis=0), prep.dates)),
                "investor_prob_loss": float(is_loss(inv[sel]).mean()),
            }
            for name in prep.payer_shares:
                pv = -(pf.flows[name][sel] @ prep.discount)
                net = outcomes.own_gains[name][sel] - pv
                row[f"{name}: net"] = float(net.mean())
                row[f"{name}: prob_pays_more_than_saves"] = float((net < 0).mean())
            rows.append(row)
    return rows


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
