"""The API's request and response bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_CASE_TEXT = 1_000_000


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


#: A time in UTC (the database keeps UTC without a zone; the API says so: ...+00:00).
Time = Annotated[datetime, AfterValidator(_utc)]


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    organisation: str


class OrganisationOut(BaseModel):
    id: int
    name: str


class CaseOut(BaseModel):
    id: int
    name: str
    status: str
    head: int = Field(description="The number of the current version.")
    organisation: str
    owner: str
    tags: list[str]
    shared_with: list[str]
    created_at: Time
    updated_at: Time
    editable: bool = Field(description="Whether the asking user may save versions of it.")


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_CASE_TEXT, description="The case file (YAML or JSON).")
    file_name: str = Field(
        "case.yaml",
        max_length=200,
        description="Its name (a name ending in .json is read as JSON).",
    )
    message: str = Field("", max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=20)


class CasePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[str] | None = Field(None, max_length=20)
    archived: bool | None = None


class VersionOut(BaseModel):
    number: int
    parent: int | None
    author: str
    created_at: Time
    message: str
    digest: str
    conflict: bool = Field(description="Kept from a save that met another save; not current.")
    current: bool
    approved: bool
    approved_by: str | None
    approved_at: Time | None


class VersionDetail(VersionOut):
    text: str


class VersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_CASE_TEXT)
    base: int = Field(ge=1, le=2**31 - 1, description="The version the text was edited from.")
    message: str = Field("", max_length=2000)
    file_name: str = Field("case.yaml", max_length=200)


class ConflictOut(BaseModel):
    detail: str
    mine: int = Field(description="Your text, kept as this version (not current).")
    theirs: int = Field(description="The current version, saved by someone else.")


class FieldChangeOut(BaseModel):
    path: str
    kind: Literal["added", "removed", "changed"]
    old: Any = None
    new: Any = None


class DiffOut(BaseModel):
    from_version: int
    to_version: int
    changes: list[FieldChangeOut]


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(min_length=1, max_length=200)


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, le=2**31 - 1, description="Default: the current.")
    draws: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Default: 1 for a run; for a contract the service's Monte Carlo default.",
    )
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


class SensitivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, le=2**31 - 1)
    inputs: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="PATH or PATH=LOW:HIGH, as socialinvest sensitivity --input.",
    )
    thresholds: list[str] = Field(default_factory=list, max_length=50)


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1, le=2**31 - 1)
    format: Literal["html", "pdf", "xlsx"] = "html"
    lang: Literal["da", "en"] = "da"
    draws: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Default: the service's (Monte Carlo whenever the case is uncertain).",
    )
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


class CompareItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: int = Field(ge=1, le=2**31 - 1)
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    label: str | None = Field(None, max_length=200)


class CompareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alternatives: list[CompareItem] = Field(min_length=2, max_length=6)
    name: str | None = Field(None, max_length=200)
    draws: int = Field(1, ge=1, le=1_000_000)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    with_do_nothing: bool = False


class JobOut(BaseModel):
    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    progress: float = Field(description="Share done, 0 to 1.")
    message: str = Field(description="Why it failed, in one sentence (else empty).")
    case_id: int | None
    version: int | None
    created_at: Time
    finished_at: Time | None
    result_url: str | None = Field(description="Where the result is, once done.")


class WorkOut(BaseModel):
    """A run or analysis: its result when it was quick or cached, else the job doing it."""

    status: Literal["done", "job"]
    result: dict[str, Any] | None = None
    job: JobOut | None = None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scope: Literal["read", "write"] = "read"


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: Time
    last_used_at: Time | None
    revoked: bool


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself; shown only this once.")


class KnowledgeItem(BaseModel):
    id: str
    kind: str
    label: dict[str, str]
    unit: str | None = None
    area: str | None = None


class AuditOut(BaseModel):
    at: Time
    action: str
    user: str | None
    case_id: int | None
    detail: dict[str, Any]
