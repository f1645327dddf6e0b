"""How many Monte Carlo draws a figure needs, and the default run of ``report`` and ``contract``.

A probability, an interval or a distribution computed from one draw is not a probability: the
run of one draw puts every uncertain input at its mean and every participant's own chance at
its expected value. So ``report`` and ``contract`` run Monte Carlo by default whenever the case
has anything uncertain (an input given as a distribution, a Dirichlet row, an individual
simulation, or an outcome contract, whose participants succeed by their own chance), and every
such figure says how many draws it rests on. A figure from fewer than
:data:`MIN_DRAWS_PROBABILITY` draws is not shown.

Defaults (measured on the bundled examples, 2-core VM shared with other work): a business case
runs 10,000 draws in 1–3 s; an outcome contract 1,000 draws in 5–26 s (10,000 took 17–86 s,
too slow for a default), so a contract's figures rest on 1,000 draws unless ``--draws`` says
otherwise, and the report shows their Monte Carlo error.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialinvest.case.models import Case

DEFAULT_DRAWS = 10_000
DEFAULT_CONTRACT_DRAWS = 1_000
MIN_DRAWS_PROBABILITY = 100


def _has_distribution(value: Any) -> bool:
    from pydantic import BaseModel

    from socialinvest.case.models import DirichletRow, Dist, Simulation

    if isinstance(value, Dist):
        return value.dist != "fixed"
    if isinstance(value, DirichletRow | Simulation):
        return True
    if isinstance(value, BaseModel):
        return any(_has_distribution(getattr(value, name)) for name in type(value).model_fields)
    if isinstance(value, dict):
        return any(_has_distribution(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_distribution(v) for v in value)
    return False


def is_uncertain(case: Case) -> bool:
    """Whether the case has anything uncertain: an input given as a distribution (other than
    ``fixed``), a Dirichlet row, an individual simulation, or an outcome contract."""
    if case.contract is not None:
        return True
    return _has_distribution(case)


def default_draws(case: Case) -> int:
    """The number of draws ``report`` and ``contract`` run when ``--draws`` is not given."""
    if case.contract is not None:
        return DEFAULT_CONTRACT_DRAWS
    return DEFAULT_DRAWS if is_uncertain(case) else 1


def enough_draws(draws: int) -> bool:
    """Whether a probability or interval from ``draws`` draws may be shown."""
    return draws >= MIN_DRAWS_PROBABILITY


def monte_carlo_error(probability: float, draws: int) -> float:
    """Half the width of the 95 % interval of a probability estimated from ``draws``
    independent draws (normal approximation: 1.96 · √(p (1 − p) / n)); 0 for one draw."""
    if draws <= 1:
        return 0.0
    p = min(max(float(probability), 0.0), 1.0)
    return 1.96 * math.sqrt(p * (1.0 - p) / draws)
