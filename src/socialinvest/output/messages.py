"""Danish and English texts of the command line and the reports.

The texts live in message catalogues, one per language: ``socialinvest/locale/{da,en}.yaml``
(``messages``: key → text with ``{placeholders}`` for ``str.format``; ``units``: unit → label).
This module only looks them up. Why YAML and not gettext: docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Final

import yaml

LANGUAGES: Final[tuple[str, ...]] = ("da", "en")


@cache
def _catalogue(lang: str) -> dict[str, dict[str, str]]:
    if lang not in LANGUAGES:
        raise KeyError(f"no message catalogue for language {lang!r}")
    source = files("socialinvest").joinpath("locale", f"{lang}.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(source)
    return {
        "messages": {str(k): str(v) for k, v in document["messages"].items()},
        "units": {str(k): str(v) for k, v in document["units"].items()},
    }


def messages(lang: str) -> Mapping[str, str]:
    """Every text of one language by key."""
    return _catalogue(lang)["messages"]


def unit_labels(lang: str) -> Mapping[str, str]:
    """The reader's label of each unit of the knowledge base (e.g. DKK/day → kr./dag)."""
    return _catalogue(lang)["units"]


def has_text(lang: str, key: str) -> bool:
    return key in messages(lang)


def unit_label(lang: str, unit: str) -> str:
    return unit_labels(lang).get(unit, unit)


def text(lang: str, key: str, **kwargs: object) -> str:
    return messages(lang)[key].format(**kwargs)


def actor_labels(lang: str) -> dict[str, str]:
    """The reader's names of the actors (kommune, region, stat) in ``lang``."""
    from socialinvest.vocabulary import ACTORS

    return {a: text(lang, f"r_actor_{a}") for a in ACTORS}


def area_labels(lang: str) -> dict[str, str]:
    """The reader's names of the budget areas in ``lang``."""
    from socialinvest.vocabulary import AREAS

    return {a: text(lang, f"r_area_{a}") for a in AREAS}
