"""The pure calculation core: numpy arrays in, numpy arrays out; no files, no printing, no seeds.

Axis names (in this order wherever they occur):
    draw    — Monte Carlo draw (length 1 for a deterministic run)
    cohort  — intake cohort
    consequence — a priced consequence type
    actor   — kommune, region, stat (socialinvest.vocabulary.ACTORS)
    area    — budget area (socialinvest.vocabulary.AREAS)
    year    — analysis year, 0 = the first year
"""

from socialinvest.engine.appraisal import Appraisal, appraise_flows
from socialinvest.engine.discounting import discount_factors
from socialinvest.engine.success_rate import SuccessRateInputs, success_rate_flows

__all__ = [
    "Appraisal",
    "SuccessRateInputs",
    "appraise_flows",
    "discount_factors",
    "success_rate_flows",
]
