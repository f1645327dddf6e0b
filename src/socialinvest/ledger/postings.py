"""Money as double entry: every movement takes an amount from one account and puts it on another.

Accounts are named ``payer:<party>``, ``vehicle``, ``provider:<party>``, ``investor:<party>``
and ``guarantor:<party>``; amounts are whole øre (integers), so the balances sum to exactly zero
after every posting. A balance is what the account has received less what it has paid: the payer's
is negative by what it has paid, the vehicle's is the cash it holds.

What is posted (``kind``):
    payment       payer → vehicle       an approved settlement's outcome payments
    drawdown      investor → vehicle    capital drawn from a tranche to fund delivery
    delivery      vehicle → provider    the vehicle pays the provider's delivery costs
    performance   vehicle → provider    a performance fee (a share of each payment, if any)
    distribution  vehicle → investor    the waterfall at maturity (interest, principal, residual)
    surplus       vehicle → payer/provider  cash above the return caps
    guarantee     guarantor → investor  a first-loss guarantee called at maturity

:func:`waterfall_postings` turns the design stage's waterfall (``contract.finance.run_waterfall``,
run on the realised payments and costs) into postings, so drawdowns and the investors'
distributions follow the contract's waterfall by construction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from socialinvest.contract.finance import CapitalStack, Waterfall
from socialinvest.ledger.errors import LedgerError

KINDS = (
    "payment",
    "drawdown",
    "delivery",
    "performance",
    "distribution",
    "surplus",
    "guarantee",
)


def ore(kroner: float) -> int:
    """Kroner to whole øre, rounded half away from zero."""
    x = round(abs(kroner) * 100.0 + 1e-9)
    return int(x) if kroner >= 0 else -int(x)


@dataclass(frozen=True, slots=True)
class Posting:
    seq: int
    period: int  # the contract period (1-based) it belongs to
    kind: str
    source: str  # the account the amount leaves
    destination: str  # the account it reaches
    amount: int  # øre, > 0
    reference: str  # e.g. "settlement 3", "waterfall"


@dataclass
class Journal:
    postings: list[Posting] = field(default_factory=list)

    def post(
        self, period: int, kind: str, source: str, destination: str, amount: int, reference: str
    ) -> Posting | None:
        """Move ``amount`` øre; a zero amount posts nothing."""
        if kind not in KINDS:
            raise LedgerError("posting_kind", kind=kind)
        if not isinstance(amount, int | np.integer) or amount < 0:
            raise LedgerError("posting_amount", amount=amount)
        if source == destination:
            raise LedgerError("posting_same_account", account=source)
        if amount == 0:
            return None
        p = Posting(
            len(self.postings) + 1, period, kind, source, destination, int(amount), reference
        )
        self.postings.append(p)
        return p

    def balances(self, through_period: int | None = None) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for p in self.postings:
            if through_period is not None and p.period > through_period:
                continue
            out[p.source] -= p.amount
            out[p.destination] += p.amount
        return dict(out)

    def flows(self, account: str, n_periods: int) -> list[int]:
        """An account's net receipts per contract period (øre)."""
        out = [0] * n_periods
        for p in self.postings:
            if p.destination == account:
                out[p.period - 1] += p.amount
            if p.source == account:
                out[p.period - 1] -= p.amount
        return out


def split_ore(amount: int, shares: list[float]) -> list[int]:
    """Split whole øre by shares; the rounding remainder goes to the first."""
    total = sum(shares)
    parts = [int(amount * s / total) if total > 0 else 0 for s in shares]
    parts[0] += amount - sum(parts)
    return parts


def waterfall_postings(
    journal: Journal,
    stack: CapitalStack,
    waterfall: Waterfall,
    investors: dict[str, str],
    providers: list[str],
    guarantor: str | None,
    surplus_to: dict[str, float],
    through_period: int,
    already: int,
) -> None:
    """Post the drawdowns, the delivery funding and (at maturity) the distributions of a
    one-draw waterfall for periods ``already`` + 1 … ``through_period`` (1-based).

    ``investors``: tranche name → investor party; ``surplus_to``: account → share of the
    surplus. Amounts are rounded to øre; at maturity what rounding left in the vehicle goes with
    the surplus (or, if it is short, comes off the last distribution), so the vehicle ends empty.
    """
    n = waterfall.draws.shape[-1]
    surplus = float(waterfall.surplus[0])
    for t in range(already, through_period):
        period = t + 1
        for k, tranche in enumerate(stack.tranches):
            journal.post(
                period,
                "drawdown",
                f"investor:{investors[tranche.name]}",
                "vehicle",
                ore(float(waterfall.draws[0, k, t])),
                f"waterfall {tranche.name}",
            )
        funded = float(waterfall.provider[0, t])
        if t == n - 1 and any(a.startswith("provider:") for a in surplus_to):
            funded -= surplus
        for name, amount in zip(
            providers, split_ore(ore(funded), [1.0] * len(providers)), strict=True
        ):
            journal.post(period, "delivery", "vehicle", f"provider:{name}", amount, "waterfall")
        if t < n - 1:
            continue
        last: Posting | None = None
        for k, tranche in enumerate(stack.tranches):
            received = float(waterfall.interest_paid[0, k] + waterfall.principal_paid[0, k])
            last = (
                journal.post(
                    period,
                    "distribution",
                    "vehicle",
                    f"investor:{investors[tranche.name]}",
                    ore(received),
                    f"waterfall {tranche.name}",
                )
                or last
            )
            if guarantor is not None:
                journal.post(
                    period,
                    "guarantee",
                    f"guarantor:{guarantor}",
                    f"investor:{investors[tranche.name]}",
                    ore(float(waterfall.guarantee_paid[0, k])),
                    f"guarantee {tranche.name}",
                )
        left = journal.balances().get("vehicle", 0)
        if left < 0 and last is not None:
            # rounding: the last distribution was a few øre too large
            journal.postings[last.seq - 1] = Posting(
                last.seq,
                last.period,
                last.kind,
                last.source,
                last.destination,
                last.amount + left,
                last.reference,
            )
            left = 0
        accounts = list(surplus_to)
        for account, amount in zip(
            accounts, split_ore(max(left, 0), [surplus_to[a] for a in accounts]), strict=True
        ):
            journal.post(period, "surplus", "vehicle", account, amount, "waterfall")
