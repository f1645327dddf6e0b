"""The tables of the case library.

A case belongs to one organisation; its content lives only in immutable :class:`CaseVersion`
rows (YAML text, its SHA-256, author, time, message). ``Case.head`` is the number of the current
version; saving compares-and-sets it, so two people saving at once cannot overwrite each other
(see :mod:`socialinvest.store.cases`). Passwords, session ids and API tokens are stored only as
hashes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def now() -> datetime:
    """The current time in UTC (stored without a time zone, read back as UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class Role(StrEnum):
    """What a user may do in their organisation."""

    admin = "admin"  # everything, including users and shares
    analyst = "analyst"  # create and edit cases, run analyses
    reviewer = "reviewer"  # approve versions (four eyes), read everything of the organisation
    viewer = "viewer"  # read only


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.viewer.value)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")

    @property
    def can_edit(self) -> bool:
        return self.role in (Role.admin, Role.analyst)

    @property
    def can_approve(self) -> bool:
        return self.role in (Role.admin, Role.reviewer)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class CaseStatus(StrEnum):
    draft = "draft"  # the current version is not approved
    approved = "approved"  # the current version is approved and locked
    archived = "archived"


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.draft.value, index=True)
    head: Mapped[int] = mapped_column(Integer, default=0)  # the current version's number
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(lazy="joined")
    tags: Mapped[list[CaseTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CaseTag.tag"
    )
    shares: Mapped[list[CaseShare]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class CaseVersion(Base):
    """One saved state of a case; never changed after it is written (approval aside)."""

    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    parent: Mapped[int | None] = mapped_column(Integer)  # the version the author started from
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    message: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)  # the case file (YAML)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the text (UTF-8)
    # Saved while someone else's save made another version current: kept, not current.
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id], lazy="joined")

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class CaseTag(Base):
    __tablename__ = "case_tags"
    __table_args__ = (UniqueConstraint("case_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(60), index=True)


class CaseShare(Base):
    """Read-only access to a case for another organisation."""

    __tablename__ = "case_shares"
    __table_args__ = (UniqueConstraint("case_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ApiToken(Base):
    """A personal API token; only a keyed hash of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it
    scope: Mapped[str] = mapped_column(String(10))  # "read" or "write"
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class WebSession(Base):
    """A login session; the cookie holds a random id, the table only its keyed hash."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(5), default="da")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    """Failed logins, for throttling (the user name is stored as a keyed hash)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)


class AuditEvent(Base):
    """Who did what when: logins, saves, approvals, shares, tokens, users."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"  # the input was wrong (message says why) or the run broke
    cancelled = "cancelled"
    interrupted = "interrupted"  # the server stopped while it ran; can be retried


class Job(Base):
    """A long run (many draws, a contract, a report) done in a worker process."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_heartbeat", "status", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    version_number: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cache_key: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.queued.value)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    runner: Mapped[str] = mapped_column(String(64), default="")  # the server instance running it


class CachedResult(Base):
    """A finished computation, keyed by what determines it (see ``store.jobs.cache_key``)."""

    __tablename__ = "cached_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
