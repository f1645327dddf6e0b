"""What several pages share: the language, loading a version, a version's computed view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from socialinvest.store import cases as case_store
from socialinvest.store.models import Case, CaseVersion
from socialinvest.web.charts import CHARTS, SECTIONS
from socialinvest.web.templating import request_lang


def lang_of(request: Request) -> str:
    return request_lang(request)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def version_of(db: Session, case: Case, number: int | None) -> CaseVersion:
    """Version ``number`` of the case (the current one when None); 404 when there is none."""
    try:
        if number is None:
            return case_store.current(db, case)
        return case_store.get_version(db, case, number)
    except LookupError:
        raise HTTPException(status_code=404, detail="No such version.") from None


def file_name(case: Case, version: CaseVersion, suffix: str) -> str:
    from socialinvest.web.jobs import case_file_name

    return case_file_name(case, version).removesuffix(".yaml") + "." + suffix


def disposition(name: str) -> str:
    return f'attachment; filename="{name.encode("ascii", "replace").decode()}"; ' + (
        f"filename*=UTF-8''{quote(name)}"
    )


@dataclass(frozen=True)
class CaseView:
    """What the result page shows of one case text (deterministic run, draws = 1)."""

    result: dict[str, Any]  # Result.to_dict(): the same as `socialinvest run --format json`
    yearly: list[dict[str, Any]]  # rows of year, actor, area, committee, gains, costs, net
    sections: list[Any]  # the report's sections (tables, paragraphs, figures without SVG yet)
    charts: dict[str, tuple[str, dict[str, Any]]]  # key -> (title, Vega-Lite spec)
    has_contract: bool
    model: str
    lang: str
    digest: str

    def chart_svg(self, key: str) -> str:
        """Chart ``key`` as an inline SVG element (rendered once, then cached)."""
        from socialinvest.report.charts import to_svg
        from socialinvest.web.charts import inline_svg

        title, spec = self.charts[key]
        return CHARTS.get(
            (self.digest, self.lang, key), lambda: inline_svg(to_svg(spec, self.lang), title)
        )


def case_view(text: str, name: str, digest: str, lang: str) -> CaseView:
    """The result, the yearly rows and the report's sections of a case text, from the cache
    when the same text was shown in the same language before. Raises InputError."""

    def make() -> CaseView:
        from socialinvest import service
        from socialinvest.report import html
        from socialinvest.report.charts import report_charts

        loaded = service.load_text(text, name)
        # one exact run: the page shows no probability from it (the report's rule); the
        # uncertainty page and the downloaded reports run the Monte Carlo draws
        data = service.report_data(loaded, lang, draws=1)  # type: ignore[arg-type]
        charts = report_charts(data)
        # The report's own sections; their figures are drawn when asked for (chart_svg), so a
        # page shows its figures at once and the charts follow as images.
        figures = {k: html.Figure(k, c.title, "") for k, c in charts.items()}
        found = [
            html.summary_section(data),
            html.key_figures_section(data, figures),
            html.assumptions_section(data),
            html.yearly_section(data, figures),
            html.uncertainty_section(data, figures),
            html.contract_section(data, figures),
        ]
        return CaseView(
            result=data.result.to_dict(),
            yearly=data.result.yearly_rows(),
            sections=[section for section in found if section is not None],
            charts={k: (c.title, c.spec) for k, c in charts.items()},
            has_contract=data.contract is not None,
            model=data.result.case.model,
            lang=lang,
            digest=digest,
        )

    return SECTIONS.get(("case", digest, lang), make)
