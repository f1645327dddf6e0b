"""The report's charts as Vega-Lite specifications, rendered offline to SVG or PNG.

One chart definition serves every format: the HTML and PDF reports embed the SVG, the XLSX
report embeds the PNG. Rendering uses vl-convert (Vega-Lite compiled and run in an embedded
JavaScript engine): no browser and no network. Data are inlined in each spec and external data
requests are refused.

Amounts are shown in millions of kroner. Numbers on the axes follow the language's number format,
taken from the locale library (Babel), so a Danish chart reads 1.234,5.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from socialinvest.output.analysis_tables import input_label
from socialinvest.output.messages import text
from socialinvest.output.numbers import LOCALES
from socialinvest.report.content import actor_name
from socialinvest.vocabulary import ACTORS, Actor

if TYPE_CHECKING:
    from socialinvest.report.content import ReportData

Spec = dict[str, Any]

MILLION = 1_000_000.0
FONT = "DejaVu Sans"
WIDTH = 560
HEIGHT = 250
HISTOGRAM_BINS = 30

# One colour per actor: a dark shade for gains, a light one for costs.
ACTOR_COLOURS: Mapping[str, tuple[str, str]] = {
    "kommune": ("#1f5f8b", "#9cc3e0"),
    "region": ("#2e7d32", "#a9d5ab"),
    "stat": ("#a35c00", "#efc58a"),
}
TOTAL_COLOUR = "#222222"
POSITIVE_COLOUR = "#2e7d32"
NEGATIVE_COLOUR = "#c62828"


# Annotation layers (rules, labels) draw one mark, not one per row of the chart's data.
ONE_ROW: Spec = {"values": [{}]}


@dataclass(frozen=True)
class Chart:
    """A chart of the report: a stable key (file names, anchors), its title and its spec."""

    key: str
    title: str
    spec: Spec


def _config() -> Spec:
    return {
        "font": FONT,
        # no generated ARIA texts on axes and marks: Vega writes them in English ("X-axis
        # titled ..."); the figure carries its title in the report's language as its label
        "aria": False,
        "view": {"stroke": None},
        "title": {
            "anchor": "start",
            "fontSize": 14,
            "fontWeight": "bold",
            "offset": 10,
            "aria": False,
        },
        "axis": {"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#e3e3e3"},
        "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom", "columns": 3},
    }


def _base(title: str, values: list[dict[str, Any]]) -> Spec:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "background": "white",
        "config": _config(),
        "data": {"values": values},
    }


def _millions(value: float) -> float:
    return float(value) / MILLION


def _money_y(lang: str) -> dict[str, Any]:
    """The y encoding of an amount in millions of kroner (field "value")."""
    return {
        "field": "value",
        "type": "quantitative",
        "title": _money_axis(lang),
        "axis": {"format": ",.1f"},
    }


def _money_axis(lang: str) -> str:
    return text(lang, "r_axis_millions")


def _involved(data: ReportData) -> list[Actor]:
    involved = data.result.actors_involved()
    return [a for k, a in enumerate(ACTORS) if involved[k]]


# -- the charts ----------------------------------------------------------------------------------


def cumulative_chart(data: ReportData) -> Chart:
    """Cumulative discounted net result per year, in total and per actor, with the break-even
    year marked by a vertical rule."""
    result, lang = data.result, data.lang
    total_label = text(lang, "total")
    cumulative = result.cumulative_by_actor()
    total = result.cumulative_total()
    actors = _involved(data)
    values: list[dict[str, Any]] = []
    for y, year in enumerate(result.years):
        values.append({"year": str(year), "series": total_label, "value": _millions(total[y])})
        for a in actors:
            k = ACTORS.index(a)
            values.append(
                {
                    "year": str(year),
                    "series": actor_name(a, lang),
                    "value": _millions(cumulative[k, y]),
                }
            )
    series = [total_label, *(actor_name(a, lang) for a in actors)]
    colours = [TOTAL_COLOUR, *(ACTOR_COLOURS[a][0] for a in actors)]
    title = text(lang, "r_chart_cumulative")
    spec = _base(title, values)
    lines: Spec = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {
                "field": "year",
                "type": "ordinal",
                "title": text(lang, "year"),
                "axis": {"labelAngle": 0},
            },
            "y": _money_y(lang),
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": series, "range": colours},
            },
            "strokeWidth": {
                "condition": {"test": f"datum.series === {total_label!r}", "value": 3},
                "value": 1.5,
            },
        },
    }
    zero: Spec = {
        "data": ONE_ROW,
        "mark": {"type": "rule", "color": "#888888"},
        "encoding": {"y": {"datum": 0}},
    }
    layers = [zero, lines]
    break_even = result.break_even_year
    if break_even is not None:
        marked = str(break_even)
        label = text(lang, "r_chart_break_even", year=marked)
        layers.append(
            {
                "data": ONE_ROW,
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": POSITIVE_COLOUR},
                "encoding": {"x": {"datum": marked}},
            }
        )
        layers.append(
            {
                "data": ONE_ROW,
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top",
                    "dx": 4,
                    "dy": 2,
                    "color": POSITIVE_COLOUR,
                    "fontWeight": "bold",
                },
                "encoding": {
                    "x": {"datum": marked},
                    "y": {"value": 0},
                    "text": {"value": label},
                },
            }
        )
    spec["layer"] = layers
    return Chart("cumulative", title, spec)


def flows_chart(data: ReportData) -> Chart:
    """Gains (above 0) and costs (below 0) per actor and year, stacked, with the net result."""
    result, lang = data.result, data.lang
    yearly = result.yearly_by_actor()
    actors = _involved(data)
    values: list[dict[str, Any]] = []
    domain: list[str] = []
    colours: list[str] = []
    for a in actors:
        k = ACTORS.index(a)
        for kind, sign, shade in (("gains", 1.0, 0), ("costs", -1.0, 1)):
            if not np.any(yearly[kind][k]):
                continue
            label = text(lang, f"r_series_{kind}", actor=actor_name(a, lang))
            domain.append(label)
            colours.append(ACTOR_COLOURS[a][shade])
            for y, year in enumerate(result.years):
                values.append(
                    {
                        "year": str(year),
                        "series": label,
                        "order": len(domain),
                        "value": sign * _millions(yearly[kind][k, y]),
                    }
                )
    net_label = text(lang, "r_series_net")
    net = yearly["net"].sum(axis=0)
    net_values = [
        {"year": str(year), "net": _millions(net[y]), "series": net_label}
        for y, year in enumerate(result.years)
    ]
    title = text(lang, "r_chart_flows")
    spec = _base(title, values)
    x = {"field": "year", "type": "ordinal", "title": text(lang, "year"), "axis": {"labelAngle": 0}}
    spec["layer"] = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "x": x,
                "y": {
                    **_money_y(lang),
                    "stack": "zero",
                },
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": [*domain, net_label], "range": [*colours, TOTAL_COLOUR]},
                },
                "order": {"field": "order"},
            },
        },
        {
            "data": {"values": net_values},
            "mark": {"type": "line", "point": True, "color": TOTAL_COLOUR, "strokeWidth": 2},
            "encoding": {
                "x": x,
                "y": {"field": "net", "type": "quantitative"},
                "color": {"field": "series", "type": "nominal"},
            },
        },
        {
            "data": ONE_ROW,
            "mark": {"type": "rule", "color": "#555555"},
            "encoding": {"y": {"datum": 0}},
        },
    ]
    return Chart("flows", title, spec)


def tornado_chart(data: ReportData) -> Chart | None:
    """NPV at the low and the high value of each input given as a distribution (one at a time),
    sorted by swing; the vertical rule is the NPV with every input at its point value."""
    sensitivity = data.sensitivity
    if sensitivity is None or not sensitivity.one_way:
        return None
    lang = data.lang
    point = sensitivity.npv_point["total"]
    low_label, high_label = text(lang, "r_series_low"), text(lang, "r_series_high")
    values: list[dict[str, Any]] = []
    order: list[str] = []
    for row in sensitivity.one_way:
        label = _wrap(input_label(row.path, sensitivity.names, lang))
        if label in order:  # two inputs with the same reader's name: keep both apart
            label = f"{label} ({row.path})"
        order.append(label)
        for series, npv in ((low_label, row.npv_low["total"]), (high_label, row.npv_high["total"])):
            values.append(
                {
                    "input": label,
                    "series": series,
                    "from": _millions(point),
                    "to": _millions(npv),
                }
            )
    title = text(lang, "r_chart_tornado")
    spec = _base(title, values)
    spec["height"] = max(90, 34 * len(order))
    spec["layer"] = [
        {
            "mark": {"type": "bar", "height": 16},
            "encoding": {
                "y": {
                    "field": "input",
                    "type": "nominal",
                    "sort": order,
                    "title": None,
                    "axis": {"labelLimit": 320, "labelExpr": "split(datum.label, '\\n')"},
                },
                "x": {
                    "field": "from",
                    "type": "quantitative",
                    "title": text(lang, "r_axis_npv_millions"),
                    "axis": {"format": ",.1f"},
                    "scale": {"zero": False},
                },
                "x2": {"field": "to"},
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": [low_label, high_label], "range": ["#c98a8a", "#6b9bc3"]},
                },
            },
        },
        {
            "data": ONE_ROW,
            "mark": {"type": "rule", "color": TOTAL_COLOUR, "strokeWidth": 1.5},
            "encoding": {"x": {"datum": _millions(point)}},
        },
    ]
    return Chart("tornado", title, spec)


def _wrap(label: str, width: int = 44) -> str:
    """A long axis label on at most two lines ("\\n" between them; the axis splits there):
    "name: detail" becomes the name, shortened if need be, over the detail."""
    import textwrap

    if len(label) <= width:
        return label
    if ": " in label:
        head, tail = label.rsplit(": ", 1)
        lines = [textwrap.shorten(head, width - 1, placeholder=" …") + ":", tail]
    else:
        lines = textwrap.wrap(label, width)
    return "\n".join(textwrap.shorten(line, width, placeholder=" …") for line in lines[:2])


def histogram_bins(draws: np.ndarray, bins: int = HISTOGRAM_BINS) -> list[dict[str, float]]:
    """Equal-width bins of the draws: start, end and the share of draws in each."""
    finite = draws[np.isfinite(draws)]
    counts, edges = np.histogram(finite, bins=bins)
    total = max(1, finite.size)
    return [
        {"start": float(edges[i]), "end": float(edges[i + 1]), "share": float(counts[i] / total)}
        for i in range(len(counts))
    ]


def _histogram(
    key: str, title: str, values: np.ndarray, axis_title: str, scale: float, fmt: str, lang: str
) -> Chart:
    """Equal-width bins of ``values`` (shown divided by ``scale``), red below 0, green above."""
    negative, positive = text(lang, "r_series_loss"), text(lang, "r_series_surplus")
    rows = []
    for row in histogram_bins(values):
        middle = (row["start"] + row["end"]) / 2.0
        rows.append(
            {
                "start": row["start"] / scale,
                "end": row["end"] / scale,
                "percent": 100.0 * row["share"],
                "series": positive if middle > 0 else negative,
            }
        )
    spec = _base(title, rows)
    spec["layer"] = [
        {
            "mark": {"type": "bar", "binSpacing": 0, "stroke": "white", "strokeWidth": 0.5},
            "encoding": {
                "x": {
                    "field": "start",
                    "type": "quantitative",
                    "bin": {"binned": True},
                    "title": axis_title,
                    "axis": {"format": fmt},
                },
                "x2": {"field": "end"},
                "y": {
                    "field": "percent",
                    "type": "quantitative",
                    "title": text(lang, "r_axis_share_of_draws"),
                    "axis": {"format": ",.0f"},
                },
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "scale": {
                        "domain": [negative, positive],
                        "range": [NEGATIVE_COLOUR, POSITIVE_COLOUR],
                    },
                },
            },
        },
        {
            "data": ONE_ROW,
            "mark": {"type": "rule", "color": TOTAL_COLOUR, "strokeDash": [4, 3]},
            "encoding": {"x": {"datum": 0}},
        },
    ]
    return Chart(key, title, spec)


def histogram_chart(data: ReportData) -> Chart | None:
    """Distribution of the total net present value over the Monte Carlo draws."""
    result, lang = data.result, data.lang
    if not data.has_npv_uncertainty:
        return None
    npv = np.asarray(result.summary.npv_total, dtype=np.float64)
    title = text(lang, "r_chart_histogram", draws=_draws_text(result.draws, lang))
    return _histogram(
        "histogram", title, npv, text(lang, "r_axis_npv_millions"), MILLION, ",.1f", lang
    )


def irr_chart(data: ReportData) -> Chart | None:
    """Distribution of the investor's internal rate of return over the draws (contracts)."""
    contract = data.contract
    if contract is None:
        return None
    irr = np.asarray(contract.investor_irr, dtype=np.float64)
    finite = irr[np.isfinite(irr)]
    if finite.size < 2:
        return None
    lang = data.lang
    title = text(lang, "r_chart_irr", draws=_draws_text(irr.size, lang))
    return _histogram("irr", title, finite * 100.0, text(lang, "r_axis_irr"), 1.0, ",.1f", lang)


PARTY_COLOURS = ("#1f5f8b", "#a35c00", "#2e7d32", "#6a3d9a", "#b15928", "#555555")


def contract_flows_chart(data: ReportData) -> Chart | None:
    """Cash flows per party and year (contracts): bars side by side, money in above 0."""
    contract = data.contract
    if contract is None or not contract.parties:
        return None
    lang = data.lang
    parties = list(contract.parties)
    values = [
        {"year": str(year), "party": party, "value": _millions(contract.cash_flows[party][y])}
        for party in parties
        for y, year in enumerate(contract.years)
    ]
    title = text(lang, "r_chart_contract_flows")
    spec = _base(title, values)
    colours = [PARTY_COLOURS[i % len(PARTY_COLOURS)] for i in range(len(parties))]
    spec["layer"] = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "x": {
                    "field": "year",
                    "type": "ordinal",
                    "title": text(lang, "year"),
                    "axis": {"labelAngle": 0},
                },
                "xOffset": {"field": "party", "sort": parties},
                "y": _money_y(lang),
                "color": {
                    "field": "party",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": parties, "range": colours},
                },
            },
        },
        {
            "data": ONE_ROW,
            "mark": {"type": "rule", "color": "#555555"},
            "encoding": {"y": {"datum": 0}},
        },
    ]
    return Chart("contract_flows", title, spec)


def tradeoff_chart(data: ReportData) -> Chart | None:
    """The designer's trade-off (contracts): the investors' expected IRR by achieved success
    rate, one line per price."""
    from socialinvest.output.numbers import money

    contract = data.contract
    if contract is None or not contract.tradeoff or not contract.enough_draws:
        return None
    lang = data.lang
    rows = [r for r in contract.tradeoff if r.get("investor_irr") is not None]
    if len({r["success_rate_from"] for r in rows}) < 2:
        return None
    prices = sorted({r["price"] for r in rows})
    values = [
        {
            "rate": 100.0 * (r["success_rate_from"] + r["success_rate_to"]) / 2.0,
            "irr": 100.0 * r["investor_irr"],
            "price": money(r["price"], lang),
        }
        for r in rows
    ]
    title = text(lang, "r_chart_tradeoff")
    spec = _base(title, values)
    spec["layer"] = [
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {
                    "field": "rate",
                    "type": "quantitative",
                    "title": text(lang, "r_axis_success_rate"),
                },
                "y": {"field": "irr", "type": "quantitative", "title": text(lang, "r_axis_irr")},
                "color": {
                    "field": "price",
                    "type": "ordinal",
                    "title": text(lang, "c_price"),
                    "sort": [money(p, lang) for p in prices],
                    "scale": {"scheme": "viridis"},
                },
            },
        },
        {
            "data": ONE_ROW,
            "mark": {"type": "rule", "color": "#555555"},
            "encoding": {"y": {"datum": 0}},
        },
    ]
    return Chart("tradeoff", title, spec)


def _draws_text(draws: int, lang: str) -> str:
    from socialinvest.output.numbers import number

    return number(draws, lang)


def report_charts(data: ReportData) -> dict[str, Chart]:
    """Every chart the report shows, by key (only those with something to show)."""
    charts = [
        cumulative_chart(data),
        flows_chart(data),
        tornado_chart(data),
        tradeoff_chart(data),
        histogram_chart(data),
        contract_flows_chart(data),
        irr_chart(data),
    ]
    return {chart.key: chart for chart in charts if chart is not None}


# -- rendering -----------------------------------------------------------------------------------


@cache
def format_locale(lang: str) -> dict[str, Any]:
    """The d3-format locale of a language, from Babel's number symbols."""
    from babel import Locale

    symbols = Locale.parse(LOCALES[lang]).number_symbols["latn"]
    return {
        "decimal": symbols["decimal"],
        "thousands": symbols["group"],
        "grouping": [3],
        "currency": ["", " kr."] if lang == "da" else ["DKK ", ""],
        "minus": "−",
    }


def to_svg(spec: Spec, lang: str) -> str:
    """The chart as an SVG document (text kept as text, so it can be searched and copied)."""
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(spec, format_locale=format_locale(lang), allowed_base_urls=[])
    return svg


def to_png(spec: Spec, lang: str, scale: float = 2.0) -> bytes:
    """The chart as PNG image data (``scale`` 2: sharp on screens and in print)."""
    import vl_convert as vlc

    png: bytes = vlc.vegalite_to_png(
        spec, scale=scale, format_locale=format_locale(lang), allowed_base_urls=[]
    )
    return png
