"""Narrow outcome records (issue 12's scale; docs/architecture.md, "Narrow records"): a record
as its import entered it is kept as columns, with ``data`` NULL, and read back as the same dict;
an alteration of those columns or of what the import's records share is found by ``ledger
verify``; migration 0006 keeps the old rows readable and its downgrade writes them out whole."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from socialinvest.service import partnerships as ps
from socialinvest.store import partnerships as store
from socialinvest.store.db import downgrade, make_engine, session_factory, upgrade

from .ledger_web_support import JAN, Deal, make_deal, outcomes_csv, use_key


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def imported(db: Session, deal: Deal) -> list[int]:
    """Two participants, three rows imported; the first record verified (so it changed)."""
    u = deal.users
    ps.enrol_many(
        db, deal.id, u["pia"], [(deal.numbers[0], JAN, "2024"), (deal.numbers[1], JAN, "2024")]
    )
    rows = [(1, "job", 1, 1), (1, "in_work", 1, 13), (2, "in_work", 2, 4)]
    out = ps.import_outcomes(db, deal.id, u["paul"], "q1.csv", outcomes_csv(rows))
    ps.decide(db, deal.id, u["eva"], out["records"][:1], "verify")
    return list(out["records"])


def state(db: Session, deal: Deal) -> dict[str, Any]:
    return store.load_state(db, store.get(db, deal.id) or {})


def test_an_imported_record_is_kept_narrow_and_read_back_whole(db: Session, deal: Deal) -> None:
    ids = imported(db, deal)
    rows = db.execute(
        text("SELECT id, data IS NULL, source, reference FROM ledger_records ORDER BY id")
    ).all()
    # the verified record was written whole; the two others are as their import entered them
    assert [(r[0], r[1]) for r in rows] == [(ids[0], False), (ids[1], True), (ids[2], True)]
    assert tuple(rows[2][2:]) == ("Jobcenter", "REF-2-in_work-2")
    records = state(db, deal)["records"]
    third = records[2]
    assert third["evidence"] == {
        "entered_by": "paul",
        "reference": "REF-2-in_work-2",
        "source": "Jobcenter",
    }
    assert [(e["action"], e["status"], e["reason"]) for e in third["history"]] == [
        ("entered", "entered", None)
    ]
    assert third["import_id"] == state(db, deal)["imports"][0]["sha256"]
    assert (third["participant"], third["metric"], third["period"], third["value"]) == (
        2,
        "in_work",
        2,
        4.0,
    )
    assert third["conflicts_with"] is None and third["status"] == "entered"
    assert ps.verify_integrity(db, deal.id)[0]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("UPDATE ledger_records SET source = 'Skat' WHERE id = 3", "import q1.csv"),
        ("UPDATE ledger_records SET reference = 'X' WHERE id = 2", "import q1.csv"),
        ("UPDATE ledger_entries SET entered_by = 'mallory'", "import q1.csv"),
        ("UPDATE ledger_entries SET import_id = 'ab12'", "import q1.csv"),
        ("DELETE FROM ledger_records WHERE id = 3", "record:3"),
    ],
)
def test_an_altered_narrow_record_or_entry_is_found(
    db: Session, deal: Deal, change: str, named: str
) -> None:
    imported(db, deal)
    db.execute(text(change))
    db.commit()
    ok, entity, _ = ps.verify_integrity(db, deal.id)
    assert not ok and entity is not None and entity.startswith(named)


def test_migration_0006_down_and_up_keeps_every_record(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_key(monkeypatch)
    engine = make_engine(db_url)
    db = session_factory(engine)()
    deal = make_deal(db)
    imported(db, deal)
    before = state(db, deal)
    db.close()
    engine.dispose()
    try:
        downgrade(db_url, "0005_ledger_scale")  # every row's data written out whole
        engine = make_engine(db_url)
        with engine.connect() as c:
            nulls = c.execute(text("SELECT COUNT(*) FROM ledger_records WHERE data IS NULL"))
            assert nulls.scalar_one() == 0
            assert c.execute(text("SELECT COUNT(*) FROM ledger_records")).scalar_one() == 3
        engine.dispose()
    finally:
        upgrade(db_url)
    engine = make_engine(db_url)
    db = session_factory(engine)()
    try:
        # the rows written whole by the downgrade are read from their data, as before
        assert state(db, deal) == before
        assert ps.verify_integrity(db, deal.id)[0]
        # and a new import after the upgrade is narrow again
        ps.import_outcomes(
            db, deal.id, deal.users["paul"], "q2.csv", outcomes_csv([(2, "in_work", 3, 5)])
        )
        assert db.execute(text("SELECT data IS NULL FROM ledger_records WHERE id = 4")).scalar_one()
        assert ps.verify_integrity(db, deal.id)[0]
    finally:
        db.close()
        engine.dispose()


def test_the_payable_records_are_read_as_arrays_whichever_way_they_are_sent(
    db: Session, deal: Deal
) -> None:
    from socialinvest.store import ledger_sets as sets

    imported(db, deal)
    # by hand: record 1 (participant 1, job, period 1, 1) verified; 2 (1, in_work, 1, 13) and
    # 3 (2, in_work, 2, 4) entered; metric numbers as listed here
    expected = {
        "id": [1, 2, 3],
        "participant": [1, 1, 2],
        "metric": [0, 1, 1],
        "period": [1, 1, 2],
        "value": [1.0, 13.0, 4.0],
        "verified": [1, 0, 0],
    }
    packed = sets.paid_arrays(db, deal.id, ["job", "in_work"], 10)
    # more metrics than the packed form holds: the columns are sent one array each
    many = ["job", "in_work", *(f"m{i}" for i in range(300))]
    plain = sets.paid_arrays(db, deal.id, many, 10)
    for got in (packed, plain):
        assert {k: v.tolist() for k, v in got.items()} == expected
    # only outcome periods up to the one asked for
    assert sets.paid_arrays(db, deal.id, ["job", "in_work"], 1)["id"].tolist() == [1, 2]
