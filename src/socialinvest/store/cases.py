"""Cases and their versions: save (compare-and-set), history, differences, restore, approval
(four eyes), tags, search and read-only shares with other organisations.

Every save is a new immutable :class:`CaseVersion`. A save names the version it started from
(``base``); it becomes the case's current version only when that is still the current one
(``UPDATE cases SET head = new WHERE head = base``). Otherwise the text is kept anyway, as a
version marked ``conflict``, and :class:`Conflict` is raised after the commit: nothing is ever
overwritten, and the user can compare both versions and restore the one to keep. The version
number comes from a unique constraint, so two saves at the same moment on SQLite or PostgreSQL
cannot both take it; the loser retries with the next number and then meets the conflict.

This module stores text; it does not validate cases (the caller does, with
``socialinvest.service``).
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from socialinvest.errors import InputError, field_path
from socialinvest.store import audit
from socialinvest.store.models import (
    Case,
    CaseShare,
    CaseStatus,
    CaseTag,
    CaseVersion,
    Organisation,
    User,
    now,
)

MAX_TAGS = 20
_SAVE_ATTEMPTS = 8


class Conflict(Exception):
    """A save that started from a version which was no longer the current one."""

    def __init__(self, case: Case, mine: CaseVersion, theirs: CaseVersion) -> None:
        self.case = case
        self.mine = mine
        self.theirs = theirs
        super().__init__(
            f"case {case.name!r} was saved by {theirs.author.display_name} as version "
            f"{theirs.number} while you edited version {mine.parent}; your text is kept as "
            f"version {mine.number}, which is not the current version: compare the two and "
            "restore the one to keep"
        )


class Locked(Exception):
    """A change that an approval forbids, or an approval that four eyes forbid."""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_tags(tags: list[str] | tuple[str, ...]) -> list[str]:
    """Tags trimmed, lower-cased, unique, in order; too many or too long is an InputError."""
    seen: list[str] = []
    for tag in tags:
        cleaned = " ".join(tag.split()).lower()
        if not cleaned:
            continue
        if len(cleaned) > 60:
            raise InputError("tags of at most 60 characters", field="tags", value=tag)
        if cleaned not in seen:
            seen.append(cleaned)
    if len(seen) > MAX_TAGS:
        raise InputError(f"at most {MAX_TAGS} tags", field="tags", value=seen)
    return seen


def create_case(
    db: Session,
    user: User,
    name: str,
    text: str,
    message: str = "",
    *,
    tags: list[str] | tuple[str, ...] = (),
) -> Case:
    """A new case of ``user``'s organisation with ``text`` as version 1 (committed)."""
    case = Case(
        organisation_id=user.organisation_id,
        owner_id=user.id,
        name=_name(name),
        head=1,
        status=CaseStatus.draft.value,
    )
    case.tags = [CaseTag(tag=t) for t in clean_tags(tags)]
    db.add(case)
    db.flush()
    db.add(
        CaseVersion(
            case_id=case.id,
            number=1,
            parent=None,
            author_id=user.id,
            message=message.strip(),
            text=text,
            digest=digest(text),
        )
    )
    audit.record(db, "case.create", user=user, case_id=case.id, version=1, name=case.name)
    db.commit()
    return case


def _name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InputError("a non-empty name", field="name", value=name)
    return cleaned[:300]


def save_version(
    db: Session,
    case: Case,
    user: User,
    text: str,
    message: str = "",
    *,
    base: int,
    name: str | None = None,
) -> CaseVersion:
    """Save ``text`` as a new version of ``case`` started from version ``base`` (committed).

    Returns the new current version, or raises :class:`Conflict` (after committing ``text`` as
    a kept, non-current version) when another save made a different version current first.
    """
    case_id = case.id
    new_name = _name(name) if name is not None else None
    for attempt in range(_SAVE_ATTEMPTS):
        try:
            number = (
                db.scalar(
                    select(func.coalesce(func.max(CaseVersion.number), 0)).where(
                        CaseVersion.case_id == case_id
                    )
                )
                or 0
            ) + 1
            version = CaseVersion(
                case_id=case_id,
                number=number,
                parent=base,
                author_id=user.id,
                message=message.strip(),
                text=text,
                digest=digest(text),
            )
            db.add(version)
            db.flush()
            values: dict[str, Any] = {
                "head": number,
                "updated_at": now(),
                "status": CaseStatus.draft.value,
            }
            if new_name is not None:
                values["name"] = new_name
            moved = db.execute(
                update(Case)
                .where(Case.id == case_id, Case.head == base)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            won = moved.rowcount == 1  # type: ignore[attr-defined]
            if not won:
                version.conflict = True
            audit.record(
                db,
                "case.conflict" if not won else "case.save",
                user=user,
                organisation_id=case.organisation_id,
                case_id=case_id,
                version=number,
                base=base,
            )
            db.commit()
        except (IntegrityError, OperationalError) as exc:
            db.rollback()
            if isinstance(exc, OperationalError) and not _busy(exc):
                raise
            if attempt == _SAVE_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
            continue
        db.refresh(case)
        if won:
            return version
        theirs = get_version(db, case, case.head)
        raise Conflict(case, version, theirs)
    raise AssertionError("unreachable")


def _busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text


def get_version(db: Session, case: Case, number: int) -> CaseVersion:
    version = db.scalar(
        select(CaseVersion).where(CaseVersion.case_id == case.id, CaseVersion.number == number)
    )
    if version is None:
        raise LookupError(f"case {case.id} has no version {number}")
    return version


def current(db: Session, case: Case) -> CaseVersion:
    return get_version(db, case, case.head)


def history(db: Session, case: Case) -> list[CaseVersion]:
    """Every version of ``case``, newest first."""
    return list(
        db.scalars(
            select(CaseVersion)
            .where(CaseVersion.case_id == case.id)
            .order_by(CaseVersion.number.desc())
        )
    )


def restore(db: Session, case: Case, user: User, number: int) -> CaseVersion:
    """Version ``number``'s text saved again as a new current version (committed)."""
    old = get_version(db, case, number)
    return save_version(db, case, user, old.text, f"restored version {number}", base=case.head)


def approve(db: Session, case: Case, number: int, reviewer: User) -> CaseVersion:
    """Approve version ``number`` (four eyes: the reviewer is not its author); it stays locked."""
    version = get_version(db, case, number)
    if version.author_id == reviewer.id:
        raise Locked("a version cannot be approved by its own author (four eyes)")
    if version.conflict:
        raise Locked("a version kept from a conflicting save cannot be approved; restore it first")
    if version.approved:
        raise Locked(f"version {number} is already approved")
    version.approved_by_id = reviewer.id
    version.approved_at = now()
    if case.head == number:
        case.status = CaseStatus.approved.value
    audit.record(
        db,
        "case.approve",
        user=reviewer,
        organisation_id=case.organisation_id,
        case_id=case.id,
        version=number,
    )
    db.commit()
    return version


def set_tags(db: Session, case: Case, user: User, tags: list[str] | tuple[str, ...]) -> None:
    cleaned = clean_tags(tags)
    case.tags = [CaseTag(tag=t) for t in cleaned]
    audit.record(
        db,
        "case.tags",
        user=user,
        organisation_id=case.organisation_id,
        case_id=case.id,
        tags=cleaned,
    )
    db.commit()


def set_archived(db: Session, case: Case, user: User, archived: bool) -> None:
    if archived:
        case.status = CaseStatus.archived.value
    else:
        head = current(db, case)
        case.status = (CaseStatus.approved if head.approved else CaseStatus.draft).value
    audit.record(
        db,
        "case.archive" if archived else "case.unarchive",
        user=user,
        organisation_id=case.organisation_id,
        case_id=case.id,
    )
    db.commit()


def share(db: Session, case: Case, organisation: Organisation, user: User) -> CaseShare:
    """Let ``organisation`` read ``case`` (committed); sharing twice changes nothing."""
    if organisation.id == case.organisation_id:
        raise InputError(
            "another organisation than the case's own",
            field="organisation",
            value=organisation.name,
        )
    for existing in case.shares:
        if existing.organisation_id == organisation.id:
            return existing
    granted = CaseShare(case_id=case.id, organisation_id=organisation.id, shared_by_id=user.id)
    case.shares.append(granted)
    audit.record(
        db,
        "case.share",
        user=user,
        organisation_id=case.organisation_id,
        case_id=case.id,
        organisation=organisation.name,
    )
    db.commit()
    return granted


def unshare(db: Session, case: Case, organisation: Organisation, user: User) -> None:
    case.shares = [s for s in case.shares if s.organisation_id != organisation.id]
    audit.record(
        db,
        "case.unshare",
        user=user,
        organisation_id=case.organisation_id,
        case_id=case.id,
        organisation=organisation.name,
    )
    db.commit()


def visible_to(user: User) -> ColumnElement[bool]:
    """Cases ``user`` may read: their organisation's and those shared with it."""
    shared = exists().where(
        CaseShare.case_id == Case.id, CaseShare.organisation_id == user.organisation_id
    )
    return or_(Case.organisation_id == user.organisation_id, shared)


def readable(db: Session, user: User, case_id: int) -> Case | None:
    """The case if ``user`` may read it, else None (callers answer 404 either way)."""
    return db.scalar(select(Case).where(Case.id == case_id, visible_to(user)))


def may_edit(user: User, case: Case) -> bool:
    return user.can_edit and case.organisation_id == user.organisation_id


def search(
    db: Session,
    user: User,
    *,
    text: str | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    tag: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Case]:
    """Cases ``user`` may read, newest change first, filtered by words in the name or tags,
    status, owner and tag."""
    query = select(Case).where(visible_to(user))
    if text:
        for word in text.split()[:10]:
            pattern = f"%{_escape_like(word.lower())}%"
            tagged = exists().where(
                CaseTag.case_id == Case.id, CaseTag.tag.like(pattern, escape="\\")
            )
            query = query.where(or_(func.lower(Case.name).like(pattern, escape="\\"), tagged))
    if status:
        query = (
            query.where(Case.status == status)
            if status in set(CaseStatus)
            else query.where(false())
        )
    if owner_id is not None:
        query = query.where(Case.owner_id == owner_id)
    if tag:
        cleaned = " ".join(tag.split()).lower()
        query = query.where(exists().where(CaseTag.case_id == Case.id, CaseTag.tag == cleaned))
    query = query.order_by(Case.updated_at.desc(), Case.id.desc()).limit(limit).offset(offset)
    return list(db.scalars(query))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two versions (on the parsed data)."""

    path: str  # as users write it: consequences[0].ref
    kind: str  # "added", "removed" or "changed"
    old: Any = None
    new: Any = None


def diff_texts(old_text: str, new_text: str) -> list[FieldChange]:
    """Field-by-field differences between two case texts, in the order of the fields."""
    return diff_data(_parse(old_text), _parse(new_text))


def diff(old: CaseVersion, new: CaseVersion) -> list[FieldChange]:
    return diff_texts(old.text, new.text)


def _parse(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return {"(text)": text}


def diff_data(old: Any, new: Any, path: tuple[str | int, ...] = ()) -> list[FieldChange]:
    shown = field_path(path) if path else "(case)"
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = (*path, str(key))
            if key not in new:
                changes.append(FieldChange(field_path(sub), "removed", old=old[key]))
            elif key not in old:
                changes.append(FieldChange(field_path(sub), "added", new=new[key]))
            else:
                changes.extend(diff_data(old[key], new[key], sub))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            sub = (*path, index)
            if index >= len(new):
                changes.append(FieldChange(field_path(sub), "removed", old=old[index]))
            elif index >= len(old):
                changes.append(FieldChange(field_path(sub), "added", new=new[index]))
            else:
                changes.extend(diff_data(old[index], new[index], sub))
        return changes
    if old == new and type(old) is type(new):
        return []
    return [FieldChange(shown, "changed", old=old, new=new)]
