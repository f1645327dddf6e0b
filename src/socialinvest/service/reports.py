"""Reports for decision makers (HTML, PDF, XLSX) of a case, as data or as the file's bytes."""

from __future__ import annotations

import datetime as dt
from typing import Final

from socialinvest.errors import InputError, msg
from socialinvest.report.content import Lang, ReportData, contract_view
from socialinvest.service.cases import CaseInput, loaded
from socialinvest.service.progress import CancelCheck, Progress, check, reporter

#: The formats :func:`report` writes.
REPORT_FORMATS: Final = ("html", "pdf", "xlsx")
#: The media type of each format (for downloads).
MEDIA_TYPES: Final = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def report_data(
    case: CaseInput,
    lang: Lang = "da",
    *,
    draws: int | None = None,
    seed: int | None = None,
    created: dt.date | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> ReportData:
    """Everything a report shows: the appraised case (``draws``, ``seed`` as for
    :func:`appraise`; ``draws`` None: Monte Carlo whenever the case has anything uncertain,
    socialinvest.draws), the tornado when the case has inputs given as distributions (a
    success-rate case), and the contract's results when the case has a contract section.
    ``progress`` counts both runs (the case and its contract) as one. Raises
    :class:`InputError` like :func:`appraise`; :class:`Cancelled` when ``cancel`` says so."""
    from socialinvest.analysis.sensitivity import analyse
    from socialinvest.contract.result import evaluate_contract
    from socialinvest.draws import default_draws
    from socialinvest.finite import check_payload
    from socialinvest.runner import appraise

    check(cancel)
    source = loaded(case)
    if draws is None:  # Monte Carlo whenever the case has anything uncertain (draws.py)
        draws = default_draws(source.case)
    contract = None
    if source.case.contract is not None:
        # one run: the contract's draws are the business case's, so the report's business
        # case and its contract rest on the same draws (one account of who pays)
        appraised = evaluate_contract(
            source, draws=draws, seed=seed, progress=reporter(progress, cancel, phases=1)
        )
        contract = contract_view(appraised, lang)
        result = appraised.business
    else:
        result = appraise(
            source, draws=draws, seed=seed, progress=reporter(progress, cancel, phases=1)
        )
    check_payload(result.to_dict(), [source])  # a report shows finite numbers only
    check(cancel)
    sensitivity = None
    if source.case.model != "state_transition":
        found = analyse(source)
        sensitivity = found if found.one_way else None
    return ReportData(
        result=result,
        lang=lang,
        sensitivity=sensitivity,
        contract=contract,
        created=created or dt.date.today(),
    )


def render_report(data: ReportData, fmt: str = "html") -> bytes:
    """The bytes of a report file of ``data`` in ``fmt`` (html: one self-contained UTF-8 page;
    pdf: A4; xlsx: a workbook with live formulas). Raises :class:`InputError` for another
    format."""
    chosen = report_format(fmt)
    if chosen == "html":
        from socialinvest.report.html import render_html

        return render_html(data).encode("utf-8")
    if chosen == "pdf":
        from socialinvest.report.pdf import render_pdf

        return render_pdf(data)
    from socialinvest.report.xlsx import render_xlsx

    return render_xlsx(data)


def report(
    case: CaseInput,
    fmt: str = "html",
    *,
    lang: Lang = "da",
    draws: int | None = None,
    seed: int | None = None,
    created: dt.date | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> bytes:
    """A report of a case as a file's bytes (see :func:`report_data` and
    :func:`render_report`). Raises :class:`InputError` (the format, the case)."""
    chosen = report_format(fmt)
    data = report_data(
        case, lang, draws=draws, seed=seed, created=created, progress=progress, cancel=cancel
    )
    return render_report(data, chosen)


def report_format(fmt: str) -> str:
    """``fmt`` as one of :data:`REPORT_FORMATS` (case and spaces ignored), or an
    :class:`InputError` naming the field ``format``."""
    chosen = fmt.strip().lower()
    if chosen not in REPORT_FORMATS:
        raise InputError(msg("c_report_format"), field="format", value=fmt)
    return chosen
