"""The hip-replacement PSA (examples/published-models/total-hip-replacement-psa.yaml) written
directly in numpy, as fast as we could make it: the yardstick of issue 10's "within 1.3× of the
best plain-numpy formulation" (benchmarks/bench_speed.py).

Written for the benchmark from the case file and Briggs, Claxton & Sculpher (2006), Example 3.5,
not from any other package. What makes it fast: only the transitions that exist are computed (5
states, 8 non-zero moves, no dense [S, S] products), both arms are one array [2, D], the
discounted sums accumulate inside the cycle loop (no trace is kept), and the mortality of a
cycle is one number shared by all draws. It runs the same model as socialinvest (the point values
with 61 cycles give Briggs's published costs and QALYs; ``check_point_values``); its random
numbers are its own (numpy's Generator), so per-draw figures differ, means agree within Monte
Carlo error.
"""

from __future__ import annotations

import numpy as np

BREAKS = np.array([35.0, 45.0, 55.0, 65.0, 75.0, 85.0])
MORTALITY = np.array([0.99, 2.6, 6.7, 19.3, 53.5, 154.8]) / 1000.0  # female, per year
PUBLISHED_61 = {"cost": (512.434658, 610.311818), "qaly": (14.6531896, 14.69770986)}


def _beta_mean_sd(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    common = mean * (1.0 - mean) / sd**2 - 1.0
    return rng.beta(mean * common, (1.0 - mean) * common, n)


def _parameters(rng: np.random.Generator | None, n: int) -> dict[str, np.ndarray]:
    if rng is None:  # the point values: each distribution's mean (as socialinvest's 1 draw)
        one = np.ones(1)
        return {
            "omr_p": 0.02 * one,
            "omr_r": 0.02 * one,
            "rrr": 0.04 * one,
            "lam": np.exp(-7.69306700) * one,
            "g": np.exp(0.3740968) * one,
            "rr_np1": np.exp(-1.344474) * one,
            "c_rev": 5294.0 * one,
            "u_sp": 0.85 * one,
            "u_r": 0.30 * one,
            "u_sr": 0.75 * one,
        }
    return {
        "omr_p": rng.beta(2.0, 98.0, n),
        "omr_r": rng.beta(2.0, 98.0, n),
        "rrr": rng.beta(4.0, 96.0, n),
        "lam": np.exp(rng.normal(-7.69306700, 0.2, n)),
        "g": np.exp(rng.normal(0.3740968, 0.05, n)),
        "rr_np1": np.exp(rng.normal(-1.344474, 0.38, n)),
        "c_rev": rng.gamma((5294.0 / 1487.0) ** 2, 1487.0**2 / 5294.0, n),
        "u_sp": _beta_mean_sd(rng, 0.85, 0.03, n),
        "u_r": _beta_mean_sd(rng, 0.30, 0.03, n),
        "u_sr": _beta_mean_sd(rng, 0.75, 0.04, n),
    }


def hip_psa(
    n: int, rng: np.random.Generator | None, cycles: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """Discounted cost and QALY per arm and draw, [2, D] each (row 0 standard, row 1 NP1);
    ``rng`` None: the point values (one draw)."""
    p = _parameters(rng, n)
    d = p["omr_p"].shape[0]
    t = np.arange(1, cycles + 1, dtype=np.float64)
    mortality = MORTALITY[np.searchsorted(BREAKS, 60.0 + t, side="right") - 1]  # [T]
    # revision risk of a primary prosthesis in cycle t: 1 − exp(λ·rr·((t−1)^g − t^g)), [T, 2, D]
    hazard = p["lam"] * ((t[:, None] - 1.0) ** p["g"] - t[:, None] ** p["g"])  # [T, D]
    revision = -np.expm1(hazard[:, None, :] * np.stack([np.ones(d), p["rr_np1"]]))
    cost_disc = 1.06 ** -(t - 1.0)  # correction "beginning": cycle t counts the state at t − 1
    qaly_disc = 1.015 ** -(t - 1.0)
    c_primary = np.array([394.0, 579.0])[:, None]

    # cycle 1 counts everybody in PrimaryTHR (its cost; no QALY); they then move on
    cost = cost_disc[0] * c_primary * np.ones((2, d))
    qaly = np.zeros((2, d))
    success_p = np.broadcast_to(1.0 - p["omr_p"], (2, d))
    revision_thr = np.zeros((2, d))
    success_r = np.zeros((2, d))
    stay_r = 1.0 - p["rrr"]
    for k in range(1, cycles):  # cycle k + 1 counts the states after cycle k
        m = mortality[k]
        cost += cost_disc[k] * (revision_thr * p["c_rev"])
        qaly += qaly_disc[k] * (
            success_p * p["u_sp"] + revision_thr * p["u_r"] + success_r * p["u_sr"]
        )
        rev = revision[k]
        success_p, revision_thr, success_r = (
            success_p * (1.0 - rev - m),
            success_p * rev + success_r * p["rrr"],
            revision_thr * (1.0 - p["omr_r"] - m) + success_r * (stay_r - m),
        )
    return cost, qaly


def check_point_values() -> None:
    """The point values with 61 cycles give Briggs's published figures (1e-6 relative)."""
    cost, qaly = hip_psa(1, None, cycles=61)
    for name, got in (("cost", cost[:, 0]), ("qaly", qaly[:, 0])):
        want = np.array(PUBLISHED_61[name])
        if not np.allclose(got, want, rtol=1e-6, atol=0.0):
            raise AssertionError(f"plain-numpy hip model: {name} {got} instead of {want}")
