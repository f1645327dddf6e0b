"""A statement line in words, Danish or English: which rule, which records, which cap; for a
threshold line, the cohort's assessment (outcomes, baseline, threshold, improvement) of which
the line is a participant's equal share."""

from __future__ import annotations

from typing import Any

import numpy as np

from socialinvest.ledger.statements import StatementLine
from socialinvest.output.messages import text
from socialinvest.output.numbers import money, number, percent


def _periods(values: tuple[int, ...]) -> str:
    """1, 2, 3, 5 → "1–3, 5" (runs found by NumPy: a line may list hundreds of records)."""
    if not values:
        return ""
    v = np.unique(np.asarray(values, dtype=np.int64))
    cuts = np.flatnonzero(np.diff(v) != 1) + 1
    starts = v[np.r_[0, cuts]].tolist()
    ends = v[np.r_[cuts - 1, len(v) - 1]].tolist()
    return ", ".join(f"{a}–{b}" if a != b else f"{a}" for a, b in zip(starts, ends, strict=True))


def _sentence(words: str) -> str:
    """``words`` ended by one full stop (a Danish amount already ends in "kr.")."""
    return words if words.endswith(".") else words + "."


def explain_cohort(c: dict[str, Any], lang: str = "en") -> str:
    """A threshold line's assessment of one cohort (``CohortAssessment.to_dict``) in words:
    outcomes against the baseline, the improvement against the threshold, the value, the
    contract cap's cut and the cohort's amount (all payers together)."""
    how = text(lang, "th_more" if c["direction"] == "more" else "th_fewer")
    words = text(
        lang,
        "th_assessment",
        line=c["name"],
        cohort=c["cohort"],
        intake=c["intake_period"],
        size=c["members"],
        period=c["period"],
        successes=number(c["successes"], lang, 2),
        baseline=number(c["baseline"], lang, 2),
        rate=number(c["rate"], lang, 2),
        gain=number(c["gain"], lang, 2),
        how=how,
        threshold=percent(c["threshold"], lang),
        needed=number(c["threshold"] * c["baseline"], lang, 2),
    )
    if c["met"]:
        verdict = text(
            lang,
            "th_met",
            gain=number(c["paid_gain"], lang, 2),
            price=money(c["price"], lang, 2),
            index=number(c["index"], lang, 4),
            value=money(c["value"], lang, 2),
        )
    else:
        verdict = text(lang, "th_not_met")
    parts = [_sentence(f"{words}: {verdict}")]
    if c["contract_cap_cut"] > 0.005:
        parts.append(text(lang, "th_cohort_cap", cut=money(c["contract_cap_cut"], lang, 2)))
    parts.append(
        _sentence(
            text(
                lang,
                "th_cohort_amount",
                amount=money(c["amount"], lang, 2),
                payment_period=c["payment_period"],
            )
        )
    )
    return " ".join(parts)


def _explain_share(line: StatementLine, lang: str) -> str:
    """A threshold line: the cohort's assessment, then this participant's share."""
    c = line.cohort
    assert c is not None
    records = _periods(line.records)
    parts = [explain_cohort(c, lang)]
    if records:
        parts.append(
            text(
                lang,
                "th_share",
                size=c["members"],
                value=money(line.value, lang, 2),
                records=records,
                units=number(line.units, lang, 2),
            )
        )
    else:
        parts.append(
            text(lang, "th_share_no_records", size=c["members"], value=money(line.value, lang, 2))
        )
    if line.contract_cap_cut > 0.005:
        parts.append(
            text(lang, "ledger_explain_contract_cap", cut=money(line.contract_cap_cut, lang, 2))
        )
    parts.append(_sentence(text(lang, "ledger_explain_amount", amount=money(line.amount, lang, 2))))
    if line.terms_version > 0:
        parts.append(text(lang, "amend_explain_version", version=line.terms_version))
    return " ".join(parts)


def explain(line: StatementLine, lang: str = "en") -> str:
    """One paragraph: the rule (price × units in which periods), the records, each cap's cut,
    the sample's rate with its interval, and the amount (a threshold line: the cohort's
    assessment and the participant's share)."""
    records = _periods(line.records)
    if line.kind == "regular" and line.cohort is not None:
        return _explain_share(line, lang)
    if line.kind == "adjustment":
        words = _sentence(
            text(
                lang,
                "ledger_explain_adjustment",
                period=_periods(line.payment_periods),
                records=records or "–",
                amount=money(line.amount, lang, 2),
            )
        )
        if line.terms_version > 0:
            words += " " + text(lang, "amend_explain_version", version=line.terms_version)
        return words
    parts = [
        text(
            lang,
            "ledger_explain_rule",
            line=line.line,
            price=money(line.price, lang, 2),
            units=number(line.units, lang, 2),
            periods=_periods(line.outcome_periods),
            records=records,
            value=money(line.value, lang, 2),
        )
    ]
    if line.person_cap_cut > 0.005:
        parts.append(
            text(lang, "ledger_explain_person_cap", cut=money(line.person_cap_cut, lang, 2))
        )
    if line.contract_cap_cut > 0.005:
        parts.append(
            text(lang, "ledger_explain_contract_cap", cut=money(line.contract_cap_cut, lang, 2))
        )
    if line.sample is not None:
        s = line.sample
        parts.append(
            text(
                lang,
                "ledger_explain_sample",
                sample=s["sample"],
                rejected=s["rejected"],
                sampled=s["sampled"],
                rate=percent(float(s["rate"]), lang),
                low=percent(float(s["low"]), lang),
                high=percent(float(s["high"]), lang),
            )
        )
    parts.append(_sentence(text(lang, "ledger_explain_amount", amount=money(line.amount, lang, 2))))
    if line.terms_version > 0:
        parts.append(text(lang, "amend_explain_version", version=line.terms_version))
    return " ".join(parts)
