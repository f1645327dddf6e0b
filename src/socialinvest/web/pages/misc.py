"""The start page, the language switch and the knowledge base."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from socialinvest.output.messages import LANGUAGES
from socialinvest.store.models import User
from socialinvest.web.deps import current_user
from socialinvest.web.pages.common import lang_of, see_other
from socialinvest.web.pages.guided import knowledge_hits
from socialinvest.web.templating import LANG_COOKIE, render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return see_other("/cases")


def _safe_next(target: str) -> str:
    """Only a path on this site (never another host)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/cases"
    return target


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/cases") -> Response:
    response = see_other(_safe_next(next))
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
    return response


@router.get("/knowledge", response_class=HTMLResponse)
def knowledge(
    request: Request,
    q: str = "",
    user: User = Depends(current_user),
) -> Response:
    """Unit prices of the bundled knowledge base, with search."""
    return render(request, "knowledge.html", {"q": q, "hits": knowledge_hits(q, lang_of(request))})
