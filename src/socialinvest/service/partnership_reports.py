"""Documents of a running partnership: the settlement statement as PDF or XLSX, and the INDIGO
project document with the realised figures beside the design stage's (docs/partnerships.md,
"Downloads"; docs/indigo.md, "Realised figures").

Both are made from what the acting role may see: the statement from ``statement_view`` (lines
per pseudonym for the roles that work with participants, totals only for investors), the INDIGO
document from aggregates only (counts of participants and records, never a person).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from socialinvest.errors import Alternatives, InputError, msg
from socialinvest.service.partnerships import Context, current_period, statement_view

#: The formats of a statement document.
STATEMENT_FORMATS: Final = ("pdf", "xlsx")
MEDIA_TYPES: Final = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def statement_format(fmt: str) -> str:
    """``fmt`` as pdf or xlsx (case and spaces ignored), else an :class:`InputError`."""
    chosen = fmt.strip().lower()
    if chosen not in STATEMENT_FORMATS:
        raise InputError(
            msg("cc_e_either", choices=Alternatives(("pdf", "xlsx"))), field="format", value=fmt
        )
    return chosen


def period_dates(ctx: Context, first: int, last: int) -> tuple[dt.date, dt.date]:
    """The first and last day of contract periods ``first`` … ``last`` (1-based)."""
    terms = ctx.ledger.terms
    dates = terms.dates
    end = dates[last] if last < len(dates) else terms.end
    return dates[first - 1], end - dt.timedelta(days=1)


def statement_document(
    ctx: Context, index: int, fmt: str = "pdf", lang: str = "da", created: dt.date | None = None
) -> bytes:
    """Settlement ``index`` (approved, or drafted now) as a PDF (A4) or XLSX file, as the
    acting role may see it: investors get the totals per payer only."""
    chosen = statement_format(fmt)
    view = statement_view(ctx, index, lang)
    name = str(ctx.row["name"])
    if chosen == "xlsx":
        from socialinvest.service.partnerships import statement_xlsx

        return statement_xlsx(view, name, lang)
    from socialinvest.report.statement import statement_pdf

    first, last = view["periods"]
    return statement_pdf(
        view,
        partnership=name,
        lang=lang,
        period_dates=period_dates(ctx, first, last),
        demo=bool(ctx.row.get("demo")),
        created=created,
    )


def statement_file_name(ctx: Context, index: int, fmt: str) -> str:
    return f"{ctx.row['key']}-settlement-{index}.{statement_format(fmt)}"


# ---------------------------------------------------------------------- INDIGO, realised

ACTUAL: Final = "ACTUAL: realised figures from the partnership's ledger"
_TRANSACTION_TYPE: Final = {
    "payment": "Outcome Payment",
    "distribution": "Capital Repayment and Interest",
    "delivery": "Other",
    "performance": "Other",
    "surplus": "Other",
    "guarantee": "Other",
}
_POSTING_TEXT: Final = {
    "payment": "outcome payments of approved settlements, payer to the contract's vehicle",
    "drawdown": "capital drawn from the investor into the contract's vehicle",
    "delivery": "the provider's delivery costs, paid by the contract's vehicle",
    "performance": "the provider's performance fee, paid by the contract's vehicle",
    "distribution": "the waterfall's distribution to the investor (interest and principal)",
    "surplus": "cash above the investors' return caps",
    "guarantee": "a first-loss guarantee called",
}


def _v(value: Any) -> dict[str, Any]:
    return {"value": value}


def _money(amount: float) -> dict[str, Any]:
    return {"currency": _v("DKK"), "amount": _v(round(float(amount), 2))}


def realised_figures(ctx: Context, as_of: int | None = None) -> dict[str, Any]:
    """What has happened in the partnership up to period ``as_of`` (default: now), in counts
    and sums only: participants enrolled (by status), per paid metric the verified records,
    their units and the participants with one (counts below the partnership's threshold
    suppressed), the approved settlements' totals per payer, and the journal's postings summed
    per period, kind and accounts."""
    ledger = ctx.ledger
    terms = ledger.terms
    period = current_period(ctx) if as_of is None else as_of
    min_count = int(ctx.row["min_count"])

    def count(n: int) -> int | None:
        return None if 0 < n < min_count else n

    people = [p for p in ledger.participants.values() if p.intake_period <= period]
    records = [r for r in ledger.records.values() if r.period <= period]
    metrics: dict[str, dict[str, Any]] = {}
    paid = terms.paid_metrics
    for name in terms.contract.metrics:
        verified = [r for r in records if r.metric == name and r.status == "verified"]
        persons = {r.participant for r in verified if r.value > 0}
        metrics[name] = {
            "paid": name in paid,
            "records_verified": len(verified),
            "units_verified": round(sum(r.value for r in verified), 6),
            "records_awaiting": sum(
                1 for r in records if r.metric == name and r.status in ("entered", "disputed")
            ),
            "participants_with_verified_outcome": count(len(persons)),
        }
    succeeded = {
        r.participant
        for r in records
        if r.status == "verified" and r.value > 0 and r.metric in paid
    }
    settlements: list[dict[str, Any]] = []
    made = 0
    for index, st in sorted(ledger.statements.items()):
        if st.status != "approved":
            continue
        first, last = period_dates(ctx, st.first_period, st.last_period)
        settlements.append(
            {
                "index": index,
                "periods": [st.first_period, st.last_period],
                "start_date": first.isoformat(),
                "end_date": last.isoformat(),
                "approved_at": st.approved_at,
                "totals": {payer: st.total_ore(payer) / 100 for payer in terms.payers},
            }
        )
        made += st.total_ore()
    flows: dict[tuple[int, str, str, str], int] = {}
    for p in ledger.journal.postings:
        key = (p.period, p.kind, p.source, p.destination)
        flows[key] = flows.get(key, 0) + p.amount
    postings = [
        {
            "period": k[0],
            "date": terms.dates[k[0] - 1].isoformat(),
            "kind": k[1],
            "from": k[2],
            "to": k[3],
            "amount": amount / 100,
        }
        for k, amount in sorted(flows.items())
    ]
    by_status = {s: sum(1 for p in people if p.status == s) for s in ("active", "exited")}
    by_status["withdrawn"] = sum(1 for p in people if p.status == "withdrawn")
    return {
        "as_of_period": period,
        "as_of_date": (period_dates(ctx, 1, period)[1].isoformat() if period >= 1 else None),
        "min_count": min_count,
        "participants": {
            "enrolled": len(people),
            "planned_total": int(terms.prep.offsets.shape[0]),
            "by_status": {k: count(v) for k, v in by_status.items()},
            "with_verified_outcome": count(len(succeeded)),
        },
        "metrics": metrics,
        "settlements": settlements,
        "outcome_payments_made": made / 100,
        "postings": postings,
    }


def _transaction_type(kind: str, account: str, ctx: Context) -> str:
    if kind != "drawdown":
        return _TRANSACTION_TYPE[kind]
    from socialinvest.contract.indigo import DRAWDOWN_TYPE

    investor = account.split(":", 1)[1]
    kinds = {
        DRAWDOWN_TYPE[t.kind]
        for t in ctx.ledger.terms.contract.finance.tranches
        if t.investor == investor
    }
    if kinds == {"Debt", "Equity"}:
        return "Debt and Equity"
    return kinds.pop() if len(kinds) == 1 else "Other"


def realised_indigo(
    ctx: Context, *, draws: int = 1000, seed: int = 1, as_of: int | None = None
) -> dict[str, Any]:
    """The partnership as an INDIGO project document: the design stage's terms, planned payments
    and simulated results (``contract.indigo.to_indigo`` of the design stage's run with the
    agreed prices, ``draws`` and ``seed``), and beside them what has happened, marked actual:
    the participants engaged (a count), the outcomes verified per metric (interim results), the
    approved settlements as actual outcome payments, the total outcome payments made, and the
    journal's transactions to date. No person, pseudonym or user is named; counts below the
    partnership's threshold are left out (said in the text)."""
    from socialinvest.contract.indigo import EXTENSION, SOURCE_ID, to_indigo
    from socialinvest.ledger.forecast import observe, reforecast

    terms = ctx.ledger.terms
    period = current_period(ctx) if as_of is None else as_of
    observed, realised_paid = observe(ctx.ledger, period)
    fc = reforecast(
        terms,
        observed,
        realised_paid,
        as_of=period,
        paid_through=ctx.ledger.posted_through,
        draws=draws,
        seed=seed,
    )
    doc = to_indigo(fc.design)
    real = realised_figures(ctx, period)
    parties = terms.contract.parties
    orgs = {p.name: f"LOCAL-ORG-{i + 1}" for i, p in enumerate(parties)}
    evaluators = ",".join(orgs[p.name] for p in parties if p.role == "evaluator")
    start = terms.dates[0].isoformat()
    as_of_date = real["as_of_date"] or start
    min_count = real["min_count"]
    source = "source-ledger"

    def persons(n: int | None) -> str:
        return f"fewer than {min_count} (not shown)" if n is None else str(n)

    doc["sources"].append(
        {
            "id": source,
            "name": _v(f"the ledger of the partnership '{ctx.row['name']}'"),
            "type": _v("Report"),
            "notes": f"{ACTUAL} up to period {period} ({as_of_date}): approved settlements, "
            "verified outcome records and the journal's postings; counts of participants only, "
            f"counts below {min_count} not shown.",
        }
    )
    people = real["participants"]
    doc["service_and_beneficiaries"]["actual_number_service_users_or_beneficiaries_total"] = _v(
        people["enrolled"]
    )
    doc["service_and_beneficiaries"]["source_ids"] = f"{SOURCE_ID},{source}"
    final = bool(real["settlements"]) and real["settlements"][-1]["index"] == terms.n_settlements
    kind = "Final" if final else "Interim"
    span = {"start_date": _v(start), "end_date": _v(as_of_date)}
    project: dict[str, Any] = {
        "result_level": _v("Project level"),
        "result_type": _v(kind),
        "period": span,
        "number_engaged_in_impact_bond": _v(people["enrolled"]),
        "outcomes_achieved": _v(
            f"{persons(people['with_verified_outcome'])} of {people['enrolled']} participants "
            f"with a verified outcome in a paid metric, up to period {period}."
        ),
        "notes": f"{ACTUAL}.",
        "source_ids": source,
    }
    if people["with_verified_outcome"] is not None:
        project["number_with_positive_social_outcomes"] = _v(people["with_verified_outcome"])
    if evaluators:
        project["outcomes_validator_organisation_ids"] = _v(evaluators)
    results = [project]
    for name, m in real["metrics"].items():
        item: dict[str, Any] = {
            "outcome_metric_id": _v(name),
            "result_level": _v("Outcome level"),
            "result_type": _v(kind),
            "period": span,
            "number_engaged_in_impact_bond": _v(people["enrolled"]),
            "outcomes_achieved": _v(
                f"{m['records_verified']} verified record(s), {m['units_verified']:g} unit(s), "
                f"{persons(m['participants_with_verified_outcome'])} participant(s); "
                f"{m['records_awaiting']} record(s) awaiting verification."
            ),
            "notes": f"{ACTUAL}.",
            "source_ids": source,
        }
        if m["participants_with_verified_outcome"] is not None:
            item["number_with_positive_social_outcomes"] = _v(
                m["participants_with_verified_outcome"]
            )
        if evaluators:
            item["outcomes_validator_organisation_ids"] = _v(evaluators)
        results.append(item)
    doc["results"] = [*doc.get("results", []), *results]
    payments = []
    for st in real["settlements"]:
        for payer, amount in st["totals"].items():
            payments.append(
                {
                    "period": {"start_date": _v(st["start_date"]), "end_date": _v(st["end_date"])},
                    "payer_organisation_id": _v(orgs[payer]),
                    "type": _v("Actual"),
                    "money": _money(amount),
                    "notes": f"{ACTUAL}: settlement {st['index']} (periods "
                    f"{st['periods'][0]}–{st['periods'][1]}), approved {st['approved_at']}.",
                    "source_ids": source,
                }
            )
    doc["outcome_payments"] = [*doc.get("outcome_payments", []), *payments]
    finance = doc["overall_project_finance"]
    finance["total_outcome_payments_made"] = _money(real["outcome_payments_made"])
    finance["source_ids"] = f"{finance.get('source_ids', SOURCE_ID)},{source}"
    transactions = []
    for p in real["postings"]:
        item = {
            "date": _v(p["date"]),
            "transaction_type": _v(_transaction_type(p["kind"], p["from"], ctx)),
        }
        for side, account in (("sending", p["from"]), ("receiving", p["to"])):
            party = account.split(":", 1)[1] if ":" in account else None
            if party in orgs:
                item[f"{side}_organisation_id"] = _v(orgs[party])
        item["money"] = _money(p["amount"])
        item["notes"] = f"{ACTUAL} (journal, period {p['period']}): {_POSTING_TEXT[p['kind']]}."
        item["source_ids"] = source
        transactions.append(item)
    doc["transactions"] = [*doc.get("transactions", []), *transactions]
    doc["notes"] = _v(
        f"{doc['notes']['value']} Beside the planned values: {ACTUAL} up to period {period} "
        f"({as_of_date}) — outcome payments of type Actual, results with a result type, the "
        "total outcome payments made, transactions whose notes begin with ACTUAL."
    )
    doc[EXTENSION]["realised"] = real
    doc[EXTENSION]["design_run"] = {"draws": draws, "seed": seed}
    return {k: v for k, v in doc.items() if v != []}
