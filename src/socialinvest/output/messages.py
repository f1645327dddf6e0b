"""Danish and English texts of the command line and the reports.

The texts live in message catalogues, one per language: ``socialinvest/locale/{da,en}.yaml``
(``messages``: key → text with ``{placeholders}`` for ``str.format``; ``units``: unit → label),
plus one file per topic in ``socialinvest/locale/{da,en}/*.yaml`` with the same shape (e.g. the
error messages, the web pages), merged into one catalogue; a key defined twice is an error.
This module only looks them up. Why YAML and not gettext: docs/architecture.md.
"""

from __future__ import annotations

from _thread import allocate_lock  # threading's Lock, without importing threading at start-up
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Final

import yaml

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

LANGUAGES: Final[tuple[str, ...]] = ("da", "en")

# libyaml's loader when PyYAML was built with it (the same documents, several times faster than
# the pure-Python loader on catalogues of this size: start-up time)
_SAFE_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Catalogue:
    """One language's catalogue, its files read one at a time as keys are looked up, in the
    order :func:`merged_catalogue` merges them (the main file, then the topic files by name):
    `socialinvest run` needs only the main file, and reading all fourteen took ~10 ms of its
    start-up. A key defined twice is an error when the second file is read (the tests read every
    file, so one is caught there). One thread reads at a time: the web server looks texts up from
    several threads, and a lookup must not find the list of files empty while another thread is
    still merging the file that holds its key."""

    def __init__(self, lang: str) -> None:
        self.pending = _catalogue_sources(lang)
        self.merged: dict[str, dict[str, str]] = {"messages": {}, "units": {}}
        self.lock = allocate_lock()

    def read_next(self) -> bool:
        """Merge the next file; False when every file has been read."""
        if not self.pending:
            return False
        name, source = self.pending.pop(0)
        _merge(self.merged, name, source.read_text(encoding="utf-8"))
        return True


class _Section(Mapping[str, str]):
    """The ``messages`` or ``units`` of a :class:`_Catalogue`."""

    def __init__(self, catalogue: _Catalogue, section: str) -> None:
        self.catalogue = catalogue
        self.found = catalogue.merged[section]

    def __getitem__(self, key: str) -> str:
        if key not in self.found:
            with self.catalogue.lock:
                while key not in self.found and self.catalogue.read_next():
                    pass
        return self.found[key]

    def _read_all(self) -> None:
        with self.catalogue.lock:
            while self.catalogue.read_next():
                pass

    def __iter__(self) -> Iterator[str]:
        self._read_all()
        return iter(self.found)

    def __len__(self) -> int:
        self._read_all()
        return len(self.found)


@cache
def _catalogue(lang: str) -> dict[str, Mapping[str, str]]:
    if lang not in LANGUAGES:
        raise KeyError(f"no message catalogue for language {lang!r}")
    catalogue = _Catalogue(lang)
    return {section: _Section(catalogue, section) for section in ("messages", "units")}


def _catalogue_sources(lang: str) -> list[tuple[str, Traversable]]:
    """(name, file) of every catalogue file of ``lang``: the main file, then the topic files."""
    locale = files("socialinvest").joinpath("locale")
    found = [(f"{lang}.yaml", locale.joinpath(f"{lang}.yaml"))]
    topics = locale.joinpath(lang)
    if topics.is_dir():
        for item in sorted(topics.iterdir(), key=lambda t: t.name):
            if item.name.endswith(".yaml"):
                found.append((f"{lang}/{item.name}", item))
    return found


def catalogue_files(lang: str) -> list[tuple[str, str]]:
    """(name, text) of every catalogue file of ``lang``: the main file, then the topic files."""
    return [(name, item.read_text(encoding="utf-8")) for name, item in _catalogue_sources(lang)]


def _merge(merged: dict[str, dict[str, str]], name: str, source: str) -> None:
    document = yaml.load(source, Loader=_SAFE_LOADER) or {}
    for section in ("messages", "units"):
        for key, value in (document.get(section) or {}).items():
            if str(key) in merged[section]:
                raise KeyError(f"locale/{name}: {section} key {key!r} is defined twice")
            merged[section][str(key)] = str(value)


def merged_catalogue(lang: str) -> dict[str, dict[str, str]]:
    """The ``messages`` and ``units`` of every catalogue file of ``lang``, merged."""
    merged: dict[str, dict[str, str]] = {"messages": {}, "units": {}}
    for name, source in catalogue_files(lang):
        _merge(merged, name, source)
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
