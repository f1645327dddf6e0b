"""Benchmark: running partnerships in PostgreSQL through the product's service (issue 12).

An IMPACT60-shaped contract stretched to ``--weeks`` weekly periods with ``--participants``
enrolled (synthetic CPR numbers, one transaction), in a fresh PostgreSQL database
(``--server``, default 127.0.0.1:5432, dropped afterwards). Timed, median of ``--repeat`` runs,
wall clock and CPU (this process; and the PostgreSQL backend serving it, read from /proc):

1. **import**: participants × weeks outcome records, as one CSV file a week (``--weeks`` files
   of ``--participants`` rows: a file may hold at most 4 MiB, docs/limits.md), each through
   ``service.partnerships.import_outcomes`` (lock, check every row, stage with COPY, classify
   and insert in SQL, the audit record, commit); the figure is all the files together;
2. **settlement**: after a sample of 1,000 records is drawn and decided by the evaluator (975
   verified, 25 rejected: the rest is paid at the sample's acceptance rate), reading the
   partnership and drafting the statement of one settlement period covering every week
   (``service.partnerships.statement``); also shown, without a target: the statement's page
   view (``statement_view``: every line explained in words) and its approval;
3. **re-forecast** of the demo partnership (stored in the same database) at ``--draws`` draws,
   through the service (read + observations + ``reforecast``).

Targets (issue 12): 10,000 × 260 imported in under 60 s; a settlement period in under 5 s; the
re-forecast at 10,000 draws in under 10 s. Each is printed with "target met" or "target missed".

Run:  .venv/bin/python benchmarks/bench_ledger_store.py [--participants 10000] [--weeks 260]
        [--draws 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _week_csv(participants: int, week: int, metric: str) -> bytes:
    rows = ["participant,metric,period,value,source,reference"]
    rows += [f"{p},{metric},{week},1,Jobcenter,B-{p}-{week}" for p in range(1, participants + 1)]
    return ("\n".join(rows) + "\n").encode()


TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu(db: Any) -> float:
    """CPU seconds (user + system) of the PostgreSQL backend serving ``db`` so far."""
    pid = db.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.commit()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # another machine: not measurable
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / TICKS


class Timer:
    """Wall clock, this process's CPU and the database backend's CPU of one step."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def __call__(self, work: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
        backend = _backend_cpu(self.db)
        cpu, wall = time.process_time(), time.perf_counter()
        out = work()
        took = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
        took["db_cpu"] = _backend_cpu(self.db) - backend
        return out, took


def run_once(url: str, participants: int, weeks: int) -> dict[str, dict[str, float]]:
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
    files = [_week_csv(participants, w, metric) for w in range(1, weeks + 1)]
    timer = Timer(db)

    def import_all() -> int:
        created = 0
        for w, data in enumerate(files, start=1):
            out = ps.import_outcomes(db, pid, users["provider"], f"week-{w}.csv", data)
            created += out["created"]
        return created

    created, t_import = timer(import_all)
    assert created == participants * weeks, created
    sample = ps.draw_sample(db, pid, users["evaluator"], 1000, seed=1)
    sampled = sample["sampled"]
    ps.decide(db, pid, users["evaluator"], sampled[::40], "reject", "no evidence")
    ps.decide(db, pid, users["evaluator"], [r for i, r in enumerate(sampled) if i % 40], "verify")
    payer = users["payer"]
    st, t_settle = timer(lambda: ps.statement(ps.read(db, pid, payer), 1, keyed=False))
    assert len({line.participant for line in st.lines}) == participants
    view, t_view = timer(lambda: ps.statement_view(ps.read(db, pid, payer), 1))
    assert len(next(iter(view["payers"].values()))["lines"]) == participants
    done, t_approve = timer(lambda: ps.approve(db, pid, payer, 1))
    assert done["status"] == "approved"
    db.close()
    engine.dispose()
    return {"import": t_import, "settle": t_settle, "view": t_view, "approve": t_approve}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
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
        runs = [run_once(url, args.participants, args.weeks) for _ in range(args.repeat)]
        engine = make_engine(url)
        db = session_factory(engine)()
        demo_id, _ = load_demo_partnership(db)
        investor = db.query(User).filter(User.username == "investor").one()
        timer = Timer(db)
        forecasts = []
        for _ in range(args.repeat):
            _, took = timer(
                lambda: ps.forecast_view(ps.read(db, demo_id, investor), draws=args.draws, seed=1)
            )
            forecasts.append(took)
        db.close()
        engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def median(steps: list[dict[str, float]], key: str) -> float:
        return statistics.median(s[key] for s in steps)

    rows = args.participants * args.weeks
    print(describe(f"PostgreSQL on {args.server.rsplit('@', 1)[-1]}"))
    print(f"median of {args.repeat} run(s); CPU: this process / the PostgreSQL backend")
    table = [
        (
            f"import {args.participants} participants x {args.weeks} weeks = {rows} records "
            f"({args.weeks} weekly files)",
            [r["import"] for r in runs],
            60.0,
        ),
        (
            "settlement period covering every week (read + draft the statement)",
            [r["settle"] for r in runs],
            5.0,
        ),
        (f"re-forecast of the demo partnership at {args.draws} draws", forecasts, 10.0),
        (
            "  the statement's page view (draft + every line explained in words)",
            [r["view"] for r in runs],
            None,
        ),
        (
            "  its approval (draft + lock + post + write the statement)",
            [r["approve"] for r in runs],
            None,
        ),
    ]
    for label, steps, target in table:
        wall = median(steps, "wall")
        cpu = f"CPU {median(steps, 'cpu'):.2f} s / {median(steps, 'db_cpu'):.2f} s"
        if target is None:
            print(f"{label}: {wall:.2f} s wall ({cpu}); no target")
            continue
        verdict = "target met" if wall < target else "target missed"
        print(f"{label}: {wall:.2f} s wall ({cpu}); target < {target:g} s: {verdict}")


if __name__ == "__main__":
    main()
