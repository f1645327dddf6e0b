"""Benchmark: pricing a threshold line (``settlement.compute_amounts``, in memory).

The IMPACT60-shaped contract of ``bench_ledger.py`` (``--weeks`` weekly periods) with a threshold
line instead of its price per week: a job (entry) within 52 weeks of intake, against a baseline
of 0.3 jobs a participant, paid 50,000 kr. a job above it once the improvement is at least 10 %
of the baseline. ``--participants`` in five yearly design cohorts; every participant has one job,
in week 10 after intake, for the first 40 % of each cohort (as a store gets the units from one
``GROUP BY``). Timed, median of ``--repeat`` runs: the same units priced as this threshold line
(every cohort assessed once) and as a price per job (a rate card, no counterfactual), for the cost
of the cohort assessment.

Run:  .venv/bin/python benchmarks/bench_threshold.py [--participants N] [--weeks W]
"""

from __future__ import annotations

import argparse
import statistics
import time

import yaml

from bench_ledger import CASE
from machine import describe

PRICE = 50_000.0


def _terms(participants: int, weeks: int, threshold: bool):
    from socialinvest.case.load import LoadedCase, load_case_text
    from socialinvest.ledger.demo import ELIGIBILITY
    from socialinvest.ledger.terms import Terms

    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    c = data["contract"]
    c["periods"] = weeks
    per = participants // 5
    c["participants"] = {"cohorts": [per] * 5}
    c["metrics"] = {"job": {"kind": "entry", "window": {"first": 1, "last": 52}}}
    c["success_metric"] = "job"
    c.pop("designer")
    c.pop("person_cap", None)
    if threshold:
        c["counterfactual"] = {"kind": "baseline", "rate": 0.3}
        c["payments"] = [
            {
                "name": "jobs above baseline",
                "metric": "job",
                "mechanism": "threshold",
                "threshold": 0.1,
                "price": PRICE,
            }
        ]
    else:
        c["payments"] = [{"name": "job", "metric": "job", "mechanism": "rate_card", "price": PRICE}]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    loaded = LoadedCase.of(load_case_text(text, CASE.name))
    return Terms.from_case(loaded, eligibility=ELIGIBILITY, settle_every=13)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import numpy as np

    from socialinvest.ledger.settlement import compute_amounts

    threshold = _terms(args.participants, args.weeks, True)
    rate_card = _terms(args.participants, args.weeks, False)
    offsets = threshold.prep.cohort_offsets  # 0-based design intakes
    cohort = threshold.prep.cohort  # each design participant's cohort
    n = cohort.shape[0]
    people = tuple(range(1, n + 1))
    intake = (offsets[cohort] + 1).astype(np.int64)
    units = np.zeros((n, 1, args.weeks))
    for j in range(offsets.shape[0]):
        rows = np.flatnonzero(cohort == j)
        succeed = rows[: int(0.4 * rows.size)]
        week = int(offsets[j]) + 9  # week 10 after intake (0-based)
        if week < args.weeks:
            units[succeed, 0, week] = 1.0
    timings: dict[str, list[float]] = {"threshold": [], "rate card": []}
    totals: dict[str, float] = {}
    assessed = 0
    for _ in range(args.repeat):
        for name, terms in (("threshold", threshold), ("rate card", rate_card)):
            start = time.perf_counter()
            a = compute_amounts(terms, people, units, np.zeros_like(units), intake)
            timings[name].append(time.perf_counter() - start)
            totals[name] = float(a.amount.sum())
            if name == "threshold":
                assessed = len(a.cohorts)
    print(describe())
    cells = n * args.weeks
    for name, what in (
        ("threshold", f"a threshold line ({assessed} cohort(s) assessed)"),
        ("rate card", "a rate card"),
    ):
        median = statistics.median(timings[name])
        print(
            f"pricing {cells} units as {what}: median {median:.2f} s, total DKK {totals[name]:,.0f}"
        )


if __name__ == "__main__":
    main()
