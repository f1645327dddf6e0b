"""Checks that relate several fields of a case; each failure names the field and its line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from socialinvest.case.models import Dist, FixedCost, OneOffCost, PerParticipantPeriodCost, point
from socialinvest.vocabulary import UNITS_PER_YEAR

if TYPE_CHECKING:
    from socialinvest.case.load import LoadedCase


def check_case(loaded: LoadedCase) -> None:
    case = loaded.case
    first, last = case.first_year, case.first_year + case.horizon_years - 1
    span = f"a year within the horizon {first}–{last}"

    for i, cohort in enumerate(case.target_group.cohorts):
        if not first <= cohort.year <= last:
            raise loaded.error(("target_group", "cohorts", i, "year"), span, value=cohort.year)
    if sum(point(c.intake) for c in case.target_group.cohorts) <= 0:
        raise loaded.error(
            ("target_group", "cohorts"),
            "at least one cohort with a positive intake",
            problem="has no participants",
        )

    last_intake = max(c.year for c in case.target_group.cohorts)
    needed = last_intake + case.intervention.duration_years - 1
    if needed > last:
        raise loaded.error(
            ("horizon_years",),
            f"at least {needed - first + 1} years, so the last cohort ({last_intake}) completes "
            f"the {case.intervention.duration_years}-year intervention within the analysis",
            value=case.horizon_years,
        )

    for i, cost in enumerate(case.intervention.costs):
        base = ("intervention", "costs", i)
        if isinstance(cost, FixedCost):
            for name in ("first_year", "last_year"):
                year = getattr(cost, name)
                if not first <= year <= last:
                    raise loaded.error((*base, name), span, value=year)
        elif isinstance(cost, OneOffCost):
            if not first <= cost.year <= last:
                raise loaded.error((*base, "year"), span, value=cost.year)
        elif isinstance(cost, PerParticipantPeriodCost):
            years_needed = cost.periods / UNITS_PER_YEAR[cost.period]
            if last_intake + years_needed > last + 1 + 1e-9:
                raise loaded.error(
                    (*base, "periods"),
                    f"periods that end within the horizon (the last cohort starts {last_intake}; "
                    f"the horizon ends {last}), or a longer horizon",
                    value=cost.periods,
                )
        else:
            if last_intake + cost.spread_years - 1 > last:
                raise loaded.error(
                    (*base, "spread_years"),
                    f"a spread that ends within the horizon (last cohort {last_intake}, "
                    f"horizon ends {last})",
                    value=cost.spread_years,
                )

    timing = case.success.timing
    if isinstance(timing, Dist):
        if timing.dist != "dirichlet":
            raise loaded.error(
                ("success", "timing", "dist"),
                "shares per year as a list, or a dirichlet distribution over them",
                value=timing.dist,
            )
        timing_length = len(np.atleast_1d(timing.distribution.mean()))
        if timing_length > case.horizon_years:
            raise loaded.error(
                ("success", "timing"), f"at most {case.horizon_years} years", value=timing_length
            )
    elif timing is not None:
        total = sum(timing)
        if abs(total - 1.0) > 1e-6:
            raise loaded.error(
                ("success", "timing"),
                "shares of successes per year after intake that sum to 1",
                problem=f"sums to {total:g}",
            )
        if len(timing) > case.horizon_years:
            raise loaded.error(
                ("success", "timing"),
                f"at most {case.horizon_years} years (the horizon)",
                value=timing,
            )

    if case.committees:
        seen: dict[str, str] = {}
        for name, areas in case.committees.items():
            for j, area in enumerate(areas):
                if area in seen:
                    raise loaded.error(
                        ("committees", name, j),
                        f"each budget area under one committee only ('{area}' is already "
                        f"under '{seen[area]}')",
                        value=area,
                    )
                seen[area] = name

    if case.price_index:
        for year, value in case.price_index.items():
            if value <= 0:
                raise loaded.error(
                    ("price_index", str(year)), "a positive index value", value=value
                )
