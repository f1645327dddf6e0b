"""One flat listing of everything in the knowledge base — entries, effect studies and consequence
profiles — with the kinds and areas it can be filtered on and a search over Danish and English
labels. The service (``socialinvest.service.knowledge_catalogue``) offers it to the command line
(``knowledge list``, ``knowledge search``) and other front ends; values stay data here and are
formatted for readers in ``output/``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from socialinvest.knowledge.base import KnowledgeBase, default_knowledge_base
from socialinvest.knowledge.effects import EffectLibrary, default_effect_library
from socialinvest.knowledge.profiles import ProfileLibrary, default_profile_library
from socialinvest.knowledge.schema import Kind
from socialinvest.vocabulary import AREAS

EFFECT_KIND = "effect_study"
PROFILE_KIND = "consequence_profile"


def kinds() -> list[str]:
    """Every kind ``knowledge list --kind`` filters on."""
    from typing import get_args

    return [*get_args(Kind), EFFECT_KIND, PROFILE_KIND]


def areas() -> list[str]:
    """Every area ``knowledge list --area`` filters on (unit prices and profile items)."""
    return list(AREAS)


@dataclass(frozen=True)
class Row:
    """One item of the knowledge base as a listing shows it (its newest value)."""

    id: str
    kind: str
    area: str | None
    label_da: str
    label_en: str
    value: Any  # a number, a list of bands (schedules) or, for studies and profiles, text
    unit: str
    year: int | None
    status: str
    source: str
    publisher: str | None
    url: str | None

    def label(self, lang: str) -> str:
        return self.label_da if lang == "da" else self.label_en


def _folds(text: str) -> set[str]:
    """Lower-case spellings of ``text`` without accents, with æ/ø/å both spelled out (ae, oe,
    aa) and plain (a, o, a), so 'boern' and 'born' both find 'børn'."""
    low = text.casefold()
    variants = {
        low.replace("æ", "ae").replace("ø", "oe").replace("å", "aa"),
        low.replace("æ", "a").replace("ø", "o").replace("å", "a"),
    }
    return {
        "".join(c for c in unicodedata.normalize("NFKD", v) if not unicodedata.combining(c))
        for v in variants
    }


def matches(word: str, text: str) -> bool:
    """Whether every word of ``word`` occurs in ``text`` (case, accents, æ/ø/å ignored)."""
    haystacks = _folds(text)
    return all(any(w in h for w in _folds(part) for h in haystacks) for part in word.split())


def rows(
    kb: KnowledgeBase | None = None,
    effects: EffectLibrary | None = None,
    profiles: ProfileLibrary | None = None,
) -> list[Row]:
    """Every entry, study and profile, sorted by ID."""
    kb = kb or default_knowledge_base()
    effects = effects or default_effect_library()
    profiles = profiles or default_profile_library()
    out: list[Row] = []
    for entry_id in kb.ids():
        entry = kb.entry(entry_id)
        latest = entry.values[-1]
        ref = latest.reference
        out.append(
            Row(
                id=entry_id,
                kind=entry.kind,
                area=entry.area,
                label_da=entry.label.da,
                label_en=entry.label.en,
                value=latest.value,
                unit=entry.unit,
                year=latest.valid_from.year,
                status=latest.status,
                source=ref.title,
                publisher=ref.publisher,
                url=ref.url,
            )
        )
    for study_id in effects.ids():
        study = effects.study(study_id)
        e = study.effect
        interval = f" ({e.ci_low:g}–{e.ci_high:g})" if e.ci_low is not None else ""
        out.append(
            Row(
                id=f"effects/{study_id}",
                kind=EFFECT_KIND,
                area=None,
                label_da=study.label.da,
                label_en=study.label.en,
                value=f"{e.estimate:g}{interval}",
                unit=e.measure,
                year=study.year,
                status=study.status,
                source=study.reference.title,
                publisher=study.reference.publisher,
                url=study.reference.url,
            )
        )
    for profile_id in profiles.ids():
        profile = profiles.profile(profile_id)
        first = profile.items[0]
        item_areas = {i.area for i in profile.items}
        statuses = {i.status for i in profile.items}
        status = (
            "assumption"
            if "assumption" in statuses
            else ("secondary" if "secondary" in statuses else "official")
        )
        out.append(
            Row(
                id=f"profiles/{profile_id}",
                kind=PROFILE_KIND,
                area=item_areas.pop() if len(item_areas) == 1 else None,
                label_da=profile.label.da,
                label_en=profile.label.en,
                value=f"{len(profile.items)} item(s), {profile.horizon_years} years",
                unit="",
                year=first.reference.accessed.year,
                status=status,
                source=first.reference.title,
                publisher=first.reference.publisher,
                url=first.reference.url,
            )
        )
    return sorted(out, key=lambda r: r.id)


def select(
    items: list[Row], kind: str | None = None, area: str | None = None, word: str | None = None
) -> list[Row]:
    """The rows of ``kind`` and ``area`` whose ID or Danish or English label contains ``word``
    (case, accents and æ/ø/å spelling ignored; several words must all match)."""
    chosen = [
        r for r in items if (kind is None or r.kind == kind) and (area is None or r.area == area)
    ]
    if not word or not word.strip():
        return chosen
    return [r for r in chosen if matches(word, f"{r.id} {r.label_da} {r.label_en}")]
