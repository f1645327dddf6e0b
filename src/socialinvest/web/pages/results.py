"""A version's results, its uncertainty run, its downloads, and the page of a running job."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from socialinvest.errors import InputError
from socialinvest.output.messages import text
from socialinvest.output.numbers import number
from socialinvest.store import cases as case_store
from socialinvest.store.models import Case, CaseVersion, Job, User
from socialinvest.vocabulary import ACTORS
from socialinvest.web import jobs
from socialinvest.web.deps import (
    ItemId,
    current_user,
    get_db,
    readable_case,
    settings_of,
    writing_user,
)
from socialinvest.web.pages.common import (
    case_view,
    disposition,
    file_name,
    lang_of,
    see_other,
    version_of,
)
from socialinvest.web.steps.errors import explain
from socialinvest.web.templating import render

router = APIRouter()

MAX_DRAWS = 1_000_000
REPORT_SUFFIX = {"html": "html", "pdf": "pdf", "xlsx": "xlsx"}


def pivot(yearly: list[dict[str, Any]]) -> tuple[list[int], list[dict[str, Any]]]:
    """The yearly long rows as a table: one row per actor and area (with its committee), the
    net result of each year in columns, and the row's total."""
    years = sorted({row["year"] for row in yearly})
    table: dict[tuple[int, str], dict[str, Any]] = {}
    for row in yearly:
        key = (ACTORS.index(row["actor"]), row["area"])
        line = table.setdefault(
            key,
            {
                "actor": row["actor"],
                "area": row["area"],
                "committee": row.get("committee"),
                "net": dict.fromkeys(years, 0.0),
                "discounted": 0.0,
            },
        )
        line["net"][row["year"]] += row["net"]
        line["discounted"] += row["discounted_net"]
    lines = [table[k] for k in sorted(table)]
    for line in lines:
        line["total"] = sum(line["net"].values())
    return years, lines


def _context(
    request: Request, db: Session, user: User, case: Case, version: CaseVersion
) -> dict[str, Any]:
    lang = lang_of(request)
    context: dict[str, Any] = {
        "case": case,
        "version": version,
        "versions": case_store.history(db, case),
        "may_edit": case.organisation_id == user.organisation_id and user.can_edit,
        "may_approve": case.organisation_id == user.organisation_id
        and user.can_approve
        and not version.approved
        and version.author_id != user.id
        and not version.conflict,
        "own": case.organisation_id == user.organisation_id,
    }
    try:
        view = case_view(version.text, file_name(case, version, "yaml"), version.digest, lang)
    except InputError as error:
        context["case_error"] = explain(error, lang)
        return context
    years, lines = pivot(view.yearly)
    context.update(view=view, years=years, lines=lines, r=view.result)
    return context


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: ItemId,
    version: int | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    case = readable_case(db, user, case_id)
    chosen = version_of(db, case, version)
    return render(request, "case.html", _context(request, db, user, case, chosen))


@router.get("/cases/{case_id}/uncertainty", response_class=HTMLResponse)
def uncertainty_page(
    request: Request,
    case_id: ItemId,
    version: int | None = None,
    draws: str = "1000",
    seed: str = "1",
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """A Monte Carlo run with the chosen draws and seed: now when quick, else as a job whose
    progress the page shows (and reloads itself without JavaScript)."""
    case = readable_case(db, user, case_id)
    chosen = version_of(db, case, version)
    lang = lang_of(request)
    context = _context(request, db, user, case, chosen)
    errors: dict[str, str] = {}
    n = int(draws) if draws.strip().isdigit() else 0
    s = int(seed) if seed.strip().isdigit() else -1
    if not 2 <= n <= MAX_DRAWS:
        errors["draws"] = text(lang, "ui_err_draws", high=number(MAX_DRAWS, lang))
    if s < 0:
        errors["seed"] = text(lang, "ui_err_seed")
    context.update(draws_text=draws, seed_text=seed, form_errors=errors)
    if errors:
        return render(request, "case.html", context, status_code=422)
    try:
        answer = jobs.run_or_submit(
            db,
            request.app.state.jobs,
            user,
            "run",
            [(case, chosen, None)],
            {"draws": n, "seed": s},
            settings_of(request),
        )
    except InputError as error:
        context["case_error"] = explain(error, lang)
        return render(request, "case.html", context, status_code=422)
    if answer.job is not None:
        return see_other(f"/jobs/{answer.job.id}")
    context["uncertainty"] = answer.json().get("uncertainty")
    context["draws"], context["seed"] = n, s
    return render(request, "case.html", context)


@router.get("/cases/{case_id}/download/{fmt}")
def download(
    request: Request,
    case_id: ItemId,
    fmt: str,
    version: int | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """The version's case file (YAML, exactly as saved) or its HTML, PDF or XLSX report (in the
    page's language); a report that takes long becomes a job."""
    case = readable_case(db, user, case_id)
    chosen = version_of(db, case, version)
    if fmt == "yaml":
        return Response(
            chosen.text.encode("utf-8"),
            media_type="application/yaml",
            headers={"Content-Disposition": disposition(file_name(case, chosen, "yaml"))},
        )
    if fmt not in REPORT_SUFFIX:
        raise HTTPException(status_code=404, detail="No such download.")
    lang = lang_of(request)
    try:
        answer = jobs.run_or_submit(
            db,
            request.app.state.jobs,
            user,
            "report",
            [(case, chosen, None)],
            {"format": fmt, "lang": lang},
            settings_of(request),
        )
    except InputError as error:
        context = _context(request, db, user, case, chosen)
        context["case_error"] = explain(error, lang)
        return render(request, "case.html", context, status_code=422)
    if answer.job is not None:
        return see_other(f"/jobs/{answer.job.id}")
    assert answer.content is not None
    return Response(
        answer.content,
        media_type=answer.media_type,
        headers={"Content-Disposition": disposition(file_name(case, chosen, fmt))},
    )


def _job(db: Session, user: User, job_id: ItemId) -> Job:
    job = jobs.visible_job(db, user, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="No such job.")
    return job


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request,
    job_id: ItemId,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """A job's progress; when a run is done, its results; when a report is done, its link."""
    job = _job(db, user, job_id)
    if job.status == "done" and job.kind == "run" and job.case_id is not None:
        params = job.params or {}
        return see_other(
            f"/cases/{job.case_id}/uncertainty?version={job.version_number}"
            f"&draws={params.get('draws', 1)}&seed={params.get('seed', 0)}"
        )
    if job.status == "done" and job.kind == "compare":
        picked = "&".join(f"v={c}:{n}" for c, n, _ in (job.params or {}).get("versions", []))
        return see_other(f"/compare?{picked}")
    return render(request, "job.html", {"job": job})


@router.get("/jobs/{job_id}/download")
def job_download(
    job_id: ItemId,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    job = _job(db, user, job_id)
    found = jobs.result_of(db, job)
    if found is None:
        raise HTTPException(status_code=404, detail="The job has no result (yet).")
    content, media_type = found
    fmt = str((job.params or {}).get("format", "json"))
    name = f"job-{job.id}.{REPORT_SUFFIX.get(fmt, 'json')}"
    if job.case_id is not None:
        case = db.get(Case, job.case_id)
        if case is not None and job.version_number is not None:
            version = case_store.get_version(db, case, job.version_number)
            name = file_name(case, version, REPORT_SUFFIX.get(fmt, "json"))
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": disposition(name)}
    )


@router.get("/cases/{case_id}/v{number}/charts/{key}")
def chart(
    request: Request,
    case_id: ItemId,
    number: int,
    key: str,
    lang: str = "",
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """One chart of a version's result page as an SVG image (in the page's language). Shown as
    an image, an SVG runs nothing; it is drawn once and then served from the cache."""
    case = readable_case(db, user, case_id)
    version = version_of(db, case, number)
    lang = lang if lang in ("da", "en") else lang_of(request)
    try:
        view = case_view(version.text, file_name(case, version, "yaml"), version.digest, lang)
    except InputError:
        raise HTTPException(status_code=404, detail="No such chart.") from None
    if key not in view.charts:
        raise HTTPException(status_code=404, detail="No such chart.")
    svg = view.chart_svg(key)
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, max-age=3600", "Content-Language": lang},
    )


@router.post("/jobs/{job_id}/cancel")
def job_cancel(
    job_id: ItemId,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """Ask a queued or running job to stop (it stops at its next step)."""
    jobs.cancel(db, _job(db, user, job_id))
    return see_other(f"/jobs/{job_id}")


@router.post("/jobs/{job_id}/retry")
def job_retry(
    request: Request,
    job_id: ItemId,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """Run an interrupted, failed or cancelled job again (a new job)."""
    job = _job(db, user, job_id)
    if job.status in ("queued", "running", "done") or request.app.state.jobs is None:
        return see_other(f"/jobs/{job_id}")
    fresh = jobs.retry(db, request.app.state.jobs, user, job)
    return see_other(f"/jobs/{fresh.id}")
