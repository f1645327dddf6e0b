"""Benchmark: running partnerships in PostgreSQL through the product's service (issue 12).

An IMPACT60-shaped contract stretched to ``--weeks`` weekly periods with ``--participants``
enrolled (synthetic CPR numbers, one transaction), in a fresh PostgreSQL database
(``--server``, default 127.0.0.1:5432, dropped afterwards). Timed, median of ``--repeat`` runs:

1. **import**: a CSV of participants × weeks outcome records through ``service.partnerships.
   import_outcomes`` (lock, read the state, the core checks every row, write the new rows and
   the audit record, commit);
2. **settlement**: after a sample of 1,000 records is decided by the evaluator, reading the
   partnership and drafting the statement of one settlement period covering every week;
3. **re-forecast** of the demo partnership (stored in the same database) at ``--draws`` draws,
   through the service (read + ``reforecast``).

Targets (issue 12): 10,000 × 260 imported in under 60 s; a settlement period in under 5 s; the
re-forecast at 10,000 draws in under 10 s. The defaults here are 1,000 × 260 (the machine is
shared); pass ``--participants 10000`` for the issue's size (needs several GB of memory).

Run:  .venv/bin/python benchmarks/bench_ledger_store.py [--participants N] [--weeks W] [--draws D]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "contracts" / "aalborg-impact60.yaml"
PRICE = 5053.0


def _case_text(participants: int, weeks: int) -> str:
    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    c = data["contract"]
    c["periods"] = weeks
    c["participants"] = {"cohorts": [participants]}
    c["payments"][0]["price"] = PRICE
    c.pop("designer")
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _csv(participants: int, weeks: int, metric: str) -> bytes:
    rows = ["participant,metric,period,value,source,reference"]
    rows += [
        f"{p},{metric},{w},1,Jobcenter,B-{p}-{w}"
        for p in range(1, participants + 1)
        for w in range(1, weeks + 1)
    ]
    return ("\n".join(rows) + "\n").encode()


def run_once(url: str, participants: int, weeks: int) -> tuple[float, float]:
    from socialinvest.ledger.cpr import synthetic_numbers
    from socialinvest.ledger.demo import ELIGIBILITY
    from socialinvest.service import partnerships as ps
    from socialinvest.store import cases as case_store
    from socialinvest.store import users as user_store
    from socialinvest.store.db import make_engine, session_factory

    engine = make_engine(url)
    db = session_factory(engine)()
    tag = secrets.token_hex(3)
    orgs = {
        r: user_store.organisation(db, f"{name} {tag}", create=True)
        for r, name in [
            ("payer", "Kommune"),
            ("provider", "Leverandør"),
            ("evaluator", "Evaluator"),
        ]
    }
    users = {
        r: user_store.create_user(db, orgs[r], f"{r}-{tag}", "!", role="analyst") for r in orgs
    }
    reviewer = user_store.create_user(db, orgs["payer"], f"rev-{tag}", "!", role="reviewer")
    db.commit()
    case = case_store.create_case(
        db, users["payer"], f"bench {tag}", _case_text(participants, weeks)
    )
    case_store.approve(db, case, 1, reviewer)
    pid = ps.create(
        db,
        users["payer"],
        case,
        1,
        key=f"bench-{tag}",
        name="bench",
        parties=[(orgs[r], r) for r in orgs],
        eligibility=ELIGIBILITY,
        settle_every=weeks,
        data_processors=[orgs["provider"].name],
        demo=True,
        as_of=weeks,  # the partnership stands at its last week (all weeks have begun)
    )
    start_day = ps.read(db, pid, users["payer"]).ledger.terms.dates[0]
    ps.enrol_many(
        db,
        pid,
        users["payer"],
        [(n, start_day, "2025") for n in synthetic_numbers(participants, 1)],
    )
    metric = "weeks_in_job_or_education"
    data = _csv(participants, weeks, metric)
    start = time.perf_counter()
    out = ps.import_outcomes(db, pid, users["provider"], "bench.csv", data)
    t_import = time.perf_counter() - start
    assert out["created"] == participants * weeks
    sample = ps.draw_sample(db, pid, users["evaluator"], 1000, seed=1)
    sampled = sample["sampled"]
    ps.decide(db, pid, users["evaluator"], sampled[::40], "reject", "no evidence")
    ps.decide(db, pid, users["evaluator"], [r for i, r in enumerate(sampled) if i % 40], "verify")
    start = time.perf_counter()
    view = ps.statement_view(ps.read(db, pid, users["payer"]), 1)
    t_settle = time.perf_counter() - start
    assert len(next(iter(view["payers"].values()))["lines"]) == participants
    db.close()
    engine.dispose()
    return t_import, t_settle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1_000)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    os.environ.setdefault("SOCIALINVEST_LEDGER_KEY", "bench " + "ab" * 32)

    from socialinvest.service import partnerships as ps
    from socialinvest.service.partnership_demo import load_demo_partnership
    from socialinvest.store.db import make_engine, session_factory, upgrade
    from socialinvest.store.models import User

    name = f"si_bench_{secrets.token_hex(4)}"
    admin = create_engine(args.server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.server.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        t_import, t_settle = [], []
        for _ in range(args.repeat):
            a, b = run_once(url, args.participants, args.weeks)
            t_import.append(a)
            t_settle.append(b)
        engine = make_engine(url)
        db = session_factory(engine)()
        demo_id, _ = load_demo_partnership(db)
        investor = db.query(User).filter(User.username == "investor").one()
        t_forecast = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            ps.forecast_view(ps.read(db, demo_id, investor), draws=args.draws, seed=1)
            t_forecast.append(time.perf_counter() - start)
        db.close()
        engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    rows = args.participants * args.weeks
    print(describe())
    print(
        f"PostgreSQL import {args.participants} participants x {args.weeks} weeks = {rows} rows: "
        f"median {statistics.median(t_import):.2f} s "
        f"({1e6 * statistics.median(t_import) / rows:.0f} us a row; target for 2.6 M rows: 60 s)"
    )
    print(
        f"settlement of one period covering every week (read + statement): "
        f"median {statistics.median(t_settle):.2f} s (target 5 s)"
    )
    print(
        f"re-forecast of the demo partnership at {args.draws} draws (read + forecast): "
        f"median {statistics.median(t_forecast):.2f} s (target 10 s)"
    )


if __name__ == "__main__":
    main()
