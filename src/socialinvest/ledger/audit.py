"""The audit trail: every write of the ledger as an append-only record in a hash chain.

Each record says who did what, when, to which entity, and the entity's fields before and after.
Its ``hash`` is SHA-256 over its own fields (as canonical JSON) and the previous record's hash, so
changing any field of any record, deleting one or reordering them breaks the chain from there on;
:func:`verify_chain` names the first record that does not fit. Deleting records at the *end*
cannot be seen from the chain itself: keep the head (``AuditChain.head``: the number of records
and the last hash) somewhere the database's writer cannot change — e.g. in each approved
settlement statement, a signed export or an external log — and pass it to :func:`verify_chain`.

Audit records never hold a CPR number, and never a pseudonym either: a participant is named by
its ledger id. So anonymising a participant (replacing its pseudonym in the participant record)
changes no audit record and never breaks the chain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64

JsonValue = Any  # str, int, float, bool, None, lists and dicts of these


def canonical(value: JsonValue) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int  # 1, 2, 3, … without gaps
    at: str  # ISO 8601 UTC timestamp
    who: str  # the user (and organisation) who made the change
    action: str  # e.g. "enrol", "verify", "approve_settlement"
    entity: str  # e.g. "participant:17", "record:230", "settlement:2025-Q2"
    before: JsonValue
    after: JsonValue
    prev: str  # the previous record's hash (GENESIS for the first)
    hash: str

    def body(self) -> dict[str, JsonValue]:
        return {
            "seq": self.seq,
            "at": self.at,
            "who": self.who,
            "action": self.action,
            "entity": self.entity,
            "before": self.before,
            "after": self.after,
            "prev": self.prev,
        }

    def computed_hash(self) -> str:
        return hashlib.sha256(canonical(self.body()).encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, JsonValue]:
        return {**self.body(), "hash": self.hash}

    @classmethod
    def from_dict(cls, d: dict[str, JsonValue]) -> AuditRecord:
        return cls(**{k: d[k] for k in (*cls.__dataclass_fields__,)})


def records_digest(views: Sequence[JsonValue]) -> str:
    """SHA-256 over the canonical JSON of several records, one per line (an import's records)."""
    h = hashlib.sha256()
    for v in views:
        h.update(canonical(v).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@dataclass(frozen=True)
class Head:
    """What to keep outside the database to detect records deleted at the end."""

    count: int
    hash: str


@dataclass
class AuditChain:
    records: list[AuditRecord] = field(default_factory=list)

    @property
    def head(self) -> Head:
        if not self.records:
            return Head(0, GENESIS)
        return Head(self.records[-1].seq, self.records[-1].hash)

    def append(
        self, at: str, who: str, action: str, entity: str, before: JsonValue, after: JsonValue
    ) -> AuditRecord:
        """Append a record; ``before`` and ``after`` must be JSON values (dicts, lists, str,
        numbers, bool, None), which a store keeps as JSON and reads back unchanged."""
        head = self.head
        draft = AuditRecord(head.count + 1, at, who, action, entity, before, after, head.hash, "")
        record = dataclasses.replace(draft, hash=draft.computed_hash())
        self.records.append(record)
        return record


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    first_bad: int | None = None  # the seq of the first record that does not fit
    problem: str | None = None  # "altered", "missing", "reordered", "truncated"

    def describe(self) -> str:
        if self.ok:
            return "the audit chain is intact"
        if self.problem == "truncated":
            return f"records after {self.first_bad} are missing (the chain ends early)"
        if self.problem == "missing":
            return f"record {self.first_bad} is missing"
        return f"record {self.first_bad} was {self.problem}"


def verify_chain(records: Sequence[AuditRecord], expected: Head | None = None) -> ChainCheck:
    """Check every record's hash and link, in order; name the first that does not fit.

    A record whose own hash does not match its fields was altered; a record whose ``prev`` is
    not the hash of the one before, or whose ``seq`` skips, follows a deleted one (the first
    missing seq is named). ``expected``: a head kept elsewhere, to detect deletions at the end.
    """
    prev_hash = GENESIS
    prev_seq = 0
    for r in records:
        if r.seq != prev_seq + 1:
            if r.seq > prev_seq + 1:
                return ChainCheck(False, prev_seq + 1, "missing")
            return ChainCheck(False, r.seq, "reordered")
        if r.computed_hash() != r.hash:
            return ChainCheck(False, r.seq, "altered")
        if r.prev != prev_hash:
            # this record is intact, so the one before it was changed (and its hash recomputed)
            return ChainCheck(False, r.seq - 1, "altered")
        prev_hash, prev_seq = r.hash, r.seq
    if expected is not None:
        if prev_seq < expected.count:
            return ChainCheck(False, prev_seq, "truncated")
        if prev_seq >= expected.count > 0:
            at = records[expected.count - 1]
            if at.hash != expected.hash:
                return ChainCheck(False, expected.count, "altered")
    return ChainCheck(True)
