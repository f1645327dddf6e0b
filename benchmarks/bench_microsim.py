"""Benchmark: individual microsimulation of the hip-replacement model (5 states, 60 cycles, both
strategies) with 1,000 individuals × 1,000 probabilistic draws, through the whole pipeline
(`socialinvest.appraise`), in-process; median of a few repeats.

Target (issue 3): under 3 s on this 2-core machine. The R package hesim (C++ core) published
about 11 s for an individual-level simulation of that size (R 4.0.3, 2021).

Run:  .venv/bin/python benchmarks/bench_microsim.py [--repeat N] [--individuals N] [--draws N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "published-models" / "total-hip-replacement-psa.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--individuals", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()

    import socialinvest
    from socialinvest.case import load_case_text

    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    data["state_transition"]["simulation"] = {"individuals": args.individuals}
    case = load_case_text(yaml.safe_dump(data), "thr-microsim.yaml")
    socialinvest.appraise(case, draws=10, seed=1)  # warm up
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = socialinvest.appraise(case, draws=args.draws, seed=1)
        times.append(time.perf_counter() - start)
    cost = result.outcome_table()["outcomes"]["cost"]
    print(f"machine: {os.cpu_count()} cores")
    print(
        f"microsimulation {args.individuals} individuals x {args.draws} draws x 60 cycles, "
        f"2 strategies: median {statistics.median(times):.2f} s (min {min(times):.2f} s)"
    )
    print(f"mean cost standard {cost['comparator']:.2f}, NP1 {cost['intervention']:.2f}")


if __name__ == "__main__":
    main()
