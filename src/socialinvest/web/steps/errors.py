"""A case error as one plain sentence in the page's language, placed beside its field.

The case models and checks phrase an error in English (the command line's sentence); the page
shows the same error in Danish by default. The error's parts (field, value, what is expected) are
kept apart in :class:`~socialinvest.errors.InputError`, so the Danish sentence is built from them:
the common kinds of "expected" are translated phrase by phrase from the catalogues
(``ui_err_*`` in ``locale/{da,en}/web.yaml``); a rarer one is shown with its English wording after
a Danish lead-in, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from socialinvest.errors import InputError, Msg, show_value
from socialinvest.output.messages import text
from socialinvest.output.numbers import number


@dataclass(frozen=True)
class FieldError:
    """An error to show: the field it belongs to (a dotted path; '' for the whole case) and the
    sentence."""

    field: str
    message: str


def _num(raw: str, lang: str) -> str:
    """'1,000,000' or '0.5' from an English sentence, in the page language."""
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        return raw
    decimals = 0 if value.is_integer() else len(raw.split(".")[-1])
    return number(value, lang, decimals)


def _value(value: object, lang: str) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        text_ = f"{value:g}"
        return _num(text_, lang) if "e" not in text_ else text_
    return show_value(value)


_NUMBER = r"(-?[\d,]+(?:\.\d+)?)"
# (pattern on the English 'expected' phrase, catalogue key, names of the groups → placeholders)
_EXPECTED: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (re.compile(r"^a share between 0 and 1"), "ui_err_share", ()),
    (
        re.compile(rf"^a number from {_NUMBER} to {_NUMBER} \(excluded\)"),
        "ui_err_range_excluded",
        ("low", "high"),
    ),
    (re.compile(rf"^a number from {_NUMBER} to {_NUMBER}"), "ui_err_range", ("low", "high")),
    (re.compile(rf"^a number of at least {_NUMBER}"), "ui_err_at_least", ("low",)),
    (re.compile(rf"^a number of at most {_NUMBER}"), "ui_err_at_most", ("high",)),
    (re.compile(rf"^a number greater than {_NUMBER}"), "ui_err_greater", ("low",)),
    (re.compile(rf"^a number less than {_NUMBER}"), "ui_err_less", ("high",)),
    (re.compile(r"^a whole number"), "ui_err_whole", ()),
    (re.compile(r"^a number written with a decimal point"), "ui_err_number", ()),
    (re.compile(r"^a number, or a distribution"), "ui_err_number_or_dist", ()),
    (re.compile(r"^a number$"), "ui_err_number", ()),
    (re.compile(r"^text$"), "ui_err_text", ()),
    (re.compile(r"^a value"), "ui_err_required", ()),
    (re.compile(r"^one of (.+)$"), "ui_err_one_of", ("options",)),
    (re.compile(r"^at least (\d+) item"), "ui_err_min_items", ("count",)),
    (
        re.compile(r"^a distribution whose values stay between 0 and 1"),
        "ui_err_dist_share",
        (),
    ),
    (re.compile(r"^a distribution whose values stay at or above 0"), "ui_err_dist_positive", ()),
    (
        re.compile(r"^a year within the horizon (\d+)–(\d+)"),
        "ui_err_year_in_horizon",
        ("first", "last"),
    ),
    (
        re.compile(r"^shares of successes per year after intake that sum to 1"),
        "ui_err_timing_sum",
        (),
    ),
    (re.compile(r"^at least (\d+) years, so the last cohort"), "ui_err_horizon_short", ("years",)),
    (re.compile(r"^at least one cohort with a positive intake"), "ui_err_no_intake", ()),
    (re.compile(r"^last_year not before first_year"), "ui_err_last_before_first", ()),
    (
        re.compile(r"^exactly one of 'ref' \(a knowledge-base ID\) and 'price'"),
        "ui_err_ref_or_price",
        (),
    ),
    (re.compile(r"^rate_with and rate_without together"), "ui_err_both_rates", ()),
    (re.compile(r"^either rate_with and rate_without, or absolute_effect"), "ui_err_rates_or", ()),
    (re.compile(r"^actor shares that sum to 1"), "ui_err_actor_shares", ()),
    (re.compile(r"^each budget area under one committee only"), "ui_err_committee_area", ()),
    (re.compile(r"^the ID of a knowledge-base entry"), "ui_err_unknown_ref", ()),
    (
        re.compile(r"^a price year the net price index covers \((\d+)–(\d+)\)"),
        "ui_err_price_year",
        ("first", "last"),
    ),
    (re.compile(r"^a unit the price's unit (\S+) converts to"), "ui_err_unit", ("options",)),
]


def _expected(expected: str, lang: str) -> str | None:
    phrase = expected.strip().rstrip(".")
    for pattern, key, names in _EXPECTED:
        found = pattern.match(phrase)
        if found is None:
            continue
        values: dict[str, str] = {}
        for name, group in zip(names, found.groups(), strict=False):
            values[name] = group if name in {"options", "first", "last"} else _num(group, lang)
        return text(lang, key, **values)
    return None


def explain(error: InputError, lang: str) -> FieldError:
    """The error for the page: its field and one sentence (no file name, no line number)."""
    found = _explain(error, lang)
    message = found.message.rstrip()
    return FieldError(found.field, message if message.endswith((".", "?")) else message + ".")


def _english_part(part: str | Msg | None) -> str:
    return part.render("en") if isinstance(part, Msg) else (part or "")


def _explain(error: InputError, lang: str) -> FieldError:
    field = error.field or ""
    statement_text = _english_part(error.statement)
    if statement_text:
        translated = _expected(statement_text, lang)
        return FieldError(field, translated or _own_sentence(error, lang, statement_text))
    expected = _expected(_english_part(error.expected), lang)
    if expected is None:
        return FieldError(field, _own_sentence(error, lang, _english(error)))
    if error.problem == "is missing":
        return FieldError(field, text(lang, "ui_err_missing"))
    if error.problem == "is not a known field":
        return FieldError(field, text(lang, "ui_err_unknown_field"))
    problem = _english_part(error.problem)
    if problem.startswith("sums to"):
        total = problem.removeprefix("sums to ").strip()
        return FieldError(field, text(lang, "ui_err_sums_to", total=_num(total, lang)) + expected)
    if error.has_value and error.value is not None:
        return FieldError(
            field, text(lang, "ui_err_you_wrote", value=_value(error.value, lang)) + expected
        )
    return FieldError(field, expected[0].upper() + expected[1:])


def _own_sentence(error: InputError, lang: str, english: str) -> str:
    """An error the form does not phrase itself: the catalogue's own sentence in the page's
    language when the error has one (without file, line and field: it stands beside the
    field), else the English one after a lead-in."""
    if error.message_key() is None:
        return text(lang, "ui_err_other", message=english)
    bare = InputError(
        error.expected,
        value=error.value,
        has_value=error.has_value,
        problem=error.problem,
        statement=error.statement,
    )
    return bare.render(lang)


def _english(error: InputError) -> str:
    message = error.message
    # drop "file, line N: " and "field 'x' " — the sentence stands beside the field
    message = re.sub(r"^[^:]*?(, line \d+)?: ", "", message, count=1)
    message = re.sub(r"^field '[^']*'(: | )", "", message, count=1)
    return message[0].upper() + message[1:] if message else message


Validator = Callable[[str], None]
