"""A ledger's whole state as plain JSON values, and back: for backups, exports and as the shape a
store's tables follow (one list per table, one dict per row).

``dump`` holds no CPR number and no key (only pseudonyms and the key ids they carry). ``load``
needs the partnership's ``Terms`` (rebuilt from the pinned case version, whose SHA-256 must match)
and the key ring; it then rebuilds the indexes, and ``integrity.verify_state`` tells whether what
was read matches its own audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from socialinvest.ledger.audit import AuditChain, AuditRecord, Head
from socialinvest.ledger.cpr import Keyring
from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.ledger import Ledger, now_utc
from socialinvest.ledger.postings import Journal, Posting
from socialinvest.ledger.records import (
    Evidence,
    ImportRecord,
    OutcomeRecord,
    Participant,
    RecordEvent,
    Sample,
)
from socialinvest.ledger.statements import Statement, StatementLine
from socialinvest.ledger.terms import Amendment, Terms

FORMAT = 1


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def dump(ledger: Ledger) -> dict[str, Any]:
    """Every table of the ledger as lists of JSON-able dicts."""
    return {
        "format": FORMAT,
        "partnership": ledger.partnership,
        "terms_version": ledger.terms.version,
        "demo": ledger.demo,
        "data_processors": sorted(ledger.data_processors),
        "participants": [
            {**p.audit_view(), "pseudonym": p.pseudonym} for p in ledger.participants.values()
        ],
        "records": [
            {
                **r.audit_view(),
                "history": [
                    {
                        "at": e.at,
                        "who": e.who,
                        "action": e.action,
                        "status": e.status,
                        "reason": e.reason,
                    }
                    for e in r.history
                ],
            }
            for r in ledger.records.values()
        ],
        "samples": [
            {
                "id": s.id,
                "population": list(s.population),
                "sampled": list(s.sampled),
                "seed": s.seed,
                "drawn_by": s.drawn_by,
                "at": s.at,
            }
            for s in ledger.samples.values()
        ],
        "imports": [
            {
                "sha256": i.sha256,
                "file": i.file,
                "rows": i.rows,
                "created": list(i.created),
                "flagged": list(i.flagged),
                "unchanged": i.unchanged,
                "by": i.by,
                "at": i.at,
            }
            for i in ledger.imports.values()
        ],
        "statements": [
            {
                "index": st.index,
                "first_period": st.first_period,
                "last_period": st.last_period,
                "status": st.status,
                "approved_by": st.approved_by,
                "approved_at": st.approved_at,
                "audit_head": None
                if st.audit_head is None
                else {"count": st.audit_head.count, "hash": st.audit_head.hash},
                "setoff": dict(st.setoff),
                "keyed": [[p, line, pp, amount] for (p, line, pp), amount in st.keyed.items()],
                "lines": [x.to_dict() for x in st.lines],
                "cohorts": list(st.cohorts),
            }
            for st in ledger.statements.values()
            if st.status == "approved"  # a draft is recomputed, never stored
        ],
        "delivery_costs": [[period, amount] for period, amount in ledger.delivery_costs.items()],
        "postings": [
            {
                "seq": p.seq,
                "period": p.period,
                "kind": p.kind,
                "source": p.source,
                "destination": p.destination,
                "amount": p.amount,
                "reference": p.reference,
            }
            for p in ledger.journal.postings
        ],
        "posted_through": ledger.posted_through,
        "setoff": dict(ledger.setoff),
        "amendments": [a.to_dict() for a in ledger.terms.amendments],
        "audit": [r.to_dict() for r in ledger.audit.records],
    }


def _line(d: dict[str, Any]) -> StatementLine:
    fields: dict[str, Any] = dict(d)
    for k in ("outcome_periods", "payment_periods", "records"):
        fields[k] = tuple(fields[k])
    return StatementLine(**fields)


def load(
    data: dict[str, Any],
    terms: Terms,
    keyring: Keyring,
    *,
    clock: Callable[[], dt.datetime] = now_utc,
) -> Ledger:
    """The ledger ``dump`` wrote, on the terms of the same case version."""
    if data.get("format") != FORMAT:
        raise LedgerError("snapshot_format", found=data.get("format"), expected=FORMAT)
    if data.get("terms_version") != terms.version:
        raise LedgerError("snapshot_terms")
    # dated amendments (absent from backups made before they existed: none)
    amendments = tuple(Amendment.from_dict(d) for d in data.get("amendments", []))
    ledger = Ledger(
        data["partnership"],
        terms.with_amendments(amendments),
        keyring,
        bool(data["demo"]),
        frozenset(data["data_processors"]),
        clock=clock,
    )
    for d in data["participants"]:
        ledger.participants[d["id"]] = Participant(
            id=d["id"],
            pseudonym=d["pseudonym"],
            enrolled=dt.date.fromisoformat(d["enrolled"]),
            intake_period=d["intake_period"],
            cohort=d["cohort"],
            eligibility=dict(d["eligibility"]),
            enrolled_by=d["enrolled_by"],
            status=d["status"],
            exit_date=_date(d["exit_date"]),
            exit_reason=d["exit_reason"],
            withdrawn=_date(d["withdrawn"]),
            anonymised=_date(d["anonymised"]),
        )
    for d in data["records"]:
        ev = d["evidence"]
        ledger.records[d["id"]] = OutcomeRecord(
            id=d["id"],
            participant=d["participant"],
            metric=d["metric"],
            period=d["period"],
            value=float(d["value"]),
            evidence=Evidence(ev["source"], ev["reference"], ev["entered_by"]),
            status=d["status"],
            conflicts_with=d["conflicts_with"],
            import_id=d["import_id"],
            history=[RecordEvent(**e) for e in d["history"]],
        )
    for d in data["samples"]:
        ledger.samples[d["id"]] = Sample(
            d["id"], tuple(d["population"]), tuple(d["sampled"]), d["seed"], d["drawn_by"], d["at"]
        )
    for d in data["imports"]:
        ledger.imports[d["sha256"]] = ImportRecord(
            d["sha256"],
            d["file"],
            d["rows"],
            tuple(d["created"]),
            tuple(d["flagged"]),
            d["unchanged"],
            d["by"],
            d["at"],
        )
    for d in data["statements"]:
        head = d["audit_head"]
        ledger.statements[d["index"]] = Statement(
            index=d["index"],
            first_period=d["first_period"],
            last_period=d["last_period"],
            lines=[_line(x) for x in d["lines"]],
            keyed={(p, line, pp): float(a) for p, line, pp, a in d["keyed"]},
            status=d["status"],
            approved_by=d["approved_by"],
            approved_at=d["approved_at"],
            audit_head=None if head is None else Head(head["count"], head["hash"]),
            setoff=dict(d["setoff"]),
            cohorts=list(d.get("cohorts", [])),
        )
    ledger.delivery_costs = {int(p): float(a) for p, a in data["delivery_costs"]}
    ledger.journal = Journal([Posting(**p) for p in data["postings"]])
    ledger.posted_through = int(data["posted_through"])
    ledger.setoff = dict(data["setoff"])
    ledger.audit = AuditChain([AuditRecord.from_dict(r) for r in data["audit"]])
    return ledger
