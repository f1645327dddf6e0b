"""Benchmark: the Aalborg-shaped outcome contract (120 participants, weekly periods over three
years) at 10,000 Monte Carlo draws: the business case of every draw, each participant's
trajectory, the weekly payments, the waterfall, every party's flows and the investors' IRR per
draw (``evaluate_contract`` + ``to_dict``), in-process; median of a few repeats.

Two figures: with the designer (it solves the price per week, as the example asks) and with the
price fixed (the solved price written into the case), which is the contract evaluation alone; and
the same two as whole commands (`socialinvest contract CASE --draws N --seed 1 --format json`,
a new process each: start-up, imports, reading the case, writing the JSON).

Target (issue 4): 10,000 draws in under 5 s on this 2-core machine.

Run:  .venv/bin/python benchmarks/bench_contract.py [--repeat N] [--draws N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "contracts" / "aalborg-impact60.yaml"


def _time(loaded, draws: int, repeat: int) -> tuple[list[float], dict]:
    from socialinvest.contract.result import evaluate_contract

    times = []
    out: dict = {}
    for _ in range(repeat):
        start = time.perf_counter()
        result = evaluate_contract(loaded, draws=draws, seed=1)
        out = result.to_dict()
        times.append(time.perf_counter() - start)
    return times, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args()

    from socialinvest.case import load_case_text
    from socialinvest.case.load import LoadedCase

    text = CASE.read_text(encoding="utf-8")
    designed = LoadedCase.of(load_case_text(text, CASE.name))
    _time(designed, 50, 1)  # warm up
    t_design, d = _time(designed, args.draws, args.repeat)
    price = d["contract"]["payments"][0]["price"]

    data = yaml.safe_load(text)
    data["contract"]["payments"][0]["price"] = price
    del data["contract"]["designer"]
    fixed = LoadedCase.of(load_case_text(yaml.safe_dump(data, allow_unicode=True), CASE.name))
    t_fixed, d2 = _time(fixed, args.draws, args.repeat)

    print(describe())
    print(f"{CASE.name}: 120 participants x 156 weekly periods x {args.draws} draws")
    print(
        f"  with the designer (solves the price per week): "
        f"median {statistics.median(t_design):.2f} s"
        f" (min {min(t_design):.2f} s)"
    )
    print(
        f"  price fixed ({price:,.0f} kr./week), evaluation alone: median "
        f"{statistics.median(t_fixed):.2f} s (min {min(t_fixed):.2f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        fixed_file = Path(tmp) / "aalborg-fixed.yaml"
        fixed_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        for label, path in (("with the designer", CASE), ("price fixed", fixed_file)):
            runs = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                command = [sys.executable, "-m", "socialinvest.cli", "contract", str(path)]
                command += ["--draws", str(args.draws), "--seed", "1", "--format", "json"]
                command += ["--out", str(Path(tmp) / "out.json")]
                subprocess.run(
                    command,
                    check=True,
                    capture_output=True,
                )
                runs.append(time.perf_counter() - start)
            print(
                f"  whole command, {label}: median {statistics.median(runs):.2f} s "
                f"(min {min(runs):.2f} s)"
            )
    inv = d2["investors"]
    print(
        f"  investors: IRR of expected flows {inv['irr']:.2%}, P(loss) {inv['prob_loss']:.1%}; "
        f"max imbalance {d2['money_conservation']['max_abs_imbalance']:.2e} kr."
    )


if __name__ == "__main__":
    main()
