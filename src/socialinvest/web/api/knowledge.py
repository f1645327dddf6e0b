"""The bundled knowledge base: search and show entries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from socialinvest.store.models import User
from socialinvest.web.api.errors import UNPROCESSABLE
from socialinvest.web.api.schemas import KnowledgeItem
from socialinvest.web.deps import current_user

router = APIRouter(tags=["knowledge base"])


@router.get("/knowledge", response_model=list[KnowledgeItem], responses=UNPROCESSABLE)
def search(
    _: Annotated[User, Depends(current_user)],
    q: Annotated[
        str, Query(max_length=200, description="Words in the ID, label or description.")
    ] = "",
    kind: Annotated[str | None, Query(max_length=50)] = None,
    area: Annotated[str | None, Query(max_length=50)] = None,
) -> list[KnowledgeItem]:
    """Entries matching every word of ``q`` (all when empty), optionally of one kind and area."""
    from socialinvest.service import knowledge_search

    return [
        KnowledgeItem(
            id=item.id,
            kind=item.entry.kind,
            label={"da": item.entry.label.da, "en": item.entry.label.en},
            unit=item.entry.unit,
            area=item.entry.area,
        )
        for item in knowledge_search(q, kind=kind, area=area)
    ]


@router.get("/knowledge/{entry_id:path}", response_model=dict[str, Any], responses=UNPROCESSABLE)
def show(entry_id: str, _: Annotated[User, Depends(current_user)]) -> dict[str, Any]:
    """One entry: every dated value with its status and source, the actor split."""
    from socialinvest.service import knowledge_entry

    return knowledge_entry(entry_id).to_dict()
