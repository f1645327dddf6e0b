"""Check: the success-rate engine's fast summary (engine.success_summary, issue 10) against the
three-step path it replaced (success_rate_flows → appraise_flows → summarise), on whole runs of
every success-rate example at a fixed seed: every number of ``Result.to_dict()`` within 1e-9
relative (absolute 1e-6 kroner for figures that are ~0), every other value equal.

Run:  .venv/bin/python benchmarks/check_success_summary.py [--draws 100000]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any
from unittest import mock

from socialinvest import appraise, load_case, runner
from socialinvest.engine.appraisal import appraise_flows
from socialinvest.engine.success_rate import success_rate_flows
from socialinvest.engine.summary import Summary, summarise

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = [
    "impact60-uncertain.yaml",
    "impact60-job-education.yaml",
    "mst-young-offenders.yaml",
    "housing-first-young-homeless.yaml",
    "family-treatment-placements.yaml",
]


def three_step(inputs: Any, dg: Any, dc: Any, baseline: Any) -> Summary:
    flows = success_rate_flows(inputs)
    return summarise(flows, appraise_flows(flows, dg, dc), baseline, inputs.effect)


def compare(new: Any, old: Any, where: str, problems: list[str]) -> None:
    if isinstance(old, dict):
        if set(new) != set(old):
            problems.append(f"{where}: keys differ")
        for key in old:
            compare(new.get(key), old[key], f"{where}.{key}", problems)
    elif isinstance(old, list):
        if len(new) != len(old):
            problems.append(f"{where}: lengths differ")
        for i, (a, b) in enumerate(zip(new, old, strict=False)):
            compare(a, b, f"{where}[{i}]", problems)
    elif isinstance(old, float) and isinstance(new, float):
        if math.isnan(old) and math.isnan(new):
            return
        if not math.isclose(new, old, rel_tol=1e-9, abs_tol=1e-6):
            problems.append(f"{where}: {new!r} != {old!r}")
    elif new != old:
        problems.append(f"{where}: {new!r} != {old!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=100_000)
    args = parser.parse_args()
    failed = False
    for name in NAMES:
        case = load_case(EXAMPLES / name)
        for draws in (1, args.draws):
            new = appraise(case, draws=draws, seed=1).to_dict()
            with mock.patch.object(runner, "success_rate_summary", three_step):
                old = appraise(case, draws=draws, seed=1).to_dict()
            problems: list[str] = []
            compare(new, old, name, problems)
            status = "same" if not problems else f"{len(problems)} differences"
            print(f"{name:40} {draws:>9,} draws: {status}", flush=True)
            for line in problems[:10]:
                print("   ", line)
            failed |= bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
