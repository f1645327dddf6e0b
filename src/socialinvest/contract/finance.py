"""The capital stack and the waterfall of an outcome contract (METHOD.md §4, "Finance").

Parties: the outcome **payer**, the **investors** (one per tranche), an optional **guarantor**,
the **provider**, and the **vehicle** (the special-purpose vehicle or intermediary that holds the
contract's cash). Every array has the draw axis first; K = tranches, T = periods.

Timing, period by period (t = 0 … T−1, all flows of a period at the same date):

1. the outcome payment O_t of the payer arrives in the vehicle;
2. the provider's delivery cost C_t falls due; the vehicle pays it from its cash (the reserve
   carried from t−1 plus O_t: outcome payments are *recycled* into delivery), and draws only the
   shortfall from the tranches' undrawn commitments, in the order of ``CapitalStack.tranches``
   (``drawdown="sequential"``) or in proportion to the commitments (``"pro_rata"``);
3. what the commitments cannot cover is **unfunded**: the provider bears it
   (``unfunded="provider"``), or it is owed to the provider and paid first from cash that
   arrives later (``unfunded="deferred"``: deferred provider fees; ``unfunded`` is then negative
   in a period that pays such arrears);
4. cash left over stays in the vehicle as a reserve for later costs.

At maturity (the last period, T−1, after step 4) the whole reserve is distributed by the waterfall:

- loans and recoverable grants by ``seniority`` (0 first; equal seniority shares pro rata):
  at each level first the interest due, then the principal; a loan's interest is its coupon per
  period compounded from the period of each drawdown to maturity, Σ_t draw_t · ((1+c)^(T−1−t) − 1);
  a recoverable grant has no coupon (only its principal is recoverable);
- then equity, whatever its ``seniority``: the residual, shared in proportion to the equity drawn
  (undrawn commitments share in nothing);
- a tranche never receives more than its return cap: ``max_multiple`` × drawn and the value at
  maturity of its drawdowns at ``max_rate`` per period, Σ_t draw_t (1+r_max)^(T−1−t) (the same as
  a maximum IRR, since everything is paid at one date); the cash above the caps is the **surplus**,
  paid to the payer or the provider (``surplus_to``);
- a first-loss ``Guarantee`` then pays the covered tranches' losses (principal drawn but not
  repaid, optionally also unpaid interest) up to its amount, in the order of ``covers``. A *funded*
  first-loss tranche is simply the most junior tranche of the stack.

Money is conserved in every period: payer + investors + guarantor + provider receipts + vehicle
(the change in its cash) sum to zero (``Waterfall.imbalance``); the vehicle holds nothing after
maturity. The provider's own delivery spending goes out of the contract and is reported apart
(``provider_net`` = receipts − costs = surplus received − unfunded costs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

TrancheKind = Literal["senior_loan", "subordinated_loan", "equity", "recoverable_grant"]
TRANCHE_KINDS: tuple[TrancheKind, ...] = (
    "senior_loan",
    "subordinated_loan",
    "equity",
    "recoverable_grant",
)


@dataclass(frozen=True)
class Tranche:
    """One investor's commitment."""

    name: str
    kind: TrancheKind
    commitment: float
    seniority: int = 0  # 0 is repaid first; ignored for equity, which always comes last
    coupon: float = 0.0  # interest per period on drawn principal, compounding (loans only)
    max_multiple: float | None = None  # cap: received ≤ max_multiple × drawn
    max_rate: float | None = None  # cap: a return of at most this rate per period (an IRR cap)

    def __post_init__(self) -> None:
        if self.kind not in TRANCHE_KINDS:
            raise ValueError(f"tranche {self.name!r}: unknown kind {self.kind!r}")
        if self.commitment < 0:
            raise ValueError(f"tranche {self.name!r}: the commitment must be ≥ 0")
        if self.coupon < 0 or (self.coupon > 0 and self.kind in ("equity", "recoverable_grant")):
            raise ValueError(f"tranche {self.name!r}: a {self.kind} has no coupon")
        if self.max_multiple is not None and self.max_multiple < 0:
            raise ValueError(f"tranche {self.name!r}: max_multiple must be ≥ 0")
        if self.max_rate is not None and self.max_rate <= -1:
            raise ValueError(f"tranche {self.name!r}: max_rate must be > −1")

    @property
    def is_equity(self) -> bool:
        return self.kind == "equity"


@dataclass(frozen=True)
class Guarantee:
    """An unfunded first-loss guarantee of the covered tranches' losses, up to ``amount``."""

    amount: float
    covers: tuple[str, ...]  # tranche names, covered in this order
    covers_interest: bool = False  # also unpaid interest, not only unrepaid principal

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("the guarantee amount must be ≥ 0")


@dataclass(frozen=True)
class CapitalStack:
    tranches: tuple[Tranche, ...]
    drawdown: Literal["sequential", "pro_rata"] = "sequential"
    guarantee: Guarantee | None = None
    surplus_to: Literal["payer", "provider"] = "payer"
    # costs the commitments could not cover: borne for good by the provider ("provider"), or
    # owed to it and paid first from cash that arrives later, before any reserve ("deferred")
    unfunded: Literal["provider", "deferred"] = "provider"

    def __post_init__(self) -> None:
        names = [t.name for t in self.tranches]
        if len(set(names)) != len(names):
            raise ValueError(f"tranche names must be unique: {names}")
        if self.drawdown not in ("sequential", "pro_rata"):
            raise ValueError(f"unknown drawdown rule {self.drawdown!r}")
        if self.surplus_to not in ("payer", "provider"):
            raise ValueError(
                f"the surplus goes to the payer or the provider, not {self.surplus_to}"
            )
        if self.guarantee is not None:
            unknown = set(self.guarantee.covers) - set(names)
            if unknown:
                raise ValueError(f"the guarantee covers unknown tranches: {sorted(unknown)}")

    @property
    def commitments(self) -> FloatArray:
        return np.array([t.commitment for t in self.tranches], dtype=np.float64)


@dataclass(frozen=True)
class Waterfall:
    """Cash flows per party and period; positive = the party receives. D draws, K tranches."""

    draws: FloatArray  # [D, K, T] drawdowns from each tranche
    interest_paid: FloatArray  # [D, K] at maturity
    principal_paid: FloatArray  # [D, K] at maturity (for equity: the residual it receives)
    guarantee_paid: FloatArray  # [D, K] from the guarantor to each tranche at maturity
    surplus: FloatArray  # [D] cash above the return caps, to ``surplus_to``
    investors: FloatArray  # [D, K, T] −draws + distributions + guarantee
    payer: FloatArray  # [D, T] −outcome payments (+ the surplus, if it goes to the payer)
    provider: FloatArray  # [D, T] receipts: delivery costs funded (+ the surplus, if it goes there)
    guarantor: FloatArray  # [D, T]
    vehicle: FloatArray  # [D, T] change in the vehicle's cash (the vehicle's net inflow)
    vehicle_cash: FloatArray  # [D, T] the vehicle's cash at the end of each period
    costs: FloatArray  # [D, T] the provider's delivery costs
    unfunded: FloatArray  # [D, T] costs neither outcome payments nor commitments covered

    @property
    def drawn(self) -> FloatArray:
        """[D, K] capital drawn from each tranche."""
        out: FloatArray = self.draws.sum(axis=-1)
        return out

    @property
    def received(self) -> FloatArray:
        """[D, K] all each tranche receives (interest, principal or residual, guarantee)."""
        out: FloatArray = self.interest_paid + self.principal_paid + self.guarantee_paid
        return out

    @property
    def provider_net(self) -> FloatArray:
        """[D, T] the provider's receipts less its delivery costs."""
        out: FloatArray = self.provider - self.costs
        return out

    @property
    def imbalance(self) -> FloatArray:
        """[D, T] the sum of all parties' flows; zero (to rounding) in every period."""
        out: FloatArray = (
            self.payer + self.investors.sum(axis=1) + self.guarantor + self.provider + self.vehicle
        )
        return out


def _pay_pro_rata(due: FloatArray, cash: FloatArray) -> FloatArray:
    """Pay the dues [D, m] from cash [D] in proportion to the dues; returns the payments."""
    total = due.sum(axis=1)
    with np.errstate(over="ignore"):  # dues of a few subnormal kroner: the fraction is capped at 1
        frac = np.divide(cash, total, out=np.zeros_like(cash), where=total > 0)
    out: FloatArray = due * np.minimum(frac, 1.0)[:, None]
    return out


def _sum_rows(rows: list[FloatArray], d: int) -> FloatArray:
    """Σ of a few [D] rows, added in order: the same numbers as ``np.sum(axis=1)`` of their
    [D, K] stack for K < 8 (numpy adds fewer than 8 elements one by one), without a reduction
    over a short axis per period."""
    if len(rows) >= 8:
        out: FloatArray = np.stack(rows, axis=1).sum(axis=1)
        return out
    out = np.zeros(d) if not rows else rows[0] + 0.0
    for r in rows[1:]:
        out = out + r
    return out


def _sum_rows_into(rows: list[FloatArray], out: FloatArray) -> None:
    """``out[...] = _sum_rows(rows, len(out))`` without new arrays (the same additions)."""
    if len(rows) >= 8:
        out[...] = _sum_rows(rows, out.shape[0])
    elif not rows:
        out.fill(0.0)
    else:
        np.add(rows[0], 0.0, out=out)
        for r in rows[1:]:
            np.add(out, r, out=out)


def _as_draws_by_period(x: FloatArray, d: int, n: int, name: str) -> FloatArray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = np.broadcast_to(x, (d, x.shape[0]))
    if x.ndim != 2 or x.shape[0] not in (1, d):
        raise ValueError(f"{name} must be [P] or [D, P], not shape {x.shape}")
    x = np.broadcast_to(x, (d, x.shape[1]))
    out: FloatArray = np.pad(x, [(0, 0), (0, n - x.shape[1])])
    return out


def run_waterfall(
    stack: CapitalStack, costs: FloatArray, outcome_payments: FloatArray
) -> Waterfall:
    """Drawdowns, recycling and the waterfall for every draw at once.

    costs: [P] or [D, P] the provider's delivery costs by period (≥ 0);
    outcome_payments: [D, T] the payer's payments by the period they are paid (≥ 0), e.g.
    ``settle(...).paid``. The shorter of the two is padded with zeros; maturity is the last period.
    """
    pay = np.asarray(outcome_payments, dtype=np.float64)
    if pay.ndim != 2:
        raise ValueError(f"outcome_payments must be [D, T], not shape {pay.shape}")
    d = pay.shape[0]
    c_in = np.asarray(costs, dtype=np.float64)
    n = max(pay.shape[1], c_in.shape[-1])
    if n == 0:
        raise ValueError("the contract has no periods")
    pay = _as_draws_by_period(pay, d, n, "outcome_payments")
    cost = _as_draws_by_period(c_in, d, n, "costs")
    if np.any(pay < 0) or np.any(cost < 0):
        raise ValueError("costs and outcome payments must be ≥ 0")

    tranches = stack.tranches
    k = len(tranches)
    commit = stack.commitments
    # the period loop works on contiguous rows: time-major [T, D] copies, one row per tranche
    pay_t = np.ascontiguousarray(pay.T)
    cost_t = np.ascontiguousarray(cost.T)
    remaining = [np.full(d, commit[j]) for j in range(k)]
    draws_t = np.zeros((k, n, d))
    funded_t = np.zeros((n, d))
    cash_t = np.zeros((n, d))
    reserve = np.zeros(d)
    arrears = np.zeros(d)  # unfunded costs still owed (only with unfunded="deferred")
    deferred = stack.unfunded == "deferred"
    total_commit = commit.sum()
    shares = commit / total_commit if total_commit > 0 else commit
    # Every step writes into buffers made once (no new [D] array per operation and period); the
    # operations and their order are those of the plain expressions in the comments, so the
    # numbers are the same to the last bit.
    available, due, need, left, total, drawn_sum, within = (np.empty(d) for _ in range(7))
    for t in range(n):
        np.add(reserve, pay_t[t], out=available)  # available = reserve + pay
        np.add(cost_t[t], arrears, out=due)  # due = cost + arrears
        np.subtract(due, available, out=need)
        np.maximum(need, 0.0, out=need)  # need = max(due − available, 0)
        if stack.drawdown == "sequential":
            np.copyto(left, need)
            for j in range(k):  # draw_j = min(left, remaining_j); left = left − draw_j
                np.minimum(left, remaining[j], out=draws_t[j, t])
                np.subtract(left, draws_t[j, t], out=left)
        elif total_commit > 0:
            _sum_rows_into(remaining, total)
            np.minimum(need, total, out=total)  # total = min(need, Σ remaining)
            for j in range(k):
                np.multiply(total, shares[j], out=draws_t[j, t])
        for j in range(k):  # remaining_j = max(remaining_j − draw_j, 0)
            np.subtract(remaining[j], draws_t[j, t], out=remaining[j])
            np.maximum(remaining[j], 0.0, out=remaining[j])
        _sum_rows_into([draws_t[j, t] for j in range(k)], drawn_sum)
        np.add(available, drawn_sum, out=within)  # what the vehicle can pay this period
        if deferred:
            np.minimum(due, within, out=funded_t[t])  # paid = min(due, within)
            np.subtract(due, funded_t[t], out=arrears)  # arrears = due − paid
        else:
            np.minimum(due, within, out=need)  # paid = min(due, within)
            np.minimum(cost_t[t], need, out=funded_t[t])
        np.subtract(within, funded_t[t], out=cash_t[t])  # reserve = within − funded
        reserve = cash_t[t]
    reserve = reserve.copy()
    del pay_t, cost_t  # the time-major copies are not needed any more (memory)
    draws = np.ascontiguousarray(draws_t.transpose(2, 0, 1))  # [D, K, T]
    del draws_t
    funded = np.ascontiguousarray(funded_t.T)
    cash_end = np.ascontiguousarray(cash_t.T)
    del funded_t, cash_t

    # ---- waterfall at maturity
    cash = reserve.copy()
    to_maturity = (n - 1 - np.arange(n)).astype(np.float64)  # [T] periods until maturity
    principal = draws.sum(axis=2)  # [D, K]
    coupon = np.array([t.coupon for t in tranches])
    accrued = np.einsum("dkt,kt->dk", draws, (1.0 + coupon[:, None]) ** to_maturity[None, :])
    interest_due = accrued - principal
    cap = np.full((d, k), np.inf)
    for j, tr in enumerate(tranches):
        if tr.max_multiple is not None:
            cap[:, j] = np.minimum(cap[:, j], tr.max_multiple * principal[:, j])
        if tr.max_rate is not None:
            grown = draws[:, j, :] @ ((1.0 + tr.max_rate) ** to_maturity)
            cap[:, j] = np.minimum(cap[:, j], grown)
    principal_due = np.minimum(principal, cap)
    interest_due = np.minimum(interest_due, cap - principal_due)

    interest_paid = np.zeros((d, k))
    principal_paid = np.zeros((d, k))
    loans = [j for j, tr in enumerate(tranches) if not tr.is_equity]
    for level in sorted({tranches[j].seniority for j in loans}):
        idx = [j for j in loans if tranches[j].seniority == level]
        paid = _pay_pro_rata(interest_due[:, idx], cash)
        interest_paid[:, idx] = paid
        cash = cash - paid.sum(axis=1)
        paid = _pay_pro_rata(principal_due[:, idx], cash)
        principal_paid[:, idx] = paid
        cash = cash - paid.sum(axis=1)
    equity = [j for j, tr in enumerate(tranches) if tr.is_equity]
    if equity:
        stake = principal[:, equity]
        total_stake = stake.sum(axis=1)
        # each tranche's part of the stake (≤ 1) times the cash, so a stake of a few
        # subnormal kroner cannot turn cash / stake into infinity (and the flows into NaN)
        part = np.divide(
            stake, total_stake[:, None], out=np.zeros_like(stake), where=total_stake[:, None] > 0
        )
        paid = np.minimum(cash[:, None] * part, cap[:, equity])
        principal_paid[:, equity] = paid
        cash = cash - paid.sum(axis=1)
    surplus = np.maximum(cash, 0.0)

    guarantee_paid = np.zeros((d, k))
    guarantee_total = np.zeros(d)
    if stack.guarantee is not None:
        g = stack.guarantee
        left = np.full(d, g.amount)
        index = {tr.name: j for j, tr in enumerate(tranches)}
        for name in g.covers:
            j = index[name]
            loss = np.maximum(principal[:, j] - principal_paid[:, j], 0.0)
            if g.covers_interest:
                loss = loss + np.maximum(interest_due[:, j] - interest_paid[:, j], 0.0)
            gj = np.minimum(loss, left)
            guarantee_paid[:, j] = gj
            left = left - gj
        guarantee_total = guarantee_paid.sum(axis=1)

    # 0 − draws, plus what each tranche is paid back at maturity (in the last period only: the
    # same numbers as adding (paid ⊗ at_maturity) to every period, without that [D, K, T] array)
    investors = 0.0 - draws
    investors[:, :, -1] += interest_paid + principal_paid + guarantee_paid
    payer = 0.0 - pay  # (0 − x, not −x: no negative zeros)
    provider = funded.copy()
    if stack.surplus_to == "payer":
        payer[:, -1] += surplus
    else:
        provider[:, -1] += surplus
    distributed = interest_paid.sum(axis=1) + principal_paid.sum(axis=1) + surplus
    cash_end[:, -1] -= distributed
    vehicle = np.diff(cash_end, axis=1, prepend=0.0)
    guarantor = np.zeros((d, n))  # 0 − guarantee ⊗ at_maturity: zero before maturity
    guarantor[:, -1] = 0.0 - guarantee_total
    return Waterfall(
        draws=draws,
        interest_paid=interest_paid,
        principal_paid=principal_paid,
        guarantee_paid=guarantee_paid,
        surplus=surplus,
        investors=investors,
        payer=payer,
        provider=provider,
        guarantor=guarantor,
        vehicle=vehicle,
        vehicle_cash=cash_end,
        costs=cost,
        unfunded=cost - funded,
    )
