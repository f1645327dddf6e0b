"""Consequence profiles: how use of public services changes in the years after a success, where
such a profile is published. One YAML file per profile under ``knowledge/profiles``.

A profile lists items (a service, the knowledge-base entry that prices it, and the change per
success: per year where published, otherwise only the published total over the horizon), each
with its own status and reference. Nothing here is invented: where no profile is published, there
is none, and a case states its own consequences (as assumptions). See docs/knowledge-base.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from socialinvest.errors import KnowledgeBaseError
from socialinvest.knowledge.schema import Reference, Text
from socialinvest.source import read_document
from socialinvest.vocabulary import ActivityUnit, Area, Status

PROFILES_DIR = Path(__file__).parent / "profiles"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProfileItem(_Strict):
    label: Text
    ref: str | None = Field(default=None, description="The knowledge-base entry that prices it.")
    area: Area
    unit: ActivityUnit | None = None
    per_year: list[float] | None = Field(
        default=None, description="Change per success in year 1, 2, ... (where published)."
    )
    total: float | None = Field(default=None, description="Published total over the horizon.")
    status: Status
    reference: Reference

    @model_validator(mode="after")
    def _some_amount(self) -> ProfileItem:
        if self.per_year is None and self.total is None:
            raise ValueError("an item needs per_year or total")
        return self


class Profile(_Strict):
    label: Text
    target_group: Text
    success: Text
    horizon_years: int = Field(ge=1, le=100)
    items: list[ProfileItem] = Field(min_length=1)
    description: Text | None = None


class ProfileLibrary:
    def __init__(self, root: Path | str = PROFILES_DIR) -> None:
        self.root = Path(root)

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.yaml"))

    def profile(self, profile_id: str) -> Profile:
        path = self.root / f"{profile_id}.yaml"
        if not path.is_file():
            raise KeyError(profile_id)
        document = read_document(path)
        try:
            return Profile.model_validate(document.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            field = ".".join(str(p) for p in loc) or "(profile)"
            raise KnowledgeBaseError(
                f"{path}, line {document.line_of(loc)}: consequence profile '{profile_id}' is "
                f"invalid at '{field}': {first['msg']}"
            ) from None

    def validate_all(self) -> list[str]:
        ids = self.ids()
        for profile_id in ids:
            self.profile(profile_id)
        return ids


@cache
def default_profile_library() -> ProfileLibrary:
    return ProfileLibrary()
