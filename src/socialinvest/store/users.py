"""Organisations and users. Passwords arrive here already hashed (``web.security``)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialinvest.errors import InputError, msg
from socialinvest.store import audit
from socialinvest.store.models import Organisation, Role, User

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")


def organisation(db: Session, name: str, *, create: bool = False) -> Organisation:
    """The organisation called ``name`` (created when missing and ``create``)."""
    name = name.strip()
    found = db.scalar(select(Organisation).where(Organisation.name == name))
    if found is not None:
        return found
    if not create:
        raise InputError(msg("cc_e_existing_org"), field="organisation", value=name)
    if not name or len(name) > 200:
        raise InputError(msg("cc_e_org_name"), field="organisation", value=name)
    found = Organisation(name=name)
    db.add(found)
    db.flush()
    return found


def organisations(db: Session) -> list[Organisation]:
    return list(db.scalars(select(Organisation).order_by(Organisation.name)))


def check_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise InputError(
            msg("cc_e_username_form"),
            field="username",
            value=username,
        )
    return username


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(
            msg("cc_e_one_of", choices=", ".join(r.value for r in Role)), field="role", value=role
        ) from None


def create_user(
    db: Session,
    organisation: Organisation,
    username: str,
    password_hash: str,
    *,
    role: str = Role.analyst.value,
    full_name: str = "",
    by: User | None = None,
) -> User:
    """A new user; a taken user name is an :class:`InputError`."""
    check_username(username)
    checked = check_role(role)
    if by_username(db, username) is not None:
        raise InputError(msg("cc_e_username_free"), field="username", value=username)
    user = User(
        organisation_id=organisation.id,
        username=username,
        full_name=full_name.strip()[:200],
        role=checked.value,
        password_hash=password_hash,
    )
    db.add(user)
    db.flush()
    audit.record(
        db,
        "user.create",
        user=by,
        organisation_id=organisation.id,
        username=username,
        role=checked.value,
    )
    return user


def by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.username) == username.lower()))


def get(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def members(db: Session, organisation_id: int) -> list[User]:
    return list(
        db.scalars(
            select(User).where(User.organisation_id == organisation_id).order_by(User.username)
        )
    )


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0
