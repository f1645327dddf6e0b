"""CPR numbers: the date check with the CPR office's century rule, keyed pseudonyms, synthetic
numbers only in demo mode, rotation, and no number in any message, repr or audit record."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from socialinvest.ledger.cpr import (
    Keyring,
    birth_date,
    century,
    is_synthetic,
    normalise,
    synthetic_numbers,
)
from socialinvest.ledger.errors import LedgerError

from .ledger_support import ELIGIBLE, EVALUATOR, KEYRING, PAYER, PROVIDER, small_ledger


@pytest.mark.parametrize(
    ("number", "born"),
    [
        ("010150-0000", dt.date(1950, 1, 1)),  # 7th digit 0: 1900s
        ("0101504000", dt.date(1950, 1, 1)),  # 4, YY 50 > 36: 1900s
        ("0101054000", dt.date(2005, 1, 1)),  # 4, YY 05 ≤ 36: 2000s
        ("0101369999", dt.date(2036, 1, 1)),  # 9, YY 36: 2000s
        ("0101379999", dt.date(1937, 1, 1)),  # 9, YY 37: 1900s
        ("0101575000", dt.date(2057, 1, 1)),  # 5–8, YY ≤ 57: 2000s
        ("0101588000", dt.date(1858, 1, 1)),  # 5–8, YY ≥ 58: 1800s
        ("2902004234", dt.date(2000, 2, 29)),  # 2000 is a leap year
        ("0101011234", dt.date(1901, 1, 1)),  # no modulus-11 check
    ],
)
def test_birth_date_with_the_century_rule(number, born):
    assert birth_date(number) == born
    assert normalise(number) == number.replace("-", "")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("2902001234", "valid date"),  # 1900 was no leap year
        ("3204901234", "valid date"),
        ("0013901234", "valid date"),
        ("12345", "10 digits"),
        ("01019o1234", "10 digits"),
        ("", "10 digits"),
    ],
)
def test_invalid_numbers_are_refused_without_showing_them(number, reason):
    with pytest.raises(LedgerError, match=reason) as info:
        normalise(number, where="row 3")
    assert "row 3" in str(info.value).lower()
    if number:
        assert number not in str(info.value) and number not in repr(info.value)
        assert number not in info.value.message_in("da")


def test_century_table_edges():
    assert [century(d, 36) for d in range(10)] == [1900] * 4 + [2000] * 6
    assert [century(d, 37) for d in range(10)] == [1900] * 4 + [1900, 2000, 2000, 2000, 2000, 1900]
    assert [century(d, 58) for d in range(10)] == [1900] * 4 + [1900, 1800, 1800, 1800, 1800, 1900]


def test_synthetic_numbers_only_in_demo_mode():
    numbers = synthetic_numbers(500, seed=3)
    assert len(set(numbers)) == 500
    for n in numbers:
        assert 61 <= int(n[:2]) <= 91 and is_synthetic(n)
        assert birth_date(n) is None  # not a real date: no real person can have it
        assert normalise(n, demo=True) == n
        with pytest.raises(LedgerError, match="only in a demo ledger"):
            normalise(n)
    with pytest.raises(LedgerError, match="only synthetic"):
        normalise("0101504000", demo=True)


def test_pseudonym_is_the_keyed_hmac_of_partnership_and_number():
    number = synthetic_numbers(1, seed=1)[0]
    expected = hmac.new(bytes.fromhex("11" * 32), f"p1:{number}".encode(), hashlib.sha256)
    assert KEYRING.pseudonym("p1", number, demo=True) == "k1:" + expected.hexdigest()
    # the hyphenated form is the same person; another partnership gives an unrelated pseudonym
    hyphen = number[:6] + "-" + number[6:]
    assert KEYRING.pseudonym("p1", hyphen, demo=True) == KEYRING.pseudonym("p1", number, demo=True)
    assert KEYRING.pseudonym("p2", number, demo=True) != KEYRING.pseudonym("p1", number, demo=True)


def test_no_key_no_ledger(tmp_path):
    with pytest.raises(LedgerError, match="refuses to work without one"):
        Keyring.from_environment({})
    with pytest.raises(LedgerError, match="too short"):
        Keyring.from_environment({"SOCIALINVEST_LEDGER_KEY": "ab" * 8})
    secret = "cd" * 32
    assert Keyring.from_environment({"SOCIALINVEST_LEDGER_KEY": secret}).current.id == "k1"
    key_file = tmp_path / "ledger.key"
    key_file.write_text(f"# current first\nk2 {'ef' * 32}\nk1 {secret}\n", encoding="utf-8")
    ring = Keyring.from_environment({"SOCIALINVEST_LEDGER_KEY_FILE": str(key_file)})
    assert [k.id for k in ring.keys] == ["k2", "k1"]
    assert secret not in repr(ring) and "efef" not in repr(ring)
    with pytest.raises(LedgerError, match="cannot be read"):
        Keyring.from_environment({"SOCIALINVEST_LEDGER_KEY_FILE": str(tmp_path / "none")})


def test_rotation_by_a_mapping_made_at_rotation_time(fixture_kb):
    ledger = small_ledger(fixture_kb)
    numbers = synthetic_numbers(4, seed=9)
    for n in numbers:
        ledger.enrol(PAYER, n, dt.date(2024, 1, 5), "2024", ELIGIBLE)
    old = {p.id: p.pseudonym for p in ledger.participants.values()}
    new_ring = Keyring.parse(f"k2 {'22' * 32}\nk1 {'11' * 32}", "test")
    ledger.keyring = new_ring
    # before re-keying, the old pseudonyms are still recognised (the old key is in the ring)
    with pytest.raises(LedgerError, match="already enrolled"):
        ledger.enrol(PAYER, numbers[0], dt.date(2024, 1, 5), "2024", ELIGIBLE)
    # the payer supplies the numbers of three participants at rotation time
    mapping = new_ring.rekey_mapping("small", numbers[:3], demo=True)
    assert ledger.rekey(PAYER, mapping) == 3
    for i, n in enumerate(numbers[:3], start=1):
        assert ledger.participants[i].pseudonym == new_ring.pseudonym("small", n, demo=True)
        assert ledger.participants[i].pseudonym.startswith("k2:")
    # the fourth keeps its k1 pseudonym until its number is supplied; it is still recognised
    assert ledger.participants[4].pseudonym == old[4]
    assert ledger.find(numbers[3]).id == 4


def test_a_thousand_numbers_leave_no_trace(fixture_kb):
    """Enrol 1,000 synthetic numbers, provoke errors with them, and search everything the ledger
    holds (records, audit chain, statements, reprs) and every message for any of them."""
    ledger = small_ledger(fixture_kb)
    numbers = synthetic_numbers(1000, seed=11)
    messages = []
    for n in numbers:
        ledger.enrol(PROVIDER, n, dt.date(2024, 1, 3), "2024", ELIGIBLE)
    for n in numbers[:50]:
        try:
            ledger.enrol(PAYER, n, dt.date(2024, 1, 3), "2024", ELIGIBLE)
        except LedgerError as e:
            messages += [str(e), repr(e), e.message_in("da"), e.message_in("en")]
        try:
            normalise(n)  # outside demo mode
        except LedgerError as e:
            messages += [str(e), repr(e)]
    rid = ledger.enter_outcome(PROVIDER, 1, "job", 2, 1, "Jobcenter", "x")[1].id
    ledger.verify(EVALUATOR, rid)
    ledger.approve(PAYER, 1)
    st = ledger.statement(2)
    dump = "\n".join(
        [
            repr(ledger.participants),
            repr(ledger.records),
            json.dumps([r.to_dict() for r in ledger.audit.records]),
            json.dumps(st.to_dict()),
            repr(ledger),
            *messages,
        ]
    )
    found = [n for n in numbers if n in dump or f"{n[:6]}-{n[6:]}" in dump]
    assert found == []
    assert len(messages) == 50 * 4 + 50 * 2


def test_a_cpr_number_in_the_cohort_is_refused_not_stored(fixture_kb):
    ledger = small_ledger(fixture_kb)
    first, second = synthetic_numbers(2, seed=11)
    for cohort in (second, "610190-1234", "010190123"):
        with pytest.raises(LedgerError, match="cohort looks like a CPR number") as refused:
            ledger.enrol(PAYER, first, dt.date(2024, 1, 5), cohort, ELIGIBLE)
        assert cohort not in str(refused.value) and second not in str(refused.value)
    assert not ledger.participants
    assert second not in repr(ledger.audit.records)


def test_a_cpr_number_in_a_reason_is_refused_not_stored(fixture_kb):
    ledger = small_ledger(fixture_kb, person_cap=None, contract_cap=None, lag_periods=0)
    (number,) = synthetic_numbers(1, seed=12)
    pid = ledger.enrol(PAYER, number, dt.date(2024, 1, 5), "2024", ELIGIBLE).id
    rid = ledger.enter_outcome(PROVIDER, pid, "in_work", 1, 13, "Jobcenter", "d")[1].id
    for act in (ledger.reject, ledger.dispute):
        actor = EVALUATOR if act == ledger.reject else PAYER
        with pytest.raises(LedgerError, match="looks like a CPR number") as refused:
            act(actor, rid, f"wrong person: {number}")
        assert number not in str(refused.value)
    assert number not in repr(ledger.audit.records)


def test_a_cpr_number_in_an_exit_reason_or_the_evidence_is_refused_not_stored(fixture_kb):
    ledger = small_ledger(fixture_kb, person_cap=None, contract_cap=None, lag_periods=0)
    (number,) = synthetic_numbers(1, seed=13)
    pid = ledger.enrol(PAYER, number, dt.date(2024, 1, 5), "2024", ELIGIBLE).id
    dashed = f"{number[:6]}-{number[6:]}"
    for source, reference in (("Jobcenter", f"sag {number}"), (f"Jobcenter {dashed}", "d")):
        with pytest.raises(LedgerError, match="looks like a CPR number") as refused:
            ledger.enter_outcome(PROVIDER, pid, "in_work", 1, 13, source, reference)
        assert number not in str(refused.value) and dashed not in str(refused.value)
    with pytest.raises(LedgerError, match="looks like a CPR number") as refused:
        ledger.exit(PAYER, pid, dt.date(2024, 6, 30), f"moved, {dashed}")
    assert dashed not in str(refused.value)
    assert not ledger.records and ledger.participants[pid].status == "active"
    assert number not in repr(ledger.audit.records) and dashed not in repr(ledger.audit.records)
