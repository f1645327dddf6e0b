"""Benchmark: pricing with dated amendments (``settlement.compute_amounts``, in memory).

The IMPACT60-shaped contract of ``bench_ledger.py`` stretched to ``--weeks`` weekly periods with
``--participants`` participants and one unit per participant, line and week (as a store gets the
units from one ``GROUP BY``), priced with the original terms only and with ``--amendments``
dated amendments (a new price and contract cap every so many settlement periods, quarterly
settlements). Median of ``--repeat`` runs each.

Run:  .venv/bin/python benchmarks/bench_amend.py [--participants N] [--weeks W] [--amendments K]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_ledger import PRICE, _terms
from machine import describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--amendments", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import dataclasses

    import numpy as np

    from socialinvest.ledger.settlement import compute_amounts
    from socialinvest.ledger.terms import Amendment

    base = dataclasses.replace(_terms(args.participants, args.weeks), settle_every=13)
    step = max(1, base.n_settlements // (args.amendments + 1))
    amendments = tuple(
        Amendment(
            number=k,
            effective=1 + k * step,
            prices=tuple(PRICE + 100.0 * k for _ in base.prices),
            person_cap=base.contract.person_cap,
            contract_cap=None,
            planned_intake=base.planned_intake,
            reference=f"bench {k}",
            agreed_by=("bench",),
            approved_by="bench",
            approved_at="2026-01-01T00:00:00+00:00",
        )
        for k in range(1, args.amendments + 1)
    )
    amended = base.with_amendments(amendments)
    people = tuple(range(1, args.participants + 1))
    units = np.ones((args.participants, len(base.prices), args.weeks))
    timings: dict[str, list[float]] = {"original": [], "amended": []}
    totals = {}
    for _ in range(args.repeat):
        for name, terms in (("original", base), ("amended", amended)):
            start = time.perf_counter()
            a = compute_amounts(terms, people, units, np.zeros_like(units))
            timings[name].append(time.perf_counter() - start)
            totals[name] = float(a.amount.sum())
    rows = args.participants * args.weeks
    print(describe())
    for name in ("original", "amended"):
        runs = len(amended.segments()) if name == "amended" else 1
        print(
            f"pricing {rows} units ({name} terms, {runs} run(s) of periods): "
            f"median {statistics.median(timings[name]):.2f} s, total DKK {totals[name]:,.0f}"
        )


if __name__ == "__main__":
    main()
