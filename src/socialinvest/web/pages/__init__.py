"""The HTML pages of the web application (server-rendered; they work without JavaScript).

- :mod:`.library`  the case library: list with search and filters, import, history, version
  differences, restore, approve, share, tags
- :mod:`.guided`   the guided steps (new case or a new version of one) and the YAML editor
- :mod:`.results`  a version's results, uncertainty runs, downloads, jobs
- :mod:`.compare`  scenario comparison of 2–6 cases or versions
- :mod:`.partnerships` running partnerships (issue 12): overview, participants, records, settlements
- :mod:`.misc`     the start page, the language switch, the knowledge base

Every route asks :mod:`socialinvest.web.deps` who the user is and what they may see; the pages
call :mod:`socialinvest.service` and :mod:`socialinvest.store` and compute nothing themselves.
"""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from socialinvest.web.pages import (
        amendments,
        compare,
        guided,
        library,
        misc,
        partnerships,
        results,
    )

    return [
        misc.router,
        library.router,
        guided.router,
        results.router,
        compare.router,
        partnerships.router,
        amendments.router,
    ]
