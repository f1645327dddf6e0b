"""Benchmark: a running partnership's documents (the demo partnership in a fresh SQLite file).

Timed through the service, median of ``--repeat`` runs, each from reading the partnership:

1. the statement of the settlement with the most lines as PDF (A4, WeasyPrint) and as XLSX;
2. the INDIGO document with the realised figures (the design stage's run at ``--draws`` draws
   plus the ledger's aggregates).

Run:  .venv/bin/python benchmarks/bench_ledger_reports.py [--repeat 5] [--draws 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from machine import describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("SOCIALINVEST_LEDGER_KEY", "k1 " + "6b" * 32)
    os.environ.pop("SOCIALINVEST_LEDGER_KEY_FILE", None)

    from socialinvest.service import partnership_reports as pr
    from socialinvest.service import partnerships as ps
    from socialinvest.service.partnership_demo import load_demo_partnership
    from socialinvest.store import users as user_store
    from socialinvest.store.db import make_engine, session_factory, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        db = session_factory(engine)()
        pid, _ = load_demo_partnership(db)
        user = user_store.by_username(db, "afdelingschef")
        assert user is not None
        ctx = ps.read(db, pid, user)
        index, lines = max(
            ((i, len(s.lines)) for i, s in ctx.ledger.statements.items()), key=lambda x: x[1]
        )
        timings: dict[str, list[float]] = {"pdf": [], "xlsx": [], "indigo": []}
        for _ in range(args.repeat):
            for fmt in ("pdf", "xlsx"):
                start = time.perf_counter()
                pr.statement_document(ps.read(db, pid, user), index, fmt, "da")
                timings[fmt].append(time.perf_counter() - start)
            start = time.perf_counter()
            pr.realised_indigo(ps.read(db, pid, user), draws=args.draws, seed=1)
            timings["indigo"].append(time.perf_counter() - start)
        db.close()
        engine.dispose()
    print(describe("SQLite"))
    print(f"demo partnership, settlement {index} ({lines} lines), median of {args.repeat}:")
    print(f"  statement as PDF   {statistics.median(timings['pdf']):7.2f} s")
    print(f"  statement as XLSX  {statistics.median(timings['xlsx']):7.2f} s")
    print(
        f"  INDIGO, realised   {statistics.median(timings['indigo']):7.2f} s ({args.draws} draws)"
    )


if __name__ == "__main__":
    main()
