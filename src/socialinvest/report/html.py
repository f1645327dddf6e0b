"""The HTML report: one self-contained file (inline CSS, inline SVG charts, no external URLs).

The PDF report (report/pdf.py) is the same document laid out by WeasyPrint for A4 paper. All
numbers are formatted here, in Python, with the locale library; the Jinja2 template only lays the
parts out. Every text comes from the message catalogues (socialinvest/locale).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from socialinvest.output.messages import text, unit_label
from socialinvest.output.numbers import LOCALES, entry_value, money, number, percent, thousands
from socialinvest.report.charts import report_charts, to_svg
from socialinvest.report.content import (
    actor_name,
    area_name,
    assumption_count,
    outcome_label,
    report_file_name,
    summary_paragraphs,
)
from socialinvest.vocabulary import ACTORS, AREAS

if TYPE_CHECKING:
    from socialinvest.report.content import ReportData
    from socialinvest.result import Result


@dataclass(frozen=True)
class Cell:
    """One table cell: its text ("\n" starts a second, smaller line) and a CSS class."""

    text: str
    css: str = ""
    colspan: int = 1
    badge: str = ""  # a status shown as a label (the assumption label is red)
    link: str = ""  # a source's web address, shown as a link under the text (http(s) only)


@dataclass
class Table:
    """A table of the report: optional caption, header rows, body rows, optional footer rows."""

    head: list[list[Cell]]
    rows: list[list[Cell]]
    caption: str | None = None
    foot: list[list[Cell]] = field(default_factory=list)
    css: str = ""
    note: str | None = None


@dataclass
class Figure:
    """A chart: its key (the anchor chart-KEY), title and inline SVG."""

    key: str
    title: str
    svg: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    css: str = ""


@dataclass
class Section:
    """A numbered section: its anchor, heading, paragraphs, tables and figures, in order."""

    key: str
    heading: str
    parts: list[Any] = field(default_factory=list)


def _num(value: str) -> Cell:
    return Cell(value, "num")


def _status(status: str, lang: str) -> Cell:
    return Cell(text(lang, f"status_{status}"), "status", badge=status)


# -- sections ------------------------------------------------------------------------------------


def _involved(result: Result) -> list[str]:
    involved = result.actors_involved()
    return [a for k, a in enumerate(ACTORS) if involved[k]]


def _rate_text(value: float | None, lang: str) -> str:
    if value is None:
        return text(lang, "never")
    if value > 1.0:
        return f"{percent(value, lang)} ({text(lang, 'above_100')})"
    return percent(value, lang)


def _break_even_text(value: float | None, note: str | None, lang: str) -> str:
    """A contract party's break-even success rate; a bound when it breaks even at every (or at
    no) simulated success rate."""
    if value is not None and note == "below":
        return text(lang, "c_be_below", rate=percent(value, lang))
    if value is not None and note == "above":
        return text(lang, "c_be_above", rate=percent(value, lang))
    if value is not None and note == "falls":
        return text(lang, "c_be_falls", rate=percent(value, lang))
    return _rate_text(value, lang)


def summary_section(data: ReportData) -> Section:
    paragraphs: list[Any] = [Paragraph(p) for p in summary_paragraphs(data)]
    return Section("summary", text(data.lang, "r_h_summary"), paragraphs)


def key_figures_section(data: ReportData, figures: dict[str, Figure]) -> Section:
    result, lang = data.result, data.lang
    case = result.case
    actors = _involved(result)
    head = [
        [
            Cell(""),
            _num(text(lang, "total")),
            *(_num(actor_name(a, lang)) for a in actors),
        ]
    ]
    npv = result.npv_by_actor()
    gains = result.discounted_gains_by_actor()
    costs = result.discounted_costs_by_actor()
    rows: list[list[Cell]] = [
        [
            Cell(text(lang, "npv"), "strong"),
            Cell(money(result.npv_total, lang), "num strong"),
            *(Cell(money(npv[a], lang), "num strong") for a in actors),
        ],
        [
            Cell(text(lang, "gains")),
            _num(money(sum(gains.values()), lang)),
            *(_num(money(gains[a], lang)) for a in actors),
        ],
        [
            Cell(text(lang, "costs")),
            _num(money(sum(costs.values()), lang)),
            *(_num(money(costs[a], lang)) for a in actors),
        ],
    ]
    be = result.break_even_year_by_actor()
    none = text(lang, "none_within", horizon=case.horizon_years)
    rows.append(
        [
            Cell(text(lang, "break_even_year")),
            _num(str(result.break_even_year) if result.break_even_year is not None else none),
            *(_num(str(be[a]) if be[a] is not None else text(lang, "none_short")) for a in actors),
        ]
    )
    rpk = result.return_per_krone_by_actor()
    rows.append(
        [
            Cell(text(lang, "return_per_krone")),
            _num(money(result.return_per_krone, lang, 2)),
            *(_num(money(rpk[a], lang, 2)) for a in actors),
        ]
    )
    blank = [Cell("") for _ in actors]
    if case.success is not None:
        rate = result.break_even_success_rate()
        label = "break_even_rate" if rate["basis"] == "rate_with" else "break_even_effect"
        rows.append(
            [
                Cell(text(lang, label)),
                _num(_rate_text(rate["total"], lang)),
                *(_num(_rate_text(rate["by_actor"][a], lang)) for a in actors),
            ]
        )
        rows.append(
            [
                Cell(text(lang, "successes", measure=case.success.measure)),
                _num(number(result.additional_successes, lang, 1)),
                *blank,
            ]
        )
        rows.append(
            [
                Cell(text(lang, "cost_per_success")),
                _num(money(result.cost_per_additional_success, lang)),
                *blank,
            ]
        )
    section = Section(
        "key-figures",
        text(lang, "r_h_key_figures"),
        # no money figures (and no payback year) for a model without budget flows
        [Table(head, rows, css="key-figures", note=text(lang, "r_key_figures_note"))]
        if actors
        else [],
    )
    outcomes = result.outcome_table()
    if outcomes is not None:
        out_rows = [
            [
                Cell(outcome_label(result, name)),
                *(_num(number(row[k], lang, 2)) for k in ("comparator", "intervention")),
                _num(number(row["difference"], lang, 2)),
            ]
            for name, row in outcomes["outcomes"].items()
        ]
        for name, ratio in outcomes["ratios"].items():
            out_rows.append(
                [
                    Cell(ratio_label(result, name, ratio)),
                    Cell(""),
                    Cell(""),
                    _num(number(ratio["value"], lang, 2)),
                ]
            )
        section.parts.append(
            Table(
                [
                    [
                        Cell(""),
                        _num(text(lang, "arm_comparator")),
                        _num(outcomes["arms"]["intervention"]),
                        _num(text(lang, "difference")),
                    ]
                ],
                out_rows,
                caption=text(lang, "outcomes_title"),
            )
        )
    # the committees are the kommune's: only the kommune's amounts belong under them
    committees = [
        row for row in result.by_committee() if abs(row["npv_by_actor"]["kommune"]) > 1e-9
    ]
    if committees and "kommune" in actors:
        section.parts.append(
            Table(
                [[Cell(text(lang, "committee")), _num(text(lang, "n_col_kommune_npv"))]],
                [
                    [
                        Cell(row["committee"] or text(lang, "not_mapped")),
                        _num(money(row["npv_by_actor"]["kommune"], lang)),
                    ]
                    for row in committees
                ],
                caption=text(lang, "r_committees_caption"),
                note=text(lang, "n_committees_note"),
                css="narrow",
            )
        )
    section.parts.append(figures["cumulative"])
    return section


def ratio_label(result: Result, name: str, ratio: dict[str, Any]) -> str:
    """A ratio of two outcomes' differences, e.g. "cost per qaly (Δcost / Δqaly)"."""
    num = outcome_label(result, ratio["numerator"])
    den = outcome_label(result, ratio["denominator"])
    return f"{outcome_label(result, name)} (Δ{num} / Δ{den})"


def years_text(n: float, lang: str) -> str:
    """ "1 year", "3 years" / "1 år", "3 år"."""
    return text(lang, "n_years_one" if n == 1 else "n_years_many", n=number(n, lang))


def _price_per_unit(price: float, unit: str, lang: str) -> str:
    """A price with its unit, e.g. 20.127,58 kr./måned (the unit the case counts in)."""

    key = "DKK" if unit == "occurrence" else f"DKK/{unit}"
    return f"{number(price, lang, 2)} {unit_label(lang, key)}"


def _term(lang: str, key: str, default: str) -> str:
    """A catalogue text if there is one (distribution and parameter names), else ``default``."""
    from socialinvest.output.messages import has_text

    return text(lang, key) if has_text(lang, key) else default


def _describe(value: Any, lang: str, kind: str = "number") -> str:
    """A case input as written: a number (a share as a percentage) or its distribution."""
    from socialinvest.case.models import Dist

    def show(v: float) -> str:
        if kind == "share":
            return percent(v, lang, 1)
        if kind == "money":
            return money(v, lang)
        return number(v, lang, 0 if abs(v) >= 100 or float(v).is_integer() else 2)

    if isinstance(value, Dist):
        params = {
            ("lambda" if k == "lambda_" else k): v
            for k, v in value.model_dump().items()
            if k != "dist" and v is not None
        }
        shown = ", ".join(
            f"{_term(lang, 'r_param_' + k, k)} {show(v) if isinstance(v, float | int) else v}"
            for k, v in params.items()
        )
        dist = _term(lang, "r_dist_" + value.dist, value.dist)
        return text(lang, "r_distribution", dist=dist, params=shown, mean=show(value.point))
    if isinstance(value, float | int):
        return show(float(value))
    return str(value)


def _discounting_text(result: Result, lang: str, prefixed: bool = True) -> str:
    from socialinvest.knowledge import default_knowledge_base

    kb = default_knowledge_base()
    disc = result.discounting
    names = []
    for method in sorted({disc["costs"], disc["gains"]}):
        if method in kb:
            label = kb.entry(method).label
            names.append(label.da if lang == "da" else label.en)
        elif method.startswith("constant "):
            rate = float(method.removeprefix("constant ").rstrip("%")) / 100.0
            names.append(text(lang, "constant", rate=percent(rate, lang, 2)))
        else:
            names.append(method)
    convention = text(lang, f"convention_{disc['convention']}")
    if not prefixed:
        return f"{', '.join(names)}; {convention}"
    return text(lang, "discounting", method=", ".join(names), convention=convention)


def assumptions_section(data: ReportData) -> Section:
    result, lang = data.result, data.lang
    case = result.case
    section = Section("assumptions", text(lang, "r_h_assumptions"))
    count = assumption_count(result)
    section.parts.append(
        Paragraph(
            text(lang, "r_assumptions_intro", file=report_file_name(result))
            + (" " + text(lang, "assumption_note", count=count) if count else ""),
        )
    )

    # the case's own inputs
    rows: list[list[Cell]] = [
        [Cell(text(lang, "r_in_target_group")), Cell(case.target_group.description)],
        [
            Cell(text(lang, "r_in_cohorts")),
            Cell(
                ", ".join(
                    f"{c.year}: {_describe(c.intake, lang)}" for c in case.target_group.cohorts
                )
            ),
        ],
        [
            Cell(text(lang, "r_in_intervention")),
            Cell(
                text(
                    lang,
                    "n_intervention_value",
                    name=case.intervention.name,
                    duration=years_text(case.intervention.duration_years, lang),
                )
            ),
        ],
    ]
    success = case.success
    if success is not None:
        rows.append([Cell(text(lang, "r_in_measure")), Cell(success.measure)])
        for key in ("rate_with", "rate_without", "absolute_effect"):
            value = getattr(success, key)
            if value is not None:
                rows.append(
                    [
                        Cell(text(lang, f"in_success.{key}")),
                        Cell(_describe(value, lang, "share")),
                    ]
                )
    if case.state_transition is not None:
        st = case.state_transition
        rows.append(
            [
                Cell(text(lang, "r_in_model")),
                Cell(
                    text(
                        lang,
                        "r_model_value",
                        states=", ".join(s.replace("_", " ") for s in st.states),
                        cycle=text(lang, f"n_cycle_{st.cycle}"),
                        arm=st.intervention_effect.name,
                    )
                ),
            ]
        )
    rows.append(
        [
            Cell(text(lang, "r_in_horizon")),
            Cell(
                text(
                    lang,
                    "n_horizon_value",
                    start=case.first_year,
                    duration=years_text(case.horizon_years, lang),
                )
            ),
        ]
    )
    flows = any(result.actors_involved())
    if flows:  # a model with outcomes only has its own units and discount rates
        rows.append([Cell(text(lang, "r_in_price_year")), Cell(str(case.price_year))])
        discounting = _discounting_text(result, lang, prefixed=False)
        rows.append([Cell(text(lang, "r_in_discounting")), Cell(discounting)])
    if result.adjustments:
        items = ", ".join(
            text(lang, f"adj_{k}", value=percent(v, lang, 0)) for k, v in result.adjustments.items()
        )
        rows.append([Cell(text(lang, "r_in_adjustments")), Cell(items)])
    section.parts.append(
        Table(
            [[Cell(text(lang, "r_col_input")), Cell(text(lang, "value"))]],
            rows,
            caption=text(lang, "r_case_inputs_caption", file=report_file_name(result)),
            css="inputs",
        )
    )

    section.parts.append(inputs_table(data))

    # costs
    if result.costs:
        cost_rows = [
            [
                Cell(c["name"]),
                Cell(text(lang, f"r_cost_{c['type']}")),
                _num(money(float(c["amount"]), lang)),
                Cell(actor_name(c["actor"], lang)),
                Cell(area_name(c["area"], lang)),
            ]
            for c in result.costs
        ]
        section.parts.append(
            Table(
                [
                    [
                        Cell(text(lang, "r_col_cost")),
                        Cell(text(lang, "r_col_type")),
                        _num(text(lang, "r_col_amount", price_year=case.price_year)),
                        Cell(text(lang, "r_col_actor")),
                        Cell(text(lang, "r_col_area")),
                    ]
                ],
                cost_rows,
                caption=text(lang, "r_costs_caption"),
            )
        )

    # consequences: per additional success (success-rate model) or priced per state
    if result.consequences:
        per_success = case.model != "state_transition"
        years = max(len(c.units_per_success) for c in result.consequences) if per_success else 0
        cons_rows = []
        for c in result.consequences:
            digits = 0 if all(float(u).is_integer() for u in c.units_per_success) else 1
            units = [_num(number(u, lang, digits)) for u in c.units_per_success][:years]
            units += [Cell("") for _ in range(years - len(units))]
            name = (c.name_da or c.name) if lang == "da" else c.name
            cons_rows.append(
                [
                    Cell(name),
                    Cell(area_name(c.area, lang)),
                    *units,
                    _num(_price_per_unit(c.price_per_unit, c.unit, lang)),
                    _status(c.status, lang),
                ]
            )
        section.parts.append(
            Table(
                [
                    [
                        Cell(text(lang, "r_col_consequence")),
                        Cell(text(lang, "r_col_area")),
                        *(_num(str(n + 1)) for n in range(years)),
                        _num(text(lang, "r_col_price", price_year=case.price_year)),
                        Cell(text(lang, "status")),
                    ]
                ],
                cons_rows,
                caption=text(lang, "r_consequences_caption" if per_success else "r_prices_caption"),
                css="consequences",
                note=text(lang, "r_consequences_note") if per_success else None,
            )
        )

    # knowledge-base values
    kb_rows = []
    for rec in result.provenance_entries:
        if not flows and str(rec["id"]).startswith("discounting/"):
            continue  # not used by a model with outcomes only
        value = rec["value"]
        shown = entry_value(value, rec["unit"], lang).replace(" %", "\u00a0%")
        factor = rec.get("price_factor")
        converted = (
            number(value * factor, lang, 2 if abs(value) < 10 else 0)
            if isinstance(value, int | float) and factor is not None
            else ""
        )
        label = rec.get("label_da") if lang == "da" else rec.get("label")
        source_text = rec["source"] + (f" ({rec['publisher']})" if rec.get("publisher") else "")
        url = str(rec.get("url") or "")
        link = url if url.startswith(("https://", "http://")) else ""
        if url and not link:
            source_text += f"\n{url}"
        status = rec["status"]
        cells = [
            Cell(f"{label}\n{rec['id']} ({rec['year']})", "entry"),
            _num(shown),
            _num(converted),
            _status(status, lang),
            Cell(source_text, "source", link=link),
        ]
        kb_rows.append(cells)
        if rec.get("actor_split_status") == "assumption" and status != "assumption":
            kb_rows.append(
                [
                    Cell(text(lang, "r_actor_split_of", entry=rec["id"]), "entry"),
                    Cell(""),
                    Cell(""),
                    _status("assumption", lang),
                    Cell(rec.get("actor_split_source", ""), "source"),
                ]
            )
    for ix in result.price_index_used:
        kb_rows.append(
            [
                Cell(f"{text(lang, 'price_index')} {ix['year']}\n{ix.get('entry', '')}", "entry"),
                _num(number(ix["value"], lang, 1)),
                Cell(""),
                _status(ix["status"], lang),
                Cell(ix["source"], "source"),
            ]
        )
    if kb_rows:
        section.parts.append(
            Table(
                [
                    [
                        Cell(text(lang, "entry")),
                        _num(text(lang, "value")),
                        _num(text(lang, "in_price_year", price_year=case.price_year)),
                        Cell(text(lang, "status")),
                        Cell(text(lang, "source")),
                    ]
                ],
                kb_rows,
                caption=text(lang, "sources_title", version=result.knowledge_base_version),
                css="sources",
            )
        )
    return section


def input_label(item: Any, result: Result, lang: str) -> str:
    """The reader's label of a case input (inputs.InputItem): a consequence by its name."""
    name = item.name
    if item.path.startswith(("consequences[", "state_transition.consequences[")):
        start = item.path.index("consequences[") + len("consequences[")
        index = int(item.path[start : item.path.index("]", start)])
        if index < len(result.consequences):
            c = result.consequences[index]
            name = (c.name_da or c.name) if lang == "da" else c.name
    return text(lang, item.label_key, name=name)


def inputs_table(data: ReportData) -> Table:
    """Every input of the case file with its status and source (socialinvest.inputs)."""
    from socialinvest.inputs import case_inputs

    result, lang = data.result, data.lang
    rows = []
    for item in case_inputs(result.case):
        status = item.status or "none"
        rows.append(
            [
                Cell(input_label(item, result, lang)),
                Cell(
                    text(lang, f"n_status_{status}"),
                    "status",
                    badge="assumption" if status in ("assumption", "none") else status,
                ),
                Cell(item.source or "", "source"),
            ]
        )
    return Table(
        [
            [
                Cell(text(lang, "r_col_input")),
                Cell(text(lang, "status")),
                Cell(text(lang, "n_col_status_source")),
            ]
        ],
        rows,
        caption=text(lang, "n_inputs_caption"),
        css="sources",
        note=text(lang, "n_inputs_note"),
    )


def yearly_section(data: ReportData, figures: dict[str, Figure]) -> Section:
    """Net result per year for every actor and budget area with flows (1,000 kr.)."""
    result, lang = data.result, data.lang
    s = result.summary
    pairs = [(a, r) for a in range(len(ACTORS)) for r in range(len(AREAS)) if s.active[a, r]]
    net = s.gains_mean - s.costs_mean  # [A, R, Y]
    disc = s.discounted_net_mean  # [A, R, Y]
    total = net.sum(axis=(0, 1))
    disc_total = disc.sum(axis=(0, 1))
    cumulative = result.cumulative_total()
    groups: list[Cell] = [Cell("")]
    for a in range(len(ACTORS)):
        n = sum(1 for pa, _ in pairs if pa == a)
        if n:
            groups.append(Cell(actor_name(ACTORS[a], lang), "group", n))
    groups.append(Cell("", colspan=3))
    areas = [
        Cell(text(lang, "year")),
        *(_num(area_name(AREAS[r], lang)) for _, r in pairs),
        _num(text(lang, "total")),
        _num(text(lang, "discounted_total")),
        _num(text(lang, "cumulative")),
    ]
    rows = [
        [
            Cell(str(year)),
            *(_num(thousands(float(net[a, r, y]), lang)) for a, r in pairs),
            Cell(thousands(float(total[y]), lang), "num strong"),
            _num(thousands(float(disc_total[y]), lang)),
            _num(thousands(float(cumulative[y]), lang)),
        ]
        for y, year in enumerate(result.years)
    ]
    foot = [
        [
            Cell(text(lang, "total")),
            *(_num(thousands(float(net[a, r].sum()), lang)) for a, r in pairs),
            Cell(thousands(float(total.sum()), lang), "num strong"),
            _num(thousands(float(disc_total.sum()), lang)),
            Cell(""),
        ],
        [
            Cell(text(lang, "r_npv_short")),
            *(_num(thousands(float(disc[a, r].sum()), lang)) for a, r in pairs),
            Cell(""),
            Cell(thousands(float(disc_total.sum()), lang), "num strong"),
            Cell(""),
        ],
    ]
    table = Table(
        [groups, areas],
        rows,
        caption=text(lang, "r_yearly_caption", price_year=result.case.price_year),
        foot=foot,
        css="yearly",
        note=text(lang, "r_yearly_note"),
    )
    return Section("yearly", text(lang, "r_h_yearly"), [table, figures["flows"]])


def uncertainty_section(data: ReportData, figures: dict[str, Figure]) -> Section | None:
    result, lang = data.result, data.lang
    uncertainty = result.uncertainty() if data.has_npv_uncertainty else None
    if uncertainty is None and not data.has_tornado and not data.has_outcome_uncertainty:
        return None
    section = Section("uncertainty", text(lang, "r_h_uncertainty"))
    if data.has_outcome_uncertainty:
        section.parts.append(outcome_uncertainty_table(data))
    if uncertainty is not None:
        head = [
            [
                Cell(""),
                *(_num(text(lang, f"u_{c}")) for c in ("mean", "p05", "p50", "p95")),
                _num(text(lang, "u_prob_positive")),
            ]
        ]
        rows = [
            (text(lang, "total"), uncertainty["total"]),
            *((actor_name(a, lang), uncertainty["by_actor"][a]) for a in _involved(result)),
        ]
        section.parts.append(
            Paragraph(
                text(
                    lang,
                    "r_uncertainty_intro",
                    draws=number(uncertainty["draws"], lang),
                    seed=uncertainty["seed"],
                )
            )
        )
        section.parts.append(
            Table(
                head,
                [
                    [
                        Cell(label),
                        *(_num(money(st[c], lang)) for c in ("mean", "p05", "p50", "p95")),
                        Cell(percent(st["prob_positive"], lang), "num strong"),
                    ]
                    for label, st in rows
                ],
                caption=text(lang, "r_uncertainty_caption"),
            )
        )
        dist = uncertainty["break_even_year"]["distribution"]
        section.parts.append(
            Table(
                [[Cell(text(lang, "break_even_year")), _num(text(lang, "r_col_share_of_draws"))]],
                [
                    [
                        Cell(text(lang, "none_short") if year == "none" else year),
                        _num(percent(share, lang, 1)),
                    ]
                    for year, share in dist.items()
                ],
                caption=text(lang, "r_break_even_distribution_caption"),
                css="narrow",
            )
        )
        section.parts.append(figures["histogram"])
    if data.has_tornado:
        assert data.sensitivity is not None
        from socialinvest.output.analysis_tables import input_label, value_text

        sens = data.sensitivity
        section.parts.append(
            Table(
                [
                    [
                        Cell(text(lang, "input")),
                        _num(text(lang, "low")),
                        _num(text(lang, "high")),
                        _num(text(lang, "r_col_npv_low")),
                        _num(text(lang, "r_col_npv_high")),
                        _num(text(lang, "swing")),
                    ]
                ],
                [
                    [
                        Cell(input_label(o.path, sens.names, lang)),
                        _num(value_text(o.path, o.low, lang)),
                        _num(value_text(o.path, o.high, lang)),
                        _num(money(o.npv_low["total"], lang)),
                        _num(money(o.npv_high["total"], lang)),
                        _num(money(o.swing, lang)),
                    ]
                    for o in sens.one_way
                ],
                caption=text(lang, "r_tornado_caption"),
                note=text(lang, "r_tornado_note", point=money(sens.npv_point["total"], lang)),
            )
        )
        section.parts.append(figures["tornado"])
    return section


def outcome_uncertainty_table(data: ReportData) -> Table:
    """A state-transition model's outcomes over the draws: the difference between the arms
    (mean, 5 %, 50 %, 95 %) and each ratio (e.g. cost per QALY) per draw."""
    result, lang = data.result, data.lang
    table = result.outcome_table()
    assert table is not None
    rows = []
    for name, row in table["outcomes"].items():
        spread = row.get("difference_interval") or {}
        rows.append(
            [
                Cell(f"Δ {outcome_label(result, name)}"),
                _num(number(row["difference"], lang, 3)),
                *(
                    _num(number(spread.get(k, float("nan")), lang, 3))
                    for k in ("p05", "p50", "p95")
                ),
            ]
        )
    for name, ratio in table["ratios"].items():
        spread = ratio.get("per_draw") or {}
        rows.append(
            [
                Cell(ratio_label(result, name, ratio)),
                _num("–" if ratio["value"] is None else number(ratio["value"], lang, 2)),
                *(
                    _num(number(spread[k], lang, 2) if k in spread else "–")
                    for k in ("p05", "p50", "p95")
                ),
            ]
        )
    return Table(
        [
            [
                Cell(""),
                *(_num(text(lang, f"u_{c}")) for c in ("mean", "p05", "p50", "p95")),
            ]
        ],
        rows,
        caption=text(
            lang,
            "n_outcomes_uncertainty_caption",
            draws=number(result.draws, lang),
            seed=result.run.get("seed", "–"),
        ),
    )


def contract_section(data: ReportData, figures: dict[str, Figure]) -> Section | None:
    """The outcome contract: cash flows per party, the investor's return and its distribution,
    the probability that the payer pays more than it saves, break-even success rates.
    Rendered only when ``data.contract`` is present (see content.ContractView)."""
    contract = data.contract
    if contract is None:
        return None
    lang = data.lang
    section = Section("contract", text(lang, "r_h_contract"))
    if contract.terms:
        section.parts.append(
            Table(
                [[Cell(text(lang, "r_col_term")), Cell(text(lang, "r_col_value"))]],
                [[Cell(label), Cell(value)] for label, value in contract.terms],
                caption=text(lang, "r_contract_terms_caption"),
            )
        )
    from socialinvest.draws import monte_carlo_error

    def prob(p: float) -> str:
        return text(
            lang,
            "n_prob_error",
            prob=percent(p, lang),
            error=percent(monte_carlo_error(p, contract.draws), lang),
        )

    if contract.enough_draws:
        section.parts.append(
            Paragraph(
                text(
                    lang,
                    "n_prob_caption_draws",
                    draws=number(contract.draws, lang),
                    seed="–" if contract.seed is None else contract.seed,
                )
            )
        )
    for payer, risk in contract.payer_risks.items():
        section.parts.append(
            Paragraph(text(lang, "r_contract_payer", payer=payer, prob=prob(risk)))
        )
    if contract.account is not None:
        section.parts.append(account_table(data))
    parties = list(contract.parties)
    flows = [list(contract.cash_flows[p]) for p in parties]
    vehicle = list(contract.vehicle) or [0.0] * len(contract.years)
    columns = [*flows, vehicle]
    sums = [sum(col[y] for col in columns) for y in range(len(contract.years))]
    section.parts.append(
        Table(
            [
                [
                    Cell(text(lang, "year")),
                    *(_num(p) for p in parties),
                    _num(text(lang, "n_col_vehicle")),
                    _num(text(lang, "n_col_sum")),
                ]
            ],
            [
                [
                    Cell(str(year)),
                    *(_num(money(col[y], lang)) for col in columns),
                    _num(money(sums[y], lang)),
                ]
                for y, year in enumerate(contract.years)
            ],
            caption=text(lang, "r_contract_flows_caption"),
            foot=[
                [
                    Cell(text(lang, "total")),
                    *(_num(money(sum(col), lang)) for col in columns),
                    _num(money(sum(sums), lang)),
                ]
            ],
            note=text(lang, "n_flows_note"),
            css="wide",
        )
    )
    if "contract_flows" in figures:
        section.parts.append(figures["contract_flows"])
    irr = np.asarray(contract.investor_irr, dtype=np.float64)
    finite = irr[np.isfinite(irr)]
    if finite.size:
        q = np.quantile(finite, [0.05, 0.5, 0.95])
        section.parts.append(
            Table(
                [
                    [
                        _num(text(lang, "u_mean")),
                        *(_num(text(lang, f"u_{c}")) for c in ("p05", "p50", "p95")),
                        _num(text(lang, "r_col_prob_loss")),
                    ]
                ],
                [
                    [
                        _num(percent(float(finite.mean()), lang)),
                        *(_num(percent(float(v), lang)) for v in q),
                        _num(
                            prob(
                                contract.prob_loss
                                if contract.prob_loss is not None
                                else float((finite < 0).mean())
                            )
                        ),
                    ]
                ],
                caption=text(lang, "r_contract_irr_caption", draws=number(irr.size, lang)),
            )
        )
    if "irr" in figures:
        section.parts.append(figures["irr"])
    if not contract.enough_draws:
        from socialinvest.draws import MIN_DRAWS_PROBABILITY

        section.parts.append(
            Paragraph(
                text(
                    lang,
                    "n_sum_contract_few",
                    min=number(MIN_DRAWS_PROBABILITY, lang),
                    draws=number(contract.draws, lang),
                )
            )
        )
        return section
    section.parts.append(
        Table(
            [[Cell(text(lang, "r_col_party")), _num(text(lang, "r_col_break_even_rate"))]],
            [
                [
                    Cell(party),
                    _num(_break_even_text(rate, contract.break_even_notes.get(party), lang)),
                ]
                for party, rate in contract.break_even_success_rates.items()
            ],
            caption=text(lang, "r_contract_break_even_caption"),
            css="narrow",
        )
    )
    if "tradeoff" in figures:
        section.parts.append(Paragraph(text(lang, "r_contract_tradeoff_note")))
        section.parts.append(figures["tradeoff"])
    return section


def account_table(data: ReportData) -> Table:
    """The business case per actor without and with the contract, year by year (1,000 kr.),
    with the investors' expected net payments, and who bears costs outside the contract's
    term (content.ContractView.account)."""
    contract = data.contract
    assert contract is not None and contract.account is not None
    acc, lang = contract.account, data.lang
    actors = acc.involved()
    investors = sum(acc.investors.values(), np.zeros(len(acc.years)))
    head = [
        [
            Cell(""),
            *(Cell(actor_name(a, lang), "group", 2) for a in actors),
            Cell(""),
        ],
        [
            Cell(text(lang, "year")),
            *(_num(text(lang, key)) for _ in actors for key in ("n_acc_without", "n_acc_with")),
            _num(text(lang, "n_acc_investors")),
        ],
    ]
    rows = [
        [
            Cell(str(year)),
            *(
                _num(thousands(float(side[a].net[y]), lang))
                for a in actors
                for side in (acc.without, acc.with_)
            ),
            _num(thousands(float(investors[y]), lang)),
        ]
        for y, year in enumerate(acc.years)
    ]
    foot = [
        [
            Cell(text(lang, "r_npv_short")),
            *(
                Cell(thousands(acc.present(side[a])["net"], lang), "num strong")
                for a in actors
                for side in (acc.without, acc.with_)
            ),
            Cell(""),
        ]
    ]
    outside = []
    for a in actors:
        value, years = acc.outside_term(a)
        if years:
            outside.append(
                text(
                    lang,
                    "n_acc_outside_item",
                    actor=actor_name(a, lang),
                    costs=money(value, lang),
                    years=f"{years[0]}–{years[-1]}" if years[0] != years[-1] else str(years[0]),
                )
            )
    return Table(
        head,
        rows,
        caption=text(
            lang,
            "n_acc_caption",
            price_year=data.result.case.price_year,
            draws=number(contract.draws, lang),
        ),
        foot=foot,
        note=text(
            lang,
            "n_acc_note",
            first=acc.term[0],
            last=acc.term[1],
            outside="; ".join(outside) if outside else text(lang, "n_acc_outside_none"),
        ),
        css="yearly",
    )


def budget_section(data: ReportData) -> Section | None:
    """The kommune's budget view: its net result (gains minus costs, not discounted, 1,000 kr.)
    per committee for the budget year and the three following years; with a contract, the
    costs the investors take over and the outcome payments as rows of their own."""
    result, lang = data.result, data.lang
    case = result.case
    meta = case.report
    first = meta.budget_year if meta is not None and meta.budget_year else case.first_year
    years = [y for y in range(first, first + 4) if y in result.years]
    k = ACTORS.index("kommune")
    s = result.summary
    if not years or not s.active[k].any():
        return None
    index = [result.years.index(y) for y in years]
    net = s.gains_mean[k] - s.costs_mean[k]  # [R, Y]
    groups: dict[str, np.ndarray] = {}
    for r, area in enumerate(AREAS):
        if not s.active[k, r]:
            continue
        name = result.committee_of(area) if case.committees else area_name(area, lang)
        label = name or text(lang, "not_mapped")
        groups[label] = groups.get(label, np.zeros(len(result.years))) + net[r]
    rows = [
        [Cell(label), *(_num(thousands(float(values[i]), lang)) for i in index)]
        for label, values in groups.items()
    ]
    total = sum(groups.values(), np.zeros(len(result.years)))
    contract = data.contract
    if contract is not None and contract.account is not None:
        acc = contract.account
        moved = acc.without["kommune"].costs - acc.with_["kommune"].costs
        paid = acc.with_["kommune"].payments
        rows.append(
            [Cell(text(lang, "n_budget_funded")), *(_num(thousands(moved[i], lang)) for i in index)]
        )
        rows.append(
            [
                Cell(text(lang, "n_budget_payments")),
                *(_num(thousands(-paid[i], lang)) for i in index),
            ]
        )
        total = total + moved - paid
    foot = [
        [
            Cell(text(lang, "n_budget_total")),
            *(Cell(thousands(float(total[i]), lang), "num strong") for i in index),
        ]
    ]
    table = Table(
        [
            [
                Cell(text(lang, "committee" if case.committees else "r_col_area")),
                *(_num(str(y)) for y in years),
            ]
        ],
        rows,
        caption=text(
            lang, "n_budget_caption", price_year=case.price_year, first=years[0], last=years[-1]
        ),
        foot=foot,
        note=text(lang, "n_budget_note"),
        css="narrow",
    )
    return Section("budget", text(lang, "n_h_budget"), [table])


def methods_section(data: ReportData) -> Section:
    """The methods appendix: SØM's budget-economic method, discounting, the draws, what the
    model leaves out."""
    result, lang = data.result, data.lang
    parts: list[Any] = []
    if any(result.actors_involved()):
        parts.append(Paragraph(text(lang, "n_method_som")))
        discounting = _discounting_text(result, lang, prefixed=False)
        parts.append(Paragraph(text(lang, "n_method_discounting", discounting=discounting)))
        parts.append(Paragraph(text(lang, "n_method_prices", price_year=result.case.price_year)))
    else:
        parts.append(Paragraph(text(lang, "n_method_outcomes")))
    if result.draws > 1:
        parts.append(
            Paragraph(
                text(
                    lang,
                    "n_method_draws",
                    draws=number(result.draws, lang),
                    seed=result.run.get("seed", "–"),
                )
            )
        )
    else:
        from socialinvest.draws import is_uncertain

        key = "n_sum_point_means" if is_uncertain(result.case) else "n_method_one_draw"
        parts.append(Paragraph(text(lang, key)))
    if data.contract is not None:
        parts.append(Paragraph(text(lang, "n_method_contract")))
    parts.append(Paragraph(text(lang, "n_method_left_out")))
    return Section("methods", text(lang, "n_h_methods"), parts)


def sections(data: ReportData) -> list[Section]:
    """The report's sections in order (only those with something to show)."""
    figures = {
        key: Figure(key, chart.title, _svg_body(to_svg(chart.spec, data.lang), chart.title))
        for key, chart in report_charts(data).items()
    }
    found = [
        summary_section(data),
        key_figures_section(data, figures),
        budget_section(data),
        assumptions_section(data),
        yearly_section(data, figures),
        uncertainty_section(data, figures),
        contract_section(data, figures),
        methods_section(data),
    ]
    return [s for s in found if s is not None]


def _svg_body(svg: str, title: str) -> str:
    """An SVG document as an inline element: no XML declaration, as wide as the page (the
    viewBox keeps its proportions), labelled for screen readers."""
    import re

    body = svg[svg.find("<svg") :]
    # Vega writes its own screen-reader texts in English ("Title text ...", "line mark
    # container"); the figure's label in the report's language replaces them
    body = re.sub(r'\saria-(?:label|roledescription)="[^"]*"', "", body)
    tag_end = body.find(">")
    tag = body[:tag_end]
    tag = re.sub(r'\s(width|height)="[^"]*"', "", tag)
    tag = tag.replace('class="marks"', 'class="marks chart"', 1)
    tag += f' width="100%" role="img" aria-label="{escape(title)}"'
    return tag + body[tag_end:]


# -- the document --------------------------------------------------------------------------------


def _css_string(value: str) -> str:
    """A text as a CSS string literal (for @page margin boxes)."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", " ")
        .replace("<", "\\3c ")
        .replace(">", "\\3e ")
    )
    return f'"{escaped}"'


def render_html(data: ReportData, *, paged: bool = False) -> str:
    """The report as one HTML document. ``paged``: laid out for A4 (the PDF)."""
    from babel.dates import format_date
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    from socialinvest import __version__

    result, lang = data.result, data.lang
    case = result.case
    env = Environment(
        loader=PackageLoader("socialinvest.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")
    css = env.get_template("report.css").render()
    if any(result.actors_involved()):
        footer = text(
            lang,
            "r_footer",
            price_year=case.price_year,
            discounting=_discounting_text(result, lang),
        )
    else:  # a model with outcomes only (a published health-economic model): its own units
        footer = text(lang, "n_footer_outcomes")
    cover: list[tuple[str, str]] = []
    meta = case.report
    if meta is not None:
        for key in ("author", "department", "committee", "meeting_date", "case_number"):
            value = getattr(meta, key)
            if value is None:
                continue
            shown = (
                format_date(value, format="long", locale=LOCALES[lang])
                if key == "meeting_date"
                else str(value)
            )
            cover.append((text(lang, f"n_cover_{key}"), shown))
    return template.render(
        lang=lang,
        cover=cover,
        title=text(lang, "title", name=case.name),
        municipality=text(lang, "municipality", name=case.municipality)
        if case.municipality
        else None,
        description=case.description,
        created=text(
            lang,
            "r_created",
            date=format_date(data.created, format="long", locale=LOCALES[lang]),
            version=__version__,
            kb=result.knowledge_base_version,
        ),
        settings=text(
            lang,
            "r_settings" if any(result.actors_involved()) else "n_settings_outcomes",
            price_year=case.price_year,
            draws=number(result.draws, lang),
            start=case.first_year,
            horizon=case.horizon_years,
        ),
        toc_heading=text(lang, "r_h_contents"),
        sections=sections(data),
        css=css,
        paged=paged,
        footer_css=_css_string(footer),
        page_css=_css_string(text(lang, "r_page")),
        page_of_css=_css_string(text(lang, "r_page_of")),
        footer=footer,
        is_table=lambda part: isinstance(part, Table),
        is_figure=lambda part: isinstance(part, Figure),
        provenance=text(
            lang,
            "r_provenance",
            sha=result.case_sha256[:12],
            digest=result.knowledge_base_digest[:12],
        ),
    )


def write_html(data: ReportData, path: str | Path) -> None:
    """Write the HTML report to ``path`` all or nothing."""
    from socialinvest.output.files import write_atomically

    write_atomically(path, render_html(data))
