"""The pages of running partnerships: overview (enrolment against plan, the fan chart of
payments with the realised path, the re-forecast), participants and enrolment, outcome records
with import and the evaluator's decisions, settlements with the payer's approval.

Every route finds the partnership among those the user's organisation is a party to (else 404)
and lets the service and the ledger core decide what the organisation's role may see and do
(a refusal is a 403 page); nothing is computed here but the chart's drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from socialinvest.errors import InputError, msg
from socialinvest.service import partnerships as ps
from socialinvest.store import partnerships as store
from socialinvest.store.models import User
from socialinvest.web.charts import LruCache
from socialinvest.web.deps import ItemId, current_user, get_db, writing_user
from socialinvest.web.pages.common import lang_of, see_other
from socialinvest.web.templating import render

router = APIRouter()
T = TypeVar("T")
FORECAST_DRAWS = 1000
_FORECASTS: LruCache = LruCache(32)


def _guard(request: Request, fn: Callable[[], T]) -> T | Response:
    """404 for a partnership outside the user's organisation, a 403 page for a role refusal,
    a 422 page with the sentence for a mistake."""
    try:
        return fn()
    except ps.NotFound:
        raise HTTPException(404, "No such partnership.") from None
    except ps.LedgerError as error:
        status = 403 if error.key in ps.ROLE_KEYS else 422
        return _error_page(request, error.message_in(lang_of(request)), status)
    except InputError as error:  # in the page's language (the catalogue's words where it has them)
        return _error_page(request, error.render(lang_of(request)), 422)


def _error_page(request: Request, message: str, status: int) -> Response:
    return render(request, "partnership_error.html", {"message": message}, status_code=status)


def _view(request: Request, template: str, ctx: ps.Context, values: dict[str, Any]) -> Response:
    """A partnership's page: the partnership (``p``) and the acting role, with the page's own."""
    return render(request, template, {"p": ctx.row, "role": ctx.actor.role, **values})


@router.get("/partnerships", response_class=HTMLResponse)
def partnership_list(
    request: Request, db: Session = Depends(get_db), user: User = Depends(current_user)
) -> Response:
    rows = [
        {**row, "roles": store.roles_of(db, row["id"], user.organisation_id)}
        for row in store.visible_to(db, user.organisation_id)
    ]
    return render(request, "partnerships.html", {"rows": rows})


def fan_svg(fan: dict[str, Any], lang: str, t: Callable[..., str]) -> Markup:
    """The fan chart: cumulative outcome payments by period, the design stage's 5–95 % band and
    median, the re-forecast's band, and the realised path (drawn on the server, no script)."""
    design, forecast, realised = fan["design"], fan["forecast"], fan["realised"]
    n = len(design["p50"])
    from socialinvest.web.charts import nice_ticks

    steps = nice_ticks(float(max([*design["p95"], *forecast["p95"], *realised, 0.0])), least=1.0)
    top = steps[-1]
    w, h, left, bottom, pad = 760, 320, 110, 40, 12

    def x(i: float) -> float:
        return left + (w - left - pad) * (i / max(1, n - 1))

    def y(v: float) -> float:
        return pad + (h - bottom - pad) * (1 - v / top)

    def band(lo: list[float], hi: list[float]) -> str:
        pts = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(hi)]
        pts += [f"{x(i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(lo)))]
        return " ".join(pts)

    def line(vs: list[float]) -> str:
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs))

    from socialinvest.output.numbers import money

    ticks = "".join(
        f'<line x1="{left}" x2="{w - pad}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
        f'stroke="#ddd"/><text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
        f'font-size="11" class="ytick">{escape(money(v, lang, 0))}</text>'
        for v in steps
    )
    xt = "".join(
        f'<text x="{x(i - 1):.1f}" y="{h - bottom + 16}" text-anchor="middle" '
        f'font-size="11">{i}</text>'
        for i in range(1, n + 1, max(1, n // 8))
    )
    title = escape(t("lw_fan_title"))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        f'aria-label="{title}" class="fan"><title>{title}</title>{ticks}{xt}'
        f'<polygon points="{band(design["p05"], design["p95"])}" fill="#9ecae1" opacity="0.5"/>'
        f'<polygon points="{band(forecast["p05"], forecast["p95"])}" fill="#fdae6b" opacity="0.5"/>'
        f'<polyline points="{line(design["p50"])}" fill="none" stroke="#3182bd" '
        f'stroke-dasharray="4 3"/>'
        f'<polyline points="{line(forecast["p50"])}" fill="none" stroke="#e6550d" '
        f'stroke-dasharray="2 2"/>'
        + (
            f'<polyline points="{line(realised)}" fill="none" stroke="#000" stroke-width="2.5" '
            f'class="realised"/>'
            if realised
            else ""
        )
        + f'<text x="{(left + w) / 2:.0f}" y="{h - 6}" text-anchor="middle" font-size="12">'
        f"{escape(t('lw_fan_period'))}</text></svg>"
    )
    return Markup(svg)


def _forecast(ctx: ps.Context) -> dict[str, Any]:
    key = (ctx.row["id"], ctx.row["audit_hash"], FORECAST_DRAWS)
    return dict(
        _FORECASTS.get(
            key, lambda: ps.forecast_view(ctx, draws=FORECAST_DRAWS, seed=1, target_rate=None)
        )
    )


@router.get("/partnerships/{partnership_id}", response_class=HTMLResponse)
def overview(
    partnership_id: ItemId,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    def page() -> Response:
        from socialinvest.web.templating import translator

        ctx = ps.read(db, partnership_id, user)
        status = ps.status_view(ctx)
        fc = _forecast(ctx)
        lang = lang_of(request)
        target = ctx.ledger.terms.prep.contract.designer
        return _view(
            request,
            "partnership.html",
            ctx,
            {
                "status": status,
                "fc": fc,
                "fan": fan_svg(fc["fan"], lang, translator(lang)),
                "draws": FORECAST_DRAWS,
                "target": target,
                "settlements": range(1, ctx.ledger.terms.n_settlements + 1),
                "approved": {i for i, s in ctx.ledger.statements.items() if s.status == "approved"},
            },
        )

    return _guard(request, page)


@router.get("/partnerships/{partnership_id}/participants", response_class=HTMLResponse)
def participants(
    partnership_id: ItemId,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    def page() -> Response:
        ctx = ps.read(db, partnership_id, user)
        rows = ps.participant_rows(ctx)
        may_change = ctx.actor.role == "payer" or (
            ctx.actor.role == "provider" and ctx.actor.organisation in ctx.ledger.data_processors
        )
        return _view(
            request,
            "partnership_participants.html",
            ctx,
            {
                "rows": rows,
                "criteria": ctx.ledger.terms.eligibility,
                "may_change": may_change,
                "changed": request.query_params.get("changed", ""),
            },
        )

    return _guard(request, page)


@router.post("/partnerships/{partnership_id}/participants")
async def enrol(
    partnership_id: ItemId,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """Enrol a citizen; each eligibility criterion is declared met by ticking it (the ledger
    refuses an enrolment with a criterion not declared met)."""
    import datetime as dt

    form = await request.form()
    cpr = str(form.get("cpr", ""))
    enrolled = str(form.get("enrolled", ""))
    cohort = str(form.get("cohort", "")).strip()
    ticked = {str(v) for v in form.getlist("criterion")}

    def act() -> Response:
        try:
            day = dt.date.fromisoformat(enrolled)
        except ValueError:
            from socialinvest.service.partnerships import scrub  # a CPR number in the wrong box

            raise InputError(
                "a date as YYYY-MM-DD", field="enrolled", value=scrub(enrolled)
            ) from None
        criteria = ps.read(db, partnership_id, user).ledger.terms.eligibility
        declared = {c: c in ticked for c in criteria}
        ps.enrol(db, partnership_id, user, cpr, day, cohort, declared)
        return see_other(f"/partnerships/{partnership_id}/participants")

    return _guard(request, act)


@router.get("/partnerships/{partnership_id}/records", response_class=HTMLResponse)
def records(
    partnership_id: ItemId,
    request: Request,
    status: str = "entered",
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    def page() -> Response:
        ctx = ps.read(db, partnership_id, user, prefer=("evaluator", "provider"))
        rows = ps.record_rows(ctx, status or None)
        return _view(
            request,
            "partnership_records.html",
            ctx,
            {
                "rows": rows[:500],
                "total": len(rows),
                "status": status,
            },
        )

    return _guard(request, page)


@router.post("/partnerships/{partnership_id}/imports")
async def import_file(
    partnership_id: ItemId,
    request: Request,
    file: UploadFile = File(...),
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    from socialinvest.web.api.partnerships import read_upload

    try:
        name, data = await read_upload(request, file)
    except InputError as error:  # in the page's language (the catalogue's words where it has them)
        return _error_page(request, error.render(lang_of(request)), 422)

    def act() -> Response:
        out = ps.import_outcomes(db, partnership_id, user, name, data)
        return render(
            request, "partnership_imported.html", {"p": {"id": partnership_id}, "out": out}
        )

    return _guard(request, act)


@router.post("/partnerships/{partnership_id}/decisions")
async def decide(
    partnership_id: ItemId,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    form = await request.form()
    ids = [int(str(v)) for v in form.getlist("record") if str(v).isdigit()]
    decision = str(form.get("decision", "verify"))
    reason = str(form.get("reason", ""))

    def act() -> Response:
        if not ids:
            raise InputError("at least one record ticked", field="record", has_value=False)
        ps.decide(db, partnership_id, user, ids, decision, reason)
        return see_other(f"/partnerships/{partnership_id}/records")

    return _guard(request, act)


@router.get("/partnerships/{partnership_id}/settlements/{index}", response_class=HTMLResponse)
def settlement(
    partnership_id: ItemId,
    index: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    def page() -> Response:
        ctx = ps.read(db, partnership_id, user, prefer=("payer", "evaluator"))
        from socialinvest.report.statement import approval_text

        lang = lang_of(request)
        view = ps.statement_view(ctx, index, lang)
        return _view(
            request,
            "partnership_settlement.html",
            ctx,
            {"st": view, "index": index, "approval": approval_text(view, lang)},
        )

    return _guard(request, page)


@router.post("/partnerships/{partnership_id}/settlements/{index}/approve")
def approve(
    partnership_id: ItemId,
    index: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    def act() -> Response:
        ps.approve(db, partnership_id, user, index)
        return see_other(f"/partnerships/{partnership_id}/settlements/{index}")

    return _guard(request, act)


def _numbers(raw: str, field: str) -> list[int]:
    """Whole numbers separated by commas (a form field); a mistake is one sentence in the
    page's language that never shows a CPR number typed into it."""
    try:
        return [int(x) for x in raw.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        raise InputError(msg("pg_e_whole_numbers"), field=field, value=ps.scrub(raw)) from None


def _number(raw: str, field: str) -> float | None:
    """A finite number of a form field (1.234,5 or 1234.5), or None when left empty."""
    if not raw.strip():
        return None
    try:
        value = (
            float(raw.replace(" ", "").replace(".", "").replace(",", "."))
            if "," in raw
            else float(raw)
        )
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(msg("pg_e_number"), field=field, value=ps.scrub(raw))
    return value


@router.get("/partnerships/{partnership_id}/renegotiate", response_class=HTMLResponse)
def renegotiate(
    partnership_id: ItemId,
    request: Request,
    price: str = "",
    contract_cap: str = "",
    intake: str = "",
    periods: str = "",
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """Change price, cap, intake or duration and see every party's position before and after."""

    def page() -> Response:
        from socialinvest.report.statement import actor_text
        from socialinvest.service import amendments as amend_service

        ctx = ps.read(db, partnership_id, user)
        terms = ctx.ledger.terms
        first_open = amend_service.first_open_settlement(ctx)
        now = terms.in_force(first_open)  # the terms in force (the latest amendment's)
        asked = any(v.strip() for v in (price, contract_cap, intake, periods))
        result = None
        if asked:
            p = _number(price, "price")
            cap = _number(contract_cap, "contract_cap")
            n = _number(periods, "periods")
            result = ps.renegotiate(
                db,
                ctx,
                price=p,
                contract_cap=cap,
                intake=_numbers(intake, "intake") if intake.strip() else None,
                periods=None if n is None else int(n),
                draws=FORECAST_DRAWS,
            )
        return _view(
            request,
            "partnership_renegotiate.html",
            ctx,
            {
                "current": {
                    "line": terms.contract.payments[0].name,
                    "price": now.prices[0],
                    "contract_cap": now.contract_cap,
                    "intake": ",".join(str(x) for x in now.planned_intake),
                    "periods": terms.n_periods,
                },
                "versions": [  # who approved, with the role in the page's language
                    {**v, "approved_by": actor_text(v["approved_by"], lang_of(request))}
                    for v in amend_service.versions_view(ctx)
                ],
                "first_open": first_open,
                "amended": request.query_params.get("amended", ""),
                "form": {
                    "price": price,
                    "contract_cap": contract_cap,
                    "intake": intake,
                    "periods": periods,
                },
                "r": result,
                "draws": FORECAST_DRAWS,
            },
        )

    return _guard(request, page)


def _statement_file(
    request: Request, db: Session, partnership_id: ItemId, index: int, user: User, fmt: str
) -> Response:
    """The statement as a file of ``fmt`` in the page's language (the service's document)."""

    def download() -> Response:
        from socialinvest.service import partnership_reports as pr
        from socialinvest.web.pages.common import disposition

        ctx = ps.read(db, partnership_id, user, prefer=("payer", "evaluator"))
        data = pr.statement_document(ctx, index, fmt, lang_of(request))
        return Response(
            data,
            media_type=pr.MEDIA_TYPES[fmt],
            headers={"Content-Disposition": disposition(pr.statement_file_name(ctx, index, fmt))},
        )

    return _guard(request, download)


@router.get("/partnerships/{partnership_id}/settlements/{index}/statement.xlsx")
def settlement_xlsx(
    partnership_id: ItemId,
    index: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """The statement as a workbook (lines only for the roles that see them)."""
    return _statement_file(request, db, partnership_id, index, user, "xlsx")


@router.get("/partnerships/{partnership_id}/settlements/{index}/statement.pdf")
def settlement_pdf(
    partnership_id: ItemId,
    index: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """The statement as PDF (A4, the page's language; lines only for the roles that see them)."""
    return _statement_file(request, db, partnership_id, index, user, "pdf")


@router.get("/partnerships/{partnership_id}/indigo.json")
def indigo_json(
    partnership_id: ItemId,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """The INDIGO document with the realised figures (aggregates only: every party may have it)."""

    def download() -> Response:
        import json

        from socialinvest.service import partnership_reports as pr
        from socialinvest.web.pages.common import disposition

        ctx = ps.read(db, partnership_id, user)
        doc = pr.realised_indigo(ctx, draws=FORECAST_DRAWS, seed=1)
        return Response(
            json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
            media_type=pr.MEDIA_TYPES["json"],
            headers={"Content-Disposition": disposition(f"{ctx.row['key']}.indigo.json")},
        )

    return _guard(request, download)


def _report_html(request: Request, db: Session, partnership_id: ItemId, user: User) -> str:
    from socialinvest.web.templating import context_for, environment, translator

    ctx = ps.read(db, partnership_id, user)
    lang = lang_of(request)
    fc = _forecast(ctx)
    payers = list(ctx.ledger.terms.payers)
    settled = [
        {
            "index": s.index,
            "first": s.first_period,
            "last": s.last_period,
            "totals": {payer: s.total_ore(payer) / 100 for payer in payers},
        }
        for _, s in sorted(ctx.ledger.statements.items())
        if s.status == "approved"
    ]
    return (
        environment()
        .get_template("partnership_report.html")
        .render(
            context_for(
                request,
                {
                    "p": ctx.row,
                    "status": ps.status_view(ctx),
                    "fc": fc,
                    "fan": fan_svg(fc["fan"], lang, translator(lang)),
                    "draws": FORECAST_DRAWS,
                    "payers": payers,
                    "settled": settled,
                },
            )
        )
    )


@router.get("/partnerships/{partnership_id}/report", response_class=HTMLResponse)
def status_report(
    partnership_id: ItemId,
    request: Request,
    format: str = "html",
    db: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> Response:
    """The steering group's status report (aggregates only: every party may have it), as HTML
    or PDF (``?format=pdf``), in the page's language."""

    def make() -> Response:
        from socialinvest.web.pages.common import disposition

        html_text = _report_html(request, db, partnership_id, user)
        if format != "pdf":
            return HTMLResponse(html_text)
        import logging

        from weasyprint import HTML  # type: ignore[import-untyped]

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        pdf: bytes = HTML(string=html_text).write_pdf()
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": disposition(f"partnership-{partnership_id}-status.pdf")
            },
        )

    return _guard(request, make)


# the same guard, error page and parsing for the other partnership pages (pages/amendments.py)
guard = _guard
error_page = _error_page
parse_number = _number
parse_numbers = _numbers
