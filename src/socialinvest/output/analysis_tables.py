"""Readable terminal views of a sensitivity analysis and a comparison of alternatives."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from socialinvest.output.messages import actor_labels, has_text, text
from socialinvest.output.numbers import money, number, percent, thousands
from socialinvest.vocabulary import ACTORS

if TYPE_CHECKING:
    from socialinvest.analysis.compare import Alternative, Comparison, FrontierPoint
    from socialinvest.analysis.sensitivity import Sensitivity

_INDEXED = re.compile(r"^(\w+(?:\.\w+)*)\[(\d+)\](?:\.(\w+(?:\.\w+)*))?(?:\[(\d+)\])?$")


def input_label(path: str, names: dict[str, object], lang: str) -> str:
    """A reader's name for an input path, e.g. "Omkostning: Indsatsteam" for
    intervention.costs[0].amount."""
    key = f"in_{path}"
    if has_text(lang, key):
        return text(lang, key)
    if path.startswith("state_transition.parameters."):
        return text(lang, "n_in_parameter", name=path.removeprefix("state_transition.parameters."))
    match = _INDEXED.match(path)
    if match is None:
        return path
    head, index, rest, sub = match.groups()
    i = int(index)
    try:
        if head == "target_group.cohorts":
            return text(lang, "in_intake", year=names["cohorts"][i])  # type: ignore[index]
        if head == "intervention.costs":
            return text(lang, "in_cost", name=names["costs"][i])  # type: ignore[index]
        if head == "consequences":
            en, da = names["consequences"][i]  # type: ignore[index]
            name = da if lang == "da" else en
            if rest == "price.value":
                return text(lang, "in_price", name=name)
            if rest == "units_per_success" and sub is not None:
                return text(lang, "in_units", name=name, n=int(sub) + 1)
    except (KeyError, IndexError):
        pass
    return path


def value_text(path: str, value: float, lang: str) -> str:
    """An input's value in its own terms: shares as percentages, amounts in kroner."""
    from socialinvest.analysis.sensitivity import input_kind

    kind = input_kind(path)[0]
    if kind in ("share", "effect", "uplift"):
        return percent(value, lang, 1)
    if kind == "money":
        return money(value, lang)
    if kind == "count":
        return number(value, lang, 0 if float(value).is_integer() else 1)
    return number(value, lang, 0 if abs(value) >= 100 else 2)


def _bar(low: float, high: float, centre: float, scale: float, width: int = 8) -> Text:
    """A tornado bar: the NPV range around the point value, left of │ below it, right above."""
    left = max(0.0, centre - min(low, high))
    right = max(0.0, max(low, high) - centre)
    n_left = round(width * left / scale) if scale > 0 else 0
    n_right = round(width * right / scale) if scale > 0 else 0
    bar = Text(" " * (width - n_left))
    bar.append("█" * n_left, style="red")
    bar.append("│")
    bar.append("█" * n_right, style="green")
    bar.append(" " * (width - n_right))
    return bar


def render_sensitivity(s: Sensitivity, lang: str = "da") -> Group:
    actors = actor_labels(lang)
    parts: list[object] = [
        Text(text(lang, "sens_title", name=s.case.name), style="bold"),
        Text(text(lang, "sens_point", total=money(s.npv_point["total"], lang))),
    ]
    if s.one_way:
        table = Table(title=text(lang, "tornado_title"), title_justify="left")
        table.add_column(text(lang, "input"), overflow="fold", ratio=1)
        table.add_column(text(lang, "low"), justify="right", no_wrap=True)
        table.add_column(text(lang, "high"), justify="right", no_wrap=True)
        table.add_column(text(lang, "total_low"), justify="right", no_wrap=True)
        table.add_column(text(lang, "total_high"), justify="right", no_wrap=True)
        table.add_column(text(lang, "swing"), justify="right", style="bold", no_wrap=True)
        table.add_column("", no_wrap=True)
        centre = s.npv_point["total"]
        scale = max(
            max(abs(o.npv_low["total"] - centre), abs(o.npv_high["total"] - centre))
            for o in s.one_way
        )
        for o in s.one_way:
            mark = "*" if o.basis == "given" else ""
            label = Text(input_label(o.path, s.names, lang))
            label.append(f"\n{o.path}", style="dim")
            table.add_row(
                label,
                value_text(o.path, o.low, lang),
                value_text(o.path, o.high, lang) + mark,
                thousands(o.npv_low["total"], lang),
                thousands(o.npv_high["total"], lang),
                thousands(o.swing, lang),
                _bar(o.npv_low["total"], o.npv_high["total"], centre, scale),
            )
        parts.append(table)
        parts.append(Text(text(lang, "tornado_note"), style="dim"))
        involved = [a for a in ACTORS if any(o.npv_low[a] or o.npv_high[a] for o in s.one_way)]
        by_actor = Table(title=text(lang, "tornado_actor_title"), title_justify="left")
        by_actor.add_column(text(lang, "input"), overflow="fold", ratio=1)
        for a in involved:
            by_actor.add_column(f"{actors[a]}, {text(lang, 'low').lower()}", justify="right")
            by_actor.add_column(f"{actors[a]}, {text(lang, 'high').lower()}", justify="right")
        for o in s.one_way:
            by_actor.add_row(
                input_label(o.path, s.names, lang),
                *(
                    cell
                    for a in involved
                    for cell in (thousands(o.npv_low[a], lang), thousands(o.npv_high[a], lang))
                ),
            )
        parts.append(by_actor)
    elif not s.thresholds:
        parts.append(Text(text(lang, "no_inputs"), style="yellow"))
    for skipped in s.skipped:
        parts.append(Text(text(lang, "skipped_dirichlet", input=skipped["input"]), style="dim"))
    if s.thresholds:
        table = Table(title=text(lang, "threshold_title"), title_justify="left")
        table.add_column(text(lang, "input"), overflow="fold", min_width=24)
        table.add_column(text(lang, "point_value"), justify="right")
        table.add_column(text(lang, "range_searched"), justify="right")
        table.add_column(text(lang, "target"))
        table.add_column(text(lang, "threshold_value"), justify="right", style="bold")
        for t in s.thresholds:
            mark = "*" if t.basis == "given" else ""
            for k, c in enumerate(t.crossings):
                label = Text("")
                if k == 0:
                    label = Text(input_label(t.path, s.names, lang))
                    label.append(f"\n{t.path}", style="dim")
                target = text(lang, "total") if c.target == "total" else actors[c.target]  # type: ignore[index]
                if c.values:
                    shown = ", ".join(value_text(t.path, v, lang) for v in c.values)
                else:
                    shown = text(lang, f"no_crossing_{c.sign}")
                table.add_row(
                    label,
                    value_text(t.path, t.point, lang) if k == 0 else "",
                    (
                        f"{value_text(t.path, t.low, lang)} – {value_text(t.path, t.high, lang)}"
                        f"{mark}"
                    )
                    if k == 0
                    else "",
                    target,
                    shown,
                    end_section=k == len(t.crossings) - 1,
                )
        parts.append(table)
        parts.append(Text(text(lang, "threshold_note"), style="dim"))
    return Group(*parts)  # type: ignore[arg-type]


def _tag(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else str(i + 1)


def _name(a: Alternative, lang: str) -> str:
    return text(lang, "do_nothing") if a.do_nothing else a.name


def _status(p: FrontierPoint, names: dict[str, str], lang: str) -> str:
    shown = [names.get(n, n) for n in p.dominated_by]
    if p.status == "strongly_dominated":
        joined = (
            ", ".join(shown[:-1]) + f" {text(lang, 'and')} {shown[-1]}"
            if len(shown) > 1
            else shown[0]
        )
        return text(lang, "st_strongly_dominated", names=joined)
    if p.status == "extendedly_dominated":
        return text(lang, "st_extendedly_dominated", a=shown[0], b=shown[1])
    if p.compared_with is not None:
        return text(lang, "st_frontier_vs", name=names.get(p.compared_with, p.compared_with))
    return text(lang, "st_frontier")


def render_comparison(c: Comparison, lang: str = "da") -> Group:
    actors = actor_labels(lang)
    title = text(lang, "cmp_title_named", name=c.name) if c.name else text(lang, "cmp_title")
    parts: list[object] = [
        Text(title, style="bold"),
        Text(text(lang, "cmp_settings", price_year=c.price_year, draws=c.draws)),
    ]
    # a short tag per alternative ("A", "B", ...) keeps the dominance statements readable
    tags = {a.name: _tag(i) for i, a in enumerate(c.alternatives)}
    table = Table(title=text(lang, "key_figures"), title_justify="left")
    table.add_column("")
    for a in c.alternatives:
        table.add_column(f"{tags[a.name]}: {_name(a, lang)}", justify="right", overflow="fold")
    alts = c.alternatives
    table.add_row(text(lang, "npv"), *(money(a.npv, lang) for a in alts), style="bold")
    for actor in ACTORS:
        table.add_row(
            text(lang, "npv_actor", actor=actors[actor]),
            *(money(a.npv_by_actor[actor], lang) for a in alts),
        )
    table.add_row(text(lang, "costs"), *(money(a.discounted_costs, lang) for a in alts))
    table.add_row(
        text(lang, "return_per_krone"), *(money(a.return_per_krone, lang, 2) for a in alts)
    )
    table.add_row(
        text(lang, "successes_plain"), *(number(a.additional_successes, lang, 1) for a in alts)
    )
    table.add_row(
        text(lang, "cost_per_success"),
        *(money(a.cost_per_additional_success, lang) for a in alts),
    )
    table.add_row(text(lang, "rank_npv"), *(str(r or "–") for r in c.rank_npv))
    table.add_row(text(lang, "rank_rpk"), *(str(r or "–") for r in c.rank_return_per_krone))
    prob = c.prob_highest_npv
    if prob is not None:
        table.add_row(text(lang, "prob_best"), *(percent(p, lang) for p in prob), style="bold")
    parts.append(table)

    from socialinvest.analysis.compare import BUDGET_COSTS, SUCCESSES

    def frontier_table(effect: str, points: list[Any]) -> Table:
        """The frontier on one effect measure: cost, effect, ICER (Δcost / Δeffect), status."""
        default = effect == SUCCESSES and c.cost == BUDGET_COSTS
        title = (
            text(lang, "frontier_title")
            if default
            else text(lang, "n_frontier_title", cost=c.cost, effect=effect)
        )
        table = Table(title=title, title_justify="left")
        table.add_column(text(lang, "alternative"), overflow="fold")
        table.add_column(text(lang, "costs") if c.cost == BUDGET_COSTS else c.cost, justify="right")
        table.add_column(
            text(lang, "successes_plain") if effect == SUCCESSES else effect, justify="right"
        )
        table.add_column(
            text(lang, "incremental")
            if default
            else text(lang, "n_icer", cost=c.cost, effect=effect),
            justify="right",
            style="bold",
        )
        table.add_column(text(lang, "status"), overflow="fold")
        order = sorted(
            range(len(alts)),
            key=lambda i: (points[i].status != "frontier", alts[i].measure(c.cost) or 0.0, i),
        )
        for i in order:
            a, p = alts[i], points[i]
            cost_value = a.measure(c.cost) or 0.0
            icer = p.incremental_cost_per_success
            table.add_row(
                f"{tags[a.name]}: {_name(a, lang)}",
                money(cost_value, lang) if c.cost == BUDGET_COSTS else number(cost_value, lang, 2),
                number(a.measure(effect) or 0.0, lang, 1 if effect == SUCCESSES else 3),
                (money(icer, lang) if c.cost == BUDGET_COSTS else number(icer, lang, 2))
                if icer is not None
                else "–",
                _status(p, tags, lang),
            )
        return table

    parts.append(frontier_table(c.effect, c.frontier))
    for outcome, points in c.frontiers.items():
        if outcome != c.effect:
            parts.append(frontier_table(outcome, points))
    info = c.evpi()
    if info is not None:
        parts.append(
            Text(
                text(
                    lang,
                    "evpi",
                    value=money(info["value"], lang),
                    se=money(info["standard_error"], lang),
                    draws=c.draws,
                    seed=c.seed,
                ),
                style="bold",
            )
        )
    else:
        parts.append(Text(text(lang, "evpi_hint"), style="dim"))
    for note in c.notes:
        values = "; ".join(f"{file}: {value}" for file, value in note["values"].items())
        what = text(lang, f"what_{note['differs']}")
        parts.append(Text(text(lang, "note_differs", what=what, values=values), style="yellow"))
    return Group(*parts)  # type: ignore[arg-type]
