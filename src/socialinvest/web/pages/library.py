"""The case library: list and search, import, history, differences, restore, approve, share."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from socialinvest.errors import InputError
from socialinvest.output.messages import text
from socialinvest.store import cases as case_store
from socialinvest.store import users as user_store
from socialinvest.store.models import User
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
from socialinvest.web.pages.common import lang_of, see_other, version_of
from socialinvest.web.steps.errors import explain
from socialinvest.web.steps.fields import format_cell
from socialinvest.web.templating import render

router = APIRouter()

MAX_UPLOAD = 1_000_000  # bytes of a case file


def examples() -> list[tuple[str, str]]:
    """(file name, case name) of every bundled example."""
    from socialinvest.web.demo import example_files

    found = []
    for path in example_files():
        name = path.name
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("name:"):
                name = line.removeprefix("name:").strip().strip("'\"")
                break
        found.append(
            (
                path.relative_to(
                    path.parents[1] if path.parent.name == "contracts" else path.parent
                ).as_posix(),
                name,
            )
        )
    return found


def example_text(key: str) -> str:
    from socialinvest.web.demo import example_files

    for path in example_files():
        rel = path.relative_to(path.parents[1] if path.parent.name == "contracts" else path.parent)
        if rel.as_posix() == key:
            return path.read_text(encoding="utf-8")
    raise HTTPException(status_code=404, detail="No such example.")


def _library(
    request: Request,
    db: Session,
    user: User,
    q: str = "",
    status: str = "",
    tag: str = "",
    owner: str = "",
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    owner_id = int(owner) if owner.isdigit() else None
    found = case_store.search(
        db, user, text=q or None, status=status or None, owner_id=owner_id, tag=tag or None
    )
    owners = {c.owner.id: c.owner for c in case_store.search(db, user)}
    tags = sorted({t for c in case_store.search(db, user) for t in c.tag_names})
    context: dict[str, Any] = {
        "cases": found,
        "q": q,
        "status": status,
        "tag": tag,
        "owner": owner,
        "owners": sorted(owners.values(), key=lambda u: u.display_name.lower()),
        "tags": tags,
        "examples": examples(),
        "may_edit": user.can_edit,
    }
    context.update(extra or {})
    return render(request, "library.html", context, status_code=status_code)


@router.get("/cases", response_class=HTMLResponse)
def library(
    request: Request,
    q: str = "",
    status: str = "",
    tag: str = "",
    owner: str = "",
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    return _library(request, db, user, q, status, tag, owner)


@router.post("/cases/import", response_class=HTMLResponse)
async def import_case(
    request: Request,
    file: UploadFile = File(...),
    message: str = Form(""),
    db: Session = Depends(get_db),
    user: User = Depends(require_editor),
) -> Response:
    """A YAML or JSON case file as a new case (version 1), after the CLI's validation."""
    from socialinvest import service

    lang = lang_of(request)
    content = await file.read(MAX_UPLOAD + 1)
    name = file.filename or "case.yaml"
    try:
        if len(content) > MAX_UPLOAD:
            raise InputError(
                f"a case file of at most {MAX_UPLOAD:,} bytes", file=name, has_value=False
            )
        loaded = service.validate(service.load_text(content, name))
        text_ = content.decode("utf-8-sig")
    except InputError as error:
        return _library(
            request,
            db,
            user,
            extra={"import_error": explain(error, lang).message},
            status_code=422,
        )
    case = case_store.create_case(
        db, user, loaded.case.name, text_, message or text(lang, "ui_msg_imported", file=name)
    )
    return see_other(f"/cases/{case.id}")


@router.get("/cases/{case_id}/history", response_class=HTMLResponse)
def history(
    request: Request,
    case_id: ItemId,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    case = readable_case(db, user, case_id)
    return _history(request, db, user, case_id, case)


def _history(
    request: Request,
    db: Session,
    user: User,
    case_id: ItemId,
    case: Any,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    own = case.organisation_id == user.organisation_id
    shared_with = [s.organisation for s in case.shares] if own else []
    others = (
        [
            o
            for o in user_store.organisations(db)
            if o.id != case.organisation_id and o not in shared_with
        ]
        if own
        else []
    )
    context = {
        "case": case,
        "versions": case_store.history(db, case),
        "may_edit": own and user.can_edit,
        "may_approve": own and user.can_approve,
        "may_share": own and user.is_admin,
        "own": own,
        "shared_with": shared_with,
        "others": others,
        "error": error,
    }
    return render(request, "history.html", context, status_code=status_code)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        import yaml

        return (
            format_cell(value)
            if isinstance(value, dict)
            else yaml.safe_dump(
                value, default_flow_style=True, allow_unicode=True, width=10_000
            ).strip()
        )
    return str(value)


@router.get("/cases/{case_id}/diff", response_class=HTMLResponse)
def difference(
    request: Request,
    case_id: ItemId,
    a: int,
    b: int,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """Field-by-field differences between versions ``a`` and ``b``."""
    case = readable_case(db, user, case_id)
    old, new = version_of(db, case, a), version_of(db, case, b)
    changes = [
        {"path": c.path, "kind": c.kind, "old": _shown(c.old), "new": _shown(c.new)}
        for c in case_store.diff(old, new)
    ]
    return render(request, "diff.html", {"case": case, "old": old, "new": new, "changes": changes})


@router.post("/cases/{case_id}/restore")
def restore(
    case_id: ItemId,
    number: int = Form(...),
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    case = editable_case(db, user, case_id)
    version_of(db, case, number)
    case_store.restore(db, case, user, number)
    return see_other(f"/cases/{case_id}")


_LOCKED = {
    "own author": "ui_locked_own",
    "conflicting save": "ui_locked_conflict",
    "already approved": "ui_locked_done",
}


@router.post("/cases/{case_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request,
    case_id: ItemId,
    number: int = Form(...),
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """Approve a version (four eyes: not by its author); an approved version is locked."""
    case = own_case(db, user, case_id)
    ensure_reviewer(user)
    version_of(db, case, number)
    try:
        case_store.approve(db, case, number, user)
    except case_store.Locked as locked:
        reason = str(locked)
        key = next((k for part, k in _LOCKED.items() if part in reason), None)
        message = text(lang_of(request), key) if key else reason
        return _history(request, db, user, case_id, case, error=message, status_code=409)
    return see_other(f"/cases/{case_id}/history")


@router.post("/cases/{case_id}/share")
def share(
    case_id: ItemId,
    organisation: str = Form(...),
    action: str = Form("share"),
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """Share the case read-only with another organisation (or stop sharing it): admins."""
    case = own_case(db, user, case_id)
    ensure_admin(user)
    try:
        org = user_store.organisation(db, organisation)
    except (InputError, LookupError):
        raise HTTPException(status_code=404, detail="No such organisation.") from None
    if action == "unshare":
        case_store.unshare(db, case, org, user)
    else:
        case_store.share(db, case, org, user)
    return see_other(f"/cases/{case_id}/history")


@router.post("/cases/{case_id}/tags")
def tags(
    case_id: ItemId,
    tags: str = Form(""),
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    case = editable_case(db, user, case_id)
    case_store.set_tags(db, case, user, [t for t in tags.split(",") if t.strip()])
    return see_other(f"/cases/{case_id}")


@router.post("/cases/{case_id}/archive")
def archive(
    case_id: ItemId,
    action: str = Form("archive"),
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """Archive the case (it stays readable and can be taken back) or take it back."""
    case = editable_case(db, user, case_id)
    case_store.set_archived(db, case, user, action != "unarchive")
    return see_other(f"/cases/{case_id}/history")
