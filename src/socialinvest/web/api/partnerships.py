"""Running partnerships under ``/api/v1/partnerships``: the ledger's operations with the same
rules as ``socialinvest ledger``. A partnership the user's organisation is not a party to answers
404; an operation the organisation's partnership role may not do answers 403; a mistake 422 (one
sentence, never a CPR number)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from socialinvest.errors import InputError
from socialinvest.service import partnerships as ps
from socialinvest.store import partnerships as store
from socialinvest.store import users as user_store
from socialinvest.store.models import Case, User
from socialinvest.web.api.errors import UNPROCESSABLE, MessageOut
from socialinvest.web.deps import ItemId, current_user, get_db, settings_of, writing_user

router = APIRouter(prefix="/partnerships", tags=["partnerships"])
Db = Annotated[Session, Depends(get_db)]
Reader = Annotated[User, Depends(current_user)]
Writer = Annotated[User, Depends(writing_user)]
RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": MessageOut},
    404: {"model": MessageOut},
    **UNPROCESSABLE,
}
T = TypeVar("T")
NOT_FOUND = "No such partnership (or your organisation is not a party to it)."


def guarded(fn: Callable[[], T]) -> T:
    """404 for a partnership the user may not see, 403 for a role refusal."""
    try:
        return fn()
    except ps.NotFound:
        raise HTTPException(404, NOT_FOUND) from None
    except ps.LedgerError as error:
        if error.key in ps.ROLE_KEYS:
            raise HTTPException(403, error.message) from None
        raise


class PartyIn(BaseModel):
    organisation: str
    role: str


class PartnershipCreate(BaseModel):
    case_id: ItemId
    version: int
    key: str = Field(min_length=1, max_length=100)
    name: str = ""
    parties: list[PartyIn]
    prices: dict[str, float] = {}
    eligibility: list[str] = []
    settle_every: int | None = None
    data_processors: list[str] = []
    min_count: int = 5
    demo: bool = False


class EnrolIn(BaseModel):
    cpr: str  # checked by the ledger; never echoed back
    enrolled: dt.date
    cohort: str
    eligibility: dict[str, bool] | None = None


class OutcomeIn(BaseModel):
    participant: int
    metric: str
    period: int
    value: float
    source: str
    reference: str


class DecisionIn(BaseModel):
    records: list[int] = Field(min_length=1)
    decision: str = "verify"  # verify, reject or dispute
    reason: str = ""


class SampleIn(BaseModel):
    size: int
    seed: int = 1
    through_period: int | None = None


def _summary(row: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "case_id": row["case_id"],
        "demo": bool(row["demo"]),
        "roles": roles,
    }


@router.get("", responses=RESPONSES)
def list_partnerships(db: Db, user: Reader) -> list[dict[str, Any]]:
    """The partnerships the user's organisation is a party to, with its roles in each."""
    return [
        _summary(row, store.roles_of(db, row["id"], user.organisation_id))
        for row in store.visible_to(db, user.organisation_id)
    ]


@router.post("", status_code=201, responses=RESPONSES)
def create_partnership(body: PartnershipCreate, db: Db, user: Writer) -> dict[str, Any]:
    """Create a partnership from an approved case version with a contract section."""
    case = db.get(Case, body.case_id)
    if case is None or case.organisation_id != user.organisation_id:
        raise HTTPException(404, "No such case.")
    parties = []
    for p in body.parties:
        try:
            org = user_store.organisation(db, p.organisation)
        except InputError:
            raise InputError(
                "an organisation of this server", field="parties", value=p.organisation
            ) from None
        parties.append((org, p.role))
    new_id = ps.create(
        db,
        user,
        case,
        body.version,
        key=body.key,
        name=body.name or body.key,
        parties=parties,
        prices=body.prices,
        eligibility=body.eligibility,
        settle_every=body.settle_every,
        data_processors=body.data_processors,
        demo=body.demo,
        min_count=body.min_count,
    )
    row = store.get(db, new_id)
    assert row is not None
    return _summary(row, store.roles_of(db, new_id, user.organisation_id))


@router.get("/{partnership_id}", responses=RESPONSES)
def partnership_status(
    partnership_id: ItemId, db: Db, user: Reader, as_of: int | None = None
) -> dict[str, Any]:
    """Enrolment against plan, outcomes, payments, balances (small counts suppressed)."""
    return guarded(lambda: ps.status_view(ps.read(db, partnership_id, user), as_of))


@router.get("/{partnership_id}/participants", responses=RESPONSES)
def participants(partnership_id: ItemId, db: Db, user: Reader) -> list[dict[str, Any]]:
    """Participant rows (short pseudonyms); not for investors."""
    return guarded(lambda: ps.participant_rows(ps.read(db, partnership_id, user)))


@router.post("/{partnership_id}/participants", status_code=201, responses=RESPONSES)
def enrol(partnership_id: ItemId, body: EnrolIn, db: Db, user: Writer) -> dict[str, Any]:
    """Enrol a citizen (payer, or a provider acting as its data processor)."""
    pid = guarded(
        lambda: ps.enrol(
            db, partnership_id, user, body.cpr, body.enrolled, body.cohort, body.eligibility
        )
    )
    return {"participant": pid}


@router.get("/{partnership_id}/records", responses=RESPONSES)
def records(
    partnership_id: ItemId, db: Db, user: Reader, status: str | None = None
) -> list[dict[str, Any]]:
    """Outcome records with their evidence; not for investors."""
    return guarded(lambda: ps.record_rows(ps.read(db, partnership_id, user), status))


@router.post("/{partnership_id}/records", status_code=201, responses=RESPONSES)
def enter_outcome(partnership_id: ItemId, body: OutcomeIn, db: Db, user: Writer) -> dict[str, Any]:
    return guarded(
        lambda: ps.enter_outcome(
            db,
            partnership_id,
            user,
            body.participant,
            body.metric,
            body.period,
            body.value,
            body.source,
            body.reference,
        )
    )


async def read_upload(request: Request, file: UploadFile) -> tuple[str, bytes]:
    """An uploaded CSV or XLSX within the server's upload limit."""
    limit = settings_of(request).max_upload_bytes
    name = (file.filename or "upload").rsplit("/", 1)[-1]
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"a file of at most {limit:,} bytes", file=name, has_value=False)
    if not name.lower().endswith((".csv", ".xlsx")):
        raise InputError("a .csv or .xlsx file", file=name, has_value=False)
    return name, data


@router.post("/{partnership_id}/imports", status_code=201, responses=RESPONSES)
async def import_outcomes(
    partnership_id: ItemId,
    request: Request,
    db: Db,
    user: Writer,
    file: UploadFile = File(...),
) -> dict[str, Any]:
    """Import outcome records (CSV/XLSX): all or nothing; the same file twice changes nothing."""
    name, data = await read_upload(request, file)
    return guarded(lambda: ps.import_outcomes(db, partnership_id, user, name, data))


@router.post("/{partnership_id}/decisions", responses=RESPONSES)
def decide(partnership_id: ItemId, body: DecisionIn, db: Db, user: Writer) -> list[dict[str, Any]]:
    """The evaluator verifies or rejects records (never their own); payer or evaluator dispute."""
    return guarded(
        lambda: ps.decide(db, partnership_id, user, body.records, body.decision, body.reason)
    )


@router.post("/{partnership_id}/samples", status_code=201, responses=RESPONSES)
def draw_sample(partnership_id: ItemId, body: SampleIn, db: Db, user: Writer) -> dict[str, Any]:
    return guarded(
        lambda: ps.draw_sample(db, partnership_id, user, body.size, body.seed, body.through_period)
    )


@router.get("/{partnership_id}/settlements/{index}", responses=RESPONSES)
def settlement(
    partnership_id: ItemId,
    index: int,
    db: Db,
    user: Reader,
    lang: Annotated[str, Query(pattern="^(da|en)$")] = "en",
) -> dict[str, Any]:
    """A settlement's statement (approved, or drafted now); investors see totals only."""
    return guarded(
        lambda: ps.statement_view(
            ps.read(db, partnership_id, user, prefer=("payer", "evaluator")), index, lang
        )
    )


@router.post("/{partnership_id}/settlements/{index}/approve", responses=RESPONSES)
def approve(partnership_id: ItemId, index: int, db: Db, user: Writer) -> dict[str, Any]:
    """The payer approves and locks a settlement; its money is posted."""
    return guarded(lambda: ps.approve(db, partnership_id, user, index))


@router.get("/{partnership_id}/forecast", responses=RESPONSES)
def forecast(
    partnership_id: ItemId,
    db: Db,
    user: Reader,
    draws: Annotated[int, Query(ge=2, le=20000)] = 1000,
    seed: int = 1,
    target: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> dict[str, Any]:
    """The re-forecast from what has been observed (aggregates: every role)."""
    return guarded(
        lambda: ps.forecast_view(
            ps.read(db, partnership_id, user), draws=draws, seed=seed, target_rate=target
        )
    )


@router.get("/{partnership_id}/verify", responses=RESPONSES)
def verify(partnership_id: ItemId, db: Db, user: Reader) -> dict[str, Any]:
    """The audit chain and every row checked against it."""

    def run() -> dict[str, Any]:
        ps.read(db, partnership_id, user)  # a party only
        ok, entity, sentence = ps.verify_integrity(db, partnership_id)
        return {"ok": ok, "entity": entity, "message": sentence}

    return guarded(run)


@router.get("/{partnership_id}/renegotiation", responses=RESPONSES)
def renegotiation(
    partnership_id: ItemId,
    db: Db,
    user: Reader,
    price: Annotated[float | None, Query(ge=0)] = None,
    contract_cap: Annotated[float | None, Query(gt=0)] = None,
    intake: Annotated[list[int] | None, Query()] = None,
    periods: Annotated[int | None, Query(ge=1)] = None,
    draws: Annotated[int, Query(ge=2, le=20000)] = 1000,
) -> dict[str, Any]:
    """Every party's position before and after a change of terms (nothing is written)."""
    return guarded(
        lambda: ps.renegotiate(
            db,
            ps.read(db, partnership_id, user),
            price=price,
            contract_cap=contract_cap,
            intake=intake,
            periods=periods,
            draws=draws,
        )
    )


@router.get(
    "/{partnership_id}/settlements/{index}/statement",
    responses={
        **RESPONSES,
        200: {
            "content": {
                "application/pdf": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        },
    },
)
def settlement_statement(
    partnership_id: ItemId,
    index: int,
    db: Db,
    user: Reader,
    format: Annotated[str, Query(pattern="^(pdf|xlsx)$")] = "pdf",
    lang: Annotated[str, Query(pattern="^(da|en)$")] = "da",
) -> Response:
    """A settlement's statement as a PDF (A4) or XLSX file; investors get the totals only."""
    from socialinvest.service import partnership_reports as pr
    from socialinvest.web.pages.common import disposition

    def run() -> Response:
        ctx = ps.read(db, partnership_id, user, prefer=("payer", "evaluator"))
        data = pr.statement_document(ctx, index, format, lang)
        name = pr.statement_file_name(ctx, index, format)
        return Response(
            data,
            media_type=pr.MEDIA_TYPES[format],
            headers={"Content-Disposition": disposition(name)},  # any name, ASCII-safe
        )

    return guarded(run)


@router.get("/{partnership_id}/indigo", responses=RESPONSES)
def indigo(
    partnership_id: ItemId,
    db: Db,
    user: Reader,
    draws: Annotated[int, Query(ge=2, le=20000)] = 1000,
    seed: int = 1,
) -> dict[str, Any]:
    """The INDIGO project document: the design stage's terms and planned values with the
    realised figures to date (counts and sums only; every party may have it)."""
    from socialinvest.service import partnership_reports as pr

    return guarded(
        lambda: pr.realised_indigo(ps.read(db, partnership_id, user), draws=draws, seed=seed)
    )


# ---------------------------------------------------------------------- amendments, participants


class AmendmentIn(BaseModel):
    effective: int  # the first settlement period it prices (after the last approved one)
    reference: str  # the signed amendment document
    agreed_by: list[str]  # the organisations that signed: every provider and investor
    prices: dict[str, float] = {}  # payment line → new price
    person_cap: float | None = None
    contract_cap: float | None = None
    planned_intake: list[int] | None = None
    periods: int | None = None  # a change of duration: refused (422), see docs


class ParticipantChangeIn(BaseModel):
    date: dt.date | None = None  # default: the partnership's today
    reason: str = ""  # for an exit


@router.get("/{partnership_id}/amendments", responses=RESPONSES)
def amendments(partnership_id: ItemId, db: Db, user: Reader) -> list[dict[str, Any]]:
    """Every version of the terms (the original and each dated amendment): every party."""
    from socialinvest.service import amendments as amend_service

    return guarded(lambda: amend_service.versions_view(ps.read(db, partnership_id, user)))


@router.post("/{partnership_id}/amendments", status_code=201, responses=RESPONSES)
def amend(partnership_id: ItemId, body: AmendmentIn, db: Db, user: Writer) -> dict[str, Any]:
    """The payer enters an agreed amendment (the provider's and investors' agreement recorded);
    settlements from ``effective`` on are priced by it, approved ones never change."""
    from socialinvest.service import amendments as amend_service

    return guarded(
        lambda: amend_service.amend(
            db,
            partnership_id,
            user,
            effective=body.effective,
            reference=body.reference,
            agreed_by=body.agreed_by,
            prices=body.prices,
            person_cap=body.person_cap,
            contract_cap=body.contract_cap,
            planned_intake=body.planned_intake,
            periods=body.periods,
        )
    )


def _change(
    partnership_id: int,
    participant: int,
    action: str,
    body: ParticipantChangeIn,
    db: Session,
    user: User,
) -> dict[str, Any]:
    from socialinvest.service import amendments as amend_service

    return guarded(
        lambda: amend_service.change_participant(
            db, partnership_id, user, participant, action, day=body.date, reason=body.reason
        )
    )


@router.post("/{partnership_id}/participants/{participant}/exit", responses=RESPONSES)
def exit_participant(
    partnership_id: ItemId, participant: int, body: ParticipantChangeIn, db: Db, user: Writer
) -> dict[str, Any]:
    """The participant leaves the programme (payer, or a provider as its data processor)."""
    return _change(partnership_id, participant, "exit", body, db, user)


@router.post("/{partnership_id}/participants/{participant}/withdraw", responses=RESPONSES)
def withdraw_participant(
    partnership_id: ItemId, participant: int, body: ParticipantChangeIn, db: Db, user: Writer
) -> dict[str, Any]:
    """The citizen withdraws: no outcome after the date may be recorded."""
    return _change(partnership_id, participant, "withdraw", body, db, user)


@router.post("/{partnership_id}/participants/{participant}/anonymise", responses=RESPONSES)
def anonymise_participant(
    partnership_id: ItemId, participant: int, body: ParticipantChangeIn, db: Db, user: Writer
) -> dict[str, Any]:
    """Anonymise on request: the pseudonym is replaced; every financial record stays."""
    return _change(partnership_id, participant, "anonymise", body, db, user)
