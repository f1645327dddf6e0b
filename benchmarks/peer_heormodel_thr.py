"""The total hip replacement model (Briggs et al. 2006, Example 3.5) written for heormodel.

This file is run by benchmarks/bench_state_transition.py inside its own environment
(benchmarks/.peer-venv, where heormodel is installed); socialinvest never imports it and
heormodel is never a dependency of socialinvest. It mirrors
examples/published-models/total-hip-replacement-psa.yaml: the same distributions, the same
age-banded female mortality table (age = 60 + t in cycle t), the "beginning" correction, costs
discounted at 6 % and QALYs at 1.5 % with the first cycle undiscounted.

heormodel's MarkovModel takes one discount rate for costs and effects and offers the Simpson,
half-cycle and no correction; so the model passes discount_rate=0 and cycle_correction="none"
and puts each outcome's discount factor and the "beginning" correction (trace rows 0 … T − 1
count, row T does not) into its cycle-varying state rewards, shape (n_cycles + 1, n_states).

Usage (inside the peer environment):
  python peer_heormodel_thr.py --draws 1000 10000 --repeat 5 --seed 1
  python peer_heormodel_thr.py --point --point-cycles 60 61
Prints one JSON object: the import time, the seconds of every timed run (ParameterSet.sample +
run_psa, sequential, in this process) and the per-arm means and standard deviations.
"""

from __future__ import annotations

import argparse
import json
import time

_start = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from heormodel import __version__ as heormodel_version  # noqa: E402
from heormodel.models import LifeTable, MarkovModel  # noqa: E402
from heormodel.models.markov import CohortSpec  # noqa: E402
from heormodel.params import Beta, Gamma, Normal, ParameterSet, single_draw  # noqa: E402
from heormodel.run import run_psa  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _start

STATES = ("PrimaryTHR", "SuccessP", "RevisionTHR", "SuccessR", "Death")
ARMS = ("standard", "NP1")
START_AGE = 60
COST_RATE, QALY_RATE = 0.06, 0.015
COST_PRIMARY = {"standard": 394.0, "NP1": 579.0}

PARAMETERS = ParameterSet(
    {
        "omrPTHR": Beta(2.0, 98.0),
        "omrRTHR": Beta(2.0, 98.0),
        "rrr": Beta(4.0, 96.0),
        "log_lam": Normal(-7.69306700, 0.2),  # -5.490935 - 0.0367022 * 60
        "log_g": Normal(0.3740968, 0.05),
        "log_rrNP1": Normal(-1.344474, 0.38),
        "c_revision": Gamma.from_mean_se(5294.0, 1487.0),
        "u_successP": Beta.from_mean_se(0.85, 0.03),
        "u_revision": Beta.from_mean_se(0.30, 0.03),
        "u_successR": Beta.from_mean_se(0.75, 0.04),
    }
)
# Point values: the means of the probabilities, costs and utilities, and of the log-scale
# normals (so lam, g and rrNP1 are the exponentials of the published coefficients).
POINT = PARAMETERS.means().to_dict()

MORTALITY = LifeTable(  # background mortality per 1,000 by age band (used as a probability)
    ages=[35, 45, 55, 65, 75, 85], rates=[0.99, 2.6, 6.7, 19.3, 53.5, 154.8]
)


def build_engine(n_cycles: int) -> MarkovModel:
    t = np.arange(1, n_cycles + 1, dtype=np.float64)
    background = MORTALITY.rate(START_AGE + t) / 1000.0  # cycle t: age 60 + t
    rows = np.arange(n_cycles + 1, dtype=np.float64)
    beginning = (rows < n_cycles).astype(np.float64)  # row k counts in cycle k + 1; row T not
    cost_weight = beginning * (1.0 + COST_RATE) ** -rows  # cycle 1 (row 0) undiscounted
    qaly_weight = beginning * (1.0 + QALY_RATE) ** -rows
    p_s, s_p, r_r, s_r, dead = range(len(STATES))

    def transitions_and_rewards(params: pd.Series, intervention: str) -> CohortSpec:
        lam = np.exp(params["log_lam"])
        g = np.exp(params["log_g"])
        if intervention == "NP1":
            lam = lam * np.exp(params["log_rrNP1"])
        revision = 1.0 - np.exp(lam * ((t - 1.0) ** g - t**g))
        p = np.zeros((n_cycles, len(STATES), len(STATES)))
        p[:, p_s, dead] = params["omrPTHR"]
        p[:, p_s, s_p] = 1.0 - params["omrPTHR"]
        p[:, s_p, r_r] = revision
        p[:, s_p, dead] = background
        p[:, s_p, s_p] = 1.0 - revision - background
        p[:, r_r, dead] = params["omrRTHR"] + background
        p[:, r_r, s_r] = 1.0 - params["omrRTHR"] - background
        p[:, s_r, r_r] = params["rrr"]
        p[:, s_r, dead] = background
        p[:, s_r, s_r] = 1.0 - params["rrr"] - background
        p[:, dead, dead] = 1.0
        cost = np.zeros(len(STATES))
        cost[p_s] = COST_PRIMARY[intervention]
        cost[r_r] = params["c_revision"]
        qaly = np.zeros(len(STATES))
        qaly[s_p] = params["u_successP"]
        qaly[r_r] = params["u_revision"]
        qaly[s_r] = params["u_successR"]
        return CohortSpec(
            transition=p,
            state_cost=cost_weight[:, None] * cost[None, :],
            state_effect=qaly_weight[:, None] * qaly[None, :],
        )

    return MarkovModel(
        states=STATES,
        interventions=ARMS,
        transitions_and_rewards=transitions_and_rewards,
        n_cycles=n_cycles,
        initial_state="PrimaryTHR",
        discount_rate=0.0,
        cycle_correction="none",
    )


def run(n_draws: int, seed: int, n_cycles: int) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """One timed model run: sample the draws and evaluate both arms on each (one process)."""
    start = time.perf_counter()
    engine = build_engine(n_cycles)
    draws = PARAMETERS.sample(n_draws, seed=seed)
    outcomes = run_psa(engine, draws, seed=seed, sequential=True, progress=False).outcomes
    seconds = time.perf_counter() - start
    return seconds, outcomes.costs_wide(), outcomes.effects_wide()


def stats(costs: pd.DataFrame, qalys: pd.DataFrame) -> dict[str, object]:
    out: dict[str, object] = {"n": len(costs)}
    for name, frame in (("cost", costs), ("qaly", qalys)):
        values = frame[list(ARMS)].to_numpy()  # [D, 2]: standard, NP1
        difference = values[:, 1] - values[:, 0]
        out[name] = {
            "mean": values.mean(axis=0).tolist(),
            "sd": values.std(axis=0, ddof=1).tolist() if len(values) > 1 else [0.0, 0.0],
            "difference_mean": float(difference.mean()),
            "difference_sd": float(difference.std(ddof=1)) if len(values) > 1 else 0.0,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--point", action="store_true", help="one run at the point values")
    parser.add_argument("--point-cycles", type=int, nargs="*", default=[60, 61])
    args = parser.parse_args()

    report: dict[str, object] = {
        "heormodel_version": heormodel_version,
        "numpy_version": np.__version__,
        "import_seconds": IMPORT_SECONDS,
        "cycles": args.cycles,
    }
    if args.point:
        points = {}
        for cycles in args.point_cycles:
            outcomes = build_engine(cycles).evaluate(single_draw(POINT))
            points[str(cycles)] = stats(outcomes.costs_wide(), outcomes.effects_wide())
        report["point"] = points
    else:
        run(10, args.seed, args.cycles)  # warm-up (scipy, pandas dispatch)
        timings: dict[str, list[float]] = {}
        results: dict[str, object] = {}
        for n in args.draws:
            times = []
            for _ in range(args.repeat):
                seconds, costs, qalys = run(n, args.seed, args.cycles)
                times.append(seconds)
            timings[str(n)] = times
            results[str(n)] = stats(costs, qalys)
        report["seconds"] = timings
        report["results"] = results
    print(json.dumps(report))


if __name__ == "__main__":
    main()
