"""What each role may see: the partnership's status in aggregates (small counts suppressed), and
participant-level rows only for the roles that work with them.

Investors (and anyone not named below) see aggregates only, never a participant's row: every
count between 1 and ``min_count`` − 1 is replaced by None and marked suppressed (3 or 5 is usual;
the partnership configures it). Payers, providers, evaluators and auditors see rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from socialinvest.ledger.errors import LedgerError
from socialinvest.ledger.ledger import Ledger
from socialinvest.ledger.records import Actor, Role
from socialinvest.ledger.statements import Statement

ROW_ROLES: tuple[Role, ...] = ("payer", "provider", "evaluator", "auditor")


def suppress(count: int, min_count: int) -> dict[str, Any]:
    """A count as shown to aggregate-only readers."""
    if 0 < count < min_count:
        return {"count": None, "suppressed": True}
    return {"count": count, "suppressed": False}


def status(ledger: Ledger, as_of: int, *, min_count: int = 5) -> dict[str, Any]:
    """Enrolment against plan, participants, outcome records and payments, at period ``as_of``;
    safe to show to every role (counts below ``min_count`` suppressed)."""
    if min_count < 1:
        raise LedgerError("min_count", value=min_count)
    terms = ledger.terms
    # the plan in force (a dated amendment may change the intake per cohort): each cohort's
    # planned intake times the share of its intake the case's plan has due by ``as_of``
    version = terms.in_force(terms.settlement_of(min(max(as_of, 1), terms.n_periods)))
    due = terms.prep.offsets + 1 <= as_of
    planned_due = 0.0
    for c, intake in enumerate(version.planned_intake):
        in_cohort = terms.prep.cohort == c
        size = int(in_cohort.sum())
        if size:
            planned_due += intake * int((due & in_cohort).sum()) / size
    planned = round(planned_due)
    people = [p for p in ledger.participants.values() if p.intake_period <= as_of]
    by_status = Counter(p.status for p in people)
    by_cohort = Counter(p.cohort for p in people)
    records = [r for r in ledger.records.values() if r.period <= as_of]
    by_record = Counter(r.status for r in records)
    succeeded = {r.participant for r in records if r.status == "verified" and r.value > 0}
    approved = [s for s in ledger.statements.values() if s.status == "approved"]
    return {
        "as_of_period": as_of,
        "enrolment": {
            "planned_to_date": planned,
            "planned_total": int(sum(version.planned_intake)),
            "terms_version": version.number,
            "enrolled": len(people),
            "by_cohort": {k: suppress(v, min_count) for k, v in sorted(by_cohort.items())},
        },
        "participants": {
            k: suppress(by_status.get(k, 0), min_count) for k in ("active", "exited", "withdrawn")
        },
        "with_verified_outcome": suppress(len(succeeded), min_count),
        "records": {
            k: by_record.get(k, 0)
            for k in ("entered", "verified", "rejected", "disputed", "conflict")
        },
        "payments": {
            "approved_settlements": len(approved),
            "paid": {
                payer: sum(s.total_ore(payer) for s in approved) / 100 for payer in terms.payers
            },
        },
        "min_count": min_count,
    }


def may_see_rows(actor: Actor) -> bool:
    return actor.role in ROW_ROLES


def statement_for(actor: Actor, statement: Statement) -> dict[str, Any]:
    """A statement as ``actor`` may see it: with its lines per pseudonym for the roles that
    work with participants, as totals per payer for investors."""
    full = statement.to_dict()
    if may_see_rows(actor):
        return full
    # (the cohort assessments count a cohort's participants and outcomes: not for investors)
    return {
        **{k: v for k, v in full.items() if k not in ("payers", "cohorts")},
        "payers": {name: {"total": p["total"]} for name, p in full["payers"].items()},
    }


def participant_rows(ledger: Ledger, actor: Actor) -> list[dict[str, Any]]:
    """Participant rows (pseudonyms in short form); refused for aggregate-only roles."""
    if not may_see_rows(actor):
        raise LedgerError(
            "role",
            user=actor.user,
            role=actor.role,
            action="see participants",
            roles=" or ".join(ROW_ROLES),
        )
    from socialinvest.ledger.cpr import short

    return [
        {**p.audit_view(), "pseudonym": "anonymised" if p.anonymised else short(p.pseudonym)}
        for p in ledger.participants.values()
    ]
