"""Benchmark: a Monte Carlo run in one process vs on a local Dask cluster.

Run:  .venv/bin/python benchmarks/bench_scale.py [--draws N] [--workers N] [--repeat N]

Times `appraise(case, draws=N, seed=1)` with the chunks run in this process and with the same
chunks on a local cluster of N worker processes (one thread each, on 127.0.0.1). Runs alternate
(local, cluster, local, ...) so that a change in the machine's load hits both alike; medians are
reported. Cluster start-up and the first run on a fresh cluster (workers import the package) are
timed separately and excluded from the speed-up. Every cluster run is checked to give exactly the
local result. Target (issue "Scale-out on an existing engine"): ≥ 1.7× on two workers.

`--dask-malloc` keeps Dask's default MALLOC_TRIM_THRESHOLD_ in the workers (see scale.py), to show
what that setting costs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
import statistics
import time
from pathlib import Path

import numpy as np

from machine import describe  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    import distributed

    return describe(f"distributed {distributed.__version__}")


def cpu_seconds() -> float:
    """CPU time (user + system) of this process so far."""
    import psutil

    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def same(a: object, b: object) -> bool:
    for field in dataclasses.fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray) and not np.array_equal(x, y):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, default=ROOT / "examples/impact60-uncertain.yaml")
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--dask-malloc",
        action="store_true",
        help="keep Dask's MALLOC_TRIM_THRESHOLD_ in the workers",
    )
    args = parser.parse_args()

    from socialinvest import scale
    from socialinvest.case import load_case
    from socialinvest.case.load import LoadedCase
    from socialinvest.knowledge import default_knowledge_base
    from socialinvest.runner import appraise, prepare, run_chunk

    if args.dask_malloc:  # leave Dask's pre-spawn environment as it is
        scale.WORKER_MALLOC = {}

    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    case = load_case(args.case)
    appraise(case, draws=2000, seed=1)  # warm caches (knowledge base, numpy)

    started = time.perf_counter()
    cluster = scale.dask_mapper(workers=args.workers)
    start_up = time.perf_counter() - started
    try:
        started = time.perf_counter()
        first = appraise(case, draws=args.draws, seed=1, map_chunks=cluster)
        first_run = time.perf_counter() - started
        chunk = first.run["chunk_draws"]
        chunks = -(-args.draws // chunk)
        prepared = prepare(LoadedCase.of(case), default_knowledge_base())
        summary = run_chunk(prepared, chunk, np.random.SeedSequence(0))
        raw_bytes = len(pickle.dumps(summary, 5))
        sent_back = len(pickle.dumps(scale.Packed.of(summary), 5))

        local_times, cluster_times = [], []
        client_cpu, worker_cpu = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            here = appraise(case, draws=args.draws, seed=1)
            local_times.append(time.perf_counter() - started)
            workers_before = cluster.client.run(cpu_seconds)
            mine = cpu_seconds()
            started = time.perf_counter()
            there = appraise(case, draws=args.draws, seed=1, map_chunks=cluster)
            cluster_times.append(time.perf_counter() - started)
            client_cpu.append(cpu_seconds() - mine)
            workers_after = cluster.client.run(cpu_seconds)
            worker_cpu.append(sum(workers_after[w] - workers_before[w] for w in workers_after))
            assert same(here.summary, there.summary), "cluster result differs from local"
        assert same(first.summary, here.summary)
    finally:
        started = time.perf_counter()
        cluster.close()
        shut_down = time.perf_counter() - started

    local = statistics.median(local_times)
    remote = statistics.median(cluster_times)
    print(f"case {args.case.name}: {args.draws:,} draws in {chunks} chunks of {chunk:,} draws")
    print(
        f"each chunk's summary sent back: {sent_back / 1e6:.1f} MB packed "
        f"({raw_bytes / 1e6:.1f} MB as computed)"
    )
    print(
        f"cluster of {args.workers} workers: start {start_up:.2f} s, first run {first_run:.2f} s,"
    )
    print(f"  shut down {shut_down:.2f} s (all excluded below)")
    print(f"one process:     median {local:.2f} s  ({', '.join(f'{t:.2f}' for t in local_times)})")
    print(
        f"local cluster:   median {remote:.2f} s  ({', '.join(f'{t:.2f}' for t in cluster_times)})"
    )
    print(
        f"CPU per cluster run (median): workers {statistics.median(worker_cpu):.2f} s in all, "
        f"this process (client, scheduler, combine) {statistics.median(client_cpu):.2f} s"
    )
    print(f"speed-up: {local / remote:.2f}× on {args.workers} workers (target ≥ 1.7× on 2)")
    print("results: identical (every array of every run)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":  # the workers are spawned processes that import this file
    main()
