"""The case library on both databases: versions, conflicts, difference, restore, approval,
shares, search, migrations."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from socialinvest.store import cases as case_store
from socialinvest.store.db import current_revision, head_revision, make_engine, session_factory
from socialinvest.store.models import AuditEvent, Base, CaseVersion

from .conftest import People

V1 = "name: Aalborg\nprice_year: 2024\nsuccess:\n  rate_with: 0.4\ntags: [a, b]\n"
V2 = "name: Aalborg\nprice_year: 2025\nsuccess:\n  rate_with: 0.5\n  note: new\ntags: [a]\n"


def test_migration_creates_every_table_at_head(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    engine.dispose()


def test_versions_history_and_field_difference(db: Session, people: People) -> None:
    case = case_store.create_case(db, people.analyst, "Aalborg", V1, "first")
    second = case_store.save_version(db, case, people.analyst2, V2, "second", base=1)
    assert (second.number, case.head, second.parent) == (2, 2, 1)
    assert [v.number for v in case_store.history(db, case)] == [2, 1]
    changes = {
        c.path: (c.kind, c.old, c.new)
        for c in case_store.diff(case_store.get_version(db, case, 1), second)
    }
    assert changes == {
        "price_year": ("changed", 2024, 2025),
        "success.rate_with": ("changed", 0.4, 0.5),
        "success.note": ("added", None, "new"),
        "tags[1]": ("removed", "b", None),
    }
    restored = case_store.restore(db, case, people.analyst, 1)
    assert (restored.number, restored.text, case.head) == (3, V1, 3)
    # the restored version's text is the first's, and every version is still there
    assert [v.text for v in case_store.history(db, case)] == [V1, V2, V1]


def test_stale_save_is_kept_as_a_conflict_not_current(db: Session, people: People) -> None:
    case = case_store.create_case(db, people.analyst, "Aalborg", V1)
    case_store.save_version(db, case, people.analyst, V2, base=1)
    with pytest.raises(case_store.Conflict) as caught:
        case_store.save_version(db, case, people.analyst2, V1 + "# mine\n", base=1)
    conflict = caught.value
    assert (conflict.mine.number, conflict.theirs.number, case.head) == (3, 2, 2)
    assert conflict.mine.conflict and not conflict.theirs.conflict
    assert "anna" in str(conflict) and "version 3" in str(conflict)
    assert case_store.current(db, case).text == V2


def test_two_concurrent_saves_give_one_conflict_and_keep_both(db_url: str, people: People) -> None:
    """Two sessions save from version 1 at the same moment: one wins, one gets a conflict,
    and both texts are stored."""
    factory = session_factory(make_engine(db_url))
    with factory() as setup:
        analyst = setup.get(type(people.analyst), people.analyst.id)
        assert analyst is not None
        case_id = case_store.create_case(setup, analyst, "Aalborg", V1).id
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(who: str, user_id: int, text: str) -> None:
        with factory() as session:
            user = session.get(type(people.analyst), user_id)
            case = case_store.readable(session, user, case_id)  # type: ignore[arg-type]
            assert case is not None and user is not None
            barrier.wait()
            try:
                case_store.save_version(session, case, user, text, who, base=1)
                outcomes[who] = "saved"
            except case_store.Conflict:
                outcomes[who] = "conflict"

    threads = [
        threading.Thread(target=save, args=("a", people.analyst.id, V1 + "# a\n")),
        threading.Thread(target=save, args=("b", people.analyst2.id, V1 + "# b\n")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    with factory() as check:
        texts = {
            v.text: v
            for v in check.scalars(select(CaseVersion).where(CaseVersion.case_id == case_id))
        }
        assert set(texts) == {V1, V1 + "# a\n", V1 + "# b\n"}
        winner = next(w for w, o in outcomes.items() if o == "saved")
        loser = next(w for w, o in outcomes.items() if o == "conflict")
        assert not texts[V1 + f"# {winner}\n"].conflict and texts[V1 + f"# {loser}\n"].conflict
        actions = sorted(
            e.action for e in check.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id))
        )
        assert actions == ["case.conflict", "case.create", "case.save"]


def test_four_eyes_approval(db: Session, people: People) -> None:
    case = case_store.create_case(db, people.analyst, "Aalborg", V1)
    with pytest.raises(case_store.Locked, match="own author"):
        case_store.approve(db, case, 1, people.analyst)
    case_store.approve(db, case, 1, people.reviewer)
    assert case.status == "approved"
    assert case_store.get_version(db, case, 1).approved_by_id == people.reviewer.id
    with pytest.raises(case_store.Locked, match="already approved"):
        case_store.approve(db, case, 1, people.admin)
    # a new save makes a new draft; the approved version stays approved and unchanged
    case_store.save_version(db, case, people.analyst, V2, base=1)
    assert case.status == "draft"
    assert case_store.get_version(db, case, 1).approved
    assert case_store.get_version(db, case, 1).text == V1


def test_search_filters_and_shares(db: Session, people: People) -> None:
    a = case_store.create_case(db, people.analyst, "Housing First", V1, tags=["Bolig", "bolig "])
    b = case_store.create_case(db, people.analyst2, "Impact60 job", V1, tags=["job"])
    other = case_store.create_case(db, people.outsider, "Investor model", V1)
    assert a.tag_names == ["bolig"]

    def names(**kw: object) -> list[str]:
        return sorted(c.name for c in case_store.search(db, people.viewer, **kw))  # type: ignore[arg-type]

    assert names() == ["Housing First", "Impact60 job"]
    assert names(text="housing") == ["Housing First"]
    assert names(text="bol") == ["Housing First"]  # tags are searched too
    assert names(owner_id=people.analyst2.id) == ["Impact60 job"]
    assert names(tag="job") == ["Impact60 job"]
    assert names(text="100%_") == []
    case_store.approve(db, b, 1, people.reviewer)
    assert names(status="approved") == ["Impact60 job"]
    assert case_store.readable(db, people.outsider, a.id) is None
    case_store.share(db, a, people.investor, people.admin)
    assert case_store.readable(db, people.outsider, a.id) is not None
    assert sorted(c.name for c in case_store.search(db, people.outsider)) == [
        "Housing First",
        "Investor model",
    ]
    assert case_store.readable(db, people.viewer, other.id) is None
    case_store.unshare(db, a, people.investor, people.admin)
    assert case_store.readable(db, people.outsider, a.id) is None
