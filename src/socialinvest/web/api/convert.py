"""Store rows as API bodies."""

from __future__ import annotations

from socialinvest.store.models import ApiToken, Case, CaseVersion, Job, User
from socialinvest.web.api.schemas import (
    CaseOut,
    JobOut,
    TokenOut,
    UserOut,
    VersionDetail,
    VersionOut,
)


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        organisation=user.organisation.name,
    )


def case_out(case: Case, user: User) -> CaseOut:
    return CaseOut(
        id=case.id,
        name=case.name,
        status=case.status,
        head=case.head,
        organisation=case.organisation.name,
        owner=case.owner.username,
        tags=case.tag_names,
        shared_with=sorted(s.organisation.name for s in case.shares),
        created_at=case.created_at,
        updated_at=case.updated_at,
        editable=user.can_edit and case.organisation_id == user.organisation_id,
    )


def version_out(case: Case, version: CaseVersion) -> VersionOut:
    return VersionOut(
        number=version.number,
        parent=version.parent,
        author=version.author.username,
        created_at=version.created_at,
        message=version.message,
        digest=version.digest,
        conflict=version.conflict,
        current=version.number == case.head,
        approved=version.approved,
        approved_by=version.approved_by.username if version.approved_by else None,
        approved_at=version.approved_at,
    )


def version_detail(case: Case, version: CaseVersion) -> VersionDetail:
    return VersionDetail(**version_out(case, version).model_dump(), text=version.text)


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        message=job.message,
        case_id=job.case_id,
        version=job.version_number,
        created_at=job.created_at,
        finished_at=job.finished_at,
        result_url=f"/api/v1/jobs/{job.id}/result" if job.status == "done" else None,
    )


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scope=token.scope,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked=token.revoked_at is not None,
    )
