"""The JSON API under ``/api/v1``: cases and versions, runs, analyses, reports, jobs, the
knowledge base, personal API tokens. Every route checks who asks (a bearer token or the login
session) and what they may see; a case of another organisation answers 404."""

from __future__ import annotations

from fastapi import APIRouter

from socialinvest.web.api import account, cases, knowledge, partnerships, work

router = APIRouter()
router.include_router(account.router)
router.include_router(cases.router)
router.include_router(work.router)
router.include_router(knowledge.router)
router.include_router(partnerships.router)
