"""Benchmark: the engine on the bundled examples, and the whole `socialinvest run` command.

Run:  .venv/bin/python benchmarks/bench_engine.py [--repeat N] [--process-runs N]

Prints medians (the machine is small and noisy) for
  - the engine alone (success-rate flows + discounting + appraisal) on prepared arrays,
  - resolving a loaded case against the knowledge base (runner.prepare),
  - loading and validating the case file,
  - the whole command in a fresh process (`socialinvest run CASE`, table and JSON output),
    and `socialinvest --help` for the start-up floor.
Targets (issue 2): engine well under 1 ms per deterministic case; whole command under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import describe  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def median_seconds(fn, repeat: int) -> float:
    fn()  # warm caches (knowledge-base entries, numpy dispatch)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> str:
    return describe()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="in-process repetitions")
    parser.add_argument("--process-runs", type=int, default=15, help="whole-command runs")
    args = parser.parse_args()

    from socialinvest.case import LoadedCase, load_case
    from socialinvest.engine import appraise_flows, discount_factors, success_rate_flows
    from socialinvest.knowledge import default_knowledge_base
    from socialinvest.runner import prepare
    from socialinvest.state_transition import (
        prepare_state_transition,
        run_state_transition_chunk,
    )

    kb = default_knowledge_base()
    print(f"machine: {machine()}")
    print(f"in-process medians over {args.repeat} repetitions")
    print(
        f"{'example (one deterministic run)':40} {'engine':>12} {'resolve':>12} {'load file':>12}"
    )
    for path in EXAMPLES:
        case = load_case(path)
        loaded = LoadedCase.of(case)
        if case.model == "state_transition":
            st_prepared = prepare_state_transition(loaded, kb)

            def engine(st_prepared=st_prepared):
                return run_state_transition_chunk(st_prepared, 1, None)

            def resolve(loaded=loaded):
                return prepare_state_transition(loaded, kb)
        else:
            prepared = prepare(loaded, kb)
            inputs = prepared.inputs(prepared.base)
            meta = prepared.meta

            def engine(inputs=inputs, meta=meta):
                conv = meta["discounting"]["convention"]
                dfc = discount_factors(meta["bands_costs"], inputs.n_years, conv)
                dfg = discount_factors(meta["bands_gains"], inputs.n_years, conv)
                return appraise_flows(success_rate_flows(inputs), dfg, dfc)

            def resolve(loaded=loaded):
                return prepare(loaded, kb)

        t_engine = median_seconds(engine, args.repeat)
        t_prepare = median_seconds(resolve, max(1, args.repeat // 4))
        t_load = median_seconds(lambda path=path: load_case(path), max(1, args.repeat // 4))
        print(
            f"{path.name:40} {t_engine * 1e6:9.0f} µs {t_prepare * 1e6:9.0f} µs "
            f"{t_load * 1e6:9.0f} µs"
        )

    exe = Path(sys.executable).with_name("socialinvest")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "socialinvest.cli"]
    print(f"\nwhole command in a fresh process, median of {args.process_runs} runs")
    runs = [
        ("socialinvest --help", [*command, "--help"]),
        *[(f"socialinvest run {p.name}", [*command, "run", str(p)]) for p in EXAMPLES],
        *[
            (
                f"socialinvest run {p.name} --format json",
                [*command, "run", str(p), "--format", "json"],
            )
            for p in EXAMPLES
        ],
    ]
    for label, argv in runs:
        times = []
        for _ in range(args.process_runs):
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
        print(
            f"{label:70} {statistics.median(times) * 1000:7.0f} ms (min {min(times) * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
