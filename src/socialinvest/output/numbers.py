"""Number formats by language, from the locale library (Babel): 1.234.567 kr. in Danish."""

from __future__ import annotations

import math

from babel.numbers import format_decimal, format_percent

LOCALES = {"da": "da_DK", "en": "en_GB"}


def number(value: float | None, lang: str, decimals: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    rounded = round(value, decimals)
    if rounded == 0:
        rounded = 0.0  # no "-0"
    if abs(rounded) >= 1e18:  # beyond what a decimal pattern shows sensibly
        return f"{rounded:.3e}"
    return format_decimal(rounded, format=pattern, locale=LOCALES[lang])


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
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + " %"
    if lang == "en":
        pattern = pattern.replace(" %", "%")
    return format_percent(value, format=pattern, locale=LOCALES[lang])


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
