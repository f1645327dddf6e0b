"""Random-sample verification: draw a sample, and the rejection rate it implies.

When the evaluator verifies a random sample instead of every record, the records not sampled are
paid at the sample's acceptance rate: a record's units count (1 − r) times, where r = k / n is the
share of the n sampled records the evaluator rejected. The uncertainty of r is stated as an exact
(Clopper–Pearson) confidence interval of the binomial proportion, 95 % by default; it is reported
with every amount the rate touches but not used in the amount (the point estimate is unbiased).
A sample is drawn without replacement from the records still awaiting verification, with a seed
that is recorded, so anyone can redraw the same sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialinvest.ledger.errors import LedgerError


def clopper_pearson(rejected: int, sampled: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact two-sided interval of a binomial proportion k / n."""
    if sampled <= 0:
        return (0.0, 1.0)
    from scipy import stats  # type: ignore[import-untyped,unused-ignore]

    alpha = 1.0 - confidence
    k, n = rejected, sampled
    lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return (lo, hi)


@dataclass(frozen=True)
class RejectionRate:
    sampled: int
    rejected: int
    confidence: float
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.rejected / self.sampled if self.sampled else 0.0

    @property
    def acceptance(self) -> float:
        """The factor applied to the units of records not sampled."""
        return 1.0 - self.rate

    def to_dict(self) -> dict[str, float | int]:
        return {
            "sampled": self.sampled,
            "rejected": self.rejected,
            "rate": self.rate,
            "confidence": self.confidence,
            "low": self.low,
            "high": self.high,
        }


def rejection_rate(rejected: int, sampled: int, confidence: float = 0.95) -> RejectionRate:
    lo, hi = clopper_pearson(rejected, sampled, confidence)
    return RejectionRate(sampled, rejected, confidence, lo, hi)


MAX_SEED = 2**63 - 1


def check_seed(seed: int) -> None:
    """A seed is a whole number from 0 to 2**63 - 1 (numpy refuses a negative one)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise LedgerError("seed", value=seed, max=MAX_SEED)


def draw(population: list[int], size: int, seed: int) -> list[int]:
    """``size`` record ids drawn without replacement (sorted), reproducible from ``seed``."""
    check_seed(seed)
    size = max(0, min(size, len(population)))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(population), size=size, replace=False)
    return sorted(population[int(i)] for i in chosen)
