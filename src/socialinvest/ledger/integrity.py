"""Does the ledger's state match its audit trail? (for ``socialinvest ledger verify``)

The hash chain (``audit.verify_chain``) proves the audit records are as written. This module also
checks the *state* a store holds against them, so altering a participant, an outcome record or an
approved statement in the database is found even when the audit trail was left alone:

- every participant and outcome record equals the ``after`` of the last audit record about it;
- a record created by an import and never changed since is covered by the import's
  ``records_digest`` (the creation state of a record changed later is the ``before`` of the first
  audit record that changed it, so the digest can always be recomputed);
- every approved statement has the totals its approval recorded;
- every dated amendment of the terms equals the ``after`` of its audit record (and none is
  missing), so a changed price or cap in a stored amendment is found;
- nothing the audit trail mentions is missing, and nothing exists that it does not mention.

Pseudonyms are deliberately outside the audit trail (so anonymisation never touches it), so a
changed pseudonym is not detected here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialinvest.ledger.audit import Head, records_digest, verify_chain
from socialinvest.ledger.ledger import Ledger


@dataclass(frozen=True)
class StateCheck:
    ok: bool
    entity: str | None = None  # e.g. "record:17", "audit record 5"
    problem: str | None = None

    def describe(self) -> str:
        if self.ok:
            return "the audit chain is intact and the ledger matches it"
        return f"{self.entity}: {self.problem}"


def verify_state(ledger: Ledger, expected: Head | None = None) -> StateCheck:
    chain = verify_chain(ledger.audit.records, expected)
    if not chain.ok:
        return StateCheck(False, f"audit record {chain.first_bad}", chain.describe())
    last_after: dict[str, Any] = {}
    first_before: dict[str, Any] = {}
    imports: list[dict[str, Any]] = []
    approvals: dict[str, dict[str, Any]] = {}
    amendments: dict[str, Any] = {}
    for r in ledger.audit.records:
        if r.action == "amend":
            amendments[r.entity] = r.after
        elif r.action == "import":
            imports.append(r.after)
        elif r.action == "approve_settlement":
            approvals[r.entity] = r.after
        elif r.entity.startswith(("participant:", "record:")):
            if r.entity not in first_before and r.before is not None:
                first_before[r.entity] = r.before
            last_after[r.entity] = r.after

    for pid, p in sorted(ledger.participants.items()):
        key = f"participant:{pid}"
        if key not in last_after:
            return StateCheck(False, key, "is not in the audit trail")
        if last_after[key] != p.audit_view():
            return StateCheck(False, key, "differs from its last audit record")
    imported: set[int] = set()
    for imp in imports:
        span = imp.get("records")
        if not span:
            continue
        ids = range(span[0], span[1] + 1)
        imported.update(ids)
        views = []
        for i in ids:
            key = f"record:{i}"
            if i not in ledger.records:
                return StateCheck(False, key, "is missing (created by an import)")
            views.append(first_before.get(key, ledger.records[i].audit_view()))
        if records_digest(views) != imp.get("records_digest"):
            return StateCheck(
                False, f"import {imp.get('file')}", "a record it created was altered since"
            )
    for rid, rec in sorted(ledger.records.items()):
        key = f"record:{rid}"
        if key in last_after:
            if last_after[key] != rec.audit_view():
                return StateCheck(False, key, "differs from its last audit record")
        elif rid not in imported:
            return StateCheck(False, key, "is not in the audit trail")
    for key in last_after:
        kind, _, number = key.partition(":")
        store: dict[int, Any] = ledger.participants if kind == "participant" else ledger.records
        if int(number) not in store:
            return StateCheck(False, key, "is missing")
    for index, st in sorted(ledger.statements.items()):
        if st.status != "approved":
            continue
        key = f"settlement:{index}"
        after = approvals.get(key)
        if after is None:
            return StateCheck(False, key, "is approved but its approval is not in the audit trail")
        totals = {payer: st.total_ore(payer) for payer in ledger.terms.payers}
        if after.get("totals") != totals or after.get("lines") != len(st.lines):
            return StateCheck(False, key, "differs from the totals its approval recorded")
    held = {f"amendment:{a.number}": a.to_dict() for a in ledger.terms.amendments}
    for key, after in amendments.items():
        if key not in held:
            return StateCheck(False, key, "is missing")
        if held[key] != after:
            return StateCheck(False, key, "differs from its audit record")
    for key in held:
        if key not in amendments:
            return StateCheck(False, key, "is not in the audit trail")
    return StateCheck(True)
