"""What a result depends on besides its inputs (for cache keys and provenance)."""

from __future__ import annotations

from socialinvest.knowledge.base import default_knowledge_base


def versions() -> dict[str, str]:
    """What a result depends on besides its inputs, e.g. for a cache key beside the case's
    digest, draws and seed: the package version and the knowledge base's version and digest."""
    from socialinvest import __version__

    kb = default_knowledge_base()
    return {
        "package": __version__,
        "knowledge_base": kb.version,
        "knowledge_base_digest": kb.digest,
    }
