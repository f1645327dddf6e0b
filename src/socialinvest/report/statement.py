"""A partnership's settlement statement as a printable document (HTML laid out on A4 as PDF).

It shows a statement as the service gives it to one role (``service.partnerships.statement_view``):
for the roles that work with participants a line per pseudonym and payment line with the outcome
periods, the records, the amount and the explanation in words; for investors the totals per
payer only (the lines are not in the view they get, so they cannot be in the document either).
The header names the partnership, the settlement and its periods (with dates), the payer, and
who approved it and when — or says it is a draft. Numbers and dates are formatted by the locale
library (Babel); every word comes from the message catalogues (``locale/{da,en}/ledgerreports``).
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from typing import Any

from socialinvest.output.messages import text
from socialinvest.output.numbers import LOCALES, money

_ACTOR = re.compile(r"^(?P<user>.*) \((?P<org>.*), (?P<role>[a-z_]+)\)$")
_ROLES = ("payer", "provider", "investor", "evaluator", "auditor", "guarantor", "intermediary")
TIME_ZONE = "Europe/Copenhagen"


def when(stamp: str | None, lang: str) -> str:
    """An ISO time (as the ledger stores it, UTC) as Danish time in words: "5. dec. 2026 kl.
    12.02" / "5 Dec 2026 at 12:02"; "" for none, the text itself if it is not a time."""
    if not stamp:
        return ""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(ZoneInfo(TIME_ZONE))
    pattern = "d. MMM y 'kl.' HH.mm" if lang == "da" else "d MMM y 'at' HH:mm"
    return format_datetime(local, pattern, locale=LOCALES[lang])


def actor_text(actor: str | None, lang: str) -> str:
    """The ledger's actor string, "user (organisation, role)", with the role in ``lang``."""
    if not actor:
        return ""
    found = _ACTOR.match(actor)
    if found is None or found["role"] not in _ROLES:
        return actor
    role = text(lang, f"lr_role_{found['role']}")
    return f"{found['user']} ({found['org']}, {role})"


def approval_text(view: dict[str, Any], lang: str) -> str:
    """ "approved by pia (Kommune, payer) on 5 Dec 2026 at 12:02", or the draft's sentence."""
    if view.get("status") != "approved":
        return text(lang, "lr_draft")
    return text(
        lang,
        "lr_approved_by",
        who=actor_text(view.get("approved_by"), lang),
        at=when(view.get("approved_at"), lang),
    )


def day_text(day: dt.date, lang: str) -> str:
    """A date as the language writes it: "15. jan. 2024" / "15 Jan 2024" (the pages' too)."""
    from babel.dates import format_date

    return format_date(day, "d. MMM y" if lang == "da" else "d MMM y", locale=LOCALES[lang])


def _spans(values: list[int]) -> str:
    """[1, 2, 3, 5] → "1–3, 5"."""
    out: list[list[int]] = []
    for v in sorted(set(values)):
        if out and out[-1][1] == v - 1:
            out[-1][1] = v
        else:
            out.append([v, v])
    return ", ".join(f"{a}–{b}" if a != b else f"{a}" for a, b in out)


_CSS = """
@page { size: A4; margin: 18mm 14mm 20mm 14mm;
  @bottom-left { content: "%(footer)s"; font-size: 8pt; color: #555;
    font-family: "DejaVu Sans", Arial, sans-serif; }
  @bottom-right { content: "%(page)s " counter(page) " %(of)s " counter(pages);
    font-size: 8pt; color: #555; font-family: "DejaVu Sans", Arial, sans-serif; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4pt 0; }
h2 { font-size: 12pt; margin: 14pt 0 4pt 0; page-break-after: avoid; }
table.head td { padding: 1pt 8pt 1pt 0; vertical-align: top; }
table.head td:first-child { color: #444; }
table.lines { width: 100%%; border-collapse: collapse; margin-top: 4pt; table-layout: fixed; }
table.lines col.pseudonym { width: 16%%; } table.lines col.line { width: 15%%; }
table.lines col.periods { width: 11%%; } table.lines col.records { width: 8%%; }
table.lines col.amount { width: 15%%; } table.lines col.explained { width: 35%%; }
table.lines th, table.lines td { border-bottom: 0.5pt solid #bbb; padding: 3pt 4pt;
  vertical-align: top; text-align: left; }
table.lines th { background: #eee; font-weight: bold; hyphens: manual; }
table.lines td.num, table.lines th.num { text-align: right; white-space: nowrap; }
table.lines tr { page-break-inside: avoid; }
table.lines tfoot td { font-weight: bold; border-top: 1pt solid #333; border-bottom: none; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; }
.draft { color: #a00; font-weight: bold; }
.demo { color: #a00; font-weight: bold; }
.note { color: #444; font-size: 8.5pt; }
td.explained { font-size: 8pt; padding-left: 8pt; }
"""


def statement_html(
    view: dict[str, Any],
    *,
    partnership: str,
    lang: str,
    period_dates: tuple[dt.date, dt.date] | None = None,
    demo: bool = False,
    created: dt.date | None = None,
) -> str:
    """The statement as one self-contained HTML page for A4 (inline CSS, no URLs).
    ``period_dates``: the first and last day of the settlement's periods."""

    def t(key: str, **kw: Any) -> str:
        return escape(text(lang, key, **kw))

    first, last = view["periods"]
    made = created or dt.date.today()
    css = _CSS % {
        "footer": text(
            lang, "lr_footer", partnership=partnership.replace('"', "'"), date=day_text(made, lang)
        ).replace('"', "'"),
        "page": text(lang, "lr_page"),
        "of": text(lang, "lr_of"),
    }
    approved = view.get("status") == "approved"
    period_text = t("lr_periods", first=first, last=last)
    if period_dates is not None:
        period_text += (
            " ("
            + escape(f"{day_text(period_dates[0], lang)} – {day_text(period_dates[1], lang)}")
            + ")"
        )
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{t('lr_title', index=view['index'])} · {escape(partnership)}</title>",
        f"<style>{css}</style></head><body>",
    ]
    payers = view.get("payers", {})
    for n, (payer, block) in enumerate(payers.items()):
        style = ' style="page-break-before: always"' if n else ""
        parts.append(f"<h1{style}>{t('lr_title', index=view['index'])}</h1>")
        if demo:
            parts.append(f'<p class="demo">{t("lr_demo")}</p>')
        status = (
            escape(approval_text(view, lang))
            if approved
            else f'<span class="draft">{escape(approval_text(view, lang))}</span>'
        )
        rows = [
            (t("lr_partnership"), escape(partnership)),
            (t("lr_settlement_periods"), period_text),
            (t("lr_payer"), escape(payer)),
            (t("lr_status"), status),
            (t("lr_total"), f"<strong>{escape(money(block['total'], lang, 2))}</strong>"),
        ]
        setoff = view.get("setoff", {}).get(payer)
        if setoff:
            rows.append((t("lr_setoff"), escape(money(setoff, lang, 2))))
        parts.append(
            '<table class="head">'
            + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
            + "</table>"
        )
        if "lines" not in block:
            parts.append(f'<p class="note">{t("lr_totals_only")}</p>')
            continue
        lines = block["lines"]
        parts.append(f"<h2>{t('lr_lines', n=len(lines))}</h2>")
        if not lines:
            parts.append(f"<p>{t('lr_no_lines')}</p>")
            continue
        parts.append(
            '<table class="lines"><colgroup><col class="pseudonym"><col class="line">'
            '<col class="periods"><col class="records"><col class="amount"><col class="explained">'
            "</colgroup><thead><tr>"
            f"<th>{t('lr_pseudonym')}</th><th>{t('lr_line')}</th>"
            f"<th>{t('lr_outcome_periods')}</th><th>{t('lr_records')}</th>"
            f'<th class="num">{t("lr_amount")}</th><th>{t("lr_explained")}</th>'
            "</tr></thead><tbody>"
        )
        for line in lines:
            pseudonym = line["pseudonym"]
            shown = (
                t("lr_anonymised")
                if pseudonym == "anonymised"
                else f"<code>{escape(pseudonym)}</code>"
            )
            name = escape(line["line"])
            if line.get("kind") == "adjustment":
                name += f" ({t('lr_adjustment')})"
            parts.append(
                f"<tr><td>{shown}</td><td>{name}</td>"
                f"<td>{escape(_spans(line['outcome_periods']))}</td>"
                f"<td>{escape(_spans(line['records']))}</td>"
                f'<td class="num">{escape(money(line["amount_ore"] / 100, lang, 2))}</td>'
                f'<td class="explained">{escape(line.get("explained", ""))}</td></tr>'
            )
        parts.append(
            f'</tbody><tfoot><tr><td colspan="4">{t("lr_total")}</td>'
            f'<td class="num">{escape(money(block["total"], lang, 2))}</td><td></td></tr>'
            "</tfoot></table>"
        )
        parts.append(_cohorts_html(view.get("cohorts", []), lang))
    if not payers:
        parts.append(f"<h1>{t('lr_title', index=view['index'])}</h1>")
        parts.append(f"<p>{escape(partnership)} · {period_text}</p>")
        parts.append(f"<p>{escape(approval_text(view, lang))}</p><p>{t('lr_no_lines')}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _cohorts_html(cohorts: list[dict[str, Any]], lang: str) -> str:
    """The threshold lines' cohort assessments (all payers together): a row per cohort with its
    assessment period, participants, outcomes, baseline, whether the threshold was met, the
    amount and the assessment in words."""
    if not cohorts:
        return ""

    def t(key: str, **kw: Any) -> str:
        return escape(text(lang, key, **kw))

    rows = [
        f"<h2>{t('th_heading')}</h2>",
        '<table class="lines"><thead><tr>'
        f"<th>{t('th_col_line')}</th><th>{t('th_col_cohort')}</th>"
        f"<th>{t('th_col_period')}</th><th>{t('th_col_met')}</th>"
        f'<th class="num">{t("th_col_amount")}</th><th>{t("th_col_explained")}</th>'
        "</tr></thead><tbody>",
    ]
    for c in cohorts:
        rows.append(
            f"<tr><td>{escape(str(c['name']))}</td><td>{c['cohort']}</td>"
            f"<td>{c['period']}</td><td>{t('th_yes' if c['met'] else 'th_no')}</td>"
            f'<td class="num">{escape(money(c["amount"], lang, 2))}</td>'
            f'<td class="explained">{escape(str(c.get("explained", "")))}</td></tr>'
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def statement_pdf(view: dict[str, Any], **kwargs: Any) -> bytes:
    """:func:`statement_html` laid out on A4 by WeasyPrint (nothing is fetched)."""
    import logging

    from weasyprint import HTML  # type: ignore[import-untyped]

    from socialinvest.report.pdf import offline_fetcher

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = HTML(string=statement_html(view, **kwargs), url_fetcher=offline_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf
