"""Cases and versions: list, search, create/import, save (with conflicts), history, difference,
restore, approval, tags, shares, audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from socialinvest.errors import InputError
from socialinvest.store import audit
from socialinvest.store import cases as case_store
from socialinvest.store import users as user_store
from socialinvest.store.models import Case, CaseStatus, User
from socialinvest.web.api.convert import case_out, version_detail, version_out
from socialinvest.web.api.errors import UNPROCESSABLE, MessageOut
from socialinvest.web.api.schemas import (
    AuditOut,
    CaseCreate,
    CaseOut,
    CasePatch,
    ConflictOut,
    DiffOut,
    FieldChangeOut,
    ShareIn,
    VersionCreate,
    VersionDetail,
    VersionOut,
)
from socialinvest.web.deps import (
    ItemId,
    current_user,
    editable_case,
    ensure_admin,
    ensure_reviewer,
    get_db,
    own_case,
    readable_case,
    require_editor,
    writing_user,
)

router = APIRouter(tags=["cases"])
Db = Annotated[Session, Depends(get_db)]
Reader = Annotated[User, Depends(current_user)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": MessageOut}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ConflictOut, "description": "Someone else saved first; both texts are kept."}
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {403: {"model": MessageOut}}


def checked_text(text: str, file_name: str) -> str:
    """``text`` if it is a valid case (the same checks as the command line); its name."""
    from socialinvest.service import load_text

    return load_text(text, file_name).case.name


def version_or_404(db: Session, case: Case, number: int) -> Any:
    try:
        return case_store.get_version(db, case, number)
    except LookupError:
        raise HTTPException(status_code=404, detail="No such version.") from None


@router.get("/cases", response_model=list[CaseOut], responses=UNPROCESSABLE)
def list_cases(
    db: Db,
    user: Reader,
    q: Annotated[str | None, Query(max_length=200, description="Words in name or tags.")] = None,
    status: Annotated[CaseStatus | None, Query()] = None,
    owner: Annotated[str | None, Query(max_length=100, description="Owner's user name.")] = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CaseOut]:
    """Cases you may read (your organisation's and those shared with it), newest change first."""
    owner_id = None
    if owner:
        found = user_store.by_username(db, owner)
        if found is None:
            return []
        owner_id = found.id
    cases = case_store.search(
        db,
        user,
        text=q,
        status=status.value if status else None,
        owner_id=owner_id,
        tag=tag,
        limit=limit,
        offset=offset,
    )
    return [case_out(c, user) for c in cases]


@router.post(
    "/cases", response_model=CaseOut, status_code=201, responses={**UNPROCESSABLE, **FORBIDDEN}
)
def create_case(
    body: CaseCreate, db: Db, user: Annotated[User, Depends(require_editor)]
) -> CaseOut:
    """A new case from a case file's text (an import, a template or an example): version 1."""
    name = checked_text(body.text, body.file_name)
    case = case_store.create_case(
        db, user, name, body.text, body.message or "created", tags=body.tags
    )
    return case_out(case, user)


@router.get("/cases/{case_id}", response_model=CaseOut, responses=NOT_FOUND)
def get_case(case_id: ItemId, db: Db, user: Reader) -> CaseOut:
    return case_out(readable_case(db, user, case_id), user)


@router.patch(
    "/cases/{case_id}",
    response_model=CaseOut,
    responses={**NOT_FOUND, **FORBIDDEN, **UNPROCESSABLE},
)
def patch_case(
    case_id: ItemId, body: CasePatch, db: Db, user: Annotated[User, Depends(writing_user)]
) -> CaseOut:
    """Change a case's tags or archive it (analysts and admins of its organisation)."""
    case = editable_case(db, user, case_id)
    if body.tags is not None:
        case_store.set_tags(db, case, user, body.tags)
    if body.archived is not None:
        case_store.set_archived(db, case, user, body.archived)
    return case_out(case, user)


@router.get("/cases/{case_id}/versions", response_model=list[VersionOut], responses=NOT_FOUND)
def list_versions(case_id: ItemId, db: Db, user: Reader) -> list[VersionOut]:
    """Every version, newest first."""
    case = readable_case(db, user, case_id)
    return [version_out(case, v) for v in case_store.history(db, case)]


@router.post(
    "/cases/{case_id}/versions",
    response_model=VersionOut,
    status_code=201,
    responses={**NOT_FOUND, **FORBIDDEN, **CONFLICT, **UNPROCESSABLE},
)
def save_version(
    case_id: ItemId, body: VersionCreate, db: Db, user: Annotated[User, Depends(writing_user)]
) -> Any:
    """Save a new version edited from version ``base``. When someone else saved first, your text
    is kept as a version that is not current and the answer is 409 naming both versions."""
    case = editable_case(db, user, case_id)
    name = checked_text(body.text, body.file_name)
    if body.base > case.head:
        raise InputError(
            f"an existing version (the current one is {case.head})", field="base", value=body.base
        )
    try:
        version = case_store.save_version(
            db, case, user, body.text, body.message, base=body.base, name=name
        )
    except case_store.Conflict as conflict:
        from socialinvest.output.messages import text

        return JSONResponse(
            ConflictOut(
                detail=text(
                    "en",
                    "web_conflict",
                    author=conflict.theirs.author.display_name,
                    theirs=conflict.theirs.number,
                    base=body.base,
                    mine=conflict.mine.number,
                ),
                mine=conflict.mine.number,
                theirs=conflict.theirs.number,
            ).model_dump(),
            status_code=409,
        )
    return version_out(case, version)


@router.get("/cases/{case_id}/versions/{number}", response_model=VersionDetail, responses=NOT_FOUND)
def get_version(case_id: ItemId, number: int, db: Db, user: Reader) -> VersionDetail:
    case = readable_case(db, user, case_id)
    return version_detail(case, version_or_404(db, case, number))


@router.get(
    "/cases/{case_id}/versions/{number}/file",
    responses={**NOT_FOUND, 200: {"content": {"application/yaml": {"schema": {"type": "string"}}}}},
)
def download_version(case_id: ItemId, number: int, db: Db, user: Reader) -> Response:
    """The version's case file, to run with the command line."""
    from socialinvest.web.jobs import case_file_name

    case = readable_case(db, user, case_id)
    version = version_or_404(db, case, number)
    return Response(
        version.text.encode("utf-8"),
        media_type="application/yaml",
        headers={"content-disposition": f'attachment; filename="{case_file_name(case, version)}"'},
    )


@router.get(
    "/cases/{case_id}/diff", response_model=DiffOut, responses={**NOT_FOUND, **UNPROCESSABLE}
)
def diff(
    case_id: ItemId,
    db: Db,
    user: Reader,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
) -> DiffOut:
    """Field-by-field differences between two versions (on the parsed case data)."""
    case = readable_case(db, user, case_id)
    old = version_or_404(db, case, from_version)
    new = version_or_404(db, case, to_version)
    return DiffOut(
        from_version=from_version,
        to_version=to_version,
        changes=[
            FieldChangeOut(path=c.path, kind=c.kind, old=c.old, new=c.new)
            for c in case_store.diff(old, new)
        ],
    )


@router.post(
    "/cases/{case_id}/versions/{number}/restore",
    response_model=VersionOut,
    status_code=201,
    responses={**NOT_FOUND, **FORBIDDEN, **CONFLICT},
)
def restore(
    case_id: ItemId, number: int, db: Db, user: Annotated[User, Depends(writing_user)]
) -> Any:
    """Save an earlier version's text again as the new current version."""
    case = editable_case(db, user, case_id)
    version_or_404(db, case, number)
    try:
        restored = case_store.restore(db, case, user, number)
    except case_store.Conflict as conflict:  # someone saved between reading and writing
        return JSONResponse(
            ConflictOut(
                detail=str(conflict), mine=conflict.mine.number, theirs=conflict.theirs.number
            ).model_dump(),
            status_code=409,
        )
    return version_out(case, restored)


@router.post(
    "/cases/{case_id}/versions/{number}/approve",
    response_model=VersionOut,
    responses={**NOT_FOUND, **FORBIDDEN, 409: {"model": MessageOut}},
)
def approve(
    case_id: ItemId, number: int, db: Db, user: Annotated[User, Depends(writing_user)]
) -> Any:
    """Approve a version (a reviewer other than its author); an approved version is locked."""
    case = own_case(db, user, case_id)
    ensure_reviewer(user)
    version_or_404(db, case, number)
    try:
        version = case_store.approve(db, case, number, user)
    except case_store.Locked as locked:
        return JSONResponse(
            {"detail": str(locked)[0].upper() + str(locked)[1:] + "."}, status_code=409
        )
    return version_out(case, version)


@router.post(
    "/cases/{case_id}/shares",
    response_model=CaseOut,
    responses={**NOT_FOUND, **FORBIDDEN, **UNPROCESSABLE},
)
def share(
    case_id: ItemId, body: ShareIn, db: Db, user: Annotated[User, Depends(writing_user)]
) -> CaseOut:
    """Let another organisation read the case (admins of the case's organisation)."""
    case = own_case(db, user, case_id)
    ensure_admin(user)
    organisation = user_store.organisation(db, body.organisation)
    case_store.share(db, case, organisation, user)
    return case_out(case, user)


@router.delete(
    "/cases/{case_id}/shares/{organisation}",
    response_model=CaseOut,
    responses={**NOT_FOUND, **FORBIDDEN, **UNPROCESSABLE},
)
def unshare(
    case_id: ItemId, organisation: str, db: Db, user: Annotated[User, Depends(writing_user)]
) -> CaseOut:
    case = own_case(db, user, case_id)
    ensure_admin(user)
    found = user_store.organisation(db, organisation)
    case_store.unshare(db, case, found, user)
    return case_out(case, user)


@router.get("/cases/{case_id}/audit", response_model=list[AuditOut], responses=NOT_FOUND)
def case_audit(case_id: ItemId, db: Db, user: Reader) -> list[AuditOut]:
    """Who saved, approved and shared the case, newest first (its own organisation only)."""
    case = own_case(db, user, case_id)
    names = {u.id: u.username for u in user_store.members(db, case.organisation_id)}
    return [
        AuditOut(
            at=e.at,
            action=e.action,
            user=names.get(e.user_id) if e.user_id else None,
            case_id=e.case_id,
            detail=e.detail,
        )
        for e in audit.events(db, case_id=case.id)
    ]
