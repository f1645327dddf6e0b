"""What a report holds, independent of its format (HTML, PDF, XLSX).

:class:`ReportData` is the one object every report writer receives: the appraised case, the
language, the one-way sensitivity (tornado) when the case has inputs given as distributions, and
the contract result when a contract is appraised with the case. Writers format it; they never run
the engine themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from socialinvest.analysis.sensitivity import Sensitivity
    from socialinvest.contract.result import ContractResult
    from socialinvest.result import Result

Lang = Literal["da", "en"]
LANGS: tuple[Lang, ...] = ("da", "en")


@dataclass
class ContractView:
    """What the report's contract section shows of an appraised contract (``contract_view``).

    ``parties``: the reader's names of the parties (payer, investor, provider, …), in the order
    of the table's columns. ``years``: calendar years of the cash flows. ``cash_flows``: party →
    mean net cash flow per year, in kroner, positive when money flows to the party.
    ``investor_irr``: the investors' combined internal rate of return per draw (nan where it has
    none). ``payer_risks``: each outcome payer → the probability that it pays more than it
    saves. ``break_even_success_rates``: party → the success rate at which the party's mean net
    is zero (None: not known). ``break_even_notes``: party → "below" when the party's mean net
    is ≥ 0 at every simulated success rate (the rate is then the lowest simulated one), "above"
    when it is < 0 at every one (the rate is the highest simulated one). ``terms``: the
    contract's terms as (label, value) rows already in the report's language; ``summary``: one
    plain-words paragraph on the partnership for the report's summary. ``tradeoff``: the
    designer's rows (price, success-rate band, the investors' expected IRR), or empty.
    """

    parties: Sequence[str]
    years: Sequence[int]
    cash_flows: Mapping[str, Sequence[float]]
    investor_irr: np.ndarray
    payer_risks: Mapping[str, float]
    break_even_success_rates: Mapping[str, float | None]
    break_even_notes: Mapping[str, str | None]
    terms: Sequence[tuple[str, str]]
    summary: str
    tradeoff: Sequence[Mapping[str, Any]]


def contract_terms(summary: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """The terms of an appraised contract (``ContractResult.to_dict()``) as report rows."""
    from babel.dates import format_date

    from socialinvest.output.messages import text
    from socialinvest.output.numbers import LOCALES, money, number, percent

    c = summary["contract"]
    # "Kontrafaktisk: ingen (...)" → ("Kontrafaktisk", "ingen (...)")
    cf_label, _, cf_value = text(lang, "c_counterfactual_" + c["counterfactual"]["kind"]).partition(
        ": "
    )
    rows = [
        (
            text(lang, "c_party"),
            ", ".join(
                f"{p['name']} ({text(lang, 'c_role_' + p['role'])})" for p in summary["parties"]
            ),
        ),
        (
            text(lang, "r_contract_term"),
            text(
                lang,
                "r_contract_term_value",
                start=format_date(dt.date.fromisoformat(c["start_date"]), "long", LOCALES[lang]),
                maturity=format_date(dt.date.fromisoformat(c["maturity"]), "long", LOCALES[lang]),
                periods=number(c["periods"], lang),
                period=text(lang, f"c_period_{c['period']}"),
                participants=number(c["participants"], lang),
            ),
        ),
        (cf_label, cf_value),
    ]
    for pay in c["payments"]:
        if pay["mechanism"] == "savings_share":
            value = percent(pay["share"], lang)
        else:
            value = money(pay["price"], lang)
            if pay.get("price_source") == "solved by the designer":
                value += " " + text(lang, "c_solved")
        rows.append((f"{pay['name']} ({text(lang, 'c_mech_' + pay['mechanism'])})", value))
    if c["person_cap"] is not None:
        rows.append((text(lang, "r_contract_person_cap"), money(c["person_cap"], lang)))
    if c["contract_cap"] is not None:
        rows.append((text(lang, "r_contract_contract_cap"), money(c["contract_cap"], lang)))
    for p in summary["parties"]:
        if p["role"] == "investor":
            rows.append(
                (
                    p["name"],
                    text(
                        lang,
                        "r_contract_investor_value",
                        committed=money(p["committed"], lang),
                        irr="–" if p["irr"] is None else percent(p["irr"], lang),
                        loss=percent(p["prob_loss"], lang),
                    ),
                )
            )
        elif p["role"] == "payer":
            rows.append(
                (
                    p["name"],
                    text(
                        lang,
                        "r_contract_payer_value",
                        paid=money(p["outcome_payments"]["present_value"]["mean"], lang),
                        gains=money(p["own_gains"]["mean"], lang),
                        prob=percent(p["prob_pays_more_than_saves"], lang),
                    ),
                )
            )
    rows.append(
        (
            text(lang, "r_contract_success"),
            percent(summary["success_rate"]["mean"], lang),
        )
    )
    return rows


def contract_summary(summary: Mapping[str, Any], lang: str) -> str:
    """One paragraph for a non-economist: who finances, who pays for what, at which risk."""
    from babel.lists import format_list

    from socialinvest.output.messages import text
    from socialinvest.output.numbers import LOCALES, percent

    investors = [p for p in summary["parties"] if p["role"] == "investor"]
    payers = [p for p in summary["parties"] if p["role"] == "payer"]
    combined = summary["investors"]
    parts = [
        text(
            lang,
            "r_sum_contract",
            investors=format_list([p["name"] for p in investors], locale=LOCALES[lang]),
            payers=format_list([p["name"] for p in payers], locale=LOCALES[lang]),
            loss=percent(combined["prob_loss"], lang, 0),
        )
    ]
    for p in payers:
        parts.append(
            text(
                lang,
                "r_sum_contract_payer",
                payer=p["name"],
                paid=millions(p["outcome_payments"]["present_value"]["mean"], lang),
                gains=millions(p["own_gains"]["mean"], lang),
                prob=percent(p["prob_pays_more_than_saves"], lang, 0),
            )
        )
    return " ".join(parts)


def contract_view(result: ContractResult, lang: str = "da") -> ContractView:
    """What the report shows of an appraised contract: each party's expected cash flow per
    calendar year, the investors' combined IRR per draw (a total loss counts as −100 %), each
    payer's probability of paying more than it saves, and break-even success rates (for a
    party that breaks even at every simulated success rate, the lowest simulated rate)."""
    from socialinvest.contract.returns import xirr

    summary = result.to_dict()
    dates = result.prep.dates
    years = sorted({d.year for d in dates})
    flows: dict[str, list[float]] = {}
    for name, f in result.flows.flows.items():
        mean = f.mean(axis=0)
        flows[name] = [
            float(sum(mean[t] for t, d in enumerate(dates) if d.year == y)) for y in years
        ]
    combined = result.investors_combined()
    irr = xirr(combined, dates)
    total_loss = (combined.sum(axis=1) < 0) & ~(combined > 1e-9).any(axis=1)
    irr = np.where(np.isnan(irr) & total_loss, -1.0, irr)
    payers = [p for p in summary["parties"] if p["role"] == "payer"]
    rates: dict[str, float | None] = {}
    notes: dict[str, str | None] = {}
    for p in summary["parties"]:
        be = p.get("break_even_success_rate")
        if be is None:
            continue
        bound = {"below": 0, "above": 1}.get(be.get("note") or "")
        rates[p["name"]] = (
            be["value"] if be["value"] is not None or bound is None else be["range"][bound]
        )
        notes[p["name"]] = be.get("note") if be["value"] is None else None
    return ContractView(
        parties=[p["name"] for p in summary["parties"]],
        years=years,
        cash_flows=flows,
        investor_irr=irr,
        payer_risks={p["name"]: p["prob_pays_more_than_saves"] for p in payers},
        break_even_success_rates=rates,
        break_even_notes=notes,
        terms=contract_terms(summary, lang),
        summary=contract_summary(summary, lang),
        tradeoff=list(summary["designer"]["tradeoff"]) if summary["designer"] else [],
    )


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows.

    ``result``: the appraised case (means over draws; distributions when ``result.draws > 1``).
    ``sensitivity``: the tornado of the inputs given as distributions, or None (no such inputs,
    or a state-transition case, for which one-way sensitivity is not available).
    ``contract``: the appraised outcome contract, or None. The contract engine fills it; the
    report renders its section only when it is present.
    ``created``: the date printed on the report.
    """

    result: Result
    lang: Lang
    sensitivity: Sensitivity | None = None
    contract: ContractView | None = None
    created: dt.date = field(default_factory=dt.date.today)

    @property
    def has_uncertainty(self) -> bool:
        """Monte Carlo draws whose results differ (a case without uncertain inputs gives the
        same result in every draw: nothing to show about uncertainty)."""
        if self.result.draws <= 1:
            return False
        npv = np.asarray(self.result.summary.npv_total, dtype=np.float64)
        return bool(np.ptp(npv) > 1e-9 * (1.0 + float(np.abs(npv).max())))

    @property
    def has_tornado(self) -> bool:
        return self.sensitivity is not None and bool(self.sensitivity.one_way)


# -- shared by every format: the plain-words summary and the assumption count ---------------------


def millions(value: float | None, lang: str, signed: bool = False) -> str:
    """An amount in millions of kroner for running text: "8,9 mio. kr." / "DKK 8.9 million"."""
    from socialinvest.output.messages import text
    from socialinvest.output.numbers import number

    if value is None:
        return "–"
    if abs(value) < 1_000_000.0:  # "86.010 kr.", not "0,1 mio. kr."
        from socialinvest.output.numbers import money

        shown = money(value, lang)
        return "+" + shown if signed and round(value) > 0 else shown
    shown = number(value / 1_000_000.0, lang, 1)
    if signed and round(value / 1_000_000.0, 1) > 0:
        shown = "+" + shown
    return text(lang, "r_millions", value=shown)


def actor_name(actor: str, lang: str, definite: bool = False) -> str:
    """The reader's name of an actor ("Kommune"; definite: "Kommunen")."""
    from socialinvest.output.messages import text

    return text(lang, f"r_actor_{'def_' if definite else ''}{actor}")


def area_name(area: str, lang: str) -> str:
    """The reader's name of a budget area ("Beskæftigelse"); an unknown area as it is."""
    from socialinvest.output.messages import has_text, text

    key = f"r_area_{area}"
    return text(lang, key) if has_text(lang, key) else area


def assumption_count(result: Result) -> int:
    """How many of the values used are assumptions: knowledge-base values (or their actor split),
    the case's own prices and the price index values marked as such."""
    count = 0
    for rec in result.provenance_entries:
        if rec["status"] == "assumption" or rec.get("actor_split_status") == "assumption":
            count += 1
    count += sum(1 for c in result.consequences if c.ref is None and c.status == "assumption")
    count += sum(1 for rec in result.price_index_used if rec.get("status") == "assumption")
    return count


def participants(result: Result) -> float:
    """Participants over every cohort (the point value of an uncertain intake)."""
    from socialinvest.case.models import point

    return float(sum(point(c.intake) for c in result.case.target_group.cohorts))


def summary_paragraphs(data: ReportData) -> list[str]:
    """The summary in plain words, for a reader who is not an economist: what the intervention
    costs, what it changes, who gains and who pays, from which year it pays back, how sure we are.
    """
    from socialinvest.output.analysis_tables import input_label
    from socialinvest.output.messages import text
    from socialinvest.output.numbers import money, number, percent
    from socialinvest.vocabulary import ACTORS

    result, lang = data.result, data.lang
    case = result.case
    out: list[str] = []

    # what it costs
    costs = result.discounted_costs_by_actor()
    gains = result.discounted_gains_by_actor()
    total_costs = sum(costs.values())
    people = participants(result)
    if total_costs > 0:
        out.append(
            text(
                lang,
                "r_sum_costs",
                intervention=case.intervention.name,
                participants=number(people, lang),
                costs=millions(total_costs, lang),
                per_participant=money(total_costs / people if people > 0 else None, lang),
                price_year=case.price_year,
            )
        )

    # what it changes
    if case.success is not None:
        s = result.summary
        baseline = float(s.baseline.mean())
        effect = float(s.effect.mean())
        successes = number(result.additional_successes, lang, 1)
        if result.break_even_basis == "rate_with":
            out.append(
                text(
                    lang,
                    "r_sum_change_rates",
                    rate_with=percent(baseline + effect, lang, 0),
                    rate_without=percent(baseline, lang, 0),
                    measure=case.success.measure,
                    successes=successes,
                )
            )
        else:
            out.append(
                text(
                    lang,
                    "r_sum_change_effect",
                    effect=percent(effect, lang, 1),
                    measure=case.success.measure,
                    successes=successes,
                )
            )
    outcomes = result.outcome_table()
    if outcomes is not None:
        items = ", ".join(
            f"{name} {'+' if row['difference'] > 0 else ''}{number(row['difference'], lang, 2)}"
            for name, row in outcomes["outcomes"].items()
        )
        out.append(
            text(lang, "r_sum_change_outcomes", arm=outcomes["arms"]["intervention"], items=items)
        )
    if result.consequences:
        names = [(c.name_da or c.name) if lang == "da" else c.name for c in result.consequences]
        out.append(text(lang, "r_sum_consequences", items="; ".join(names)))

    # who gains and who pays
    involved = result.actors_involved()
    if not any(involved):
        out.append(text(lang, "r_sum_no_flows"))
        return [_typeset(paragraph) for paragraph in out]
    npv = result.npv_by_actor()
    sentences = []
    for k, a in enumerate(ACTORS):
        if not involved[k]:
            continue
        name = actor_name(a, lang, definite=True)
        if costs[a] > 0 and gains[a] > 0:
            key = "r_sum_actor_both"
        elif costs[a] > 0:
            key = "r_sum_actor_pays"
        else:
            key = "r_sum_actor_gains"
        sentences.append(
            text(
                lang,
                key,
                actor=name,
                costs=millions(costs[a], lang),
                gains=millions(gains[a], lang),
                net=millions(npv[a], lang, signed=True),
            )
        )
    who = text(lang, "r_sum_who", total=millions(result.npv_total, lang, signed=True))
    out.append(" ".join([who, *sentences]))

    # from which year it pays back
    year = result.break_even_year
    if year is not None:
        payback = text(lang, "r_sum_payback", year=year, years=year - case.first_year + 1)
    else:
        payback = text(lang, "r_sum_no_payback", horizon=case.horizon_years)
    by_actor = result.break_even_year_by_actor()
    years_by_actor = [
        f"{actor_name(a, lang, definite=True).lower() if lang == 'da' else actor_name(a, lang)} "
        + (str(by_actor[a]) if by_actor[a] is not None else text(lang, "r_never_short"))
        for k, a in enumerate(ACTORS)
        if involved[k]
    ]
    if len(years_by_actor) > 1:
        payback += " " + text(lang, "r_sum_payback_actors", items=", ".join(years_by_actor))
    out.append(payback)

    # how sure we are
    uncertainty = result.uncertainty() if data.has_uncertainty else None
    if uncertainty is not None:
        total = uncertainty["total"]
        sure = text(
            lang,
            "r_sum_sure",
            draws=number(uncertainty["draws"], lang),
            prob=percent(total["prob_positive"], lang, 0),
            p05=millions(total["p05"], lang),
            p95=millions(total["p95"], lang),
        )
        actor_items = [
            f"{actor_name(a, lang, definite=True).lower() if lang == 'da' else actor_name(a, lang)}"
            f" {percent(uncertainty['by_actor'][a]['prob_positive'], lang, 0)}"
            for k, a in enumerate(ACTORS)
            if involved[k]
        ]
        if len(actor_items) > 1:
            sure += " " + text(lang, "r_sum_sure_actors", items=", ".join(actor_items))
        out.append(sure)
    elif result.draws > 1:
        out.append(text(lang, "r_sum_certain", draws=number(result.draws, lang)))
    else:
        out.append(text(lang, "r_sum_point"))
    if data.sensitivity is not None and data.sensitivity.one_way:
        top = data.sensitivity.one_way[0]
        out.append(
            text(
                lang,
                "r_sum_tornado",
                input=input_label(top.path, data.sensitivity.names, lang),
                low=millions(top.npv_low["total"], lang),
                high=millions(top.npv_high["total"], lang),
            )
        )
    if data.contract is not None:
        out.append(data.contract.summary)
    count = assumption_count(result)
    if count:
        out.append(
            text(lang, "r_sum_assumption_one" if count == 1 else "r_sum_assumptions", count=count)
        )
    return [_typeset(paragraph) for paragraph in out]


def _typeset(paragraph: str) -> str:
    """Running text: no line break inside "12,4 mio. kr." or "30 %", and an abbreviation's
    period doubles as the sentence's ("kr.." → "kr.")."""
    import re

    for unit in (" %", " mio.", " kr.", " million"):
        paragraph = paragraph.replace(unit, "\u00a0" + unit[1:])
    return re.sub(r"\.\.(?=\s|$)", ".", paragraph)
