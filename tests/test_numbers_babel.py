"""`output/numbers.py` writes numbers as Babel writes the same patterns in da_DK and en_GB (the
peer): compared on random values of every size, halves and ties, negatives, zeros and numpy
floats."""

from __future__ import annotations

import random

import numpy as np
import pytest
from babel.numbers import format_decimal, format_percent

from socialinvest.output.numbers import LOCALES, money, number, percent, thousands


def babel_number(value, lang, decimals):
    if value is None or not np.isfinite(value):
        return "–"
    rounded = round(value, decimals)
    if rounded == 0:
        rounded = 0.0
    if abs(rounded) >= 1e18:
        return f"{rounded:.3e}"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(rounded, format=pattern, locale=LOCALES[lang])


def babel_percent(value, lang, decimals):
    if value is None or not np.isfinite(value):
        return "–"
    suffix = " %" if lang == "da" else "%"
    if abs(round(value * 100, decimals)) >= 1e18:  # as babel_number (Babel fails from ~1e25 on)
        return f"{value * 100:.3e}{suffix}"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + suffix
    return format_percent(value, format=pattern, locale=LOCALES[lang])


def values(seed: int) -> list:
    rng = random.Random(seed)
    out: list = [0, 0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.005, 0.015, -0.0049, 999.5, 999_999.5]
    out += [1e-7, -1e-7, 1234, -1234567, 10**17, 9.99e17, 1e18, -3e20, float("nan"), None]
    for _ in range(400):
        magnitude = 10 ** rng.uniform(-6, 19)
        value = rng.choice([-1, 1]) * magnitude
        out.append(rng.choice([value, round(value, rng.randint(0, 4)), np.float64(value)]))
        out.append(rng.randint(-(10**12), 10**12))
        out.append(rng.randint(-2000, 2000) / 8)  # exact halves, quarters, eighths
    return out


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("seed", range(3))
def test_numbers_read_as_babel_writes_them(lang, seed):
    for value in values(seed):
        for decimals in range(4):
            assert number(value, lang, decimals) == babel_number(value, lang, decimals), value
        if value is not None and np.isfinite(value) and abs(value) < 1e22:
            assert percent(value / 1e4, lang) == babel_percent(value / 1e4, lang, 1), value
            assert percent(value / 1e6, lang, 0) == babel_percent(value / 1e6, lang, 0), value
            assert percent(value / 1e6, lang, 2) == babel_percent(value / 1e6, lang, 2), value


def test_hand_written_figures():
    assert money(10_003_203.4, "da") == "10.003.203 kr."
    assert money(1.7963, "da", 2) == "1,80 kr."
    assert money(-12_440_462.0, "en") == "DKK -12,440,462"
    assert thousands(-2_775_400.0, "da") == "-2.775"
    assert percent(0.366, "da") == "36,6 %"
    assert percent(0.2, "en", 0) == "20%"
    assert number(2.5, "da") == "2"  # half to even, as round() and Babel
    assert number(float("inf"), "da") == "–"
