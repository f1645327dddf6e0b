"""The Jinja2 environment of the web pages: one ``render`` for every HTML page.

Every template gets ``lang`` (da or en, from the ``lang`` cookie; Danish by default), ``t`` (a
text from the message catalogues), the number formatters, ``csrf_field()`` and ``csrf_token()``
(from :mod:`socialinvest.web.security`) and ``current_user``. Jinja2 escapes everything it prints
(autoescape on for every template); only server-rendered chart SVG is marked safe, in
:mod:`socialinvest.web.charts`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from socialinvest.output.messages import LANGUAGES, has_text, text
from socialinvest.output.numbers import money, number, percent

LANG_COOKIE = "lang"


def request_lang(request: Request) -> str:
    """The page language: the ``lang`` cookie when it names a known language, else Danish."""
    chosen = request.cookies.get(LANG_COOKIE, "da")
    return chosen if chosen in LANGUAGES else "da"


def translator(lang: str) -> Any:
    def t(key: str, **values: object) -> str:
        return text(lang, key, **values) if values else text(lang, key)

    return t


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("socialinvest.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _csrf(request: Request) -> tuple[Any, Any]:
    try:
        from socialinvest.web import security
    except ImportError:  # pragma: no cover - the security module ships with the web package
        return (lambda: Markup("")), (lambda: "")
    return (lambda: security.csrf_field(request)), (lambda: security.csrf_token(request))


def _svg(svg: str) -> Markup:
    from socialinvest.web.charts import safe_svg

    return safe_svg(svg)


def day(value: Any, lang: str) -> str:
    """A date as the language writes it (15. jan. 2024, 15 Jan 2024), not as ISO; a date or an
    ISO string; anything else (None, empty) as given."""
    import datetime as dt

    from socialinvest.report.statement import day_text

    if isinstance(value, str) and value:
        raw: str = value
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            return raw
    if not isinstance(value, dt.date):
        return "" if value is None else str(value)
    return day_text(value, lang)


def context_for(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    lang = context.get("lang") or request_lang(request)
    csrf_field, csrf_token = _csrf(request)
    base: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "other_lang": "en" if lang == "da" else "da",
        "t": translator(lang),
        "has_t": lambda key: has_text(lang, key),
        "money": lambda v, d=2: money(v, lang, d),
        "number": lambda v, d=0: number(v, lang, d),
        "percent": lambda v, d=1: percent(v, lang, d),
        "day": lambda v: day(v, lang),
        "svg": _svg,
        "csrf_field": csrf_field,
        "csrf_token": csrf_token,
        "current_user": getattr(request.state, "user", None),
        "path": request.url.path,
        "query": request.url.query,
    }
    base.update(context)
    return base


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render template ``name`` with the common context; an HTML response."""
    template = environment().get_template(name)
    body = template.render(context_for(request, context))
    return HTMLResponse(body, status_code=status_code)
