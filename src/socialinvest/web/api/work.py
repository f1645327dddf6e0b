"""Runs, analyses and reports of case versions, and the jobs that do the long ones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from socialinvest.store.models import Case, CaseVersion, JobStatus, User
from socialinvest.web import jobs
from socialinvest.web.api.cases import NOT_FOUND, version_or_404
from socialinvest.web.api.convert import job_out
from socialinvest.web.api.errors import UNPROCESSABLE, MessageOut
from socialinvest.web.api.schemas import (
    CompareIn,
    JobOut,
    ReportIn,
    RunIn,
    SensitivityIn,
    WorkOut,
)
from socialinvest.web.deps import ItemId, current_user, get_db, readable_case, settings_of

router = APIRouter(tags=["runs and analyses"])
Db = Annotated[Session, Depends(get_db)]
Reader = Annotated[User, Depends(current_user)]
WORK_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    **UNPROCESSABLE,
    202: {"model": WorkOut, "description": "Long work: follow the job."},
}


def _pick(db: Session, user: User, case_id: ItemId, number: int | None) -> tuple[Case, CaseVersion]:
    case = readable_case(db, user, case_id)
    return case, version_or_404(db, case, number if number is not None else case.head)


def _answer(
    request: Request,
    db: Session,
    user: User,
    kind: str,
    versions: list[tuple[Case, CaseVersion, str | None]],
    params: dict[str, Any],
) -> Any:
    answer = jobs.run_or_submit(
        db, request.app.state.jobs, user, kind, versions, params, settings_of(request)
    )
    if answer.job is not None:
        return JSONResponse(
            WorkOut(status="job", job=job_out(answer.job)).model_dump(mode="json"),
            status_code=202,
        )
    return WorkOut(status="done", result=answer.json())


@router.post("/cases/{case_id}/runs", response_model=WorkOut, responses=WORK_RESPONSES)
def run(case_id: ItemId, body: RunIn, request: Request, db: Db, user: Reader) -> Any:
    """Appraise a version (default: the current one): the same JSON as
    ``socialinvest run CASE --format json [--draws N --seed S]``. Quick runs and cached results
    answer at once (200); long runs answer 202 with a job."""
    case, version = _pick(db, user, case_id, body.version)
    return _answer(
        request, db, user, "run", [(case, version, None)], {"draws": body.draws, "seed": body.seed}
    )


@router.post("/cases/{case_id}/sensitivity", response_model=WorkOut, responses=WORK_RESPONSES)
def sensitivity(
    case_id: ItemId, body: SensitivityIn, request: Request, db: Db, user: Reader
) -> Any:
    """One-way sensitivity (tornado) and threshold values, as ``socialinvest sensitivity``."""
    case, version = _pick(db, user, case_id, body.version)
    return _answer(
        request,
        db,
        user,
        "sensitivity",
        [(case, version, None)],
        {"inputs": body.inputs, "thresholds": body.thresholds},
    )


@router.post("/cases/{case_id}/contract", response_model=WorkOut, responses=WORK_RESPONSES)
def contract(case_id: ItemId, body: RunIn, request: Request, db: Db, user: Reader) -> Any:
    """The outcome contract's results per party, as ``socialinvest contract --format json``."""
    case, version = _pick(db, user, case_id, body.version)
    return _answer(
        request,
        db,
        user,
        "contract",
        [(case, version, None)],
        {"draws": body.draws, "seed": body.seed},
    )


@router.post("/compare", response_model=WorkOut, responses=WORK_RESPONSES)
def compare(body: CompareIn, request: Request, db: Db, user: Reader) -> Any:
    """Compare 2–6 case versions, as ``socialinvest compare --format json``."""
    versions = []
    for item in body.alternatives:
        case, version = _pick(db, user, item.case_id, item.version)
        versions.append((case, version, item.label))
    return _answer(
        request,
        db,
        user,
        "compare",
        versions,
        {
            "draws": body.draws,
            "seed": body.seed,
            "name": body.name,
            "with_do_nothing": body.with_do_nothing,
        },
    )


@router.post(
    "/cases/{case_id}/reports",
    response_model=JobOut,
    status_code=202,
    responses={**NOT_FOUND, **UNPROCESSABLE},
)
def report(case_id: ItemId, body: ReportIn, request: Request, db: Db, user: Reader) -> Any:
    """Make a report (HTML, PDF or XLSX) as a job; fetch it from the job's ``result_url``."""
    case, version = _pick(db, user, case_id, body.version)
    answer = jobs.run_or_submit(
        db,
        request.app.state.jobs,
        user,
        "report",
        [(case, version, None)],
        {"format": body.format, "lang": body.lang, "draws": body.draws, "seed": body.seed},
        settings_of(request),
    )
    if answer.job is None:  # cached, or no job runner: a finished job row says where it is
        job = jobs.finished_job(db, user, "report", case, version, answer)
        return job_out(job)
    return job_out(answer.job)


def _job(db: Session, user: User, job_id: ItemId) -> Any:
    job = jobs.visible_job(db, user, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="No such job.")
    return job


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
def job_status(job_id: ItemId, db: Db, user: Reader) -> JobOut:
    """A job's status and progress."""
    return job_out(_job(db, user, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=NOT_FOUND)
def cancel_job(job_id: ItemId, db: Db, user: Reader) -> JobOut:
    """Stop a queued or running job."""
    return job_out(jobs.cancel(db, _job(db, user, job_id)))


@router.post(
    "/jobs/{job_id}/retry",
    response_model=JobOut,
    status_code=202,
    responses={**NOT_FOUND, 409: {"model": MessageOut}},
)
def retry_job(job_id: ItemId, request: Request, db: Db, user: Reader) -> Any:
    """Run an interrupted, failed or cancelled job again."""
    job = _job(db, user, job_id)
    if job.status not in (JobStatus.interrupted, JobStatus.failed, JobStatus.cancelled):
        return JSONResponse(
            {"detail": f"The job is {job.status}; only a stopped job can be retried."},
            status_code=409,
        )
    if request.app.state.jobs is None:
        raise HTTPException(status_code=503, detail="Jobs are not running on this server.")
    return job_out(jobs.retry(db, request.app.state.jobs, user, job))


@router.get(
    "/jobs/{job_id}/result",
    responses={
        **NOT_FOUND,
        409: {"model": MessageOut},
        200: {"content": {"application/json": {}, "application/pdf": {}, "text/html": {}}},
    },
)
def job_result(job_id: ItemId, db: Db, user: Reader) -> Response:
    """A finished job's result: JSON for runs and analyses, the file for reports."""
    job = _job(db, user, job_id)
    found = jobs.result_of(db, job)
    if found is None:
        return JSONResponse(
            {"detail": f"The job is {job.status}; it has no result."}, status_code=409
        )
    content, media_type = found
    headers = {}
    if job.kind == "report":
        extension = str(job.params.get("format", "html"))
        headers["content-disposition"] = f'attachment; filename="report-{job.id}.{extension}"'
    return Response(content, media_type=media_type, headers=headers)
