"""The ledger's records: plain dataclasses a store persists row by row (docs/ledger.md).

Nothing here holds a CPR number. A participant holds a pseudonym (``cpr.Keyring.pseudonym``) and
is referred to everywhere else — outcome records, statements, the audit trail — by its ledger id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["payer", "provider", "investor", "evaluator", "auditor"]
ROLES: tuple[Role, ...] = ("payer", "provider", "investor", "evaluator", "auditor")

RecordStatus = Literal["entered", "verified", "rejected", "disputed", "conflict", "superseded"]
PAID_STATUSES = ("verified",)


@dataclass(frozen=True)
class Actor:
    """Who does something: a user of an organisation that has a role in the partnership."""

    user: str
    organisation: str
    role: Role

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation}, {self.role})"


@dataclass
class Participant:
    id: int
    pseudonym: str  # "<key id>:<hmac hex>", or "anon:<random hex>" once anonymised
    enrolled: dt.date
    intake_period: int  # the contract period of the enrolment date (1-based)
    cohort: str
    eligibility: dict[str, bool]  # each of the contract's criteria, as declared at enrolment
    enrolled_by: str
    status: Literal["active", "exited", "withdrawn"] = "active"
    exit_date: dt.date | None = None
    exit_reason: str | None = None
    withdrawn: dt.date | None = None
    anonymised: dt.date | None = None

    def audit_view(self) -> dict[str, Any]:
        """The fields an audit record keeps: everything but the pseudonym (so anonymisation
        never has to touch the audit trail)."""
        return {
            "id": self.id,
            "enrolled": self.enrolled.isoformat(),
            "intake_period": self.intake_period,
            "cohort": self.cohort,
            "eligibility": dict(self.eligibility),
            "enrolled_by": self.enrolled_by,
            "status": self.status,
            "exit_date": _date(self.exit_date),
            "exit_reason": self.exit_reason,
            "withdrawn": _date(self.withdrawn),
            "anonymised": _date(self.anonymised),
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    source: str  # e.g. "Jobcenter (DREAM)", "Uddannelsesinstitution"
    reference: str  # the document's reference (journal number, file name, …)
    entered_by: str  # the user who entered or imported it


@dataclass(frozen=True, slots=True)
class RecordEvent:
    at: str
    who: str
    action: str  # entered, verified, rejected, disputed, resolved, superseded, sampled
    status: RecordStatus
    reason: str | None = None


@dataclass(slots=True)
class OutcomeRecord:
    id: int
    participant: int
    metric: str
    period: int  # the contract period (1-based) the outcome was achieved in
    value: float  # units (time_in), 1 (entry, sustained, state_at) or a count (entries)
    evidence: Evidence
    status: RecordStatus = "entered"
    conflicts_with: int | None = None  # the earlier record this one contradicts
    import_id: str | None = None
    history: list[RecordEvent] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.participant, self.metric, self.period)

    def audit_view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "participant": self.participant,
            "metric": self.metric,
            "period": self.period,
            "value": self.value,
            "evidence": {
                "source": self.evidence.source,
                "reference": self.evidence.reference,
                "entered_by": self.evidence.entered_by,
            },
            "status": self.status,
            "conflicts_with": self.conflicts_with,
            "import_id": self.import_id,
        }


@dataclass(frozen=True)
class Sample:
    """A random sample of records for verification; the rest of ``population`` is settled at the
    sample's acceptance rate once every sampled record is decided."""

    id: int
    population: tuple[int, ...]  # record ids eligible when the sample was drawn
    sampled: tuple[int, ...]
    seed: int
    drawn_by: str
    at: str


@dataclass(frozen=True)
class ImportRecord:
    sha256: str
    file: str
    rows: int
    created: tuple[int, ...]  # new record ids
    flagged: tuple[int, ...]  # records created as conflicts
    unchanged: int
    by: str
    at: str


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()
