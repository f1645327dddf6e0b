"""The PDF report: the HTML report laid out on A4 by WeasyPrint.

Page numbers, the price year and the discounting convention are in the footer of every page
(CSS @page margin boxes in the template). Nothing is fetched: the document holds everything it
shows, and any URL WeasyPrint would load is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialinvest.report.html import render_html

if TYPE_CHECKING:
    from socialinvest.report.content import ReportData


def offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL (the report needs none)."""
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class Offline(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"the report loads nothing from outside the document ({url})")

    return Offline()


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF data (A4)."""
    import logging

    from weasyprint import HTML  # type: ignore[import-untyped]

    # WeasyPrint logs every CSS property it does not implement (e.g. overflow-wrap values);
    # a user of the command line has no use for them.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = HTML(string=render_html(data, paged=True), url_fetcher=offline_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf


def write_pdf(data: ReportData, path: str | Path) -> None:
    """Write the PDF report to ``path`` all or nothing."""
    from socialinvest.output.files import write_atomically

    write_atomically(path, render_pdf(data))
