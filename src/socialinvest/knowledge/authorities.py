"""Which references count as a public authority's publication, and a check of every value's
source and status against that rule.

A value may have status ``official`` only if its reference is a public authority's publication:
its URL is on a Danish public authority's site (a ministry, agency, Danmarks Statistik, VIVE, a
region or a kommune, the Folketing, the law gazette), or, without a URL, its publisher names such
an authority. Everything else is ``secondary`` or ``assumption``. ``problems`` lists every value
that breaks the rule or has no source; the tests require it to be empty.
"""

from __future__ import annotations

from urllib.parse import urlparse

from socialinvest.knowledge.base import KnowledgeBase
from socialinvest.knowledge.schema import ExplicitSplit, Reference

# Sites of Danish public authorities (a host equal to one of these or ending in "." + one).
AUTHORITY_HOSTS: frozenset[str] = frozenset(
    {
        # state: ministries, agencies, statistics, parliament, law
        "bm.dk",
        "star.dk",
        "fm.dk",
        "oes.dk",
        "skm.dk",
        "sm.dk",
        "sim.dk",
        "im.dk",
        "uvm.dk",
        "jm.dk",
        "justitsministeriet.dk",
        "kriminalforsorgen.dk",
        "domstol.dk",
        "politi.dk",
        "dst.dk",
        "ft.dk",
        "retsinformation.dk",
        "borger.dk",
        "socialstyrelsen.dk",
        "sbst.dk",
        "benchmark.dk",
        "su.dk",
        # research institute of the state
        "vive.dk",
        "refud.dk",
        # regions
        "regionh.dk",
        "psykiatri-regionh.dk",
        "rm.dk",
        "psykiatrienisyddanmark.dk",
        "regionsyddanmark.dk",
        "rn.dk",
        "regionsjaelland.dk",
        # kommuner (own domains; a kommune's page is official for its own tariffs)
        "silkeborgkommune.dk",
        "kl.dk",
    }
)

# Words in a publisher's name that mark a public authority (for a reference without a URL).
AUTHORITY_WORDS: tuple[str, ...] = (
    "ministeri",
    "styrelse",
    "danmarks statistik",
    "kommune",
    "region",
    "vive",
    "kriminalforsorg",
    "folketing",
    "domstol",
)


def host_is_authority(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower().removeprefix("www.")
    return any(host == h or host.endswith("." + h) for h in AUTHORITY_HOSTS)


def is_public_authority(reference: Reference) -> bool:
    """Whether ``reference`` is a public authority's publication (see the module's rule)."""
    if reference.url:
        return host_is_authority(reference.url)
    publisher = (reference.publisher or "").lower()
    return any(word in publisher for word in AUTHORITY_WORDS)


def problems(kb: KnowledgeBase) -> list[str]:
    """Every value (and explicit actor split) without a source, or marked official although its
    reference is not a public authority's publication; one line each."""
    found: list[str] = []

    def check(where: str, status: str, reference: Reference) -> None:
        if not reference.title.strip() or reference.accessed is None:
            found.append(f"{where}: no source")
        if status == "official" and not is_public_authority(reference):
            found.append(
                f"{where}: status official, but the reference ({reference.publisher or '?'}, "
                f"{reference.url or 'no URL'}) is not a public authority's publication"
            )

    for entry_id in kb.ids():
        entry = kb.entry(entry_id)
        for v in entry.values:
            check(f"{entry_id} ({v.valid_from.isoformat()})", v.status, v.reference)
        split = entry.actor_split
        if isinstance(split, ExplicitSplit):
            check(f"{entry_id} (actor split)", split.status, split.reference)
    return found


def library_problems() -> list[str]:
    """The same rule for the effect studies and the consequence-profile items."""
    from socialinvest.knowledge.effects import default_effect_library
    from socialinvest.knowledge.profiles import default_profile_library

    found: list[str] = []
    effects = default_effect_library()
    for study_id in effects.ids():
        study = effects.study(study_id)
        if study.status == "official" and not is_public_authority(study.reference):
            found.append(f"effects/{study_id}: status official, but not a public authority's")
    profiles = default_profile_library()
    for profile_id in profiles.ids():
        for n, item in enumerate(profiles.profile(profile_id).items):
            if item.status == "official" and not is_public_authority(item.reference):
                found.append(
                    f"profiles/{profile_id} item {n + 1}: status official, but not a public "
                    "authority's"
                )
    return found
