"""The ledger in the database (SQLite and PostgreSQL): one transaction per operation, the audit
chain checked against the rows, concurrent approvals and imports, a process killed mid-import,
backup and restore, and who may do what."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from socialinvest.errors import InputError
from socialinvest.ledger.errors import LedgerError
from socialinvest.service import partnerships as ps
from socialinvest.store import partnerships as store
from socialinvest.store.db import make_engine, session_factory

from .ledger_web_support import JAN, Deal, make_deal, outcomes_csv, use_key


@pytest.fixture
def deal(db: Session, monkeypatch: pytest.MonkeyPatch) -> Deal:
    use_key(monkeypatch)
    return make_deal(db)


def count(db: Session, table: Any) -> int:
    return int(db.execute(select(func.count()).select_from(table)).scalar_one())


def settled_deal(db: Session, deal: Deal) -> None:
    """Two participants; the first finds a job in period 1 and works 13 weeks; verified by the
    evaluator; settlement 1 (periods 1–2; paid one quarter after the outcome) approved."""
    u = deal.users
    ps.enrol_many(
        db, deal.id, u["pia"], [(deal.numbers[0], JAN, "2024"), (deal.numbers[1], JAN, "2024")]
    )
    out = ps.import_outcomes(
        db, deal.id, u["paul"], "q1.csv", outcomes_csv([(1, "job", 1, 1), (1, "in_work", 1, 13)])
    )
    ps.decide(db, deal.id, u["eva"], out["records"], "verify")
    ps.approve(db, deal.id, u["pia"], 1)


def test_a_settlement_through_the_database_pays_what_the_contract_says(
    db: Session, deal: Deal
) -> None:
    settled_deal(db, deal)
    ctx = ps.read(db, deal.id, deal.users["pia"])
    view = ps.status_view(ctx)
    # by hand: 5,000 kr. for the job + 13 weeks × 150 kr. = 6,950 kr. (under the 10,000 person
    # cap and the 25,000 contract cap), paid in period 2, inside settlement 1
    assert view["payments"]["paid"] == {"Kommune": 6950.0}
    assert view["balances_sum"] == 0
    assert view["balances"]["payer:Kommune"] == -6950.0
    assert count(db, store.statements) == 1
    # the approved statement is a row that is never rewritten, and the chain's head is kept
    row = store.get(db, deal.id)
    assert row is not None and row["audit_count"] == count(db, store.audit)
    assert ps.verify_integrity(db, deal.id)[0]


def test_verify_names_an_altered_or_deleted_row(db: Session, deal: Deal) -> None:
    settled_deal(db, deal)
    db.execute(text("UPDATE ledger_records SET value = 2 WHERE id = 2"))
    db.commit()
    ok, entity, sentence = ps.verify_integrity(db, deal.id)
    assert not ok and entity == "record:2"
    assert sentence == "record:2: differs from its last audit record"
    db.execute(text("UPDATE ledger_records SET value = 13 WHERE id = 2"))
    db.commit()
    assert ps.verify_integrity(db, deal.id)[0]
    # an audit record in the middle deleted
    db.execute(text("DELETE FROM ledger_audit WHERE seq = 3"))
    db.commit()
    ok, entity, _ = ps.verify_integrity(db, deal.id)
    assert not ok and entity == "audit record 3"
    # the last audit record deleted: the head kept on the partnership row finds it
    db.rollback()


def test_deleting_the_last_audit_record_is_found(db: Session, deal: Deal) -> None:
    settled_deal(db, deal)
    last = count(db, store.audit)
    db.execute(text(f"DELETE FROM ledger_audit WHERE seq = {last}"))
    db.commit()
    ok, entity, sentence = ps.verify_integrity(db, deal.id)
    assert not ok and entity == f"audit record {last - 1}"
    assert sentence.endswith(f"records after {last - 1} are missing (the chain ends early)")


def test_an_import_is_all_or_nothing_and_idempotent(db: Session, deal: Deal) -> None:
    u = deal.users
    ps.enrol_many(db, deal.id, u["pia"], [(deal.numbers[0], JAN, "2024")])
    bad = outcomes_csv([(1, "in_work", 1, 13), (1, "in_work", 2, 14)])  # 14 > 13 weeks
    with pytest.raises(LedgerError) as caught:
        ps.import_outcomes(db, deal.id, u["paul"], "bad.csv", bad)
    assert "line 3" in caught.value.message
    assert count(db, store.records) == 0 and count(db, store.imports) == 0
    good = outcomes_csv([(1, "in_work", 1, 13), (1, "in_work", 2, 12)])
    first = ps.import_outcomes(db, deal.id, u["paul"], "good.csv", good)
    audit_rows = count(db, store.audit)
    second = ps.import_outcomes(db, deal.id, u["paul"], "good.csv", good)
    assert first["created"] == 2 and second["already_imported"]
    assert count(db, store.records) == 2 and count(db, store.audit) == audit_rows
    # a contradicting value is flagged for the evaluator, never written over the first
    third = ps.import_outcomes(
        db, deal.id, u["paul"], "fix.csv", outcomes_csv([(1, "in_work", 2, 10)])
    )
    assert len(third["flagged_for_evaluator"]) == 1
    values = db.execute(select(store.records.c.value).order_by(store.records.c.id)).scalars()
    assert list(values) == [13, 12, 10]


def test_a_failure_after_the_rows_are_written_leaves_nothing(
    db: Session, deal: Deal, monkeypatch: pytest.MonkeyPatch
) -> None:
    u = deal.users
    ps.enrol_many(db, deal.id, u["pia"], [(deal.numbers[0], JAN, "2024")])
    before = count(db, store.audit)
    real = store.set_head  # an import's last write (the chain's head)

    def then_fail(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise KeyboardInterrupt  # as if the process were stopped before the commit

    monkeypatch.setattr(store, "set_head", then_fail)
    with pytest.raises(KeyboardInterrupt):
        ps.import_outcomes(db, deal.id, u["paul"], "q.csv", outcomes_csv([(1, "in_work", 1, 13)]))
    assert count(db, store.records) == 0 and count(db, store.imports) == 0
    assert count(db, store.audit) == before


KILLED = """
import os, sys
from socialinvest.service import partnerships as ps
from socialinvest.store import partnerships as store
from socialinvest.store.db import make_engine, session_factory
from socialinvest.store.models import User
real = store.set_head  # an import's last write
def die(*a, **k):
    real(*a, **k)
    os._exit(9)  # killed after writing the rows, before the commit
store.set_head = die
db = session_factory(make_engine(sys.argv[1]))()
paul = db.query(User).filter(User.username == "paul").one()
ps.import_outcomes(db, int(sys.argv[2]), paul, "q.csv", open(sys.argv[3], "rb").read())
"""


def test_a_process_killed_in_the_middle_of_an_import_leaves_nothing(
    db_url: str, db: Session, deal: Deal, tmp_path: Path
) -> None:
    ps.enrol_many(db, deal.id, deal.users["pia"], [(deal.numbers[0], JAN, "2024")])
    f = tmp_path / "q.csv"
    f.write_bytes(outcomes_csv([(1, "in_work", t, 13) for t in range(1, 9)]))
    done = subprocess.run(
        [sys.executable, "-c", KILLED, db_url, str(deal.id), str(f)],
        capture_output=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert done.returncode == 9, done.stderr.decode()[-2000:]
    db.expire_all()
    assert count(db, store.records) == 0 and count(db, store.imports) == 0
    assert ps.verify_integrity(db, deal.id)[0]


def _at_once(url: str, n: int, work: Any) -> list[Any]:
    """Run ``work(session)`` in ``n`` threads started together; each result or exception."""
    engine = make_engine(url)
    factory = session_factory(engine)
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        s = factory()
        try:
            barrier.wait()
            results[i] = work(s)
        except Exception as exc:
            results[i] = exc
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    return results


def test_two_approvals_at_once_give_one_settlement(db_url: str, db: Session, deal: Deal) -> None:
    u = deal.users
    ps.enrol_many(db, deal.id, u["pia"], [(deal.numbers[0], JAN, "2024")])
    out = ps.import_outcomes(db, deal.id, u["paul"], "q.csv", outcomes_csv([(1, "job", 1, 1)]))
    ps.decide(db, deal.id, u["eva"], out["records"], "verify")
    results = _at_once(db_url, 2, lambda s: ps.approve(s, deal.id, u["pia"], 1))
    ok = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, LedgerError)]
    assert len(ok) == 1 and len(refused) == 1, results
    assert refused[0].key == "already_approved"
    db.expire_all()
    assert count(db, store.statements) == 1
    payments = db.execute(
        select(func.count()).select_from(store.postings).where(store.postings.c.kind == "payment")
    ).scalar_one()
    assert payments == 1
    assert ps.verify_integrity(db, deal.id)[0]


def test_two_imports_of_one_file_at_once_give_one_import(
    db_url: str, db: Session, deal: Deal
) -> None:
    u = deal.users
    ps.enrol_many(db, deal.id, u["pia"], [(deal.numbers[0], JAN, "2024")])
    data = outcomes_csv([(1, "in_work", t, 13) for t in range(1, 5)])
    results = _at_once(
        db_url, 2, lambda s: ps.import_outcomes(s, deal.id, u["paul"], "q.csv", data)
    )
    assert all(isinstance(r, dict) for r in results), results
    assert sorted(bool(r.get("already_imported")) for r in results) == [False, True]
    db.expire_all()
    assert count(db, store.imports) == 1 and count(db, store.records) == 4


def test_who_may_do_what(db: Session, deal: Deal) -> None:
    u = deal.users
    with pytest.raises(LedgerError):  # an investor does not enrol
        ps.enrol_many(db, deal.id, u["ivan"], [(deal.numbers[0], JAN, "2024")])
    ps.enrol_many(db, deal.id, u["paul"], [(deal.numbers[0], JAN, "2024")])  # data processor
    with pytest.raises(LedgerError):  # the evaluator does not enter outcomes
        ps.import_outcomes(db, deal.id, u["eva"], "q.csv", outcomes_csv([(1, "job", 1, 1)]))
    created = ps.import_outcomes(db, deal.id, u["paul"], "q.csv", outcomes_csv([(1, "job", 1, 1)]))[
        "records"
    ]
    with pytest.raises(LedgerError):  # only the evaluator verifies
        ps.decide(db, deal.id, u["pia"], created, "verify")
    with pytest.raises(LedgerError):  # only the payer approves
        ps.approve(db, deal.id, u["eva"], 1)
    investor = ps.read(db, deal.id, u["ivan"])
    with pytest.raises(LedgerError):
        ps.participant_rows(investor)
    with pytest.raises(LedgerError):
        ps.record_rows(investor)
    # the investor's status: a count of 1 is suppressed (threshold 3)
    view = ps.status_view(investor)
    assert view["participants"]["active"] == {"count": None, "suppressed": True}
    statement = ps.statement_view(investor, 1)
    assert "explained" not in statement
    assert all(set(p) == {"total"} for p in statement["payers"].values())
    with pytest.raises(ps.NotFound):  # an organisation outside the partnership
        ps.read(db, deal.id, u["otto"])


def test_the_evaluator_who_entered_a_record_may_not_decide_it(db: Session, deal: Deal) -> None:
    # the four-eyes rule holds across the store: an evaluator organisation member who is also
    # listed as the record's author is refused (the core's rule, on rows read back)
    u = deal.users
    ps.enrol_many(db, deal.id, u["pia"], [(deal.numbers[0], JAN, "2024")])
    created = ps.import_outcomes(db, deal.id, u["paul"], "q.csv", outcomes_csv([(1, "job", 1, 1)]))[
        "records"
    ]
    db.execute(text("UPDATE users SET username = 'paul2' WHERE username = 'paul'"))
    db.execute(text("UPDATE users SET username = 'paul' WHERE username = 'eva'"))
    db.commit()
    db.expire_all()
    with pytest.raises(LedgerError) as caught:
        ps.decide(db, deal.id, u["eva"], created, "verify")
    assert caught.value.key == "own_record"


def test_backup_and_restore_round_trip_the_whole_partnership(db: Session, deal: Deal) -> None:
    settled_deal(db, deal)
    backup = ps.backup(db, deal.id)
    text_before = json.dumps(backup, sort_keys=True)
    assert not any(n in text_before for n in deal.numbers)
    with pytest.raises(InputError):  # the key is used already
        ps.restore(db, deal.users["pia"], backup)
    new_id = ps.restore(db, deal.users["pia"], json.loads(text_before), replace=True)
    again = ps.backup(db, new_id)
    for k in ("id", "created_at"):
        again["partnership"].pop(k, None)
        backup["partnership"].pop(k, None)
    assert again == backup
    assert ps.verify_integrity(db, new_id)[0]
    # an altered backup is refused before anything is written
    backup2 = json.loads(text_before)
    backup2["state"]["records"][0]["value"] = 0
    with pytest.raises(InputError) as caught:
        ps.restore(db, deal.users["pia"], backup2, replace=True)
    assert "record:1" in caught.value.message
    assert ps.verify_integrity(db, new_id)[0]
