"""The audit trail's hash chain: any altered, deleted or reordered record is found and named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import pytest

from socialinvest.ledger.audit import GENESIS, AuditChain, AuditRecord, canonical, verify_chain
from socialinvest.ledger.cpr import synthetic_numbers

from .ledger_support import ELIGIBLE, EVALUATOR, PAYER, PROVIDER, small_ledger


def _chain(n: int = 6) -> AuditChain:
    chain = AuditChain()
    for i in range(n):
        chain.append(
            f"2024-01-0{i + 1}T10:00:00+00:00",
            "eva",
            "verify",
            f"record:{i}",
            {"status": "entered"},
            {"status": "verified", "value": 13.5},
        )
    return chain


def test_hash_is_sha256_of_the_canonical_fields_and_the_previous_hash():
    chain = _chain(2)
    first = chain.records[0]
    body = {
        "seq": 1,
        "at": "2024-01-01T10:00:00+00:00",
        "who": "eva",
        "action": "verify",
        "entity": "record:0",
        "before": {"status": "entered"},
        "after": {"status": "verified", "value": 13.5},
        "prev": GENESIS,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert first.hash == hashlib.sha256(text.encode()).hexdigest()
    assert chain.records[1].prev == first.hash
    assert canonical({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'
    assert verify_chain(chain.records).ok


@pytest.mark.parametrize("field", ["who", "at", "action", "entity", "before", "after"])
def test_an_altered_field_is_named(field):
    records = list(_chain().records)
    value = {"x": 1} if field in ("before", "after") else "changed"
    records[3] = dataclasses.replace(records[3], **{field: value})
    check = verify_chain(records)
    assert (check.ok, check.first_bad, check.problem) == (False, 4, "altered")
    assert check.describe() == "record 4 was altered"


def test_an_altered_record_with_a_recomputed_hash_is_still_found():
    records = list(_chain().records)
    forged = dataclasses.replace(records[2], who="mallory")
    records[2] = dataclasses.replace(forged, hash=forged.computed_hash())
    check = verify_chain(records)
    assert (check.first_bad, check.problem) == (3, "altered")


def test_deleted_and_reordered_records():
    records = list(_chain().records)
    check = verify_chain(records[:2] + records[3:])
    assert (check.first_bad, check.problem, check.describe()) == (
        3,
        "missing",
        "record 3 is missing",
    )
    check = verify_chain([records[1], records[0], *records[2:]])
    assert not check.ok and check.first_bad == 1
    # deletions at the end need the head kept elsewhere
    head = _chain().head
    assert verify_chain(records[:4]).ok
    check = verify_chain(records[:4], expected=head)
    assert (check.ok, check.problem) == (False, "truncated")
    assert verify_chain(records, expected=head).ok


def test_records_survive_a_store_round_trip():
    chain = _chain()
    stored = [json.loads(json.dumps(r.to_dict())) for r in chain.records]
    assert verify_chain([AuditRecord.from_dict(d) for d in stored]).ok


def test_every_write_of_the_ledger_is_in_the_chain(fixture_kb):
    ledger = small_ledger(fixture_kb)
    numbers = synthetic_numbers(2, seed=41)
    pid = ledger.enrol(PAYER, numbers[0], dt.date(2024, 1, 5), "2024", ELIGIBLE).id
    rid = ledger.enter_outcome(PROVIDER, pid, "job", 2, 1, "Jobcenter", "x")[1].id
    ledger.verify(EVALUATOR, rid)
    ledger.approve(PAYER, 1)
    ledger.anonymise(PAYER, pid, dt.date(2024, 6, 1))
    actions = [r.action for r in ledger.audit.records]
    assert actions == [
        "create",
        "enrol",
        "enter_outcome",
        "verified",
        "approve_settlement",
        "anonymise",
    ]
    verify = ledger.audit.records[3]
    assert (verify.before["status"], verify.after["status"]) == ("entered", "verified")
    assert verify.who == "eva (Evaluator, evaluator)"
    assert ledger.statements[1].audit_head.count == 5
    assert ledger.verify_audit().ok
    # tamper with the stored verification: the check names it
    ledger.audit.records[3] = dataclasses.replace(verify, who="pia (Kommune, payer)")
    assert ledger.verify_audit().first_bad == 4


def _ledger_with_import(fixture_kb, tmp_path):
    from socialinvest.ledger.importer import import_outcomes

    ledger = small_ledger(fixture_kb)
    for n in synthetic_numbers(3, seed=43):
        ledger.enrol(PAYER, n, dt.date(2024, 1, 5), "2024", ELIGIBLE)
    path = tmp_path / "o.csv"
    path.write_text(
        "participant,metric,period,value,source,reference\n"
        "1,job,2,1,JC,a\n1,in_work,2,13,JC,b\n2,in_work,2,6,JC,c\n3,in_work,3,13,JC,d\n",
        encoding="utf-8",
    )
    import_outcomes(ledger, PROVIDER, path)
    ledger.verify(EVALUATOR, 1)
    ledger.verify(EVALUATOR, 2)
    typed = ledger.enter_outcome(PROVIDER, 2, "job", 3, 1, "JC", "e")[1].id
    ledger.verify(EVALUATOR, typed)
    ledger.approve(PAYER, 1)
    ledger.approve(PAYER, 2)
    return ledger


def test_the_state_matches_the_audit_trail(fixture_kb, tmp_path):
    from socialinvest.ledger.integrity import verify_state

    ledger = _ledger_with_import(fixture_kb, tmp_path)
    assert [r.action for r in ledger.audit.records].count("import") == 1
    assert verify_state(ledger).ok
    # an imported record never changed since: found through the import's digest
    ledger.records[3].value = 13.0
    check = verify_state(ledger)
    assert (check.ok, check.entity) == (False, f"import {tmp_path / 'o.csv'}")
    ledger.records[3].value = 6.0
    assert verify_state(ledger).ok
    # a verified record, a participant, an approved statement
    ledger.records[2].value = 12.0
    assert verify_state(ledger).describe() == "record:2: differs from its last audit record"
    ledger.records[2].value = 13.0
    ledger.participants[2].cohort = "2023"
    assert verify_state(ledger).entity == "participant:2"
    ledger.participants[2].cohort = "2024"
    del ledger.participants[3]
    assert verify_state(ledger).entity == "participant:3"
    ledger.participants[3] = ledger.participants[2]  # wrong again (id 2's data)
    assert not verify_state(ledger).ok


def test_an_altered_approved_statement_is_found(fixture_kb, tmp_path):
    from socialinvest.ledger.integrity import verify_state

    ledger = _ledger_with_import(fixture_kb, tmp_path)
    st = ledger.statements[2]
    st.lines[0] = dataclasses.replace(st.lines[0], amount_ore=st.lines[0].amount_ore + 100)
    assert verify_state(ledger).entity == "settlement:2"


def test_retention_is_five_years_after_the_financial_year(fixture_kb, tmp_path):
    from socialinvest.ledger.retention import (
        last_financial_event,
        may_be_discarded,
        retained_until,
    )

    # an event in 2027 is kept until the end of 2027 + 5 years
    assert retained_until(dt.date(2027, 3, 31)) == dt.date(2032, 12, 31)
    assert retained_until(dt.date(2027, 12, 31)) == dt.date(2032, 12, 31)
    ledger = _ledger_with_import(fixture_kb, tmp_path)
    # the small contract runs eight quarters from 2024-01-01: its last day is 2025-12-31
    assert last_financial_event(ledger) == dt.date(2025, 12, 31)
    assert not may_be_discarded(ledger, dt.date(2030, 12, 31))
    assert may_be_discarded(ledger, dt.date(2031, 1, 1))
    # an approval after the contract's end moves it on
    ledger.statements[2].approved_at = "2026-02-03T10:00:00+00:00"
    assert not may_be_discarded(ledger, dt.date(2031, 1, 1))
