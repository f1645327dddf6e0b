"""The INDIGO interchange: an outcome contract as an INDIGO project document, and back.

INDIGO (the International Network for Data on Impact and Government Outcomes, Government Outcomes
Lab, University of Oxford) publishes impact bonds as JSON documents of its *project* model, in
which most values are wrapped as objects (``{"value": ...}``). This module writes a modelled
contract in those field names, so a deal designed here can be shared with the international
database, and reads a published deal's terms back into a case file's ``contract`` section, so
it can be put on a business case and stress-tested with ``socialinvest contract``.

- :func:`to_indigo` — a :class:`~socialinvest.contract.result.ContractResult` as an INDIGO
  project document: terms (organisations, outcome metrics and pricings, payment commitments,
  investments, overall finance, dates) and the *planned* outcome payments, expected
  transactions and simulated results. Nothing is ever written as actual: planned payments have
  ``type`` "Planned", results carry no ``result_type`` (which INDIGO reserves for achieved
  results) and say "MODELLED" in their text. Terms INDIGO has no field for (metric kinds,
  mechanism, coupons, seniority, lag, indexation, ...) and the full simulation summary are kept
  under the extension key ``x_socialinvest``; the project schema allows further keys.
- :func:`from_indigo` — an INDIGO project document as a ``contract`` section (a plain dict
  matching :class:`socialinvest.case.contract.Contract`). What the document does not say comes
  from the arguments, from the ``x_socialinvest`` extension (documents written here), or from
  explicit defaults that are listed in the section's ``sources`` as "assumption: not in the
  INDIGO document".
- :func:`attach_contract` — a case file's text with that section appended.

The field-by-field mapping, in both directions, is in docs/indigo.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import ValidationError

from socialinvest import __version__
from socialinvest.case.contract import PERIODS_PER_YEAR, Contract, TrancheSpec
from socialinvest.contract.result import ContractResult
from socialinvest.errors import InputError, Msg, field_path, msg

FloatArray = npt.NDArray[np.float64]
Json = dict[str, Any]
Path = tuple[str | int, ...]

EXTENSION = "x_socialinvest"
CURRENCY = "DKK"
PLAN_ID = "socialinvest-expected"
ASSUMED = "assumption: not in the INDIGO document"
MODELLED = "MODELLED by socialinvest (planned/simulated values, not actual)"
NOT_A_CAP = "not a contract cap"
SOURCE_ID = "source1"

# what INDIGO calls the ways outcomes are validated, for each counterfactual of a contract
VALIDATION = {
    "none": "Simple ex-post verification",
    "baseline": "Historical comparison",
    "comparison_group": "Quasi-experimental study",
}
COMPARISON_METHODS = ("randomised control trial", "quasi-experimental study")
INVESTMENT_TYPE = {
    "senior_loan": "Debt",
    "subordinated_loan": "Debt",
    "equity": "Equity",
    "recoverable_grant": None,
}
DRAWDOWN_TYPE = {
    "senior_loan": "Debt",
    "subordinated_loan": "Debt",
    "equity": "Equity",
    "recoverable_grant": "Grant",
}
GUARANTOR_TEXT = "Guarantor (first-loss guarantee)"
EVALUATOR_TEXT = "Evaluator (validates the outcomes)"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


# =============================================================================== writing


def _v(value: Any) -> Json:
    return {"value": value}


def _money(amount: float) -> Json:
    return {"currency": _v(CURRENCY), "amount": _v(float(amount))}


def _pct(rate: float) -> str:
    return f"{rate * 100:g}%"


def _pct1(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _kr(amount: float) -> str:
    return f"{amount:,.0f} kr."


def _round(x: float) -> float:
    return round(float(x), 2)


def _org_ids(result: ContractResult) -> dict[str, str]:
    return {p.name: f"LOCAL-ORG-{i + 1}" for i, p in enumerate(result.prep.contract.parties)}


def _metric_text(name: str, metric: Any, period: str) -> str:
    states = ", ".join(metric.states)
    kind = metric.kind
    if kind == "entry":
        text = f"the participant enters {states} (counted once per participant)"
    elif kind == "sustained":
        text = (
            f"the participant has been in {states} for {metric.k} {period}s in a row "
            "(counted once per participant)"
        )
    elif kind == "state_at":
        text = f"the participant is in {states} {metric.at} {period}s after intake (counted once)"
    elif kind == "time_in":
        text = (
            f"every {period} a participant spends in {states} "
            f"({metric.units_per_period:g} unit(s) a {period})"
        )
    else:
        text = f"every move of a participant into {states} (events that can repeat)"
    if metric.window is not None:
        text += f", in {period}s {metric.window.first}–{metric.window.last} after intake"
    return f"{name}: {text}"


def _payment_text(pay: Any, price: float) -> str:
    if pay.mechanism == "savings_share":
        return f"{pay.name}: a share of {_pct(price)} of the payers' own budget gains"
    if pay.mechanism == "threshold":
        return (
            f"{pay.name}: {_kr(price)} per outcome above the counterfactual, per cohort, once it "
            f"is {_pct(pay.threshold)} {'below' if pay.direction == 'fewer' else 'above'} it"
        )
    unit = "unit of duration" if pay.mechanism == "per_unit" else "outcome"
    return f"{pay.name}: {_kr(price)} per {unit}"


def _years(dates: Sequence[dt.date]) -> list[int]:
    return sorted({d.year for d in dates})


def _by_year(values: FloatArray, dates: Sequence[dt.date]) -> dict[int, float]:
    out: dict[int, float] = {}
    for d, x in zip(dates, values, strict=True):
        out[d.year] = out.get(d.year, 0.0) + float(x)
    return out


def _year_span(year: int, dates: Sequence[dt.date]) -> Json:
    inside = [d for d in dates if d.year == year]
    return {"start_date": _v(min(inside).isoformat()), "end_date": _v(max(inside).isoformat())}


def _guarantee_cover(result: ContractResult) -> dict[str, float]:
    """Principal of each tranche covered by the first-loss guarantee (in its order)."""
    fin = result.prep.contract.finance
    cover = {t.name: 0.0 for t in fin.tranches}
    if fin.guarantee is None:
        return cover
    left = fin.guarantee.amount
    commitments = {t.name: t.commitment for t in fin.tranches}
    for name in fin.guarantee.covers:
        part = min(left, commitments[name])
        cover[name] += part
        left -= part
    return cover


def _max_outcome_payment(result: ContractResult) -> tuple[float, str]:
    cap = result.prep.contract.contract_cap
    if cap is not None:
        return float(cap), "contract_cap"
    total = result.flows.payments.sum(axis=1)
    return _round(float(np.percentile(total, 95))), "p95_of_simulated"


def _tranche_notes(t: TrancheSpec) -> str:
    parts = [t.kind.replace("_", " ")]
    if t.kind in ("senior_loan", "subordinated_loan", "recoverable_grant"):
        parts.append(f"seniority {t.seniority}")
    if t.coupon:
        parts.append(f"coupon {_pct(t.coupon)} a year")
    if t.max_multiple is not None:
        parts.append(f"receives at most {t.max_multiple:g} × the capital drawn")
    if t.max_return is not None:
        parts.append(f"return capped at an IRR of {_pct(t.max_return)}")
    elif t.kind == "equity" and t.max_multiple is None:
        parts.append("return not capped")
    return "; ".join(parts) + "."


def _organisations(result: ContractResult, orgs: dict[str, str]) -> list[Json]:
    return [{"id": orgs[p.name], "name": _v(p.name)} for p in result.prep.contract.parties]


def _commitments(result: ContractResult, orgs: dict[str, str], maximum: float) -> list[Json]:
    prep = result.prep
    start, end = prep.dates[0].isoformat(), prep.dates[-1].isoformat()
    out = []
    for name, share in prep.payer_shares.items():
        out.append(
            {
                "organisation_id": _v(orgs[name]),
                "organisation_role_category": _v("Government/Public Sector/Public Bank"),
                "maximum_potential_outcome_payment": _money(share * maximum),
                "period": {"start_date": _v(start), "end_date": _v(end)},
                "notes": f"Pays {_pct(share)} of every outcome payment. Maximum: {_pct(share)} "
                "of the project's maximum potential outcome payment (see overall_project_finance).",
                "source_ids": SOURCE_ID,
            }
        )
    return out


def _metrics(result: ContractResult) -> list[Json]:
    prep = result.prep
    c = prep.contract
    out = []
    for name, metric in c.metrics.items():
        lines = [
            _payment_text(pay, price)
            for pay, price in zip(c.payments, result.prices, strict=True)
            if pay.metric == name
        ]
        item: Json = {
            "id": name,
            "definition": _v(_metric_text(name, metric, c.period)),
            "target_population": _v(prep.loaded.case.target_group.description),
            "targeted_number_of_service_users_or_beneficiaries_total": _v(prep.n_participants),
            "unit_type_of_targeted_service_users_or_beneficiaries": _v("Individual"),
            "outcome_validation_method": _v(VALIDATION[c.counterfactual.kind]),
            "data_source_for_outcome_validation": _v(_counterfactual_text(result)),
            "source_ids": SOURCE_ID,
        }
        if lines:
            item["outcome_metric_target"] = _v("; ".join(lines))
        if name == prep.success_metric:
            item["notes"] = "The contract's success metric (its share of participants)."
        out.append(item)
    return out


def _counterfactual_text(result: ContractResult) -> str:
    cf = result.prep.contract.counterfactual
    if cf.kind == "baseline":
        return f"Against a baseline of {_pct(cf.rate or 0.0)} outcomes per participant."
    if cf.kind == "comparison_group":
        return f"Against a comparison group of {cf.size} persons without the intervention."
    return "Every outcome is paid (no counterfactual)."


def _pricings(result: ContractResult) -> list[Json]:
    c = result.prep.contract
    out = []
    for pay, price in zip(c.payments, result.prices, strict=True):
        item: Json = {
            "currency": _v(CURRENCY),
            "price_description": _v(pay.name),
            "source_ids": SOURCE_ID,
        }
        if pay.metric is not None:
            item["outcome_metric_id"] = _v(pay.metric)
        notes = [_payment_text(pay, price) + "."]
        if pay.mechanism != "savings_share":
            item["price_per_unit"] = {"amount": _v(float(price))}
            if pay.price == "solve":
                notes.append("The price is solved by the designer (modelled, not published).")
        if c.person_cap is not None:
            item["maximum_price_if_all_targets_achieved"] = {"amount": _v(f"{c.person_cap:g}")}
            notes.append("Maximum: the most paid for one participant, all outcomes together.")
        if c.indexation:
            item["contracted_increases_to_outcome_pricing"] = _v(
                f"Prices indexed by {_pct(c.indexation)} a year."
            )
        item["notes"] = " ".join(notes)
        out.append(item)
    return out


def _investments(result: ContractResult, orgs: dict[str, str]) -> list[Json]:
    cover = _guarantee_cover(result)
    out = []
    for t in result.prep.contract.finance.tranches:
        loss = (t.commitment - cover[t.name]) / t.commitment if t.commitment > 0 else 0.0
        item: Json = {
            "id": t.name,
            "organisation_id": _v(orgs[t.investor]),
            "investment_commitment": {
                "currency": _v(CURRENCY),
                "amount": {"exact": _v(float(t.commitment))},
            },
            "maximum_potential_loss": _v(_pct(loss)),
            "notes": _tranche_notes(t),
            "source_ids": SOURCE_ID,
        }
        kind = INVESTMENT_TYPE[t.kind]
        if kind is not None:
            item["investment_type"] = _v(kind)
        if t.max_return is not None:
            item["maximum_potential_return_type"] = _v("IRR")
            item["maximum_potential_return"] = _v(t.max_return * 100)
        out.append(item)
    return out


def _overall(result: ContractResult, maximum: float, basis: str) -> Json:
    c = result.prep.contract
    total = sum(t.commitment for t in c.finance.tranches)
    covered = sum(_guarantee_cover(result).values())
    loss = total - covered
    what = (
        "the contract cap"
        if basis == "contract_cap"
        else "the 95th percentile of the simulated total outcome payments; "
        f"{NOT_A_CAP} (the contract has none)"
    )
    out: Json = {
        "total_investment_commitment": {
            "currency": _v(CURRENCY),
            "amount": {"exact": _v(float(total))},
        },
        "maximum_potential_outcome_payment_v2": _money(maximum),
        "maximum_potential_loss": _v(_pct(loss / total) if total > 0 else "0%"),
        "source_ids": SOURCE_ID,
    }
    caps = [t.max_return for t in c.finance.tranches]
    if caps and all(r is not None for r in caps):
        out["maximum_potential_return_type"] = _v("IRR")
        out["maximum_potential_return"] = _v(_pct(max(r or 0.0 for r in caps)))
    irr = result.to_dict()["investors"]["irr"]
    expected = _pct1(irr) if irr is not None else "undefined"
    out["notes"] = (
        f"{MODELLED}. maximum_potential_outcome_payment_v2 is {what}. maximum_potential_loss: "
        f"{_pct(loss / total) if total > 0 else '0%'} of the principal, {_kr(loss)} (the total "
        f"investment commitment{' less the first-loss guarantee' if covered else ''}). "
        f"Expected return (modelled): the IRR of the investors' expected cash flows is {expected}."
    )
    return out


def _planned_payments(result: ContractResult, orgs: dict[str, str]) -> list[Json]:
    prep = result.prep
    expected = result.flows.payments.mean(axis=0)
    per_year = _by_year(expected, prep.dates)
    metrics = {p.metric for p in prep.contract.payments}
    metric = next(iter(metrics)) if len(metrics) == 1 else None
    out = []
    for year in _years(prep.dates):
        for name, share in prep.payer_shares.items():
            item: Json = {
                "outcome_payment_plan_id": _v(PLAN_ID),
                "period": _year_span(year, prep.dates),
                "payer_organisation_id": _v(orgs[name]),
                "type": _v("Planned"),
                "money": _money(_round(share * per_year[year])),
                "notes": f"{MODELLED}: expected outcome payments in {year}.",
                "source_ids": SOURCE_ID,
            }
            if metric is not None:
                item["outcome_metric_id"] = _v(metric)
            out.append(item)
    return out


def _transaction(
    kind: str,
    year: int,
    amount: float,
    notes: str,
    *,
    sender: str | None = None,
    receiver: str | None = None,
    investment: str | None = None,
) -> Json:
    item: Json = {"date": _v(str(year)), "transaction_type": _v(kind)}
    if investment is not None:
        item["investment_id"] = _v(investment)
    if sender is not None:
        item["sending_organisation_id"] = _v(sender)
    if receiver is not None:
        item["receiving_organisation_id"] = _v(receiver)
    item["money"] = _money(_round(amount))
    item["notes"] = f"{MODELLED}: expected value (mean of the draws). {notes}"
    item["source_ids"] = SOURCE_ID
    return item


def _transactions(result: ContractResult, orgs: dict[str, str]) -> list[Json]:
    prep = result.prep
    c = prep.contract
    wf = result.flows.waterfall
    dates = prep.dates
    last = dates[-1].year
    vehicle = "the contract's vehicle (not an organisation in this document)"
    out: list[Json] = []
    payments = _by_year(result.flows.payments.mean(axis=0), dates)
    for year in _years(dates):
        for name, share in prep.payer_shares.items():
            if share * payments[year] > 0.005:
                out.append(
                    _transaction(
                        "Outcome Payment",
                        year,
                        share * payments[year],
                        f"Outcome payments to {vehicle}.",
                        sender=orgs[name],
                    )
                )
    for k, t in enumerate(c.finance.tranches):
        org = orgs[t.investor]
        draws = _by_year(wf.draws[:, k, :].mean(axis=0), dates)
        for year in _years(dates):
            if draws[year] > 0.005:
                out.append(
                    _transaction(
                        DRAWDOWN_TYPE[t.kind],
                        year,
                        draws[year],
                        f"Capital drawn from tranche {t.name} into {vehicle}.",
                        sender=org,
                        investment=t.name,
                    )
                )
        back: list[tuple[str, float, str]] = []
        if t.kind == "equity":
            received = wf.principal_paid[:, k]
            drawn = wf.drawn[:, k]
            capital = float(np.minimum(received, drawn).mean())
            above = float(np.maximum(received - drawn, 0.0).mean())
            back.append(("Capital Repayment", capital, "Equity distribution up to the capital."))
            back.append(("Other", above, "Return on equity: the distribution above the capital."))
        else:
            back.append(
                ("Interest Payment", float(wf.interest_paid[:, k].mean()), "Interest at maturity.")
            )
            back.append(
                (
                    "Capital Repayment",
                    float(wf.principal_paid[:, k].mean()),
                    "Principal repaid at maturity.",
                )
            )
        for kind, amount, notes in back:
            if amount > 0.005:
                out.append(_transaction(kind, last, amount, notes, receiver=org, investment=t.name))
        paid = float(wf.guarantee_paid[:, k].mean())
        if paid > 0.005 and c.finance.guarantee is not None:
            out.append(
                _transaction(
                    "Other",
                    last,
                    paid,
                    "First-loss guarantee payment.",
                    sender=orgs[c.finance.guarantee.guarantor],
                    receiver=org,
                    investment=t.name,
                )
            )
    surplus = float(wf.surplus.mean())
    if surplus > 0.005:
        if c.finance.surplus_to == "payer":
            receivers = list(prep.payer_shares.items())
        else:
            providers = [p.name for p in c.parties if p.role == "provider"]
            receivers = [(n, 1.0 / len(providers)) for n in providers]
        for name, share in receivers:
            out.append(
                _transaction(
                    "Other",
                    last,
                    share * surplus,
                    "Surplus above the investors' return caps, at maturity.",
                    receiver=orgs[name],
                )
            )
    return out


def _provider_costs(result: ContractResult, orgs: dict[str, str]) -> list[Json]:
    prep = result.prep
    providers = [p.name for p in prep.contract.parties if p.role == "provider"]
    per_year = _by_year(prep.delivery_costs, prep.dates)
    out = []
    for year in _years(prep.dates):
        for name in providers:
            amount = per_year[year] / len(providers)
            if amount <= 0.005:
                continue
            out.append(
                {
                    "date": _v(str(year)),
                    "payment": {"currency": _v(CURRENCY), "planned": _v(_round(amount))},
                    "incurred_by": _v(orgs[name]),
                    "notes": f"{MODELLED}: planned delivery costs in {year}.",
                    "source_ids": SOURCE_ID,
                }
            )
    return out


def _dist_text(d: Mapping[str, Any], fmt: str = "pct") -> str:
    def f(x: Any) -> str:
        if x is None:
            return "undefined"
        return _pct1(float(x)) if fmt == "pct" else f"{float(x):,.0f}"

    return f"mean {f(d['mean'])}, 5–95 %: {f(d['p05'])} to {f(d['p95'])}"


def _results(result: ContractResult, summary: Mapping[str, Any]) -> list[Json]:
    prep = result.prep
    span = {"start_date": _v(prep.dates[0].isoformat()), "end_date": _v(prep.dates[-1].isoformat())}
    run = summary["run"]
    seed = f", seed {run['seed']}" if run.get("seed") is not None else ""
    text = [
        f"{MODELLED}: {run['draws']} simulated draws{seed}.",
        f"Success rate: {_dist_text(summary['success_rate'])}.",
        f"Outcome payments: {_dist_text(summary['outcome_payments'], 'kr')} kr.",
    ]
    inv = summary["investors"]
    irr = inv["irr"]
    text.append(
        f"Investors together: IRR of the expected cash flows "
        f"{_pct1(irr) if irr is not None else 'undefined'}; P(loss) {_pct1(inv['prob_loss'])}."
    )
    for party in summary["parties"]:
        if party["role"] == "investor":
            text.append(
                f"{party['name']}: IRR per draw {_dist_text(party['irr_distribution'])}; "
                f"P(loss) {_pct1(party['prob_loss'])}; "
                f"P(reaching the target return) {_pct1(party['prob_target'])}."
            )
    out: list[Json] = [
        {
            "result_level": _v("Project level"),
            "period": span,
            "other_description_of_result": _v(" ".join(text)),
            "notes": f"{MODELLED}. Not an interim or final result.",
            "source_ids": SOURCE_ID,
        }
    ]
    for name, d in summary["metrics"].items():
        out.append(
            {
                "outcome_metric_id": _v(name),
                "result_level": _v("Outcome level"),
                "period": span,
                "other_description_of_result": _v(
                    f"{MODELLED}: total {name} over all participants, {_dist_text(d, 'count')}."
                ),
                "notes": f"{MODELLED}. Not an interim or final result.",
                "source_ids": SOURCE_ID,
            }
        )
    return out


def _extension(
    result: ContractResult,
    summary: Mapping[str, Any],
    orgs: dict[str, str],
    maximum: float,
    basis: str,
) -> Json:
    prep = result.prep
    c = prep.contract
    terms = c.model_dump(mode="json", exclude_none=True)
    for item, price in zip(terms["payments"], result.prices, strict=True):
        if item["mechanism"] != "savings_share":
            item["price"] = float(price)
    terms.pop("designer", None)
    return {
        "about": (
            "Extension by socialinvest: the contract terms the INDIGO project model has no field "
            "for, and the simulated results. Everything in this document is planned or "
            "modelled, never actual. INDIGO fields take precedence over these terms."
        ),
        "generator": f"socialinvest {__version__}",
        "nature": "modelled",
        "case": {
            "name": prep.loaded.case.name,
            "file": prep.loaded.file,
            "sha256": prep.loaded.sha256,
        },
        "run": summary["run"],
        "organisations": {
            orgs[p.name]: p.model_dump(mode="json", exclude_none=True) for p in c.parties
        },
        "maximum_potential_outcome_payment": {"basis": basis, "amount": maximum},
        "terms": terms,
        "designer": summary["designer"],
        "results": {
            "success_rate": summary["success_rate"],
            "metrics": summary["metrics"],
            "outcome_payments": summary["outcome_payments"],
            "delivery_costs": summary["delivery_costs"],
            "investors": summary["investors"],
            "parties": [
                {k: v for k, v in party.items() if k != "cash_flows"}
                for party in summary["parties"]
            ],
        },
    }


def to_indigo(result: ContractResult) -> dict[str, Any]:
    """An INDIGO project document (JSON-serialisable) of a modelled contract: its terms, the
    planned outcome payments, expected transactions and simulated results, all marked as
    planned or modelled (never actual). See docs/indigo.md for the mapping."""
    prep = result.prep
    c = prep.contract
    case = prep.loaded.case
    orgs = _org_ids(result)
    summary = result.to_dict()
    maximum, basis = _max_outcome_payment(result)
    start, maturity = prep.dates[0], prep.dates[-1]
    digest = hashlib.sha256(c.name.encode("utf-8")).hexdigest()[:10]
    months = c.periods * 12 / PERIODS_PER_YEAR[c.period]
    doc: Json = {
        "id": f"LOCAL-POJ-{digest}",
        "name": _v(c.name),
        "social_investment_prototype": _v("YES"),
        "dates": {
            "start_date_of_service_provision": _v(start.isoformat()),
            "anticipated_end_date_of_service_provision": _v(maturity.isoformat()),
            "anticipated_completion_date": _v(maturity.isoformat()),
            "anticipated_duration_of_service_provision": _v(round(months, 2)),
            "notes": (
                f"Planned: the contract's {c.periods} {c.period}s from {start.isoformat()}; "
                f"maturity (the last period, when the final outcome payments are made) "
                f"{maturity.isoformat()}."
            ),
            "source_ids": SOURCE_ID,
        },
        "jurisdiction": {"jurisdiction": _v("DK"), "source_ids": SOURCE_ID},
        "overall_project_finance": _overall(result, maximum, basis),
        "investment_details": {
            "internal_rate_of_return": {"target": _v(_pct(c.finance.target_return))},
            "notes": "target: the investors' target yearly return (IRR) in the contract's terms.",
            "source_ids": SOURCE_ID,
        },
        "purpose_and_classifications": {
            "intervention": _v(case.intervention.name),
            "source_ids": SOURCE_ID,
        },
        "service_and_beneficiaries": {
            "target_population": _v(case.target_group.description),
            "targeted_number_service_users_or_beneficiaries_total": _v(prep.n_participants),
            "unit_type_targeted_service_users_or_beneficiaries": _v("Individual"),
            "source_ids": SOURCE_ID,
        },
        "notes": _v(
            f"{MODELLED}. Terms and planned values of an outcome contract modelled on the "
            f"business case '{case.name}'. Organisation ids are local (LOCAL-ORG-n); INDIGO "
            "assigns INDIGO-ORG ids on publication."
        ),
        "sources": [
            {
                "id": SOURCE_ID,
                "name": _v(f"socialinvest {__version__} model of {prep.loaded.file}"),
                "type": _v("Report"),
                "notes": f"{MODELLED}. Contract term sources: "
                + "; ".join(f"{k}: {v}" for k, v in c.sources.items()),
            }
        ],
        "organisations": _organisations(result, orgs),
        "service_provisions": [
            {
                "id": f"serviceprovision{i + 1}",
                "organisation_id": _v(orgs[p.name]),
                "intervention": _v(case.intervention.name),
                "planned_service": {
                    "start_date": _v(start.isoformat()),
                    "end_date": _v(maturity.isoformat()),
                },
                "source_ids": SOURCE_ID,
            }
            for i, p in enumerate(x for x in c.parties if x.role == "provider")
        ],
        "outcome_payment_commitments": _commitments(result, orgs, maximum),
        "investments": _investments(result, orgs),
        "intermediary_services": _intermediaries(result, orgs),
        "outcome_metrics": _metrics(result),
        "outcome_pricings": _pricings(result),
        "outcome_payment_plans": [
            {
                "id": _v(PLAN_ID),
                "period": {
                    "start_date": _v(start.isoformat()),
                    "end_date": _v(maturity.isoformat()),
                },
                "notes": (
                    f"{MODELLED}: the expected (mean) outcome payments of "
                    f"{result.outcomes.draws} simulated draws; not actual payments."
                ),
                "source_ids": SOURCE_ID,
            }
        ],
        "outcome_payments": _planned_payments(result, orgs),
        "transactions": _transactions(result, orgs),
        "provider_side_cost": _provider_costs(result, orgs),
        "results": _results(result, summary),
        EXTENSION: _extension(result, summary, orgs, maximum, basis),
    }
    return {k: v for k, v in doc.items() if v != []}


def _intermediaries(result: ContractResult, orgs: dict[str, str]) -> list[Json]:
    c = result.prep.contract
    out = []
    for p in c.parties:
        if p.role not in ("intermediary", "evaluator", "guarantor"):
            continue
        item: Json = {"organisation_id": _v(orgs[p.name]), "source_ids": SOURCE_ID}
        if p.role == "evaluator":
            item["organisation_role_category"] = _v("Other")
            item["other_role_description"] = _v(EVALUATOR_TEXT)
        elif p.role == "guarantor":
            item["organisation_role_category"] = _v("Other")
            item["other_role_description"] = _v(GUARANTOR_TEXT)
            g = c.finance.guarantee
            if g is not None:
                item["notes"] = (
                    f"First-loss guarantee of {_kr(g.amount)} covering {', '.join(g.covers)}."
                )
        out.append(item)
    return out


# =============================================================================== reading


def _err(
    path: Path, expected: str | Msg, value: Any = None, *, file: str | None, has: bool = True
) -> InputError:
    return InputError(expected, file=file, field=field_path(path), value=value, has_value=has)


class _Reader:
    """Reads an INDIGO document, naming the exact field in every error."""

    def __init__(self, doc: Mapping[str, Any], file: str | None) -> None:
        self.doc = doc
        self.file = file

    def get(self, path: Path) -> Any:
        node: Any = self.doc
        for i, part in enumerate(path):
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    return None
                node = node[part]
            else:
                if node is None:
                    return None
                if not isinstance(node, dict):
                    raise _err(path[:i], msg("i_object"), node, file=self.file)
                node = node.get(part)
        return node

    def items(self, key: str) -> list[Mapping[str, Any]]:
        node = self.doc.get(key)
        if node is None:
            return []
        if not isinstance(node, list):
            raise _err((key,), msg("i_list_of_objects"), node, file=self.file)
        for i, item in enumerate(node):
            if not isinstance(item, dict):
                raise _err((key, i), msg("i_object"), item, file=self.file)
        return node

    def value(self, path: Path) -> Any:
        """The ``value`` of an INDIGO value object at ``path`` (None when absent)."""
        node = self.get(path)
        if node is None:
            return None
        if not isinstance(node, dict):
            raise _err(path, msg("i_wrapped"), node, file=self.file)
        return node.get("value")

    def text(self, path: Path) -> str | None:
        v = self.value(path)
        if v is None or v == "":
            return None
        if not isinstance(v, str | int | float) or isinstance(v, bool):
            raise _err((*path, "value"), msg("t_text"), v, file=self.file)
        return str(v)

    def number(self, path: Path, expected: str | Msg) -> float | None:
        v = self.value(path)
        if v is None or v == "":
            return None
        if isinstance(v, bool):
            raise _err((*path, "value"), expected, v, file=self.file)
        out: float | None = None
        if isinstance(v, int | float):
            out = float(v)
        elif isinstance(v, str):
            out = _parse_amount(v)
        if out is None or not np.isfinite(out) or out < 0:
            raise _err((*path, "value"), expected, v, file=self.file)
        return out

    def date(self, path: Path) -> dt.date | None:
        v = self.text(path)
        if v is None:
            return None
        m = _DATE.match(v.strip())
        try:
            if m is None:
                raise ValueError(v)
            return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
        except ValueError:
            raise _err((*path, "value"), msg("i_date"), v, file=self.file) from None


def _parse_amount(text: str) -> float | None:
    """A number in a text such as '15000', '£15,000' or '9.9%'."""
    m = _NUMBER.search(text.replace(",", "").replace(" ", ""))
    return float(m.group(0)) if m else None


def parse_exchange_rate(item: str) -> tuple[str, float]:
    """``GBP=8.7`` from the command line → ('GBP', 8.7): kroner per unit, finite and above 0."""
    code, _, value = item.partition("=")
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not code.strip() or not math.isfinite(rate) or rate <= 0:
        raise InputError(msg("e_exchange_rate"), field="--exchange-rate", value=item)
    return code.strip().upper(), rate


def _percent(text: str | None) -> float | None:
    if text is None:
        return None
    value = _parse_amount(text)
    return value / 100 if value is not None else None


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _periods(start: dt.date, end: dt.date, period: str) -> int:
    if period == "week":
        return (end - start).days // 7 + 1
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    return _months_between(start, end) // months + 1


class _Parties:
    """Parties from INDIGO organisations and the components that give their roles."""

    def __init__(self, r: _Reader) -> None:
        self.r = r
        self.names: dict[str, str] = {}
        self.order: list[str] = []
        for i, org in enumerate(r.items("organisations")):
            oid = org.get("id")
            if not isinstance(oid, str) or not oid:
                raise _err(("organisations", i, "id"), msg("i_organisation_id"), oid, file=r.file)
            self.names[oid] = r.text(("organisations", i, "name")) or oid
            self.order.append(oid)
        self.roles: dict[str, list[str]] = {}

    def add(self, path: Path, role: str) -> str:
        oid = self.r.text((*path, "organisation_id"))
        if oid is None:
            raise _err(
                (*path, "organisation_id", "value"),
                msg("i_role_organisation", role=role),
                file=self.r.file,
                has=False,
            )
        if oid not in self.names:
            self.names[oid] = oid
            self.order.append(oid)
        roles = self.roles.setdefault(oid, [])
        if role not in roles:
            roles.append(role)
        return oid

    def party_name(self, oid: str, role: str) -> str:
        name = self.names[oid]
        return name if len(self.roles.get(oid, [])) <= 1 else f"{name} ({role})"


def _need(items: list[Mapping[str, Any]], key: str, what: str | Msg, file: str | None) -> None:
    if not items:
        raise _err((key,), msg("i_at_least_one", what=what), file=file, has=False)


def _converter(
    r: _Reader, rates: Mapping[str, float] | None, sources: dict[str, str]
) -> tuple[str, float]:
    currency = (
        r.text(("overall_project_finance", "total_investment_commitment", "currency"))
        or r.text(("outcome_pricings", 0, "currency"))
        or CURRENCY
    ).upper()
    if currency == CURRENCY:
        return currency, 1.0
    rate = (rates or {}).get(currency)
    if rate is None:
        sources["currency"] = (
            f"amounts kept in {currency} as given in the INDIGO document (not converted to kroner)"
        )
        return currency, 1.0
    sources["currency"] = (
        f"assumption: {rate:g} kr. per {currency} (given when loading); every amount converted"
    )
    return currency, float(rate)


def from_indigo(
    doc: Mapping[str, Any],
    *,
    metrics: Mapping[str, Mapping[str, Any]] | None = None,
    states: Sequence[str] | None = None,
    period: str | None = None,
    start_date: dt.date | None = None,
    payer_actor: str = "kommune",
    comparison_group_size: int | None = None,
    exchange_rates: Mapping[str, float] | None = None,
    use_extension: bool = True,
    file: str | None = None,
) -> dict[str, Any]:
    """A case file's ``contract`` section (a plain dict) from an INDIGO project document.

    ``metrics`` gives, per outcome metric id, the fields of a contract metric INDIGO does not
    have (``kind``, ``states``, ``k``, ``at``, ``window``, ``units_per_period``); ``states`` the
    default states of the case's model that a metric counts (``["success"]`` for a success-rate
    case); ``period`` the length of a contract period; ``start_date`` moves the deal's term to
    another date (e.g. onto the case's years), keeping its length; ``payer_actor`` whose budget
    gains a payer sets its payments against; ``comparison_group_size`` the size of the comparison
    group when outcomes are validated against one; ``exchange_rates`` kroner per unit of the
    document's currency. Terms neither the document, the arguments nor the ``x_socialinvest``
    extension give are filled with defaults listed in ``sources`` as "assumption: not in the
    INDIGO document". Raises :class:`InputError` naming the field it cannot map.
    """
    if not isinstance(doc, Mapping):
        from socialinvest.safe_input import show_shape

        raise InputError("", file=file, statement=msg("i_document", shape=show_shape(doc)))
    r = _Reader(doc, file)
    sources: dict[str, str] = {}
    ext = doc.get(EXTENSION) if use_extension else None
    terms: Mapping[str, Any] = {}
    if isinstance(ext, Mapping) and isinstance(ext.get("terms"), Mapping):
        terms = ext["terms"]
        sources.update({str(k): str(v) for k, v in (terms.get("sources") or {}).items()})
        sources["loaded from"] = (
            "an INDIGO document with the x_socialinvest extension: names, dates, prices, caps, "
            "commitments and return caps from INDIGO fields; the rest from the extension"
        )
    else:
        ext = None
        sources["loaded from"] = "an INDIGO project document"
    _, rate = _converter(r, exchange_rates, sources)

    name = r.text(("name",))
    if name is None:
        raise _err(("name", "value"), msg("i_project_name"), file=file, has=False)
    section: Json = {"name": name}
    section["description"] = (
        terms.get("description") or f"Loaded from the INDIGO document of {name}."
    )

    parties = _Parties(r)
    payer_items = r.items("outcome_payment_commitments")
    _need(payer_items, "outcome_payment_commitments", msg("i_need_payer"), file)
    investments = r.items("investments")
    _need(investments, "investments", msg("i_need_investment"), file)
    providers = r.items("service_provisions")
    _need(providers, "service_provisions", msg("i_need_provider"), file)
    payer_ids = [
        parties.add(("outcome_payment_commitments", i), "payer") for i in range(len(payer_items))
    ]
    investor_ids = [parties.add(("investments", i), "investor") for i in range(len(investments))]
    for i in range(len(providers)):
        parties.add(("service_provisions", i), "provider")
    for i in range(len(r.items("intermediary_services"))):
        text = (r.text(("intermediary_services", i, "other_role_description")) or "").lower()
        role = "intermediary"
        if "guarant" in text:
            role = "guarantor"
        elif "evaluat" in text or "validat" in text:
            role = "evaluator"
        parties.add(("intermediary_services", i), role)

    section["parties"] = _party_list(r, parties, payer_items, payer_ids, ext, payer_actor, sources)
    _dates(r, section, terms, period, start_date, sources)
    metric_ids = _metric_section(r, section, terms, metrics, states, sources)
    _payments(r, section, terms, metric_ids, rate, sources)
    _counterfactual(r, section, terms, comparison_group_size, sources)
    _finance(r, section, terms, parties, investor_ids, rate, sources)
    _rest(section, terms, sources)
    section["sources"] = sources
    try:
        Contract.model_validate(section)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise InputError(
            e["msg"].removeprefix("Value error, "),
            file=file,
            field=field_path(("contract", *e["loc"])),
            value=e.get("input"),
        ) from None
    return section


def _party_list(
    r: _Reader,
    parties: _Parties,
    payer_items: list[Mapping[str, Any]],
    payer_ids: list[str],
    ext: Any,
    payer_actor: str,
    sources: dict[str, str],
) -> list[Json]:
    known: Mapping[str, Any] = {}
    if ext is not None and isinstance(ext.get("organisations"), Mapping):
        known = ext["organisations"]
    shares: dict[str, float] = {}
    if len(set(payer_ids)) > 1:
        amounts = [
            r.number(
                ("outcome_payment_commitments", i, "maximum_potential_outcome_payment", "amount"),
                msg("i_amount"),
            )
            for i in range(len(payer_items))
        ]
        if all(a is not None and a > 0 for a in amounts):
            total = sum(a or 0.0 for a in amounts)
            for oid, a in zip(payer_ids, amounts, strict=True):
                shares[oid] = shares.get(oid, 0.0) + (a or 0.0) / total
            text = (
                "INDIGO outcome_payment_commitments: each payer's maximum potential outcome "
                "payment over all payers'"
            )
        else:
            shares = {oid: 1.0 / len(set(payer_ids)) for oid in payer_ids}
            text = f"{ASSUMED} (equal shares of every outcome payment)"
        if not all(isinstance(known.get(oid), Mapping) for oid in payer_ids):
            sources["payers' shares"] = text
    out: list[Json] = []
    assumed_actor = False
    for oid in parties.order:
        for role in parties.roles.get(oid, []):
            party: Json = {"name": parties.party_name(oid, role), "role": role}
            if role == "payer":
                info = known.get(oid) if isinstance(known, Mapping) else None
                if isinstance(info, Mapping) and info.get("actor"):
                    party["actor"] = info["actor"]
                    if info.get("share") is not None:
                        party["share"] = info["share"]
                else:
                    party["actor"] = payer_actor
                    assumed_actor = True
                    if oid in shares:
                        party["share"] = shares[oid]
            out.append(party)
    if assumed_actor:
        sources["payers' actor"] = (
            f"{ASSUMED} (the payers set their payments against the {payer_actor}'s budget gains)"
        )
    return out


def _dates(
    r: _Reader,
    section: Json,
    terms: Mapping[str, Any],
    period: str | None,
    start_date: dt.date | None,
    sources: dict[str, str],
) -> None:
    base = ("dates",)
    start = r.date((*base, "start_date_of_service_provision"))
    if start is None:
        start = r.date((*base, "outcomes_contract_signed"))
        if start is not None:
            sources["start date"] = (
                "assumption: service provision starts when the outcomes contract is signed "
                "(INDIGO has no start_date_of_service_provision)"
            )
    if start is None and start_date is None:
        raise _err(
            (*base, "start_date_of_service_provision", "value"),
            msg("i_start"),
            file=r.file,
            has=False,
        )
    chosen = period or terms.get("period")
    if chosen is None:
        chosen = "month"
        sources["period"] = f"{ASSUMED} (a contract period of a month)"
    if chosen not in PERIODS_PER_YEAR:
        raise InputError(msg("i_period"), field="period", value=chosen, file=r.file)
    section["period"] = chosen
    periods: int | None = (
        terms.get("periods") if period is None or period == terms.get("period") else None
    )
    end = None
    for key in (
        "anticipated_completion_date",
        "anticipated_end_date_of_service_provision",
        "actual_completion_date",
        "actual_end_date_of_service_provision",
    ):
        end = end or r.date((*base, key))
    if periods is None and start is not None and end is not None:
        if end < start:
            raise _err(
                (*base, "anticipated_completion_date", "value"),
                msg("i_after_start", start=start.isoformat()),
                end.isoformat(),
                file=r.file,
            )
        periods = _periods(start, end, chosen)
    if periods is None:
        months = r.number((*base, "anticipated_duration_of_service_provision"), msg("i_months"))
        if months is not None:
            periods = max(1, round(months * PERIODS_PER_YEAR[chosen] / 12))
    if periods is None:
        raise _err(
            (*base, "anticipated_completion_date", "value"),
            msg("i_end"),
            file=r.file,
            has=False,
        )
    section["periods"] = int(periods)
    if start_date is not None:
        if start is not None and start != start_date:
            sources["start date"] = (
                f"given when loading ({start_date.isoformat()}); the INDIGO document's term starts "
                f"{start.isoformat()} (its length is kept)"
            )
        start = start_date
    assert start is not None
    section["start_date"] = start.isoformat()


def _metric_section(
    r: _Reader,
    section: Json,
    terms: Mapping[str, Any],
    given: Mapping[str, Mapping[str, Any]] | None,
    states: Sequence[str] | None,
    sources: dict[str, str],
) -> list[str]:
    items = r.items("outcome_metrics")
    _need(items, "outcome_metrics", msg("i_need_metric"), r.file)
    known: Mapping[str, Any] = terms.get("metrics") or {}
    out: dict[str, Json] = {}
    assumed: list[str] = []
    for i, item in enumerate(items):
        mid = item.get("id")
        if not isinstance(mid, str) or not mid:
            raise _err(("outcome_metrics", i, "id"), msg("i_metric_id"), mid, file=r.file)
        if mid in out:
            raise _err(("outcome_metrics", i, "id"), msg("i_id_once"), mid, file=r.file)
        spec: Json = {}
        if isinstance(known.get(mid), Mapping):
            spec.update(known[mid])
        if given is not None and mid in given:
            spec.update(given[mid])
        if "kind" not in spec:
            spec["kind"] = "entry"
            assumed.append(mid)
        if "states" not in spec:
            spec["states"] = list(states) if states else ["success"]
            if not states and mid not in assumed:
                assumed.append(mid)
        out[mid] = spec
    unknown = set(given or {}) - set(out)
    if unknown:
        raise InputError(
            msg("i_metric_ids", ids=", ".join(out)),
            field="metrics",
            value=sorted(unknown)[0],
            file=r.file,
        )
    if assumed:
        sources["metrics"] = (
            f"{ASSUMED}: kind and states of {', '.join(assumed)} (default: entry, counted once per "
            f"participant, in states {', '.join(states) if states else 'success'})"
        )
    section["metrics"] = out
    return list(out)


def _payments(
    r: _Reader,
    section: Json,
    terms: Mapping[str, Any],
    metric_ids: list[str],
    rate: float,
    sources: dict[str, str],
) -> None:
    items = r.items("outcome_pricings")
    _need(items, "outcome_pricings", msg("i_need_pricing"), r.file)
    known = terms.get("payments") or []
    if not isinstance(known, list) or len(known) != len(items):
        known = []
    lines: list[Json] = []
    used: set[str] = set()
    caps: list[float] = []
    for i, _item in enumerate(items):
        path: Path = ("outcome_pricings", i)
        ext = known[i] if known and isinstance(known[i], Mapping) else {}
        mid = r.text((*path, "outcome_metric_id"))
        line_name = (
            r.text((*path, "price_description")) or ext.get("name") or mid or f"outcome{i + 1}"
        )
        base, n = line_name, 2
        while line_name in used:
            line_name, n = f"{base} ({n})", n + 1
        used.add(line_name)
        if ext.get("mechanism") == "savings_share":
            lines.append(
                {k: v for k, v in ext.items() if k in ("mechanism", "share")} | {"name": line_name}
            )
            continue
        if mid is None:
            raise _err(
                (*path, "outcome_metric_id", "value"),
                msg("i_line_metric"),
                file=r.file,
                has=False,
            )
        if mid not in metric_ids:
            raise _err(
                (*path, "outcome_metric_id", "value"),
                msg("i_one_metric", ids=", ".join(metric_ids)),
                mid,
                file=r.file,
            )
        price = r.number((*path, "price_per_unit", "amount"), msg("i_price"))
        if price is None:
            raise _err(
                (*path, "price_per_unit", "amount", "value"),
                msg("i_price"),
                file=r.file,
                has=False,
            )
        kind = section["metrics"][mid]["kind"]
        mechanism = ext.get("mechanism") or ("per_unit" if kind == "time_in" else "rate_card")
        line: Json = {
            "name": line_name,
            "metric": mid,
            "mechanism": mechanism,
            "price": price * rate,
        }
        for key in ("threshold", "direction"):
            if key in ext:
                line[key] = ext[key]
        lines.append(line)
        cap = r.value((*path, "maximum_price_if_all_targets_achieved", "amount"))
        if cap is not None and cap != "":
            value = _parse_amount(str(cap)) if not isinstance(cap, int | float) else float(cap)
            if value is None or value < 0:
                raise _err(
                    (*path, "maximum_price_if_all_targets_achieved", "amount", "value"),
                    msg("i_amount"),
                    cap,
                    file=r.file,
                )
            caps.append(value * rate)
    if not known:
        sources["payment mechanisms"] = (
            f"{ASSUMED} (a rate card: price_per_unit per outcome; per_unit for a time_in metric)"
        )
    section["payments"] = lines
    if caps:
        section["person_cap"] = max(caps)
        if len(set(caps)) > 1:
            sources["person cap"] = (
                "assumption: the largest maximum_price_if_all_targets_achieved taken as the most "
                "paid for one participant"
            )
    maximum = r.number(
        ("overall_project_finance", "maximum_potential_outcome_payment_v2", "amount"),
        msg("i_amount"),
    )
    notes = str(r.get(("overall_project_finance", "notes")) or "")
    basis = ""
    ext_doc = r.doc.get(EXTENSION)
    if terms and isinstance(ext_doc, Mapping):
        basis = str((ext_doc.get("maximum_potential_outcome_payment") or {}).get("basis", ""))
    if maximum is not None and basis != "p95_of_simulated" and NOT_A_CAP not in notes:
        section["contract_cap"] = maximum * rate
        sources.setdefault(
            "contract cap",
            "INDIGO maximum_potential_outcome_payment_v2 (which the standard says equals the "
            "contract cap)",
        )


def _counterfactual(
    r: _Reader,
    section: Json,
    terms: Mapping[str, Any],
    size: int | None,
    sources: dict[str, str],
) -> None:
    if size is not None:
        section["counterfactual"] = {"kind": "comparison_group", "size": size}
        return
    if isinstance(terms.get("counterfactual"), Mapping):
        section["counterfactual"] = dict(terms["counterfactual"])
        return
    methods = {
        (r.text(("outcome_metrics", i, "outcome_validation_method")) or "").lower()
        for i in range(len(r.items("outcome_metrics")))
    }
    if any(m.startswith(c) for m in methods for c in COMPARISON_METHODS):
        sources["counterfactual"] = (
            f"{ASSUMED}: outcomes are validated against a comparison group, whose size the "
            "document does not give; modelled without a counterfactual (give "
            "comparison_group_size when loading)"
        )
    else:
        sources["counterfactual"] = f"{ASSUMED} (none: every outcome is paid)"
    section["counterfactual"] = {"kind": "none"}


def _finance(
    r: _Reader,
    section: Json,
    terms: Mapping[str, Any],
    parties: _Parties,
    investor_ids: list[str],
    rate: float,
    sources: dict[str, str],
) -> None:
    fin_terms: Mapping[str, Any] = terms.get("finance") or {}
    known = {t.get("name"): t for t in fin_terms.get("tranches") or [] if isinstance(t, Mapping)}
    tranches: list[Json] = []
    used: set[str] = set()
    assumed_kind: list[str] = []
    for i, oid in enumerate(investor_ids):
        path: Path = ("investments", i)
        raw = r.get((*path, "id"))
        name = raw if isinstance(raw, str) and raw else f"investment{i + 1}"
        if name in used:
            raise _err((*path, "id"), msg("i_id_once"), name, file=r.file)
        used.add(name)
        amount_path: Path = (*path, "investment_commitment", "amount")
        commitment = r.number((*amount_path, "exact"), msg("i_amount_positive"))
        if commitment is None:
            commitment = r.number((*amount_path, "max"), msg("i_amount_positive"))
            if commitment is None:
                raise _err(
                    (*amount_path, "exact", "value"),
                    msg("i_commitment"),
                    file=r.file,
                    has=False,
                )
            sources[f"commitment of {name}"] = "assumption: the maximum of the committed range"
        ext: Mapping[str, Any] = known.get(name) or {}
        investment_type = r.text((*path, "investment_type"))
        tranche: Json = {
            "name": name,
            "investor": parties.party_name(oid, "investor"),
            "kind": ext.get("kind") or _kind(investment_type),
            "commitment": commitment * rate,
        }
        if not ext.get("kind") and investment_type != "Equity":
            assumed_kind.append(f"{name} ({investment_type or 'no investment_type'})")
        for key in ("seniority", "coupon", "max_multiple"):
            if ext.get(key) is not None:
                tranche[key] = ext[key]
        cap = r.number((*path, "maximum_potential_return"), msg("i_percentage"))
        if cap is not None:
            tranche["max_return"] = cap / 100
            if r.text((*path, "maximum_potential_return_type")) == "Average annual return":
                sources[f"return cap of {name}"] = (
                    "assumption: INDIGO's maximum average annual return taken as a maximum IRR"
                )
        tranches.append(tranche)
    if assumed_kind:
        sources["tranche kinds"] = (
            f"{ASSUMED} for {', '.join(assumed_kind)}: Debt taken as a senior loan without a "
            "coupon; Combination or no investment_type as equity"
        )
    finance: Json = {"tranches": tranches}
    for key in ("drawdown", "surplus_to", "guarantee"):
        if fin_terms.get(key) is not None:
            finance[key] = fin_terms[key]
    target_path = ("investment_details", "internal_rate_of_return", "target")
    target = _percent(r.text(target_path))
    if target is not None and not (np.isfinite(target) and -1 <= target <= 10):
        raise _err(target_path, msg("e_indigo_target"), r.text(target_path), file=r.file)
    if target is not None:
        finance["target_return"] = target
    elif fin_terms.get("target_return") is not None:
        finance["target_return"] = fin_terms["target_return"]
    else:
        sources["target return"] = f"{ASSUMED} (5 % a year)"
    if not fin_terms:
        sources["drawdown and waterfall"] = (
            f"{ASSUMED} (drawn in the order of the investments; surplus above return caps to the "
            "payers; no guarantee)"
        )
    section["finance"] = finance


def _kind(investment_type: str | None) -> str:
    return "senior_loan" if investment_type == "Debt" else "equity"


def _rest(section: Json, terms: Mapping[str, Any], sources: dict[str, str]) -> None:
    defaults: dict[str, tuple[Any, str]] = {
        "participants": ({"cohorts": "case"}, "the business case's cohorts"),
        "success_metric": (None, "the first metric that counts participants"),
        "success_exit_per_year": (0.0, "no one leaves the success state again"),
        "lag_periods": (0, "no verification lag"),
        "indexation": (0.0, "prices not indexed"),
        "provider": (
            {"delivery_costs": "case"},
            "the case's intervention costs, no performance fee",
        ),
        "other_costs": ([], "none"),
    }
    assumed = []
    for key, (default, text) in defaults.items():
        if key in terms:
            section[key] = terms[key]
        elif default is not None:
            section[key] = default
            assumed.append(f"{key} ({text})")
        else:
            assumed.append(f"{key} ({text})")
    if assumed:
        sources["other terms"] = f"{ASSUMED}: " + "; ".join(assumed)


# =============================================================================== case files


def attach_contract(case_text: str, contract: Mapping[str, Any]) -> str:
    """The YAML text of a case with ``contract`` as its contract section (appended; a contract
    section already in the case is replaced)."""
    from socialinvest.safe_input import parse_text, show_shape

    data = parse_text(case_text, "<case>").data  # through the loading gate
    if not isinstance(data, dict):
        raise InputError("", field="case", statement=msg("e_not_a_case", shape=show_shape(data)))
    text = _without_section(case_text, "contract") if "contract" in data else case_text
    block = yaml.safe_dump(
        {"contract": dict(contract)}, allow_unicode=True, sort_keys=False, width=100
    )
    return (
        text.rstrip("\n") + "\n\n# The contract section below was loaded from an INDIGO document "
        "(socialinvest.contract.indigo.from_indigo).\n" + block
    )


def _without_section(text: str, key: str) -> str:
    """The text without the top-level ``key:`` block."""
    out: list[str] = []
    skipping = False
    start = re.compile(rf"^{re.escape(key)}\s*:")
    for line in text.splitlines(keepends=True):
        if start.match(line):
            skipping = True
            continue
        if skipping and line.strip() and not line[0].isspace() and not line.startswith("#"):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)
