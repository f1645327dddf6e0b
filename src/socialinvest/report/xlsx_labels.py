"""Texts of the XLSX report: the ``x_*`` keys of the message catalogues
(``socialinvest/locale/{da,en}.yaml``), looked up like every other text."""

from __future__ import annotations

from socialinvest.output.messages import text


def label(lang: str, key: str, **kwargs: object) -> str:
    """The text of ``key`` in ``lang`` from the message catalogues."""
    return text(lang, key, **kwargs)
