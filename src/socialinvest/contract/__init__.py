"""Outcome contracts (social investment partnerships, social impact bonds): the pure core.

Arrays in, arrays out, the draw axis first (METHOD.md §4):
    payments — outcome payments per period from outcomes (rate card, price per unit of duration,
               threshold above a baseline, share of savings), caps, indexation, verification lag
    finance  — the capital stack, drawdowns net of recycled outcome payments, the waterfall,
               return caps, a first-loss guarantee; cash flows per party and period
    returns  — IRR (periodic and on dates), money multiple, peak capital, P(loss), P(target)
"""

from socialinvest.contract.finance import CapitalStack, Guarantee, Tranche, Waterfall, run_waterfall
from socialinvest.contract.payments import (
    Payments,
    Settlement,
    duration_value,
    rate_card_value,
    savings_share_value,
    settle,
    threshold_value,
)
from socialinvest.contract.returns import (
    money_multiple,
    peak_capital_at_risk,
    periodic_irr,
    probability_of_loss,
    probability_of_target,
    xirr,
)

__all__ = [
    "CapitalStack",
    "Guarantee",
    "Payments",
    "Settlement",
    "Tranche",
    "Waterfall",
    "duration_value",
    "money_multiple",
    "peak_capital_at_risk",
    "periodic_irr",
    "probability_of_loss",
    "probability_of_target",
    "rate_card_value",
    "run_waterfall",
    "savings_share_value",
    "settle",
    "threshold_value",
    "xirr",
]
