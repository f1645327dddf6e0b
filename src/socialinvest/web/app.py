"""The web application factory: ``create_app(settings)``.

It migrates the database (unless told not to), opens the engine, adds the security middleware
(headers, body size limit), the CSRF check on every route, the login pages, the JSON API under
``/api/v1`` (OpenAPI document at ``/api/v1/openapi.json``; no Swagger page, which would load
scripts from a CDN), the pages of ``socialinvest.web.pages`` and the static files, and starts the
job runner.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from socialinvest import __version__
from socialinvest.errors import InputError
from socialinvest.store.db import make_engine, session_factory, upgrade
from socialinvest.web import deps
from socialinvest.web.security import SecurityMiddleware
from socialinvest.web.settings import Settings

API_PREFIX = "/api/v1"
_STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    if settings.migrate_on_start:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from socialinvest.web.jobs import JobRunner

        runner = JobRunner(settings, app.state.sessions)
        app.state.jobs = runner
        runner.start()
        try:
            yield
        finally:
            runner.stop()
            engine.dispose()

    app = FastAPI(
        title="socialinvest",
        version=__version__,
        description=(
            "Socio-economic business cases (SØM) and outcome contracts: the case library, runs, "
            "analyses, reports and the knowledge base. Authenticate with a personal API token: "
            "`Authorization: Bearer si_…` (create one on your account page)."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(deps.csrf_protect)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.jobs = None
    app.add_middleware(
        SecurityMiddleware,
        max_body=settings.max_upload_bytes,
        secure_cookies=settings.secure_cookies,
    )
    _handlers(app)

    from socialinvest.web import auth
    from socialinvest.web.api import router as api_router

    app.include_router(auth.router, include_in_schema=False)
    app.include_router(api_router, prefix=API_PREFIX)
    for router in _page_routers():
        app.include_router(router, include_in_schema=False)
    if _STATIC.is_dir():
        from fastapi.staticfiles import StaticFiles

        app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    return app


def app_from_environment() -> FastAPI:
    """The application of one of several server processes (``serve --workers N``): settings
    from the environment, the database already migrated, jobs shared with the other processes."""
    return create_app(Settings.from_env().but(migrate_on_start=False, exclusive_jobs=False))


def _page_routers() -> list[Any]:
    """The page routers of ``socialinvest.web.pages`` (``routers()``), when that module exists."""
    try:
        pages = import_module("socialinvest.web.pages")
    except ModuleNotFoundError as exc:
        if exc.name in ("socialinvest.web.pages",):
            return []
        raise
    routers = getattr(pages, "routers", None)  # None while the package is still empty
    return list(routers()) if routers is not None else []


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _handlers(app: FastAPI) -> None:
    from socialinvest.web.api.errors import (
        input_error_body,
        request_language,
        validation_error_body,
    )

    @app.exception_handler(deps.LoginRequired)
    async def _login(request: Request, exc: deps.LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='')}", status_code=303)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        lang = request_language(request.headers.get("accept-language"))
        return JSONResponse(input_error_body(exc, lang), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse(validation_error_body(exc), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if _is_api(request) or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=headers
            )
        return error_page(request, exc.status_code, str(exc.detail), headers)


def error_page(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """An error as a page (web-ui's ``error.html`` when there is one)."""
    try:
        templating = import_module("socialinvest.web.templating")
        response: Response = templating.render(
            request,
            "error.html",
            {"status": status, "message": detail, "detail": detail},
            status_code=status,
        )
    except Exception:  # no page layer, or it failed: a plain page, escaped
        logging.getLogger("socialinvest.web").exception("error page")
        from markupsafe import escape

        body = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{status}</title></head>"
            f"<body><h1>{status}</h1><p>{escape(detail)}</p></body></html>"
        )
        response = HTMLResponse(body, status_code=status)
    if headers:
        response.headers.update(headers)
    return response
