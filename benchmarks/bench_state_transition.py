"""Benchmark: the probabilistic hip-replacement model in socialinvest and in heormodel, one run.

Run:  .venv/bin/python benchmarks/bench_state_transition.py [--repeat 5] [--process-runs 10]
      [--skip-million] [--profile]

The case is examples/published-models/total-hip-replacement-psa.yaml (Briggs et al. 2006,
Example 3.5: 5 states, 60 yearly cycles, standard versus NP1 prosthesis, illustrative
distributions). The same model, with the same distributions, is written for the peer package
heormodel (MIT, on PyPI) in benchmarks/peer_heormodel_thr.py. heormodel is never a dependency of
socialinvest: on first use this script creates benchmarks/.peer-venv (git-ignored) with
`python3.11 -m venv` and `pip install heormodel`, and runs the peer model there.

Prints
  - in-process medians (and minima) over --repeat runs of 1,000 and 10,000 draws, both arms:
    socialinvest.appraise(case, draws=N, seed=S) after its import, and heormodel's
    ParameterSet.sample + run_psa(sequential=True) after its import; the ratio of the medians;
  - agreement: per-arm mean cost and QALY over 10,000 draws in each engine, with Monte Carlo
    standard errors, and both engines at the point values (60 and 61 cycles; 61 cycles must give
    the published cost 512.434658 / 610.311818 and QALY 14.6531896 / 14.69770986);
  - the whole command `socialinvest run PSA --draws 1000 --seed 1 --format json` in fresh
    processes, and the time to import heormodel in a fresh process;
  - 1,000,000 draws through the command in a child process: wall time and peak memory
    (the child's ru_maxrss).
Targets (issue): socialinvest ≤ 0.05 s for 1,000 draws and ≤ 0.2 s for 10,000 in-process
(≥ 20× and ≥ 40× faster than heormodel in the same run); the whole command < 0.5 s; 1,000,000
draws under 1 GiB peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
PSA_CASE = ROOT / "examples" / "published-models" / "total-hip-replacement-psa.yaml"
DETERMINISTIC_CASE = ROOT / "examples" / "published-models" / "total-hip-replacement.yaml"
PEER_VENV = BENCH / ".peer-venv"
PEER_SCRIPT = BENCH / "peer_heormodel_thr.py"
DRAWS = (1000, 10000)
TARGET_SECONDS = {1000: 0.05, 10000: 0.2}
TARGET_RATIO = {1000: 20.0, 10000: 40.0}
# Published deterministic values (61 cycles): standard, NP1.
PUBLISHED = {"cost": (512.434658, 610.311818), "qaly": (14.6531896, 14.69770986)}
Z_LIMIT = 4.0  # agreement: |difference of means| within this many Monte Carlo standard errors


# --------------------------------------------------------------------------- helpers


def machine() -> str:
    return describe()


def peer_python() -> Path:
    """The peer environment's interpreter; the environment is created on first use."""
    python = PEER_VENV / "bin" / "python"
    check = [str(python), "-c", "import heormodel"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    base = shutil.which("python3.11") or sys.executable
    print(f"creating {PEER_VENV.relative_to(ROOT)} and installing heormodel (first use) …")
    subprocess.run([base, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "heormodel"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return python


def run_peer(args: list[str]) -> dict:
    out = subprocess.run(
        [str(peer_python()), str(PEER_SCRIPT), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def socialinvest_command() -> list[str]:
    exe = Path(sys.executable).with_name("socialinvest")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "socialinvest.cli"]


def fmt_s(seconds: float) -> str:
    return f"{seconds:.4f}" if seconds < 1 else f"{seconds:.2f}"


def case_text_with_cycles(cycles: int) -> str:
    """The PSA case with another horizon (yearly cycles)."""
    text = PSA_CASE.read_text(encoding="utf-8")
    assert "horizon_years: 60\n" in text
    return text.replace("horizon_years: 60\n", f"horizon_years: {cycles}\n")


# ---------------------------------------------------------------------- socialinvest side


def socialinvest_stats(result) -> dict:
    """Per-arm means and standard deviations, as the peer script reports them."""
    out: dict = {"n": int(result.outcomes["cost"].shape[1])}
    for name in ("cost", "qaly"):
        values = result.outcomes[name]  # [2, D]: comparator (standard), intervention (NP1)
        n = values.shape[1]
        difference = values[1] - values[0]
        out[name] = {
            "mean": values.mean(axis=1).tolist(),
            "sd": values.std(axis=1, ddof=1).tolist() if n > 1 else [0.0, 0.0],
            "difference_mean": float(difference.mean()),
            "difference_sd": float(difference.std(ddof=1)) if n > 1 else 0.0,
        }
    return out


def time_socialinvest(repeat: int, seed: int) -> tuple[dict, dict, dict]:
    import socialinvest

    start = time.perf_counter()
    case = socialinvest.load_case(PSA_CASE)
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    socialinvest.appraise(case, draws=DRAWS[0], seed=seed)
    cold = {"load_case": load_seconds, "first_appraise": time.perf_counter() - start}
    socialinvest.appraise(case, draws=10, seed=seed)  # warm-up
    seconds: dict = {}
    results: dict = {}
    for n in DRAWS:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = socialinvest.appraise(case, draws=n, seed=seed)
            times.append(time.perf_counter() - start)
        seconds[str(n)] = times
        results[str(n)] = socialinvest_stats(result)
    return seconds, results, cold


def socialinvest_point(cycles: int) -> dict:
    import socialinvest

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / PSA_CASE.name
        path.write_text(case_text_with_cycles(cycles), encoding="utf-8")
        result = socialinvest.appraise(socialinvest.load_case(path))  # one draw: point values
    return socialinvest_stats(result)


# ---------------------------------------------------------------------------- sections


def print_timings(si_seconds: dict, peer_seconds: dict, repeat: int) -> list[str]:
    missed = []
    print(f"\nin-process, both arms, median and min of {repeat} runs (seconds; after import)")
    header = (
        f"{'engine':13} {'draws':>7} {'median s':>10} {'min s':>10} "
        f"{'heormodel/socialinvest':>23} {'target':>24}"
    )
    print(header)
    print("-" * len(header))
    for n in DRAWS:
        si = si_seconds[str(n)]
        peer = peer_seconds[str(n)]
        ratio = statistics.median(peer) / statistics.median(si)
        target_s = TARGET_SECONDS[n]
        met = statistics.median(si) <= target_s
        met_ratio = ratio >= TARGET_RATIO[n]
        if not met:
            missed.append(f"socialinvest {n} draws: median {statistics.median(si):.3f} s")
        if not met_ratio:
            missed.append(f"ratio at {n} draws: {ratio:.1f}× (< {TARGET_RATIO[n]:.0f}×)")
        target = (
            f"≤ {target_s:g} s {'met' if met else 'MISSED'}, "
            f"≥ {TARGET_RATIO[n]:.0f}× {'met' if met_ratio else 'MISSED'}"
        )
        print(
            f"{'socialinvest':13} {n:7d} {fmt_s(statistics.median(si)):>10} "
            f"{fmt_s(min(si)):>10} {'':>23} {target:>24}"
        )
        print(
            f"{'heormodel':13} {n:7d} {fmt_s(statistics.median(peer)):>10} "
            f"{fmt_s(min(peer)):>10} {ratio:>22.1f}×"
        )
    return missed


def print_agreement(si: dict, peer: dict) -> bool:
    print(
        f"\nagreement over {si['n']:,} draws each (independent random numbers; "
        "SE = sd/√n; z = difference / √(SE₁² + SE₂²))"
    )
    header = (
        f"{'outcome':6} {'arm':9} {'socialinvest':>13} {'± SE':>8} "
        f"{'heormodel':>13} {'± SE':>8} {'z':>7}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for name in ("cost", "qaly"):
        for k, arm in enumerate(("standard", "NP1")):
            m1, m2 = si[name]["mean"][k], peer[name]["mean"][k]
            se1 = si[name]["sd"][k] / math.sqrt(si["n"])
            se2 = peer[name]["sd"][k] / math.sqrt(peer["n"])
            z = (m1 - m2) / math.hypot(se1, se2)
            ok = ok and abs(z) <= Z_LIMIT
            digits = 2 if name == "cost" else 5
            print(
                f"{name:6} {arm:9} {m1:13.{digits}f} {se1:8.{digits}f} "
                f"{m2:13.{digits}f} {se2:8.{digits}f} {z:7.2f}"
            )
    print(f"→ {'AGREE' if ok else 'DISAGREE'} (every |z| ≤ {Z_LIMIT:g})")
    print(
        "per-draw NP1 − standard, sd over draws (both arms of one draw share its parameters "
        "in heormodel):"
    )
    for name in ("cost", "qaly"):
        print(
            f"  {name:5} socialinvest {si[name]['difference_sd']:.5g}   "
            f"heormodel {peer[name]['difference_sd']:.5g}"
        )
    return ok


def print_point(si_points: dict, peer_points: dict) -> bool:
    print("\npoint values (distributions replaced by their means), both engines")
    header = (
        f"{'cycles':>6} {'outcome':7} {'arm':9} {'socialinvest':>14} {'heormodel':>14} "
        f"{'published':>14}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for cycles in (60, 61):
        si, peer = si_points[cycles], peer_points[str(cycles)]
        for name in ("cost", "qaly"):
            for k, arm in enumerate(("standard", "NP1")):
                a, b = si[name]["mean"][k], peer[name]["mean"][k]
                published = PUBLISHED[name][k] if cycles == 61 else None
                ok = ok and math.isclose(a, b, rel_tol=1e-9)
                if published is not None:
                    ok = ok and abs(a - published) < 1e-6 * max(1.0, published)
                    ok = ok and abs(b - published) < 1e-6 * max(1.0, published)
                shown = f"{published:14.8f}" if published is not None else f"{'':>14}"
                print(f"{cycles:6d} {name:7} {arm:9} {a:14.8f} {b:14.8f} {shown}")
    print(f"→ {'REPRODUCED' if ok else 'MISMATCH'} (engines equal to 1e-9; published to 1e-6)")
    return ok


def time_whole_command(runs: int, seed: int) -> list[float]:
    argv = [
        *socialinvest_command(),
        "run",
        str(PSA_CASE.relative_to(ROOT)),
        "--draws",
        "1000",
        "--seed",
        str(seed),
        "--format",
        "json",
    ]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return times


def time_peer_import(runs: int) -> list[float]:
    code = "import time; s = time.perf_counter(); import heormodel; print(time.perf_counter() - s)"
    python = str(peer_python())
    subprocess.run([python, "-c", code], check=True, capture_output=True)  # warm the file cache
    out = []
    for _ in range(runs):
        done = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
        out.append(float(done.stdout.strip()))
    return out


def million_draws(seed: int) -> tuple[float, int, dict]:
    """The command with 1,000,000 draws in a child: wall seconds, peak RSS (bytes), the JSON."""
    argv = [
        *socialinvest_command(),
        "run",
        str(PSA_CASE.relative_to(ROOT)),
        "--draws",
        "1000000",
        "--seed",
        str(seed),
        "--format",
        "json",
    ]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"1,000,000 draws failed with exit code {child.returncode}")
        out.seek(0)
        report = json.loads(out.read())
    return seconds, usage.ru_maxrss * 1024, report  # ru_maxrss is in KiB on Linux


def profile_chunk(seed: int, draws: int = 10000) -> None:
    """Where the time of socialinvest's run goes (cProfile over appraise, 10,000 draws)."""
    import cProfile
    import io
    import pstats

    import socialinvest

    case = socialinvest.load_case(PSA_CASE)
    socialinvest.appraise(case, draws=draws, seed=seed)  # warm-up
    profiler = cProfile.Profile()
    profiler.enable()
    result = socialinvest.appraise(case, draws=draws, seed=seed)
    profiler.disable()
    chunk = result.run.get("chunk_draws", "?")
    for order, restriction, title in (
        ("tottime", (16,), "top by own time"),
        ("cumulative", ("socialinvest", 16), "socialinvest's functions by cumulative time"),
    ):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(*restriction)
        print(
            f"\ncProfile of socialinvest.appraise, {draws:,} draws (chunks of {chunk} draws; "
            f"{title}):"
        )
        lines = stream.getvalue().splitlines()
        first = next(i for i, line in enumerate(lines) if "ncalls" in line)
        for line in lines[first:]:
            if line.strip():
                print("  " + line.replace(str(ROOT) + "/", "").replace(sys.base_prefix + "/", ""))


# -------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="in-process repetitions")
    parser.add_argument("--process-runs", type=int, default=10, help="whole-command runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-million", action="store_true", help="skip 1,000,000 draws")
    parser.add_argument(
        "--profile", action="store_true", help="profile socialinvest even if it meets its targets"
    )
    args = parser.parse_args()

    print(f"machine: {machine()}")
    peer_python()

    si_seconds, si_results, cold = time_socialinvest(args.repeat, args.seed)
    peer = run_peer(
        [
            "--draws",
            *map(str, DRAWS),
            "--repeat",
            str(args.repeat),
            "--seed",
            str(args.seed),
            "--cycles",
            "60",
        ]
    )
    peer_point = run_peer(["--point", "--point-cycles", "60", "61"])
    print(
        f"heormodel {peer['heormodel_version']} (numpy {peer['numpy_version']}) in "
        f"{PEER_VENV.relative_to(ROOT)}; case {PSA_CASE.relative_to(ROOT)}, 60 cycles, seed "
        f"{args.seed}"
    )
    print(
        f"socialinvest cold start (not in the table): load_case {cold['load_case']:.3f} s, "
        f"first appraise of 1,000 draws {cold['first_appraise']:.3f} s"
    )
    missed = print_timings(si_seconds, peer["seconds"], args.repeat)

    agree = print_agreement(si_results[str(DRAWS[-1])], peer["results"][str(DRAWS[-1])])
    si_points = {cycles: socialinvest_point(cycles) for cycles in (60, 61)}
    reproduced = print_point(si_points, peer_point["point"])

    print("\nfresh processes")
    whole = time_whole_command(args.process_runs, args.seed)
    verdict = "met" if statistics.median(whole) < 0.5 else "MISSED"
    if verdict != "met":
        missed.append(f"whole command: median {statistics.median(whole):.3f} s")
    print(
        f"  socialinvest run {PSA_CASE.name} --draws 1000 --seed {args.seed} --format json: "
        f"median {statistics.median(whole):.3f} s, min {min(whole):.3f} s over "
        f"{len(whole)} runs (target < 0.5 s: {verdict})"
    )
    imports = time_peer_import(max(3, args.process_runs // 2))
    print(
        f"  import heormodel: median {statistics.median(imports):.3f} s, min "
        f"{min(imports):.3f} s over {len(imports)} runs (the peer script's imports: "
        f"{peer['import_seconds']:.3f} s)"
    )
    if not args.skip_million:
        seconds, peak, report = million_draws(args.seed)
        gib = peak / 2**30
        verdict = "met" if gib < 1.0 else "MISSED"
        if verdict != "met":
            missed.append(f"1,000,000 draws: peak {gib:.2f} GiB")
        table = (report.get("state_transition") or {}).get("outcomes", {})
        means = ", ".join(
            f"{name} {row['comparator']:.4f} / {row['intervention']:.4f}"
            for name, row in table.items()
        )
        print(
            f"  1,000,000 draws (the command, --format json): {seconds:.1f} s wall, peak RSS "
            f"{peak / 2**20:.0f} MiB = {gib:.2f} GiB (target < 1 GiB: {verdict})"
            + (f"; means {means}" if means else "")
        )

    print()
    print(
        f"agreement over 10,000 draws: {'yes' if agree else 'NO'}; point values: "
        f"{'reproduced' if reproduced else 'MISMATCH'}"
    )
    if missed:
        print("targets missed: " + "; ".join(missed))
    else:
        print("every target met")
    if missed or args.profile:
        profile_chunk(args.seed)


if __name__ == "__main__":
    main()
