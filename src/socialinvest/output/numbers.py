"""Number formats by language: 1.234.567 kr. in Danish, DKK 1,234,567 in English.

The numbers are written as the locale library Babel writes them for the patterns below in the
locales da_DK and en_GB (CLDR's group and decimal signs), by the same decimal steps (the value's
shortest repr as a Decimal, rounded half to even, grouped by three), without loading Babel and its
locale data on every start of the command line (~15 ms); tests/test_numbers_babel.py compares the
two on many values. Babel still writes dates and lists (`LOCALES` names its locales).

A figure of 10**18 or more, a percentage too (the break-even success rate of a case whose effect is
next to nothing), is written as ``1.000e+27``, not digit by digit: Decimal's default 28 digits,
and Babel with them, fail from about 10**25 on.
"""

from __future__ import annotations

import decimal
import math

LOCALES = {"da": "da_DK", "en": "en_GB"}
# CLDR's number symbols of the locales above: (group, decimal)
_SIGNS = {"da": (".", ","), "en": (",", ".")}


def _decimal(value: float, lang: str, decimals: int, scale: int = 0, suffix: str = "") -> str:
    """``value`` × 10**scale with ``decimals`` decimals, grouped by thousands, as Babel's
    ``NumberPattern.apply`` writes the pattern ``#,##0.00…`` (+ ``suffix``) in ``lang``. A
    figure of 10**18 or more is written as ``1.000e+27`` (beyond what a decimal pattern shows
    sensibly; Decimal's 28 digits, and Babel with them, fail from about 10**25 on)."""
    shown = value * 10**scale
    if abs(round(shown, decimals)) >= 1e18:
        return f"{shown:.3e}{suffix}"
    amount = decimal.Decimal(str(value)).scaleb(scale)
    negative = amount.is_signed()
    rounded = abs(amount).normalize().quantize(decimal.Decimal(10) ** -decimals)
    whole, _, fraction = f"{rounded:f}".partition(".")
    group, point = _SIGNS[lang]
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = group.join([whole, *groups])
    if decimals:
        text += point + fraction.ljust(decimals, "0")
    return ("-" if negative else "") + text + suffix


def number(value: float | None, lang: str, decimals: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    rounded = round(value, decimals)
    if rounded == 0:
        rounded = 0.0  # no "-0"
    return _decimal(rounded, lang, decimals)


def money(value: float | None, lang: str, decimals: int = 0) -> str:
    text = number(value, lang, decimals)
    if text == "–":
        return text
    return f"{text} kr." if lang == "da" else f"DKK {text}"


def thousands(value: float | None, lang: str) -> str:
    return number(None if value is None else value / 1000.0, lang)


def percent(value: float | None, lang: str, decimals: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return _decimal(value, lang, decimals, scale=2, suffix="%" if lang == "en" else " %")


def entry_value(value: object, unit: str, lang: str) -> str:
    """A knowledge-base entry's value for readers: a number with its unit (two decimals below
    10), or a described table or schedule (:func:`describe_value`)."""
    if isinstance(value, int | float):
        from socialinvest.output.messages import unit_label

        digits = 2 if abs(value) < 10 else 0
        return f"{number(value, lang, digits)} {unit_label(lang, unit)}"
    return describe_value(value, lang)


def describe_value(value: object, lang: str = "en") -> str:
    """A dated value as text: numbers as they are, schedules band by band."""
    if isinstance(value, list):
        parts = []
        for band in value:
            data = band if isinstance(band, dict) else band.model_dump()
            if "rate" in data:
                start = (
                    f"fra år {data['from_year']}"
                    if lang == "da"
                    else (f"from year {data['from_year']}")
                )
                parts.append(f"{start}: {percent(data['rate'], lang)}")
            else:
                start = (
                    f"fra uge {data['from_week']}"
                    if lang == "da"
                    else (f"from week {data['from_week']}")
                )
                state = "staten" if lang == "da" else "state"
                parts.append(f"{start}: {state} {percent(data['state_share'], lang, 0)}")
        return "; ".join(parts)
    return f"{value:g}" if isinstance(value, float | int) else str(value)
