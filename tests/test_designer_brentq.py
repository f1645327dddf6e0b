"""The designer's root finder is scipy's compiled Brent method loaded without scipy.optimize
(issue 10): the same roots, to the last bit, as ``scipy.optimize.brentq``."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from socialinvest.contract import designer


@pytest.mark.parametrize(
    ("f", "lo", "hi", "kwargs"),
    [
        (lambda x: x * x - 2.0, 0.0, 2.0, {"xtol": 1e-12}),
        (lambda x: math.exp(x) - 5.0, -1.0, 4.0, {"xtol": 1e-6, "rtol": 1e-10, "maxiter": 200}),
        (lambda x: math.atan(x - 1234.5) + 0.1, 0.0, 1e4, {"xtol": 1e-2}),
    ],
)
def test_the_same_roots_as_scipy(f, lo, hi, kwargs) -> None:  # type: ignore[no-untyped-def]
    from scipy.optimize import brentq as scipy_brentq

    ours = designer.brentq(f, lo, hi, **kwargs)
    assert ours == scipy_brentq(f, lo, hi, **kwargs)
    assert abs(f(ours)) < 1e-2  # a root within the tolerance asked


def test_a_nan_value_is_an_error() -> None:
    with pytest.raises(ValueError, match="NaN"):
        designer.brentq(lambda x: float("nan"), 0.0, 1.0, xtol=1e-6)


def test_scipy_optimize_is_not_imported() -> None:
    code = (
        "import sys; from socialinvest.contract import designer;"
        "r = designer.brentq(lambda x: x - 0.25, 0.0, 1.0, xtol=1e-12);"
        "print(r, 'scipy.optimize' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.25", "False"]
