"""socialinvest: socio-economic business cases (SØM) and social investment partnerships.

Python API::

    import socialinvest
    case = socialinvest.load_case("examples/impact60-job-education.yaml")
    result = socialinvest.appraise(case)
    result.npv_total, result.break_even_year, result.to_frame()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from socialinvest.case import load_case
    from socialinvest.runner import appraise

__all__ = ["__version__", "appraise", "load_case"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that `socialinvest --help` does not pay for numpy and pydantic.
    if name == "load_case":
        from socialinvest.case import load_case

        return load_case
    if name == "appraise":
        from socialinvest.runner import appraise

        return appraise
    raise AttributeError(f"module 'socialinvest' has no attribute {name!r}")
