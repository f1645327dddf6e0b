"""The readable terminal view of an outcome contract (``socialinvest contract``)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from socialinvest.draws import MIN_DRAWS_PROBABILITY, enough_draws
from socialinvest.output.messages import actor_labels, text
from socialinvest.output.numbers import money, number, percent

if TYPE_CHECKING:
    from socialinvest.contract.result import ContractResult


def _band(s: dict[str, Any], fmt: Any, lang: str, interval: bool = True) -> str:
    """Mean and the 5–95 % interval; the mean alone when the draws are too few for one."""
    if s.get("mean") is None:
        return "–"
    if not interval:
        return str(fmt(s["mean"], lang))
    return f"{fmt(s['mean'], lang)}  [{fmt(s['p05'], lang)} … {fmt(s['p95'], lang)}]"


def _actor(actor: str, lang: str) -> str:
    return text(lang, "c_no_actor") if actor == "none" else actor_labels(lang)[actor]


def _pct(x: float | None, lang: str) -> str:
    return "–" if x is None else percent(x, lang)


def _break_even(be: dict[str, Any], lang: str) -> str:
    if be.get("value") is not None:
        if not be.get("gains_above", True):  # better off below the rate
            return text(lang, "c_be_falls", rate=percent(be["value"], lang))
        return percent(be["value"], lang)
    note = be.get("note")
    if note == "below":
        return text(lang, "c_be_below", rate=percent(be["range"][0], lang))
    if note == "above":
        return text(lang, "c_be_above", rate=percent(be["range"][1], lang))
    return text(lang, "c_be_unknown")


def render_contract(
    result: ContractResult, lang: str = "da", summary: dict[str, Any] | None = None
) -> Group:
    """The party view; ``summary``: ``result.to_dict()`` if the caller has it already."""
    d = summary if summary is not None else result.to_dict()
    c = d["contract"]
    parts: list[Any] = []
    parts.append(Text(text(lang, "c_title", name=c["name"]), style="bold"))
    run = d["run"]
    parts.append(
        Text(
            text(
                lang,
                "c_settings",
                start=c["start_date"],
                periods=c["periods"],
                period=text(lang, f"c_period_{c['period']}"),
                maturity=c["maturity"],
                participants=c["participants"],
                draws=number(run["draws"], lang),
                seed="–" if run["seed"] is None else run["seed"],
            )
        )
    )
    parts.append(Text(text(lang, "n_counterfactual_" + c["counterfactual"]["kind"])))
    enough = enough_draws(int(run["draws"]))
    if not enough:
        parts.append(
            Text(
                text(
                    lang,
                    "n_sum_contract_few",
                    min=number(MIN_DRAWS_PROBABILITY, lang),
                    draws=number(run["draws"], lang),
                ),
                style="bold red",
            )
        )

    terms = Table(title=text(lang, "c_terms"), title_justify="left")
    terms.add_column(text(lang, "c_payment"))
    terms.add_column(text(lang, "c_mechanism"))
    terms.add_column(text(lang, "c_price"), justify="right")
    for p in c["payments"]:
        if p["mechanism"] == "savings_share":
            price = percent(p["share"], lang)
        else:
            price = money(p["price"], lang)
            if p["price_source"] == "solved by the designer":
                price += " " + text(
                    lang,
                    "n_solved",
                    draws=number(run["draws"], lang),
                    seed="–" if run.get("seed") is None else run["seed"],
                )
        terms.add_row(p["name"], text(lang, f"c_mech_{p['mechanism']}"), price)
    parts.append(terms)
    caps = []
    if c["person_cap"] is not None:
        caps.append(text(lang, "c_person_cap", value=money(c["person_cap"], lang)))
    if c["contract_cap"] is not None:
        caps.append(text(lang, "c_contract_cap", value=money(c["contract_cap"], lang)))
    if caps:
        parts.append(Text(" · ".join(caps)))
    parts.append(
        Text(text(lang, "c_success", value=_band(d["success_rate"], percent, lang, enough)))
    )
    parts.append(
        Text(
            text(lang, "c_payments_total", value=_band(d["outcome_payments"], money, lang, enough))
        )
    )

    # yearly cash flows per party (expected)
    names = [p["name"] for p in d["parties"]]
    by_year: dict[str, dict[int, float]] = {n: defaultdict(float) for n in names}
    years: set[int] = set()
    for p in d["parties"]:
        for cf in p["cash_flows"]:
            y = int(cf["date"][:4])
            by_year[p["name"]][y] += cf["amount"]
            years.add(y)
    flows = Table(title=text(lang, "c_flows_title"), title_justify="left")
    flows.add_column(text(lang, "c_party"))
    flows.add_column(text(lang, "c_role"))
    for y in sorted(years):
        flows.add_column(str(y), justify="right")
    flows.add_column(text(lang, "total"), justify="right")
    for p in d["parties"]:
        row = [money(by_year[p["name"]][y], lang) for y in sorted(years)]
        flows.add_row(
            p["name"], text(lang, f"c_role_{p['role']}"), *row, money(p["total"]["mean"], lang)
        )
    # the vehicle's change in cash: with it every year's column adds to zero
    vehicle = result.flows.vehicle.mean(axis=0)
    vehicle_by_year = {
        y: float(
            sum(v for v, date in zip(vehicle, result.prep.dates, strict=True) if date.year == y)
        )
        for y in sorted(years)
    }
    flows.add_row(
        text(lang, "n_col_vehicle"),
        "",
        *[money(vehicle_by_year[y], lang) for y in sorted(years)],
        money(sum(vehicle_by_year.values()), lang),
    )
    parts.append(flows)

    inv = [p for p in d["parties"] if p["role"] == "investor"]
    if inv:
        t = Table(title=text(lang, "c_investors_title"), title_justify="left")
        t.add_column("")
        for p in inv:
            t.add_column(p["name"], justify="right")
        rows: list[tuple[str, Any]] = [
            ("c_committed", lambda p: money(p["committed"], lang)),
            ("c_irr", lambda p: _pct(p["irr"], lang)),
            (
                "c_irr_band",
                lambda p: _band(p["irr_distribution"], percent, lang, enough) if enough else "–",
            ),
            ("c_prob_loss", lambda p: percent(p["prob_loss"], lang) if enough else "–"),
            (
                "c_prob_target",
                lambda p: (
                    text(
                        lang,
                        "c_target_value",
                        value=percent(p["prob_target"], lang),
                        target=percent(p["target_return"], lang),
                    )
                    if enough
                    else "–"
                ),
            ),
            (
                "c_multiple",
                lambda p: (
                    "–"
                    if p["money_multiple"]["mean"] is None
                    else number(p["money_multiple"]["mean"], lang, 2)
                ),
            ),
            ("c_peak", lambda p: _band(p["peak_capital"], money, lang, enough)),
            (
                "c_break_even",
                lambda p: _break_even(p["break_even_success_rate"], lang) if enough else "–",
            ),
        ]
        for key, cell in rows:
            t.add_row(text(lang, key), *[cell(p) for p in inv])
        parts.append(t)

    payers = [p for p in d["parties"] if p["role"] == "payer"]
    if payers:
        t = Table(title=text(lang, "c_payers_title"), title_justify="left")
        t.add_column("")
        for p in payers:
            t.add_column(
                f"{p['name']} ({_actor(p['actor'], lang)}, {percent(p['share'], lang)})",
                justify="right",
            )
        rows = [
            (
                "c_payments_pv",
                lambda p: _band(p["outcome_payments"]["present_value"], money, lang, enough),
            ),
            ("c_own_gains", lambda p: _band(p["own_gains"], money, lang, enough)),
            ("c_net", lambda p: _band(p["net"], money, lang, enough)),
            (
                "c_vfm",
                lambda p: (
                    "–" if p["value_for_money"] is None else number(p["value_for_money"], lang, 2)
                ),
            ),
            (
                "c_prob_pays_more",
                lambda p: percent(p["prob_pays_more_than_saves"], lang) if enough else "–",
            ),
            (
                "c_break_even",
                lambda p: _break_even(p["break_even_success_rate"], lang) if enough else "–",
            ),
        ]
        for key, cell in rows:
            t.add_row(text(lang, key), *[cell(p) for p in payers])
        parts.append(t)

    for p in d["parties"]:
        if p["role"] == "provider":
            parts.append(
                Text(
                    text(
                        lang,
                        "c_provider",
                        name=p["name"],
                        revenue=_band(p["revenue"], money, lang, enough),
                        costs=money(p["delivery_costs"], lang),
                        net=_band(p["net"], money, lang, enough),
                    )
                )
            )

    des = d["designer"]
    if des is not None:
        parts.append(Text(text(lang, "c_designer_title"), style="bold"))
        target = text(lang, "c_designer_target", target=percent(des["target_return"], lang))
        if des["at_success_rate"] is not None:
            target += " " + text(lang, "c_designer_at", rate=percent(des["at_success_rate"], lang))
        parts.append(Text(target))
        if des["price"] is not None:
            parts.append(
                Text(
                    text(
                        lang,
                        "c_designer_price",
                        payment=des["payment"],
                        price=money(des["price"], lang),
                        irr=_pct(des["return_at_price"], lang),
                    )
                )
            )
        parts.append(
            Text(
                text(lang, "c_designer_ok" if des["feasible"] else "c_designer_infeasible"),
                style="" if des["feasible"] else "bold red",
            )
        )
        rows = des["tradeoff"]
        if rows and enough:
            bands = sorted({(r["success_rate_from"], r["success_rate_to"]) for r in rows})
            prices = sorted({r["price"] for r in rows})
            t = Table(title=text(lang, "c_tradeoff_title"), title_justify="left")
            t.add_column(text(lang, "c_price"), justify="right")
            for a, b in bands:
                label = (
                    percent(a, lang, 0)
                    if a == b
                    else f"{percent(a, lang, 0)}–{percent(b, lang, 0)}"
                )
                t.add_column(label, justify="right")
            cell = {(r["price"], r["success_rate_from"]): r for r in rows}
            for price in prices:
                t.add_row(
                    money(price, lang),
                    *[
                        _pct(cell[(price, a)]["investor_irr"], lang) if (price, a) in cell else "–"
                        for a, _ in bands
                    ],
                )
            parts.append(t)
    parts.append(
        Text(
            text(
                lang,
                "c_conservation",
                value=money(d["money_conservation"]["max_abs_imbalance"], lang, 2),
            ),
            style="dim",
        )
    )
    sources = c["sources"]
    if sources:
        parts.append(Text(text(lang, "c_sources"), style="bold"))
        for k, v in sources.items():
            style = "bold red" if "assum" in v.lower() or "antag" in v.lower() else ""
            parts.append(Text(f"  {k}: {v}", style=style))
    return Group(*parts)
