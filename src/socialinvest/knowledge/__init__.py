"""The bundled, versioned Danish knowledge base: prices, benefit rates, refusion, discounting."""

from socialinvest.knowledge.base import (
    DEFAULT_DISCOUNTING_ID,
    KNOWLEDGE_BASE_VERSION,
    PRICE_INDEX_ID,
    KnowledgeBase,
    UnknownEntry,
    default_knowledge_base,
)

__all__ = [
    "DEFAULT_DISCOUNTING_ID",
    "KNOWLEDGE_BASE_VERSION",
    "PRICE_INDEX_ID",
    "KnowledgeBase",
    "UnknownEntry",
    "default_knowledge_base",
]
