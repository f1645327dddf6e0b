"""A statement line in words, Danish or English: which rule, which records, which cap."""

from __future__ import annotations

from socialinvest.ledger.statements import StatementLine
from socialinvest.output.messages import text
from socialinvest.output.numbers import money, number, percent


def _periods(values: tuple[int, ...]) -> str:
    """1, 2, 3, 5 → "1–3, 5"."""
    out: list[str] = []
    start = prev = None
    for v in sorted(values):
        if start is None:
            start = prev = v
        elif prev is not None and v == prev + 1:
            prev = v
        else:
            out.append(f"{start}–{prev}" if start != prev else f"{start}")
            start = prev = v
    if start is not None:
        out.append(f"{start}–{prev}" if start != prev else f"{start}")
    return ", ".join(out)


def _sentence(words: str) -> str:
    """``words`` ended by one full stop (a Danish amount already ends in "kr.")."""
    return words if words.endswith(".") else words + "."


def explain(line: StatementLine, lang: str = "en") -> str:
    """One paragraph: the rule (price × units in which periods), the records, each cap's cut,
    the sample's rate with its interval, and the amount."""
    records = _periods(line.records)
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
