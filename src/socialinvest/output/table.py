"""The readable view of a Result: tables in Danish or English number formats.

:func:`blocks` lays the view out (lines and tables, `output/plain.py`'s types, no Rich);
:func:`render` makes Rich renderables of it for a terminal, :func:`plain` the same characters
without Rich for a pipe or a file (docs/architecture.md, "Speed, fifth pass").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialinvest.output.messages import actor_labels, text
from socialinvest.output.numbers import entry_value, money, number, percent, thousands
from socialinvest.output.plain import Block, Column, Grid, Line, Span, write
from socialinvest.vocabulary import ACTORS

if TYPE_CHECKING:
    from rich.console import Console, Group

    from socialinvest.result import Result


def _status(lang: str, status: str) -> tuple[Span, ...]:
    label = text(lang, f"status_{status}")
    return (Span(label, "bold red" if status == "assumption" else ""),)


def _rate_text(value: float | None, lang: str) -> str:
    if value is None:
        return text(lang, "never")
    if value > 1.0:
        return f"{percent(value, lang)} ({text(lang, 'above_100')})"
    return percent(value, lang)


def render(result: Result, lang: str = "da") -> Group:
    """The view as Rich renderables (for a terminal)."""
    return to_rich(blocks(result, lang))


def plain(result: Result, lang: str = "da", width: int = 120) -> str | None:
    """The characters Rich prints for :func:`render` on a console of ``width`` columns that is
    not a terminal, or None when a text holds characters `output/plain.py` cannot measure."""
    return write(blocks(result, lang), width)


def to_rich(parts: list[Block]) -> Group:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    def cell(value: str | tuple[Span, ...]) -> str | Text:
        if isinstance(value, str):
            return value
        return Text.assemble(*((span.text, span.style) for span in value))

    shown: list[object] = []
    for part in parts:
        if isinstance(part, Line):
            shown.append(Text(part.text, style=part.style))
            continue
        table = Table(title=part.title, title_justify="left")
        for column in part.columns:
            table.add_column(
                column.header, justify=column.justify, style=column.style, overflow=column.overflow
            )
        for row in part.rows:
            table.add_row(*(cell(value) for value in row))
        shown.append(table)
    return Group(*shown)  # type: ignore[arg-type]


def blocks(result: Result, lang: str = "da") -> list[Block]:
    """The view: lines and tables."""
    case = result.case
    actor_names = actor_labels(lang)
    parts: list[Block] = []

    head = [Line(text(lang, "title", name=case.name), style="bold")]
    if case.municipality:
        head.append(Line(text(lang, "municipality", name=case.municipality)))
    head.append(
        Line(
            text(
                lang,
                "settings",
                price_year=case.price_year,
                draws=result.draws,
                currency=case.currency,
            )
        )
    )
    disc = result.discounting
    methods = {disc["costs"], disc["gains"]}
    method = ", ".join(sorted(methods))
    head.append(
        Line(
            text(
                lang,
                "discounting",
                method=method,
                convention=text(lang, f"convention_{disc['convention']}"),
            )
        )
    )
    if result.adjustments:
        items = ", ".join(
            text(lang, f"adj_{k}", value=percent(v, lang, 0)) for k, v in result.adjustments.items()
        )
        head.append(Line(text(lang, "adjustments", items=items), style="yellow"))
    parts.extend(head)

    # yearly table: years as rows, actors as columns
    yearly = result.yearly_by_actor()
    cum = result.cumulative_total()
    disc_total = yearly["discounted_net"].sum(axis=0)
    table = Grid(
        text(lang, "yearly_title", price_year=case.price_year),
        [
            Column(text(lang, "year")),
            *(Column(actor_names[a], justify="right") for a in ACTORS),
            Column(text(lang, "total"), justify="right", style="bold"),
            Column(text(lang, "discounted_total"), justify="right"),
            Column(text(lang, "cumulative"), justify="right"),
        ],
    )
    net = yearly["net"]
    for y, year in enumerate(result.years):
        table.add_row(
            str(year),
            *(thousands(float(net[k, y]), lang) for k in range(len(ACTORS))),
            thousands(float(net[:, y].sum()), lang),
            thousands(float(disc_total[y]), lang),
            thousands(float(cum[y]), lang),
        )
    parts.append(table)

    # key figures
    key = Grid(
        text(lang, "key_figures"),
        [
            Column(""),
            Column(text(lang, "total"), justify="right", style="bold"),
            *(Column(actor_names[a], justify="right") for a in ACTORS),
        ],
    )
    npv = result.npv_by_actor()
    gains = result.discounted_gains_by_actor()
    costs = result.discounted_costs_by_actor()
    key.add_row(
        text(lang, "npv"), money(result.npv_total, lang), *(money(npv[a], lang) for a in ACTORS)
    )
    key.add_row(
        text(lang, "gains"),
        money(sum(gains.values()), lang),
        *(money(gains[a], lang) for a in ACTORS),
    )
    key.add_row(
        text(lang, "costs"),
        money(sum(costs.values()), lang),
        *(money(costs[a], lang) for a in ACTORS),
    )
    none = text(lang, "none_within", horizon=case.horizon_years)
    be = result.break_even_year_by_actor()
    key.add_row(
        text(lang, "break_even_year"),
        str(result.break_even_year) if result.break_even_year is not None else none,
        *(
            str(be[a])
            if be[a] is not None
            else (text(lang, "none_short") if result.actors_involved()[k] else "–")
            for k, a in enumerate(ACTORS)
        ),
    )
    rpk = result.return_per_krone_by_actor()
    key.add_row(
        text(lang, "return_per_krone"),
        money(result.return_per_krone, lang, 2),
        *(money(rpk[a], lang, 2) for a in ACTORS),
    )
    rate = result.break_even_success_rate()
    if case.success is not None:
        label = "break_even_rate" if rate["basis"] == "rate_with" else "break_even_effect"
        key.add_row(
            text(lang, label),
            _rate_text(rate["total"], lang),
            *(
                _rate_text(rate["by_actor"][a], lang) if result.actors_involved()[k] else "–"
                for k, a in enumerate(ACTORS)
            ),
        )
        key.add_row(
            text(lang, "successes", measure=case.success.measure),
            number(result.additional_successes, lang, 1),
            "",
            "",
            "",
        )
        key.add_row(
            text(lang, "cost_per_success"),
            money(result.cost_per_additional_success, lang),
            "",
            "",
            "",
        )
    parts.append(key)

    outcome_table = result.outcome_table()
    if outcome_table is not None:
        ot = Grid(
            text(lang, "outcomes_title"),
            [
                Column(""),
                Column(text(lang, "arm_comparator"), justify="right"),
                Column(outcome_table["arms"]["intervention"], justify="right"),
                Column(text(lang, "difference"), justify="right"),
            ],
        )
        for name, row in outcome_table["outcomes"].items():
            ot.add_row(
                name,
                *(number(row[k], lang, 2) for k in ("comparator", "intervention", "difference")),
            )
        for name, ratio in outcome_table["ratios"].items():
            ot.add_row(
                f"{name} (Δ{ratio['numerator']} / Δ{ratio['denominator']})",
                "",
                "",
                number(ratio["value"], lang, 2),
            )
        parts.append(ot)

    uncertainty = result.uncertainty()
    if uncertainty is not None:
        ut = Grid(
            text(
                lang,
                "uncertainty_title",
                draws=number(uncertainty["draws"], lang),
                seed=uncertainty["seed"],
            ),
            [
                Column(""),
                *(
                    Column(text(lang, f"u_{column}"), justify="right")
                    for column in ("mean", "p05", "p50", "p95", "prob_positive")
                ),
            ],
        )
        rows = [(text(lang, "total"), uncertainty["total"])] + [
            (actor_names[a], uncertainty["by_actor"][a])
            for k, a in enumerate(ACTORS)
            if result.actors_involved()[k]
        ]
        for label_text, st_ in rows:
            ut.add_row(
                label_text,
                *(money(st_[c], lang) for c in ("mean", "p05", "p50", "p95")),
                percent(st_["prob_positive"], lang),
            )
        parts.append(ut)
        dist = uncertainty["break_even_year"]["distribution"]
        shown = ", ".join(
            f"{text(lang, 'none_short') if year == 'none' else year}: {percent(share, lang, 0)}"
            for year, share in dist.items()
        )
        parts.append(Line(text(lang, "break_even_distribution", items=shown)))

    committees = result.by_committee()
    if committees:
        ct = Grid(
            text(lang, "committees_title"),
            [
                Column(text(lang, "committee")),
                Column(text(lang, "total"), justify="right", style="bold"),
                *(Column(actor_names[a], justify="right") for a in ACTORS),
            ],
        )
        for row in committees:
            name = row["committee"] or text(lang, "not_mapped")
            ct.add_row(
                name,
                number(row["npv"], lang),
                *(number(row["npv_by_actor"][a], lang) for a in ACTORS),
            )
        parts.append(ct)

    # sources: every knowledge-base value and own price, assumptions marked
    st = Grid(
        text(lang, "sources_title", version=result.knowledge_base_version),
        [
            Column(text(lang, "entry"), overflow="fold"),
            Column(text(lang, "value"), justify="right"),
            Column(text(lang, "in_price_year", price_year=case.price_year), justify="right"),
            Column(text(lang, "status")),
            Column(text(lang, "source"), overflow="fold"),
        ],
    )
    assumptions = 0
    for rec in result.provenance_entries:
        value = rec["value"]
        shown = entry_value(value, rec["unit"], lang).replace("; ", "\n")
        label_text = rec.get("label_da") if lang == "da" else rec.get("label")
        factor = rec.get("price_factor")
        converted = (
            number(value * factor, lang, 2 if abs(value) < 10 else 0)
            if isinstance(value, int | float) and factor is not None
            else ""
        )
        st.add_row(
            _with_dim(f"{label_text}", f"{rec['id']} ({rec['year']})"),
            shown,
            converted,
            _status(lang, rec["status"]),
            rec["source"],
        )
        assumptions += rec["status"] == "assumption"
        split_status = rec.get("actor_split_status")
        if split_status == "assumption" and rec["status"] != "assumption":
            assumptions += 1
    for c in result.consequences:
        if c.ref is None:
            st.add_row(
                _with_dim(f"{c.name}", text(lang, "own_prices")),
                "",
                money(c.price_per_unit, lang, 2),
                _status(lang, c.status),
                c.source,
            )
            assumptions += c.status == "assumption"
    for rec in result.price_index_used:
        st.add_row(
            _with_dim(f"{text(lang, 'price_index')} {rec['year']}", f"{rec.get('entry', '')}"),
            number(rec["value"], lang, 1),
            "",
            _status(lang, rec["status"]),
            rec["source"],
        )
        if rec.get("status") == "assumption":
            assumptions += 1
    parts.append(st)
    if assumptions:
        parts.append(Line(text(lang, "assumption_note", count=assumptions), style="bold red"))
    return parts


def print_result(result: Result, lang: str, console: Console) -> None:
    console.print(render(result, lang))


def _with_dim(first: str, second: str) -> tuple[Span, ...]:
    """Two lines, the second dimmed; both plain text (a user's label is never read as Rich
    markup: "[link=…]" or "[bold]" in a case's name is shown as written)."""
    return (Span(first), Span("\n"), Span(second, "dim"))
