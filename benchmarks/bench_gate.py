"""Benchmark: the loading gate and the run limits with ordinary, huge and hostile input.

Run:  .venv/bin/python benchmarks/bench_gate.py [--repeat 5]

Prints medians (and minima) over --repeat runs of
  - reading the bundled examples through the gate (safe_input.load_document), and with plain
    yaml.safe_load for comparison (the gate's overhead: counting, line map, checks);
  - a document at the value limit (100,000 numbers in one list) and one just above it (refused);
  - refusing an alias bomb in a mapping key (363 bytes, 43 million values if expanded), nesting
    100,000 deep in YAML and in JSON, and a 4 MiB + 1 byte file;
  - ordering chains of 1,000, 3,000 and 10,000 formula parameters (q_i = q_{i-1} + 0): time
    per parameter stays flat when the work is linear;
  - sizing a microsimulation of 10 million individuals × 5,200 weekly cycles before any work
    (limits.check_case_run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from machine import describe  # benchmarks/machine.py
from socialinvest.engine.expressions import evaluation_order
from socialinvest.errors import InputError
from socialinvest.safe_input import LIMITS, load_document, parse_document

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
KEY_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdef", "bcdefg", strict=True)
    )
    + "? [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n: x\n"
)


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def refused(text: str, name: str) -> Callable[[], None]:
    def run() -> None:
        try:
            parse_document(text, name)
        except InputError:
            return
        raise AssertionError(f"{name} was not refused")

    return run


def show(label: str, seconds: tuple[float, float], extra: str = "") -> None:
    median, best = seconds
    print(f"{label:<58} median {median * 1000:9.2f} ms  min {best * 1000:9.2f} ms {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repeat = args.repeat
    print(describe())

    gate = timed(lambda: [load_document(p) for p in EXAMPLES], repeat)
    plain = timed(lambda: [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES], repeat)
    show(f"{len(EXAMPLES)} examples through the gate", gate)
    show(
        f"{len(EXAMPLES)} examples with yaml.safe_load",
        plain,
        f"(gate/plain {gate[0] / plain[0]:.2f})",
    )

    at_limit = "a: [" + ", ".join(["1"] * (LIMITS.max_values - 3)) + "]\n"
    above = "a: [" + ", ".join(["1"] * (LIMITS.max_values * 3)) + "]\n"
    show(
        f"{LIMITS.max_values - 3:,} values in one list (accepted)",
        timed(lambda: parse_document(at_limit, "x.yaml"), repeat),
    )
    show(
        f"{LIMITS.max_values * 3:,} values (refused at the limit)",
        timed(refused(above, "x.yaml"), repeat),
    )

    show(
        f"alias bomb in a key ({len(KEY_BOMB.encode())} bytes)",
        timed(refused(KEY_BOMB, "b.yaml"), repeat),
    )
    deep = "[" * 100_000 + "]" * 100_000
    show("nesting 100,000 deep, YAML", timed(refused(f"a: {deep}\n", "d.yaml"), repeat))
    show("nesting 100,000 deep, JSON", timed(refused(f'{{"a": {deep}}}', "d.json"), repeat))
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "big.yaml"
        big.write_bytes(b"#" * (LIMITS.max_bytes + 1))

        def too_large() -> None:
            try:
                load_document(big)
            except InputError:
                return

        show("a 4 MiB + 1 byte file (refused before parsing)", timed(too_large, repeat))

    for n in (1_000, 3_000, 10_000):
        formulas = {"q0": "1", **{f"q{i}": f"q{i - 1} + 0" for i in range(1, n)}}
        backwards = dict(reversed(formulas.items()))
        seconds = timed(lambda f=backwards: evaluation_order(f, set(), set()), repeat)
        show(f"order {n:,} chained parameters", seconds, f"({seconds[0] / n * 1e6:.1f} µs each)")

    state = yaml.safe_load((ROOT / "examples" / "impact60-state-transition.yaml").read_text())
    state["horizon_years"] = 100
    state["state_transition"]["cycle"] = "week"
    state["state_transition"]["simulation"] = {"individuals": 10_000_000}
    text = yaml.safe_dump(state, sort_keys=False)

    def sized() -> None:
        from socialinvest.case.load import load_case_text
        from socialinvest.runner import appraise

        try:
            appraise(load_case_text(text, "huge.yaml"))
        except InputError:
            return
        raise AssertionError("not refused")

    show("10 million individuals × 5,200 cycles refused (load + size)", timed(sized, repeat))


if __name__ == "__main__":
    sys.exit(main())
