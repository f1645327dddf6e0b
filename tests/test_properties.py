"""Invariants of the engine, checked on random valid cases (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from socialinvest import appraise
from socialinvest.case import load_case_text
from socialinvest.engine.discounting import discount_factors

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

shares = st.floats(0, 1, allow_nan=False)


@st.composite
def cases(draw, participant_costs_only: bool = False):
    horizon = draw(st.integers(3, 15))
    start = 2024
    n_cohorts = draw(st.integers(1, 3))
    duration = draw(st.integers(1, 2))
    cohorts = [{"year": start + c, "intake": draw(st.integers(1, 200))} for c in range(n_cohorts)]
    horizon = max(horizon, n_cohorts + duration)
    actors = st.sampled_from(["kommune", "region", "stat"])
    areas = st.sampled_from(["employment", "health", "social", "justice"])
    costs = [
        {
            "name": "pp",
            "type": "per_participant",
            "amount": draw(st.floats(0, 1e5)),
            "actor": draw(actors),
            "area": draw(areas),
        }
    ]
    if not participant_costs_only:
        costs.append(
            {
                "name": "fixed",
                "type": "fixed",
                "amount": draw(st.floats(0, 1e6)),
                "first_year": start,
                "last_year": start + 1,
                "actor": draw(actors),
                "area": draw(areas),
            }
        )
        costs.append(
            {
                "name": "once",
                "type": "one_off",
                "amount": draw(st.floats(0, 1e6)),
                "year": start,
                "actor": draw(actors),
                "area": draw(areas),
            }
        )
    rate_without = draw(st.floats(0, 0.5))
    rate_with = draw(st.floats(rate_without, 1.0))
    consequences = []
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.floats(0, 1))
        region = draw(st.floats(0, 1 - k))
        consequences.append(
            {
                "price": {
                    "value": draw(st.floats(1, 5000)),
                    "unit": "DKK/day",
                    "area": draw(areas),
                    "direction": draw(st.sampled_from(["expense", "revenue"])),
                    "actor_split": {"kommune": k, "region": region, "stat": 1 - k - region},
                    "source": "generated",
                },
                "unit": "day",
                "units_per_success": draw(st.lists(st.floats(-50, 50), min_size=1, max_size=8)),
            }
        )
    discounting = draw(
        st.one_of(
            st.just({"schedule": "discounting/finansministeriet"}),
            st.builds(
                lambda r, c: {"rate": r, "convention": c},
                st.floats(0, 0.2),
                st.sampled_from(["start", "end"]),
            ),
        )
    )
    return {
        "name": "generated",
        "price_year": 2024,
        "start_year": start,
        "horizon_years": horizon,
        "target_group": {"description": "g", "cohorts": cohorts},
        "intervention": {"name": "i", "duration_years": duration, "costs": costs},
        "success": {"measure": "m", "rate_with": rate_with, "rate_without": rate_without},
        "consequences": consequences,
        "discounting": discounting,
        "adjustments": {
            "attribution": draw(st.floats(0, 0.5)),
            "drop_off": draw(st.floats(0, 0.5)),
        },
    }


def run(data, kb):
    return appraise(load_case_text(yaml.safe_dump(data), "generated.yaml"), kb)


@SETTINGS
@given(cases())
def test_zero_effect_gives_minus_discounted_costs(fixture_kb, data):
    data["success"]["rate_with"] = data["success"]["rate_without"]
    result = run(data, fixture_kb)
    costs = result.discounted_costs_by_actor()
    for actor, npv in result.npv_by_actor().items():
        assert npv == pytest.approx(-costs[actor], rel=1e-12, abs=1e-6)
    assert result.npv_total == pytest.approx(-sum(costs.values()), rel=1e-12, abs=1e-6)


@SETTINGS
@given(cases(participant_costs_only=True), st.integers(2, 7))
def test_npv_scales_linearly_with_intake(fixture_kb, data, factor):
    base = run(data, fixture_kb)
    for cohort in data["target_group"]["cohorts"]:
        cohort["intake"] *= factor
    scaled = run(data, fixture_kb)
    assert scaled.npv_total == pytest.approx(factor * base.npv_total, rel=1e-9, abs=1e-6)
    for actor, npv in scaled.npv_by_actor().items():
        assert npv == pytest.approx(factor * base.npv_by_actor()[actor], rel=1e-9, abs=1e-6)


@SETTINGS
@given(cases())
def test_npv_is_zero_at_the_break_even_success_rate(fixture_kb, data):
    result = run(data, fixture_kb)
    rate = result.break_even_success_rate()["total"]
    # cases that never break even, or only above 100 %, have nothing to check
    assume(rate is not None and 0 <= rate <= 1)
    assert rate >= data["success"]["rate_without"]
    data["success"]["rate_with"] = rate
    again = run(data, fixture_kb)
    # rounding of a sum of gains and costs that cancel: relative to their size (the gains
    # equal the costs at break-even; 1e-9 of one krone was once exceeded by 1e-11 kr.)
    scale = max(
        sum(abs(v) for v in result.discounted_costs_by_actor().values()),
        sum(abs(v) for v in again.discounted_gains_by_actor().values()),
        1.0,
    )
    assert abs(again.npv_total) <= 1e-8 * scale


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.floats(0, 0.3)), min_size=1, max_size=4),
    st.lists(st.floats(0, 0.2), min_size=4, max_size=4),
    st.sampled_from(["start", "end"]),
    st.integers(1, 90),
)
def test_more_discounting_never_raises_a_later_gain(bands, extra, convention, years):
    starts = sorted({0, *(b[0] for b in bands)})
    rates = [b[1] for b in bands] + [0.05] * len(starts)
    low = [(s, rates[i]) for i, s in enumerate(starts)]
    high = [(s, r + extra[i % len(extra)]) for i, (s, r) in enumerate(low)]
    df_low = discount_factors(low, years, convention)
    df_high = discount_factors(high, years, convention)
    assert np.all(df_high <= df_low + 1e-15)  # a higher rate never raises a value
    assert np.all(np.diff(df_low) <= 1e-15)  # a later gain is never worth more
    assert np.all((df_low > 0) & (df_low <= 1.0))


def test_finance_ministry_schedule_by_hand():
    # 3.5 % for the years from time 0 to 35, 2.5 % from 35 to 70, 1.5 % after.
    bands = [(0, 0.035), (35, 0.025), (70, 0.015)]
    df = discount_factors(bands, 80, "start")
    assert df[0] == 1.0
    assert df[35] == pytest.approx(1.035**-35, rel=1e-13)
    assert df[36] == pytest.approx(1.035**-35 / 1.025, rel=1e-13)
    assert df[71] == pytest.approx(1.035**-35 * 1.025**-35 / 1.015, rel=1e-13)
    end = discount_factors(bands, 80, "end")
    assert end[0] == pytest.approx(1 / 1.035)
    assert end[34] == pytest.approx(1.035**-35, rel=1e-13)
    assert end[35] == pytest.approx(1.035**-35 / 1.025, rel=1e-13)
