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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from socialinvest.analysis.sensitivity import Sensitivity
    from socialinvest.contract.account import Account
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
    when it is < 0 at every one (the rate is the highest simulated one), "falls" when the party
    is better off below the rate than above it (a payer whose payments grow faster than its
    gains). ``terms``: the
    contract's terms as (label, value) rows already in the report's language; ``summary``: one
    plain-words paragraph on the partnership for the report's summary. ``tradeoff``: the
    designer's rows (price, success-rate band, the investors' expected IRR), or empty.
    ``draws``/``seed``: the Monte Carlo run every figure rests on; with fewer than
    ``draws.MIN_DRAWS_PROBABILITY`` draws no probability, percentile or break-even rate is shown
    (``payer_risks`` and ``break_even_success_rates`` are then empty). ``vehicle``: the change
    in the vehicle's cash per year (with it every year's flows add to zero). ``account``: the
    business case per actor without and with the contract (contract/account.py).
    ``payment_lines``: per payment line its name, mechanism, price (a share for a savings
    share) and expected units per calendar year of payment (indexed, after the lag), so that
    price × units is the line's expected payment before any cap (``capped``: the contract has a
    per-person or contract cap, which the product does not apply).
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
    draws: int = 1
    seed: int | None = None
    vehicle: Sequence[float] = ()
    prob_loss: float | None = None
    account: Account | None = None
    payer_names: Sequence[str] = ()
    payment_lines: Sequence[Mapping[str, Any]] = ()
    capped: bool = False

    @property
    def enough_draws(self) -> bool:
        """Whether the contract's probabilities, percentiles and break-even rates may be shown
        (see socialinvest.draws)."""
        from socialinvest.draws import enough_draws

        return enough_draws(self.draws)


def contract_terms(summary: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """The terms of an appraised contract (``ContractResult.to_dict()``) as report rows."""
    from babel.dates import format_date

    from socialinvest.output.messages import text
    from socialinvest.output.numbers import LOCALES, money, number, percent

    c = summary["contract"]
    run = summary.get("run") or {}
    # "Sammenligning: ingen (...)" → ("Sammenligning", "ingen (...)")
    cf_label, _, cf_value = text(lang, "n_counterfactual_" + c["counterfactual"]["kind"]).partition(
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
        (
            text(lang, "n_contract_end"),
            format_date(dt.date.fromisoformat(c["end_date"]), "long", LOCALES[lang])
            if c.get("end_date")
            else "–",
        ),
        (cf_label, cf_value),
    ]
    for pay in c["payments"]:
        if pay["mechanism"] == "savings_share":
            value = percent(pay["share"], lang)
        else:
            value = money(pay["price"], lang)
            if pay.get("price_source") == "solved by the designer":
                value += " " + text(
                    lang,
                    "n_solved",
                    draws=number(run.get("draws", 1), lang),
                    seed="–" if run.get("seed") is None else run["seed"],
                )
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
            p95 = p["outcome_payments"]["nominal"].get("p95")
            if p95 is not None and int(run.get("draws", 1)) >= 100:
                # for the budget: what the payer pays in 19 of 20 outcomes, at most
                rows.append((text(lang, "n_payer_p95", payer=p["name"]), money(p95, lang)))
    rows.append(
        (
            text(lang, "r_contract_success"),
            percent(summary["success_rate"]["mean"], lang),
        )
    )
    return rows


def _years_text(years: Sequence[int]) -> str:
    """2028, 2029 → "2028–2029"; 2028 → "2028"."""
    if not years:
        return ""
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"


def contract_summary(summary: Mapping[str, Any], lang: str, account: Account | None = None) -> str:
    """One paragraph for a non-economist: who finances, who pays for what (only for documented
    effect when the contract has a comparison), at which risk and on how many draws."""
    from babel.lists import format_list

    from socialinvest.draws import MIN_DRAWS_PROBABILITY, enough_draws, monte_carlo_error
    from socialinvest.output.messages import text
    from socialinvest.output.numbers import LOCALES, number, percent

    investors = [p for p in summary["parties"] if p["role"] == "investor"]
    payers = [p for p in summary["parties"] if p["role"] == "payer"]
    combined = summary["investors"]
    run = summary.get("run") or {}
    draws = int(run.get("draws", 1))
    kind = summary["contract"]["counterfactual"]["kind"]
    names = {
        "investors": format_list([p["name"] for p in investors], locale=LOCALES[lang]),
        "payers": format_list([p["name"] for p in payers], locale=LOCALES[lang]),
    }
    if kind == "none":
        parts = [text(lang, "n_sum_contract_no_comparison", **names)]
    else:
        comparison = text(lang, f"n_comparison_{kind}")
        parts = [text(lang, "n_sum_contract_comparison", comparison=comparison, **names)]
    if not enough_draws(draws):
        parts.append(
            text(
                lang,
                "n_sum_contract_few",
                min=number(MIN_DRAWS_PROBABILITY, lang),
                draws=number(draws, lang),
            )
        )
        return " ".join(parts)

    def prob(p: float) -> str:
        return text(
            lang,
            "n_prob_error",
            prob=percent(p, lang, 0),
            error=percent(monte_carlo_error(p, draws), lang, 1),
        )

    basis = text(
        lang,
        "n_draws_basis",
        draws=number(draws, lang),
        seed="–" if run.get("seed") is None else run["seed"],
    )
    parts.append(text(lang, "n_sum_contract_loss", prob=prob(combined["prob_loss"]), basis=basis))
    for p in payers:
        parts.append(
            text(
                lang,
                "n_sum_contract_payer_risk",
                payer=p["name"],
                prob=prob(p["prob_pays_more_than_saves"]),
            )
        )
    return " ".join(parts)


def account_paragraph(account: Account, lang: str) -> str:
    """Who pays, in words, from the one with/without account: the public sector's total, what
    the investors fund, and per actor its costs, gains and net without and with the contract
    (naming the costs outside the contract's term)."""
    from babel.lists import format_list

    from socialinvest.output.messages import text
    from socialinvest.output.numbers import LOCALES

    involved = account.involved()
    without = {a: account.present(account.without[a]) for a in involved}
    with_ = {a: account.present(account.with_[a]) for a in involved}
    parts = [
        text(
            lang,
            "n_acc_total",
            without=millions(sum(v["net"] for v in without.values()), lang, signed=True),
            **{"with": millions(sum(v["net"] for v in with_.values()), lang, signed=True)},
        )
    ]
    funded = float(account.funded @ account.discount_costs)
    if funded > 0:
        parts.append(
            text(
                lang,
                "n_acc_funded",
                investors=format_list(list(account.investors), locale=LOCALES[lang]),
                funded=millions(funded, lang),
                first=account.term[0],
                last=account.term[1],
            )
        )
    for a in involved:
        w, c = without[a], with_[a]
        name = actor_name(a, lang, definite=True)
        if w["costs"] <= 0 and c["costs"] <= 0 and c["payments"] == 0:
            parts.append(
                text(lang, "n_acc_actor_gains", actor=name, gains=millions(w["gains"], lang))
            )
            continue
        _, years = account.outside_term(a)
        parts.append(
            text(
                lang,
                "n_acc_actor" if abs(c["costs"]) > 0.5 else "n_acc_actor_no_remaining",
                actor=name,
                pronoun=text(lang, "n_acc_pronoun"),
                costs=millions(w["costs"], lang),
                gains=millions(w["gains"], lang),
                net_without=millions(w["net"], lang, signed=True),
                payments=millions(c["payments"], lang),
                remaining=millions(c["costs"], lang),
                outside=text(lang, "n_acc_outside", years=_years_text(years)) if years else "",
                net_with=millions(c["net"], lang, signed=True),
            )
        )
    for payer, paid in account.other_payers.items():
        parts.append(
            text(
                lang,
                "n_acc_other_payer",
                payer=payer,
                payments=millions(float(paid @ account.discount_costs), lang),
            )
        )
    return " ".join(parts)


def payment_lines(result: ContractResult, years: Sequence[int]) -> list[dict[str, Any]]:
    """Each payment line's expected units per calendar year of payment: the mean over the draws
    of its units per period (indexed like the payments), moved by the verification lag (what
    would fall after maturity is paid at maturity). Price × units is then the line's expected
    payment before the caps."""
    from socialinvest.contract.payments import indexation_factors

    prep = result.prep
    contract = prep.contract
    n = prep.n_periods
    index = indexation_factors(n, contract.indexation, prep.periods_per_year)
    lag = contract.lag_periods
    out = []
    for i, pay in enumerate(contract.payments):
        if i in result.outcomes.contract_units:
            units = result.outcomes.contract_units[i].mean(axis=0)
        elif i in result.outcomes.person_units:
            units = result.outcomes.person_units[i].astype(np.float64).sum(axis=1).mean(axis=0)
        else:  # settled in chunks at the contract's price: no units kept
            continue
        if pay.mechanism != "savings_share":
            units = units * index
        paid = np.zeros(n)
        for t in range(n):
            paid[min(t + lag, n - 1)] += units[t]
        by_year = [
            float(sum(paid[t] for t, d in enumerate(prep.dates) if d.year == y)) for y in years
        ]
        out.append(
            {
                "name": pay.name,
                "mechanism": pay.mechanism,
                "price": float(result.prices[i]),
                "units": by_year,
            }
        )
    return out


def contract_view(result: ContractResult, lang: str = "da") -> ContractView:
    """What the report shows of an appraised contract: each party's expected cash flow per
    calendar year and the vehicle's, the investors' combined IRR per draw (a total loss counts
    as −100 %), each payer's probability of paying more than it saves, break-even success rates
    (for a party that breaks even at every simulated success rate, the lowest simulated rate),
    and the with/without account. With too few draws for a probability, the probabilities and
    break-even rates are left out."""
    from socialinvest.contract.account import account as make_account
    from socialinvest.contract.returns import xirr
    from socialinvest.draws import enough_draws

    summary = result.to_dict()
    dates = result.prep.dates
    years = sorted({d.year for d in dates})

    def by_year(per_period: np.ndarray) -> list[float]:
        return [
            float(sum(per_period[t] for t, d in enumerate(dates) if d.year == y)) for y in years
        ]

    flows: dict[str, list[float]] = {
        name: by_year(f.mean(axis=0)) for name, f in result.flows.flows.items()
    }
    vehicle = by_year(result.flows.vehicle.mean(axis=0))
    combined = result.investors_combined()
    irr = xirr(combined, dates)
    total_loss = (combined.sum(axis=1) < 0) & ~(combined > 1e-9).any(axis=1)
    irr = np.where(np.isnan(irr) & total_loss, -1.0, irr)
    payers = [p for p in summary["parties"] if p["role"] == "payer"]
    draws = int(summary["run"]["draws"])
    enough = enough_draws(draws)
    rates: dict[str, float | None] = {}
    notes: dict[str, str | None] = {}
    for p in summary["parties"]:
        be = p.get("break_even_success_rate")
        if be is None or not enough:
            continue
        bound = {"below": 0, "above": 1}.get(be.get("note") or "")
        rates[p["name"]] = (
            be["value"] if be["value"] is not None or bound is None else be["range"][bound]
        )
        if be["value"] is None:
            notes[p["name"]] = be.get("note")
        else:  # "falls": the party is better off below the rate (a payer, typically)
            notes[p["name"]] = None if be.get("gains_above", True) else "falls"
    acc = make_account(result)
    return ContractView(
        parties=[p["name"] for p in summary["parties"]],
        years=years,
        cash_flows=flows,
        investor_irr=irr if enough else np.array([], dtype=np.float64),
        payer_risks={p["name"]: p["prob_pays_more_than_saves"] for p in payers} if enough else {},
        break_even_success_rates=rates,
        break_even_notes=notes,
        terms=contract_terms(summary, lang),
        summary=contract_summary(summary, lang, acc),
        tradeoff=list(summary["designer"]["tradeoff"]) if summary["designer"] else [],
        draws=draws,
        seed=summary["run"].get("seed"),
        vehicle=vehicle,
        prob_loss=float(summary["investors"]["prob_loss"]) if enough else None,
        account=acc,
        payer_names=[p["name"] for p in payers],
        payment_lines=payment_lines(result, years),
        capped=result.prep.contract.person_cap is not None
        or result.prep.contract.contract_cap is not None,
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
        """Enough Monte Carlo draws whose results differ, in the net present value or in a
        state-transition model's outcomes (a case without uncertain inputs gives the same result
        in every draw: nothing to show about uncertainty)."""
        return self.has_npv_uncertainty or self.has_outcome_uncertainty

    @property
    def has_npv_uncertainty(self) -> bool:
        from socialinvest.draws import enough_draws

        if not enough_draws(self.result.draws):
            return False
        npv = np.asarray(self.result.summary.npv_total, dtype=np.float64)
        return bool(np.ptp(npv) > 1e-9 * (1.0 + float(np.abs(npv).max())))

    @property
    def has_outcome_uncertainty(self) -> bool:
        """A state-transition model's outcomes (QALYs, costs, months in work ...) differ between
        enough draws (a published health-economic model has no budget flows to vary)."""
        from socialinvest.draws import enough_draws

        outcomes = self.result.outcomes
        if outcomes is None or not enough_draws(self.result.draws):
            return False
        for per_arm in outcomes.values():
            difference = np.asarray(per_arm[1] - per_arm[0], dtype=np.float64)
            if np.ptp(difference) > 1e-12 * (1.0 + float(np.abs(difference).max())):
                return True
        return False

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


def outcome_label(result: Result, name: str) -> str:
    """The reader's name of a state-transition outcome or ratio: its ``label``, else its key
    with spaces for underscores (no raw identifiers in running text)."""
    st = result.case.state_transition
    outcome = st.outcomes.get(name) if st is not None else None
    label = outcome.label if outcome is not None and outcome.label else name.replace("_", " ")
    if outcome is not None and outcome.unit:
        label += f" ({outcome.unit})"
    return label


def report_file_name(result: Result) -> str:
    """The case file as a report names it: its name without the folders (a report goes to
    others; the author's local paths are not theirs)."""
    return Path(result.file).name


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

    # what kind of result this is (a model with outcomes only is no budget-economic case)
    if any(result.actors_involved()):
        out.append(text(lang, "n_sum_method"))

    # what it costs
    costs = result.discounted_costs_by_actor()
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
            f"{outcome_label(result, name)} "
            f"{'+' if row['difference'] > 0 else ''}{number(row['difference'], lang, 2)}"
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
    if data.contract is not None and data.contract.account is not None:
        # one account of who pays: the business case without and with the contract
        out.append(account_paragraph(data.contract.account, lang))
    else:
        out.append(_who_pays(result, lang))

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
    uncertainty = result.uncertainty() if data.has_npv_uncertainty else None
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
    else:
        from socialinvest.draws import is_uncertain

        if data.has_outcome_uncertainty:
            out.append(text(lang, "n_sum_outcomes_sure", draws=number(result.draws, lang)))
        elif not is_uncertain(case):
            out.append(text(lang, "n_sum_point_exact"))
        elif result.draws > 1 and float(np.ptp(result.summary.npv_total)) == 0:
            out.append(text(lang, "r_sum_certain", draws=number(result.draws, lang)))
        else:
            out.append(text(lang, "n_sum_point_means"))
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
    out.append(inputs_sentence(result, lang))
    return [_typeset(paragraph) for paragraph in out]


def inputs_sentence(result: Result, lang: str) -> str:
    """How many of the case's inputs are published, from studies, local data or assumptions
    (those without a status counted as assumptions), and how many knowledge-base values used
    are assumptions."""
    from socialinvest.inputs import case_inputs, status_counts
    from socialinvest.output.messages import text

    counts = status_counts(case_inputs(result.case))
    total = sum(counts.values())
    none = counts["none"]
    sentence = text(
        lang,
        "n_sum_inputs",
        total=total,
        published=counts["published"],
        study=counts["study"],
        local=counts["local"],
        assumption=counts["assumption"] + none,
        none_part=text(lang, "n_sum_inputs_none", none=none) if none else "",
    )
    kb = assumption_count(result)
    if kb:
        sentence += " " + text(lang, "n_sum_kb_assumptions", count=kb)
    return sentence


def _who_pays(result: Result, lang: str) -> str:
    """Who gains and who pays in the business case (no contract): per actor its discounted
    costs, gains and net."""
    from socialinvest.output.messages import text
    from socialinvest.vocabulary import ACTORS

    involved = result.actors_involved()
    costs = result.discounted_costs_by_actor()
    gains = result.discounted_gains_by_actor()
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
    return " ".join([who, *sentences])


def _typeset(paragraph: str) -> str:
    """Running text: no line break inside "12,4 mio. kr." or "30 %", and an abbreviation's
    period doubles as the sentence's ("kr.." → "kr.")."""
    import re

    for unit in (" %", " mio.", " kr.", " million"):
        paragraph = paragraph.replace(unit, "\u00a0" + unit[1:])
    return re.sub(r"\.\.(?=\s|$)", ".", paragraph)
