"""The bundled Danish knowledge base: list, search and show entries (prices, rates, sources)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from socialinvest.errors import InputError, Msg, msg
from socialinvest.knowledge.base import KnowledgeBase, default_knowledge_base
from socialinvest.knowledge.catalogue import Row as CatalogueRow
from socialinvest.knowledge.schema import Entry, ExplicitSplit, ReimbursementSplit

__all__ = [
    "CatalogueRow",
    "Entry",
    "ExplicitSplit",
    "KnowledgeEntry",
    "ReimbursementSplit",
    "knowledge_areas",
    "knowledge_base",
    "knowledge_catalogue",
    "knowledge_entry",
    "knowledge_kinds",
    "knowledge_list",
    "knowledge_search",
    "knowledge_sources",
]


@dataclass(frozen=True)
class KnowledgeEntry:
    """One knowledge-base entry with its ID (``entry`` holds label, kind, unit, area, actor
    split and every dated value with its status and full reference)."""

    id: str
    entry: Entry

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data, its ID first."""
        return {"id": self.id, **self.entry.model_dump(mode="json", exclude_none=True)}


def knowledge_base() -> KnowledgeBase:
    """The bundled knowledge base (its ``version`` and ``digest`` identify it in caches)."""
    return default_knowledge_base()


def knowledge_list(kind: str | None = None) -> list[KnowledgeEntry]:
    """Every entry in ID order, or only those of ``kind`` (unit_price, discount_schedule, …)."""
    kb = default_knowledge_base()
    entries = [KnowledgeEntry(i, kb.entry(i)) for i in kb.ids()]
    return [e for e in entries if kind is None or e.entry.kind == kind]


def knowledge_search(
    query: str, *, kind: str | None = None, area: str | None = None
) -> list[KnowledgeEntry]:
    """Entries whose ID, Danish or English label or description contains every word of
    ``query`` (case ignored; an empty query matches all), optionally of one ``kind`` and budget
    ``area``; entries whose ID or label matches come before those matched only by their
    description, then in ID order."""
    words = query.casefold().split()
    found: list[tuple[int, KnowledgeEntry]] = []
    for item in knowledge_list(kind):
        entry = item.entry
        if area is not None and entry.area != area:
            continue
        head = " ".join([item.id, entry.label.da, entry.label.en]).casefold()
        body = (
            " ".join([entry.description.da, entry.description.en]).casefold()
            if entry.description
            else ""
        )
        if all(w in head or w in body for w in words):
            found.append((0 if all(w in head for w in words) else 1, item))
    return [item for _, item in sorted(found, key=lambda pair: (pair[0], pair[1].id))]


def knowledge_entry(entry_id: str) -> KnowledgeEntry:
    """The entry ``entry_id``. Raises :class:`InputError` for an unknown ID, suggesting a close
    one or the entries under it."""
    kb = default_knowledge_base()
    if entry_id not in kb:
        below = [i for i in kb.ids() if i.startswith(entry_id.rstrip("/") + "/")]
        close = below or difflib.get_close_matches(entry_id, kb.ids(), n=1, cutoff=0.4)
        hint: Msg | str = (
            msg("t_did_you_mean", name=close[0])
            if len(close) == 1
            else (msg("c_entries_under", ids=", ".join(close)) if close else "")
        )
        raise InputError(msg("c_knowledge_id", hint=hint), field="ID", value=entry_id)
    return KnowledgeEntry(entry_id, kb.entry(entry_id))


def knowledge_kinds() -> list[str]:
    """Every kind the catalogue filters on: the entry kinds, effect_study, consequence_profile."""
    from socialinvest.knowledge.catalogue import kinds

    return kinds()


def knowledge_areas() -> list[str]:
    """Every budget area the catalogue filters on."""
    from socialinvest.knowledge.catalogue import areas

    return areas()


def knowledge_catalogue(
    kind: str | None = None, area: str | None = None, word: str | None = None
) -> list[CatalogueRow]:
    """Entries, effect studies and consequence profiles (newest value, status, source) in ID
    order, of ``kind`` and ``area``, whose ID or Danish or English label contains every word of
    ``word`` (case, accents and æ/ø/å spelling ignored). Raises :class:`InputError` for a kind
    or area that does not exist."""
    from socialinvest.knowledge.catalogue import areas, kinds, rows, select

    if kind is not None and kind not in kinds():
        raise InputError(msg("t_one_of", expected=", ".join(kinds())), field="--kind", value=kind)
    if area is not None and area not in areas():
        raise InputError(msg("t_one_of", expected=", ".join(areas())), field="--area", value=area)
    return select(rows(), kind, area, word)


def knowledge_sources() -> str:
    """docs/knowledge-sources.md as generated from the data (Markdown)."""
    from socialinvest.output.knowledge_sources import render

    return render()
