"""Server-side SVG of the report's charts for the web pages, and the comparison chart.

The charts are the report's own Vega-Lite specifications (:mod:`socialinvest.report.charts`),
rendered offline by the same function (vl-convert: no browser, no network), so a chart on the
page and in the downloaded report are the same drawing. Rendering takes a few hundred
milliseconds per chart, so rendered report sections are kept in a small in-process cache keyed by
the case text's digest, the language, the draws and the seed.

An SVG is put into the page unescaped, so before that it is checked to hold only the drawing
elements vl-convert writes (no script, no event attributes, no links, no foreign objects); text
from a case (a party's name, a chart label) is escaped by vl-convert as XML text.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any, TypeVar

from markupsafe import Markup, escape

from socialinvest.output.messages import text
from socialinvest.vocabulary import ACTORS

_ALLOWED_TAGS = frozenset(
    {
        "svg",
        "g",
        "path",
        "rect",
        "line",
        "text",
        "tspan",
        "title",
        "desc",
        "circle",
        "defs",
        "clipPath",
        "style",
    }
)
_TAG = re.compile(r"<\s*([A-Za-z][\w:-]*)")
_EVENT = re.compile(r"\son\w+\s*=|javascript:|href\s*=", re.IGNORECASE)


def safe_svg(svg: str) -> Markup:
    """An SVG from vl-convert as markup for the page, or an escaped notice when it holds anything
    that is not a plain drawing (which vl-convert never writes)."""
    tags = {match.group(1) for match in _TAG.finditer(svg)}
    if not tags <= _ALLOWED_TAGS or _EVENT.search(svg):
        return Markup('<p class="error">') + escape("chart omitted") + Markup("</p>")
    return Markup(svg)


T = TypeVar("T")


class LruCache:
    """A small thread-safe least-recently-used cache of computed page parts."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Any, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


SECTIONS = LruCache(48)
CHARTS = LruCache(256)


def nice_ticks(top: float, intervals: int = 5, least: float = 0.0) -> list[float]:
    """Round axis ticks from 0 to at least ``top``: the smallest step of the 1–2–5 series (1, 2,
    5, 10, 20, 50, …) that covers ``top`` in at most ``intervals`` steps; e.g. 672,049 →
    0, 200,000, …, 800,000. ``least``: the smallest step (1 for whole kroner). A ``top`` of 0 or
    less (nothing yet) gives 0 and one step."""
    import math

    if not math.isfinite(top) or top <= 0:
        return [0.0, max(1.0, least)]
    step = 10.0 ** math.floor(math.log10(top / intervals))
    for factor in (1, 2, 5, 10):
        if math.ceil(top / (step * factor) - 1e-9) <= intervals:
            step *= factor
            break
    step = max(step, least)
    n = max(1, math.ceil(top / step - 1e-9))
    return [round(k * step, 6) for k in range(n + 1)]


def comparison_spec(rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """A grouped bar chart: the NPV of each alternative, one bar per actor and one for the total
    (millions of kroner). ``rows``: [{"label", "npv": {"total", "by_actor": {...}}}]."""
    from socialinvest.report.charts import FONT, WIDTH
    from socialinvest.report.content import actor_name

    values: list[dict[str, Any]] = []
    total = text(lang, "ui_cmp_total")
    for row in rows:
        for actor in ACTORS:
            values.append(
                {
                    "alternative": row["label"],
                    "who": actor_name(actor, lang),
                    "value": float(row["npv"]["by_actor"].get(actor, 0.0)) / 1e6,
                }
            )
        values.append(
            {"alternative": row["label"], "who": total, "value": float(row["npv"]["total"]) / 1e6}
        )
    order = [actor_name(a, lang) for a in ACTORS] + [total]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": text(lang, "ui_cmp_chart_title"),
        "width": WIDTH,
        "height": 260,
        "background": "white",
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "title": {"anchor": "start", "fontSize": 14, "fontWeight": "bold", "offset": 10},
            "legend": {"orient": "bottom"},
        },
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "alternative", "type": "nominal", "title": None, "sort": None},
            "yOffset": {"field": "who", "sort": order},
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": text(lang, "r_axis_millions"),
                "axis": {"format": ",.1f"},
            },
            "color": {
                "field": "who",
                "type": "nominal",
                "sort": order,
                "title": None,
                "scale": {
                    "domain": order,
                    "range": ["#1f5f8b", "#2e7d32", "#a35c00", "#222222"],
                },
            },
        },
    }


def inline_svg(svg: str, title: str) -> str:
    """An SVG document as an element of the page: no XML declaration, as wide as its box (the
    viewBox keeps the proportions), labelled for screen readers."""
    body = svg[svg.find("<svg") :]
    end = body.find(">")
    tag = re.sub(r'\s(width|height)="[^"]*"', "", body[:end])
    tag += f' width="100%" role="img" aria-label="{escape(title)}"'
    return tag + body[end:]


def comparison_svg(rows: list[dict[str, Any]], lang: str) -> Markup:
    from socialinvest.report.charts import to_svg

    title = text(lang, "ui_cmp_chart_title")
    return safe_svg(inline_svg(to_svg(comparison_spec(rows, lang), lang), title))
