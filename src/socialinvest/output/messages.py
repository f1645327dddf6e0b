"""Danish and English texts of the command line and the reports.

The texts live in message catalogues, one per language: ``socialinvest/locale/{da,en}.yaml``
(``messages``: key → text with ``{placeholders}`` for ``str.format``; ``units``: unit → label),
plus one file per topic in ``socialinvest/locale/{da,en}/*.yaml`` with the same shape (e.g. the
error messages, the web pages), merged into one catalogue; a key defined twice is an error.
This module only looks them up. Why YAML and not gettext: docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Final

import yaml

LANGUAGES: Final[tuple[str, ...]] = ("da", "en")

# libyaml's loader when PyYAML was built with it (the same documents, several times faster than
# the pure-Python loader on catalogues of this size: start-up time)
_SAFE_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _catalogue(lang: str) -> dict[str, dict[str, str]]:
    if lang not in LANGUAGES:
        raise KeyError(f"no message catalogue for language {lang!r}")
    return merged_catalogue(lang)


def catalogue_files(lang: str) -> list[tuple[str, str]]:
    """(name, text) of every catalogue file of ``lang``: the main file, then the topic files."""
    locale = files("socialinvest").joinpath("locale")
    found = [(f"{lang}.yaml", locale.joinpath(f"{lang}.yaml").read_text(encoding="utf-8"))]
    topics = locale.joinpath(lang)
    if topics.is_dir():
        for item in sorted(topics.iterdir(), key=lambda t: t.name):
            if item.name.endswith(".yaml"):
                found.append((f"{lang}/{item.name}", item.read_text(encoding="utf-8")))
    return found


def merged_catalogue(lang: str) -> dict[str, dict[str, str]]:
    """The ``messages`` and ``units`` of every catalogue file of ``lang``, merged."""
    merged: dict[str, dict[str, str]] = {"messages": {}, "units": {}}
    for name, source in catalogue_files(lang):
        document = yaml.load(source, Loader=_SAFE_LOADER) or {}
        for section in ("messages", "units"):
            for key, value in (document.get(section) or {}).items():
                if str(key) in merged[section]:
                    raise KeyError(f"locale/{name}: {section} key {key!r} is defined twice")
                merged[section][str(key)] = str(value)
    return merged


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
