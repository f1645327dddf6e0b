"""Scenario comparison: 2–6 cases or versions side by side (the ``compare`` analysis)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from socialinvest.errors import InputError
from socialinvest.output.messages import text
from socialinvest.store import cases as case_store
from socialinvest.store.models import Case, CaseVersion, User
from socialinvest.web import jobs
from socialinvest.web.charts import comparison_svg
from socialinvest.web.deps import current_user, get_db, readable_case, settings_of
from socialinvest.web.pages.common import lang_of, see_other, version_of
from socialinvest.web.steps.errors import explain
from socialinvest.web.templating import render

router = APIRouter()

MIN_ALTERNATIVES, MAX_ALTERNATIVES = 2, 6


def _picked(raw: list[str]) -> list[tuple[int, int]]:
    """'CASE:VERSION' items, each once, in the order given."""
    found: list[tuple[int, int]] = []
    for item in raw:
        case_id, _, number = item.partition(":")
        if case_id.isdigit() and number.isdigit():
            pair = (int(case_id), int(number))
            if pair not in found:
                found.append(pair)
    return found


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    v: list[str] = Query(default=[]),
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """The choice of alternatives and, when 2–6 are chosen, their comparison."""
    lang = lang_of(request)
    choices = [(case, case_store.history(db, case)) for case in case_store.search(db, user)]
    picked = _picked(v)
    context: dict[str, Any] = {"choices": choices, "picked": [f"{c}:{n}" for c, n in picked]}
    if not v:
        return render(request, "compare.html", context)
    if not MIN_ALTERNATIVES <= len(picked) <= MAX_ALTERNATIVES:
        context["error"] = text(lang, "ui_cmp_count", low=MIN_ALTERNATIVES, high=MAX_ALTERNATIVES)
        return render(request, "compare.html", context, status_code=422)
    versions: list[tuple[Case, CaseVersion, str | None]] = []
    for case_id, number in picked:
        case = readable_case(db, user, case_id)
        version = version_of(db, case, number)
        versions.append((case, version, f"{case.name} (v{version.number})"))
    try:
        answer = jobs.run_or_submit(
            db, request.app.state.jobs, user, "compare", versions, {}, settings_of(request)
        )
    except InputError as error:
        context["error"] = explain(error, lang).message
        return render(request, "compare.html", context, status_code=422)
    if answer.job is not None:
        return see_other(f"/jobs/{answer.job.id}")
    comparison = answer.json()
    rows = [{"label": a["name"], "npv": a["npv"]} for a in comparison["alternatives"]]
    context.update(comparison=comparison, chart=comparison_svg(rows, lang))
    return render(request, "compare.html", context)
