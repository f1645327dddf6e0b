"""Benchmark: the ledger core (in memory, no database) on a large partnership.

An IMPACT60-shaped contract stretched to ``--weeks`` weekly periods (default 260, five years), with
``--participants`` enrolled (default 10,000, synthetic CPR numbers) and one outcome record per
participant and week. Timed, median of ``--repeat`` runs:

1. **import**: the CSV of participants × weeks rows through ``import_outcomes`` (every row checked,
   all or nothing, one audit record with a digest of the new records);
2. **settlement**: after a verification sample of 1,000 records is decided, the statement of one
   settlement period that covers every week (all records priced with the design stage's payment
   functions, caps and lag, and checked against ``payments.settle``; a line per participant);
3. **pricing from arrays**: ``compute_amounts`` on the units of every participant and week given as
   arrays, as a store gets them with one ``GROUP BY`` instead of loading every record;
4. **re-forecast** of the 156-week demo partnership halfway through its term at ``--draws`` draws.

Targets (issue 12, for the whole product with PostgreSQL): import of 10,000 × 260 records in under
60 s, one settlement period in under 5 s, the re-forecast at 10,000 draws in under 10 s. The core
alone must leave room for the database below those.

Run:  .venv/bin/python benchmarks/bench_ledger.py [--participants N] [--weeks W] [--draws D]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "contracts" / "aalborg-impact60.yaml"
PRICE = 5053.0  # the demo's agreed price per week (the designer's at point values, rounded)


def _terms(participants: int, weeks: int):
    from socialinvest.case.load import LoadedCase, load_case_text
    from socialinvest.ledger.demo import ELIGIBILITY
    from socialinvest.ledger.terms import Terms

    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    c = data["contract"]
    c["periods"] = weeks
    c["participants"] = {"cohorts": [participants]}
    c["payments"][0]["price"] = PRICE
    c.pop("designer")
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    loaded = LoadedCase.of(load_case_text(text, CASE.name))
    return Terms.from_case(loaded, eligibility=ELIGIBILITY, settle_every=weeks)


def _ledger(terms, participants: int):
    from socialinvest.ledger.cpr import Keyring, synthetic_numbers
    from socialinvest.ledger.demo import ELIGIBILITY, PAYER
    from socialinvest.ledger.ledger import Ledger

    ledger = Ledger.create(
        "bench", terms, Keyring.parse(Keyring.generate(), "bench"), PAYER, demo=True
    )
    eligible = dict.fromkeys(ELIGIBILITY, True)
    for number in synthetic_numbers(participants, 1):
        ledger.enrol(PAYER, number, terms.dates[0], "2025", eligible)
    return ledger


def _csv(participants: int, weeks: int, metric: str) -> bytes:
    rows = ["participant,metric,period,value,source,reference"]
    rows += [
        f"{p},{metric},{w},1,Jobcenter,B-{p}-{w}"
        for p in range(1, participants + 1)
        for w in range(1, weeks + 1)
    ]
    return ("\n".join(rows) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from socialinvest.ledger.demo import EVALUATOR, HALFWAY, PROVIDER, demo_ledger
    from socialinvest.ledger.forecast import observe, reforecast
    from socialinvest.ledger.importer import import_outcomes
    from socialinvest.ledger.sampling import clopper_pearson

    clopper_pearson(1, 2)  # import scipy once, outside the timings
    terms = _terms(args.participants, args.weeks)
    metric = next(iter(terms.contract.metrics))
    data = _csv(args.participants, args.weeks, metric)
    t_import, t_settle = [], []
    for _ in range(args.repeat):
        ledger = _ledger(terms, args.participants)
        start = time.perf_counter()
        result = import_outcomes(ledger, PROVIDER, "bench.csv", data=data)
        t_import.append(time.perf_counter() - start)
        assert len(result.created) == args.participants * args.weeks
        sample = ledger.draw_sample(EVALUATOR, 1000, seed=1)
        for i, rid in enumerate(sample.sampled):
            if i % 40 == 0:
                ledger.reject(EVALUATOR, rid, "no evidence")
            else:
                ledger.verify(EVALUATOR, rid)
        start = time.perf_counter()
        statement = ledger.statement(1)
        t_settle.append(time.perf_counter() - start)
        assert len(statement.lines) == args.participants
        del ledger

    import numpy as np

    from socialinvest.ledger.settlement import compute_amounts

    people = tuple(range(1, args.participants + 1))
    units = np.ones((args.participants, len(terms.prices), args.weeks))
    t_arrays = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        compute_amounts(terms, people, units, np.zeros_like(units))
        t_arrays.append(time.perf_counter() - start)

    demo = demo_ledger()
    observed, realised = observe(demo, HALFWAY)
    t_forecast = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        reforecast(
            demo.terms,
            observed,
            realised,
            as_of=HALFWAY,
            paid_through=demo.posted_through,
            draws=args.draws,
            seed=1,
        )
        t_forecast.append(time.perf_counter() - start)

    rows = args.participants * args.weeks
    print(describe())
    print(
        f"import {args.participants} participants x {args.weeks} weeks = {rows} rows: "
        f"median {statistics.median(t_import):.2f} s "
        f"({1e6 * statistics.median(t_import) / rows:.0f} us a row)"
    )
    print(
        f"settlement of one period covering every week: median {statistics.median(t_settle):.2f} s"
    )
    print(f"pricing {rows} units given as arrays: median {statistics.median(t_arrays):.2f} s")
    print(
        f"re-forecast of the demo at {args.draws} draws: median "
        f"{statistics.median(t_forecast):.2f} s"
    )


if __name__ == "__main__":
    main()
