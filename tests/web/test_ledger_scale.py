"""The set-based paths of a stored ledger (issue 12's scale) give what the core gives: an import
checked as arrays and written with SQL refuses the same rows with the same sentences, and
creates the same records, as the core's importer on the same state; a statement drafted from
sums read with SQL equals the core's statement; the re-forecast's observations read with SQL
equal the core's."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from socialinvest.ledger import snapshot
from socialinvest.ledger.importer import ImportRefused, import_outcomes
from socialinvest.ledger.ledger import Ledger
from socialinvest.service import partnerships as ps
from socialinvest.store import partnerships as store

from .ledger_web_support import JAN, Deal, make_deal, use_key


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def core_ledger(db: Session, deal: Deal) -> Ledger:
    """The partnership as the core sees it (the whole state loaded)."""
    row = store.get(db, deal.id)
    assert row is not None
    return snapshot.load(store.load_state(db, row), ps.terms_of(db, row), ps.keyring())


def enrolled(db: Session, deal: Deal) -> None:
    """Four participants: three from January 2024 (period 1), one from July 2024 (period 3);
    the second withdraws on 10 January 2025 (period 5)."""
    u = deal.users
    ps.enrol_many(
        db,
        deal.id,
        u["pia"],
        [
            (deal.numbers[0], JAN, "2024"),
            (deal.numbers[1], JAN, "2024"),
            (deal.numbers[2], JAN, "2024"),
            (deal.numbers[3], dt.date(2024, 7, 15), "2024"),
        ],
    )
    ps.write(
        db,
        deal.id,
        u["pia"],
        lambda ctx: ctx.ledger.withdraw(ctx.actor, 2, dt.date(2025, 1, 10)),
        prefer=("payer",),
    )


def random_file(rng: random.Random, junk: float) -> bytes:
    rows = ["participant;metric;period;value;source;reference"]
    for _ in range(rng.randint(1, 14)):
        if rng.random() < junk:  # anything, mostly wrong
            p = rng.choice(["1", "2", "3", "4", "9", "x", ""])
            m = rng.choice(["job", "in_work", "bonus"])
            t = rng.choice(["0", "1", "3", "5", "6", "8", "9", "q"])
            v = rng.choice(["1", "13", "14", "2,5", "-1", "nan", "x", "0"])
            s = rng.choice(["Jobcenter", ""])
        else:  # within the rules, but maybe contradicting an earlier value or row
            p = str(rng.choice([1, 2, 3, 4]))
            m = rng.choice(["job", "in_work", "in_work"])
            t = str(rng.randint(1 if p != "4" else 3, 8 if p != "2" else 5))
            v = "1" if m == "job" else str(rng.choice([13, 13, 12, 6]))
            s = "Jobcenter"
        rows.append(f"{p};{m};{t};{v};{s};R-{p}-{m}-{t}")
    return ("\n".join(rows) + "\n").encode()


def stored_records(db: Session, deal: Deal) -> list[dict[str, Any]]:
    views = []
    for r in core_ledger(db, deal).records.values():
        views.append(
            {**r.audit_view(), "history": [(e.who, e.action, e.status) for e in r.history]}
        )
    return views


def test_a_set_based_import_refuses_and_creates_what_the_core_does(db: Session, deal: Deal) -> None:
    enrolled(db, deal)
    paul = deal.users["paul"]
    actor, _ = ps.actor_for(db, store.get(db, deal.id) or {}, paul, prefer=("provider",))
    rng = random.Random(12)
    outcomes = {"refused": 0, "created": 0, "conflicts": 0, "unchanged": 0}
    for i in range(60):
        data = random_file(rng, junk=0.15 if i % 3 else 0.0)
        name = f"f{i}.csv"
        mirror = core_ledger(db, deal)
        try:
            expected: Any = import_outcomes(mirror, actor, Path(name), data=data, as_of=8)
        except ImportRefused as refused:
            expected = refused
        try:
            got: Any = ps.import_outcomes(db, deal.id, paul, name, data)
        except ImportRefused as refused:
            got = refused
        if isinstance(expected, ImportRefused):
            assert isinstance(got, ImportRefused), (data, got)
            assert [(e.line, e.key, e.message("da")) for e in got.errors] == [
                (e.line, e.key, e.message("da")) for e in expected.errors
            ]
            assert got.message == expected.message
            outcomes["refused"] += 1
            continue
        assert not isinstance(got, ImportRefused), (data, got.message)
        assert got == {**expected.to_dict(), "records": list(expected.created)}
        outcomes["created"] += len(expected.created)
        outcomes["conflicts"] += len(expected.flagged)
        outcomes["unchanged"] += expected.unchanged
        # the rows written are the core's records (the same ids, values, evidence, status)
        assert stored_records(db, deal) == [
            {**r.audit_view(), "history": [(e.who, e.action, e.status) for e in r.history]}
            for r in mirror.records.values()
        ]
        # and the audit record is the core's, but for its time
        last = core_ledger(db, deal).audit.records[-1]
        assert last.after == mirror.audit.records[-1].after
        assert ps.verify_integrity(db, deal.id)[0]
    # the files exercised every path (refusals, new records, conflicts, unchanged rows)
    assert all(n > 0 for n in outcomes.values()), outcomes
    # a row the core never loads into Python is still covered by the import's audit record
    db.execute(text("UPDATE ledger_records SET value = 7 WHERE id = 1 AND value <> 7"))
    db.commit()
    ok, entity, _ = ps.verify_integrity(db, deal.id)
    assert not ok and entity is not None and entity.startswith("import f")


def test_a_cpr_column_and_an_xlsx_file_import_as_in_the_core(db: Session, deal: Deal) -> None:
    import io

    from openpyxl import Workbook

    enrolled(db, deal)
    paul = deal.users["paul"]
    actor, _ = ps.actor_for(db, store.get(db, deal.id) or {}, paul, prefer=("provider",))
    bad = (
        "cpr,metric,period,value,source,reference\n"
        f"{deal.numbers[0]},in_work,1,13,J,R1\n"
        f"{deal.numbers[9]},in_work,1,13,J,R2\n"  # not enrolled
        "0101011234,in_work,1,13,J,R3\n"
    ).encode()
    with pytest.raises(ImportRefused) as core:
        import_outcomes(core_ledger(db, deal), actor, Path("c.csv"), data=bad, as_of=8)
    with pytest.raises(ImportRefused) as mine:
        ps.import_outcomes(db, deal.id, paul, "c.csv", bad)
    assert mine.value.message == core.value.message
    assert "0101011234" not in mine.value.message and deal.numbers[9] not in mine.value.message
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["cpr", "metric", "date", "value", "source", "reference"])
    sheet.append([deal.numbers[3], "in_work", dt.datetime(2024, 8, 1), 13, "J", "R4"])
    sheet.append([deal.numbers[0], "job", dt.datetime(2024, 2, 1), 1, "J", "R5"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    mirror = core_ledger(db, deal)
    expected = import_outcomes(mirror, actor, Path("w.xlsx"), data=data, as_of=8)
    got = ps.import_outcomes(db, deal.id, paul, "w.xlsx", data)
    assert got["created"] == 2 and got == {**expected.to_dict(), "records": [1, 2]}
    # participant 4 (intake period 3) worked in August 2024: period 3; participant 1 found the
    # job in February 2024: period 1
    rows = [(r["participant"], r["metric"], r["period"]) for r in stored_records(db, deal)]
    assert rows == [(4, "in_work", 3), (1, "job", 1)]


def both_ways(db: Session, deal: Deal, index: int) -> Any:
    """Statement ``index`` drafted from the stored arrays, and by the core on the whole state."""
    ctx = ps.read(db, deal.id, deal.users["pia"])
    mine = ps.statement(ctx, index)
    assert not ctx.loaded  # no record was read into the core's objects
    return mine, core_ledger(db, deal).statement(index)


def test_a_statement_from_stored_sums_is_the_core_statement(db: Session, deal: Deal) -> None:
    enrolled(db, deal)
    u = deal.users
    rows = [(1, "job", 1, 1), (1, "in_work", 1, 13), (1, "in_work", 2, 13), (3, "job", 2, 1)]
    rows += [(3, "in_work", t, 13) for t in range(2, 8)] + [(4, "in_work", 3, 6)]
    rows += [(2, "in_work", t, 12) for t in range(1, 6)]
    body = "\n".join(f"{p},{m},{t},{v},Jobcenter,R-{p}-{m}-{t}" for p, m, t, v in rows)
    data = ("participant,metric,period,value,source,reference\n" + body + "\n").encode()
    out = ps.import_outcomes(db, deal.id, u["paul"], "all.csv", data)
    ids = out["records"]
    ps.decide(db, deal.id, u["eva"], ids[:4], "verify")
    sample = ps.draw_sample(db, deal.id, u["eva"], 3, seed=5)
    picked = sample["sampled"]
    ps.decide(db, deal.id, u["eva"], picked[:1], "reject", "no payslip")
    ps.decide(db, deal.id, u["eva"], picked[1:], "verify")
    mine, core = both_ways(db, deal, 1)
    assert mine.lines and mine == core
    # the sample's acceptance rate pays the records it accepted: some line has sampled units
    assert any(line.sample is not None for line in mine.lines)
    ps.approve(db, deal.id, u["pia"], 1)
    # a paid record is disputed: settlement 2 corrects settlement 1 with an adjustment line
    ps.decide(db, deal.id, u["pia"], [ids[1]], "dispute", "wrong weeks")
    mine, core = both_ways(db, deal, 2)
    assert any(line.kind == "adjustment" for line in mine.lines) and mine == core
    ps.approve(db, deal.id, u["pia"], 2)
    # a dated amendment from settlement 3 (a week in work at 200 kr., a lower person cap)
    # prices settlement 3 both ways alike
    from socialinvest.service import amendments

    amendments.amend(
        db,
        deal.id,
        u["pia"],
        effective=3,
        reference="Tillæg 1",
        prices={"per week in work": 200.0},
        person_cap=8000.0,
    )
    mine, core = both_ways(db, deal, 3)
    assert mine == core
    assert {line.terms_version for line in mine.lines if line.kind == "regular"} == {1}
    assert {line.price for line in mine.lines if line.line == "per week in work"} == {200.0}
    # an approved statement is the stored one, either way
    mine, core = both_ways(db, deal, 1)
    assert mine.status == "approved" and mine == core
    assert ps.verify_integrity(db, deal.id)[0]
    # the re-forecast's observations and realised payments, read with SQL, are the core's
    from socialinvest.ledger.forecast import observe

    ctx = ps.read(db, deal.id, deal.users["ivan"])
    for as_of in (2, 5, 8):
        observed, realised = ps.observations(ctx, as_of)
        expected, paid = observe(core_ledger(db, deal), as_of)
        assert observed == expected and realised.tolist() == paid.tolist()
    # participant 2 withdrew in period 5, participant 4 entered in period 3; payments were
    # posted in periods 2 and 4 (settlements 1 and 2)
    assert [(o.intake_period, o.observed_through) for o in observed] == [
        (1, 8),
        (1, 5),
        (1, 8),
        (3, 8),
    ]
    assert [t + 1 for t in range(8) if realised[t]] == [2, 4]
    assert ps.forecast_view(ctx, draws=200)["as_of_period"] == 8 and not ctx.loaded


def test_a_threshold_line_is_settled_from_stored_sums_as_in_the_core(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from . import ledger_web_support
    from .test_ledger_threshold_pages import threshold_text

    use_key(monkeypatch)
    monkeypatch.setattr(ledger_web_support, "small_text", threshold_text)
    deal = make_deal(db, key="threshold")
    u = deal.users
    # one cohort of four (January 2024): jobs for three of them in quarters 1, 2 and 2
    ps.enrol_many(db, deal.id, u["pia"], [(deal.numbers[i], JAN, "2024") for i in range(4)])
    rows = [(1, "job", 1, 1), (2, "job", 2, 1), (3, "job", 2, 1)]
    body = "\n".join(f"{p},{m},{t},{v},Jobcenter,R-{p}" for p, m, t, v in rows)
    data = ("participant,metric,period,value,source,reference\n" + body + "\n").encode()
    out = ps.import_outcomes(db, deal.id, u["paul"], "jobs.csv", data)
    ps.decide(db, deal.id, u["eva"], out["records"], "verify")
    mine, core = both_ways(db, deal, 1)
    assert mine == core
    ps.approve(db, deal.id, u["pia"], 1)
    mine, core = both_ways(db, deal, 2)
    assert mine == core and mine.cohorts == core.cohorts
    # by hand: S = 3 jobs, baseline B = 4 × 0.25 = 1, gain 2 ≥ the threshold (100 % of B):
    # 2 × 10,000 kr. for the cohort
    assert sum(line.amount_ore for line in mine.lines) == 2_000_000
