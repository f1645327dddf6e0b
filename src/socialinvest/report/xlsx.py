"""The XLSX report: the deterministic calculation as live spreadsheet formulas.

A success-rate case becomes four sheets (docs/reports-xlsx.md):

- *About*: what the file holds and how to use it;
- *Inputs*: every input of the deterministic calculation as a value cell (blue), with unit,
  status and source;
- *Calculation*: formulas per consequence, cost line, actor, area and year, from the inputs to the
  cumulative discounted net result;
- *Results*: the key figures as formulas on the calculation sheet, so an auditor who changes an
  input sees every result recalculate;
- *Uncertainty* (Monte Carlo runs): the summaries over draws, as values.

A state-transition case is written as values (its Markov machinery is not expressed in
formulas), with a note saying so. Texts follow the report's language; amounts carry the number
format ``#,##0``, which a spreadsheet shows with the reader's own separators.

Key cells and rows carry defined names in English (``npv_total``, ``rate_with``, ``cum_kommune``,
…) that do not change with the language.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.worksheet import Worksheet

from socialinvest.knowledge.base import KnowledgeBase, default_knowledge_base
from socialinvest.output.files import write_atomically
from socialinvest.output.messages import unit_label
from socialinvest.report.xlsx_inputs import SheetInputs, sheet_inputs
from socialinvest.report.xlsx_labels import label
from socialinvest.vocabulary import ACTOR_LABELS, ACTORS, AREA_LABELS, AREAS

if TYPE_CHECKING:
    from socialinvest.analysis.sensitivity import Sensitivity
    from socialinvest.report.content import ReportData
    from socialinvest.result import Result

# Cumulative results within this many kroner of zero count as break-even, as in the engine
# (socialinvest.engine.appraisal._BREAK_EVEN_TOLERANCE).
BREAK_EVEN_TOLERANCE = "1E-6"

FIRST_SERIES_COLUMN = 6  # column F: year 0 (or the first year after intake/success)

KR = "#,##0"
KR2 = "#,##0.00"
RATE = "0.00%"
SHARE = "0.0%"
FACTOR = "0.000000"
NUMBER = "#,##0.00"
COUNT = "#,##0.##"
YEAR = "0"

INPUT_FILL = PatternFill("solid", fgColor="DDEBF7")
ASSUMPTION_FILL = PatternFill("solid", fgColor="FCE4D6")
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
SECTION = Font(bold=True, size=12)


def write_xlsx(data: ReportData, path: str | Path) -> None:
    """Write the XLSX report of ``data`` to ``path`` (atomically: all or nothing)."""
    write_atomically(path, render_xlsx(data))


def render_xlsx(data: ReportData, *, charts: bool = True) -> bytes:
    """The XLSX report of ``data`` as the bytes of an .xlsx file."""
    workbook = build_workbook(
        data.result,
        data.lang,
        created=data.created,
        sensitivity=data.sensitivity,
        charts=charts,
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_workbook(
    result: Result,
    lang: str,
    *,
    kb: KnowledgeBase | None = None,
    created: dt.date | None = None,
    sensitivity: Sensitivity | None = None,
    charts: bool = True,
) -> Workbook:
    """The report workbook of ``result`` in ``lang``.

    ``kb`` must be the knowledge base the result was appraised with (default: the bundled one);
    the result's knowledge-base digest is checked against it. ``sensitivity``: the one-way
    analysis to show (values). ``charts``: embed the report's charts (PNG) on the sheets of
    values; the live Results sheet has a native chart that follows its formulas.
    """
    knowledge = kb or default_knowledge_base()
    if knowledge.digest != result.knowledge_base_digest:
        raise ValueError(
            "the result was appraised with another knowledge base than the one given "
            f"({result.knowledge_base_digest[:12]} vs {knowledge.digest[:12]})"
        )
    w = _Writer(Workbook(), lang)
    about = w.sheet("x_sheet_about", first=True)
    live = result.case.model != "state_transition"
    _about(w, about, result, live, created or dt.date.today())
    images = _Images(result, lang, sensitivity) if charts else None
    if live:
        inputs = sheet_inputs(result, knowledge, lang)
        cells = _inputs_sheet(w, w.sheet("x_sheet_inputs"), result, inputs)
        calc = _calc_sheet(w, w.sheet("x_sheet_calc"), inputs, cells)
        _results_sheet(w, w.sheet("x_sheet_results"), result, inputs, cells, calc)
    else:
        ws = w.sheet("x_sheet_results")
        _values_results(w, ws, result)
        if images is not None:
            images.place(ws, ["cumulative", "flows"], column="H", row=5)
        _values_yearly(w, w.sheet("x_sheet_yearly"), result)
        if result.outcome_table() is not None:
            _values_outcomes(w, w.sheet("x_sheet_outcomes"), result)
    if result.draws > 1:
        ws = w.sheet("x_sheet_uncertainty")
        _uncertainty_sheet(w, ws, result)
        if images is not None:
            images.place(ws, ["histogram"], column="I", row=4)
    if sensitivity is not None and sensitivity.one_way:
        ws = w.sheet("x_sheet_sensitivity")
        _sensitivity_sheet(w, ws, sensitivity)
        if images is not None:
            images.place(ws, ["tornado"], column="A", row=ws.max_row + 3)
    for name, ref in w.names.items():
        w.wb.defined_names[name] = DefinedName(name, attr_text=ref)
    # a spreadsheet program recalculates every formula when it opens the file
    w.wb.calculation = CalcProperties(fullCalcOnLoad=True)
    return w.wb


class _Images:
    """The report's charts (socialinvest.report.charts) as PNG images, rendered on demand."""

    def __init__(self, result: Result, lang: str, sensitivity: Sensitivity | None) -> None:
        from socialinvest.report.charts import report_charts
        from socialinvest.report.content import ReportData

        data = ReportData(result=result, lang=lang, sensitivity=sensitivity)  # type: ignore[arg-type]
        self.lang = lang
        self.charts = report_charts(data)

    def place(self, ws: Worksheet, keys: list[str], *, column: str, row: int) -> None:
        from openpyxl.drawing.image import Image

        from socialinvest.report.charts import to_png

        for key in keys:
            chart = self.charts.get(key)
            if chart is None:
                continue
            scale = 2.0
            image = Image(io.BytesIO(to_png(chart.spec, self.lang, scale=scale)))
            image.width = int(image.width / scale)
            image.height = int(image.height / scale)
            ws.add_image(image, f"{column}{row}")
            row += int(image.height / 20) + 2  # default row height: 20 pixels


# -- plumbing ----------------------------------------------------------------------------------


def _col(column: int) -> str:
    return get_column_letter(column)


def _ycol(index: int) -> str:
    """Column letter of year (or lag) ``index`` of a series."""
    return get_column_letter(FIRST_SERIES_COLUMN + index)


def _abs(sheet: Worksheet, column: str, row: int) -> str:
    return f"'{sheet.title}'!${column}${row}"


def _abs_range(sheet: Worksheet, c1: str, r1: int, c2: str, r2: int) -> str:
    return f"'{sheet.title}'!${c1}${r1}:${c2}${r2}"


@dataclass
class _Writer:
    wb: Workbook
    lang: str
    names: dict[str, str] = field(default_factory=dict)

    def t(self, key: str, **kwargs: object) -> str:
        return label(self.lang, key, **kwargs)

    def actor(self, actor: str) -> str:
        return ACTOR_LABELS[self.lang][actor]  # type: ignore[index]

    def area(self, area: str) -> str:
        return AREA_LABELS[self.lang].get(area, area)  # type: ignore[call-overload,no-any-return]

    def status(self, status: str) -> str:
        return self.t(f"status_{status}")

    def sheet(self, key: str, first: bool = False) -> Worksheet:
        if first:
            ws = self.wb.active
            assert isinstance(ws, Worksheet)
            ws.title = self.t(key)
            return ws
        created: Worksheet = self.wb.create_sheet(self.t(key))
        return created

    def name(self, name: str, ref: str) -> None:
        self.names[name] = ref


class Formula(str):
    """A cell formula written by this module. Any other text that starts with "=" (a case's
    name, a cost line's name, a source) is written as text, never as a formula."""


def _put(
    ws: Worksheet,
    row: int,
    column: int,
    value: Any,
    number_format: str | None = None,
    *,
    is_input: bool = False,
    font: Font | None = None,
) -> None:
    cell = ws.cell(row=row, column=column, value=value)
    if cell.data_type == "f" and not isinstance(value, Formula):
        cell.data_type = "s"
    if number_format is not None:
        cell.number_format = number_format
    if is_input:
        cell.fill = INPUT_FILL
    if font is not None:
        cell.font = font


def _status_cell(w: _Writer, ws: Worksheet, row: int, column: int, status: str) -> None:
    _put(ws, row, column, w.status(status))
    if status == "assumption":
        ws.cell(row=row, column=column).fill = ASSUMPTION_FILL
        ws.cell(row=row, column=column).font = BOLD


def _header(ws: Worksheet, row: int, values: list[tuple[int, Any]]) -> None:
    for column, value in values:
        cell = ws.cell(row=row, column=column, value=value)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


# -- about ---------------------------------------------------------------------------------------


def _about(w: _Writer, ws: Worksheet, result: Result, live: bool, created: dt.date) -> None:
    from socialinvest import __version__

    case = result.case
    lines: list[tuple[str, Font | None]] = [
        (w.t("x_about_title", name=case.name), TITLE),
    ]
    if case.municipality:
        lines.append((w.t("municipality", name=case.municipality), None))
    lines.append(
        (
            w.t(
                "settings",
                price_year=case.price_year,
                draws=result.draws,
                currency=case.currency,
            ),
            None,
        )
    )
    lines.append(("", None))
    if live:
        lines.append((w.t("x_about_live"), None))
        lines.append((w.t("x_about_point"), None))
        lines.append((w.t("x_about_colours"), None))
    else:
        lines.append((w.t("x_about_state", version=__version__), BOLD))
    if result.draws > 1:
        lines.append((w.t("x_about_mc", draws=result.draws, seed=result.run.get("seed")), None))
    lines.append(("", None))
    lines.append((w.t("x_about_method"), None))
    lines.append((w.t("x_about_file", file=result.file, sha=result.case_sha256 or "–"), None))
    lines.append(
        (
            w.t(
                "x_about_kb",
                version=result.knowledge_base_version,
                digest=result.knowledge_base_digest[:16],
            ),
            None,
        )
    )
    lines.append((w.t("x_about_created", date=created.isoformat(), version=__version__), None))
    for row, (value, font) in enumerate(lines, start=1):
        _put(ws, row, 1, value, font=font)
    ws.column_dimensions["A"].width = 120


# -- inputs --------------------------------------------------------------------------------------


@dataclass
class _InputCells:
    """Where each input is (absolute references with the sheet's name)."""

    price_year: str = ""
    convention: str = ""
    rate_with: str = ""
    rate_without: str = ""
    absolute_effect: str = ""
    attribution: str = ""
    optimism_costs: str = ""
    optimism_effects: str = ""
    drop_off: str = ""
    timing: list[str] = field(default_factory=list)
    intake: list[str] = field(default_factory=list)
    intake_range: str = ""
    bands_costs: tuple[str, str] = ("", "")
    bands_gains: tuple[str, str] | None = None
    index_years: str = ""
    index_values: str = ""
    # per consequence: stated value, its price year, conversion, sign, shares, profile cells
    c_value: list[str] = field(default_factory=list)
    c_year: list[str] = field(default_factory=list)
    c_conversion: list[str] = field(default_factory=list)
    c_sign: list[str] = field(default_factory=list)
    c_shares: list[list[str]] = field(default_factory=list)
    c_profile: list[list[str]] = field(default_factory=list)
    # per cost line: amount, its price year, schedule cells
    p_amount: list[str] = field(default_factory=list)
    p_year: list[str] = field(default_factory=list)
    p_schedule: list[list[str]] = field(default_factory=list)


def _inputs_sheet(w: _Writer, ws: Worksheet, result: Result, inp: SheetInputs) -> _InputCells:
    cells = _InputCells()
    ws.column_dimensions["A"].width = 58
    for column in "BCDE":
        ws.column_dimensions[column].width = 16
    _put(ws, 1, 1, w.t("x_inputs_title"), font=TITLE)
    _put(ws, 2, 1, w.t("x_about_colours"))
    row = 4

    def scalar(
        key_text: str,
        value: float,
        fmt: str,
        unit: str,
        name: str | None,
        *,
        status: str | None = None,
        note: str = "",
        is_input: bool = True,
    ) -> str:
        nonlocal row
        _put(ws, row, 1, key_text)
        _put(ws, row, 2, value, fmt, is_input=is_input)
        _put(ws, row, 3, unit)
        if status is not None:
            _status_cell(w, ws, row, 4, status)
        _put(ws, row, 5, note)
        ref = _abs(ws, "B", row)
        if name:
            w.name(name, ref)
        row += 1
        return ref

    def section(title: str) -> None:
        nonlocal row
        row += 1
        _put(ws, row, 1, title, font=SECTION)
        row += 1

    def uncertain_kinds(path: str) -> str:
        """The note that an input (or any input under ``path``) is a distribution, or ""."""
        kinds = sorted(
            {
                kind
                for p, kind in inp.uncertain.items()
                if p == path or p.startswith((path + ".", path + "["))
            }
        )
        return w.t("x_uncertain_note", dist=", ".join(kinds)) if kinds else ""

    def uncertain_note(path: str) -> str:
        """Where a case-file input comes from, and whether its mean stands for a distribution."""
        kinds = uncertain_kinds(path)
        return w.t("x_case_file") + (f"; {kinds}" if kinds else "")

    # general
    section(w.t("x_general"))
    _header(
        ws,
        row,
        [
            (1, w.t("x_col_input")),
            (2, w.t("x_col_value")),
            (3, w.t("x_col_unit")),
            (4, w.t("x_col_status")),
            (5, w.t("x_col_source")),
        ],
    )
    row += 1
    cells.price_year = scalar(
        w.t("x_price_year"),
        inp.price_year,
        YEAR,
        "",
        "price_year",
        note=w.t("x_structure_note"),
        is_input=False,
    )
    scalar(
        w.t("x_start_year"),
        inp.first_year,
        YEAR,
        "",
        None,
        note=w.t("x_structure_note"),
        is_input=False,
    )
    scalar(
        w.t("x_horizon"),
        len(inp.years),
        YEAR,
        "",
        None,
        note=w.t("x_structure_note"),
        is_input=False,
    )
    cells.convention = scalar(
        w.t("x_convention"),
        0 if inp.convention == "start" else 1,
        "0",
        "",
        "convention",
        note=w.t(f"convention_{inp.convention}"),
    )

    # success and adjustments
    section(w.t("x_success"))
    _put(ws, row, 1, w.t("x_measure", measure=inp.measure))
    row += 1
    if inp.absolute:
        cells.absolute_effect = scalar(
            w.t("x_absolute_effect"),
            inp.absolute_effect,
            SHARE,
            w.t("x_share_unit"),
            "absolute_effect",
            note=uncertain_note("success.absolute_effect"),
        )
    else:
        cells.rate_with = scalar(
            w.t("x_rate_with"),
            inp.rate_with,
            SHARE,
            w.t("x_share_unit"),
            "rate_with",
            note=uncertain_note("success.rate_with"),
        )
        cells.rate_without = scalar(
            w.t("x_rate_without"),
            inp.rate_without,
            SHARE,
            w.t("x_share_unit"),
            "rate_without",
            note=uncertain_note("success.rate_without"),
        )
    section(w.t("x_adjustments"))
    for attr, key, path in (
        ("attribution", "in_adjustments.attribution", "adjustments.attribution"),
        ("optimism_costs", "in_adjustments.optimism_bias.costs", "adjustments.optimism_bias.costs"),
        (
            "optimism_effects",
            "in_adjustments.optimism_bias.effects",
            "adjustments.optimism_bias.effects",
        ),
        ("drop_off", "in_adjustments.drop_off", "adjustments.drop_off"),
    ):
        ref = scalar(
            w.t(key),
            getattr(inp, attr),
            SHARE,
            w.t("x_share_unit"),
            attr,
            note=uncertain_note(path),
        )
        setattr(cells, attr, ref)

    # timing of successes (by year after intake)
    section(w.t("x_timing"))
    _header(
        ws,
        row,
        [(1, w.t("x_years_after_intake"))]
        + [(FIRST_SERIES_COLUMN + j, j + 1) for j in range(len(inp.timing))],
    )
    row += 1
    _put(ws, row, 1, w.t("x_timing"))
    _put(ws, row, 3, w.t("x_share_unit"))
    _put(ws, row, 5, uncertain_note("success.timing"))
    for j, share in enumerate(inp.timing):
        _put(ws, row, FIRST_SERIES_COLUMN + j, share, SHARE, is_input=True)
        cells.timing.append(_abs(ws, _ycol(j), row))
    w.name("timing", _abs_range(ws, _ycol(0), row, _ycol(len(inp.timing) - 1), row))
    row += 1

    # intake by year
    section(w.t("x_target_group", description=result.case.target_group.description))
    _header(
        ws,
        row,
        [(1, w.t("x_col_year"))]
        + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
    )
    row += 1
    _put(ws, row, 1, w.t("x_intake"))
    _put(ws, row, 3, w.t("x_count"))
    _put(ws, row, 5, uncertain_note("target_group"))
    for y, value in enumerate(inp.intake):
        _put(ws, row, FIRST_SERIES_COLUMN + y, value, COUNT, is_input=True)
        cells.intake.append(_abs(ws, _ycol(y), row))
    cells.intake_range = _abs_range(ws, _ycol(0), row, _ycol(len(inp.years) - 1), row)
    w.name("intake", cells.intake_range)
    row += 1

    # discount rates
    def bands(title: str, items: tuple[tuple[int, float], ...], source: str) -> tuple[str, str]:
        nonlocal row
        section(title)
        _header(ws, row, [(1, ""), (2, w.t("x_from_year")), (3, w.t("x_rate"))])
        row += 1
        first = row
        for n, (start, rate) in enumerate(items, start=1):
            _put(ws, row, 1, w.t("x_band", n=n))
            _put(ws, row, 2, start, "0", is_input=True)
            _put(ws, row, 3, rate, RATE, is_input=True)
            _put(ws, row, 5, source)
            row += 1
        return (
            _abs_range(ws, "B", first, "B", row - 1),
            _abs_range(ws, "C", first, "C", row - 1),
        )

    cells.bands_costs = bands(w.t("x_discount_bands"), inp.bands_costs, inp.discount_label_costs)
    w.name("discount_rates", cells.bands_costs[1])
    if inp.bands_gains is not None:
        cells.bands_gains = bands(
            w.t("x_discount_bands_gains"), inp.bands_gains, inp.discount_label_gains
        )
        w.name("discount_rates_gains", cells.bands_gains[1])

    # net price index
    section(w.t("x_price_index"))
    _header(ws, row, [(1, ""), (2, w.t("x_col_year")), (3, w.t("x_index")), (5, w.t("source"))])
    row += 1
    first = row
    records = {int(r["year"]): r for r in result.price_index_used}
    index_years = sorted(set(inp.price_index) | {inp.price_year})
    for year in index_years:
        record = records.get(year, {})
        _put(ws, row, 1, w.t("x_index_year", year=year))
        _put(ws, row, 2, year, YEAR)
        _put(ws, row, 3, inp.price_index.get(year), NUMBER, is_input=True)
        if record:
            _status_cell(w, ws, row, 4, str(record.get("status", "official")))
            _put(ws, row, 5, str(record.get("source", "")))
        row += 1
    cells.index_years = _abs_range(ws, "B", first, "B", row - 1)
    cells.index_values = _abs_range(ws, "C", first, "C", row - 1)

    # consequences: prices
    section(w.t("x_consequences"))
    price_columns = [
        (1, w.t("entry")),
        (2, w.t("x_col_price")),
        (3, w.t("x_col_price_unit")),
        (4, w.t("x_col_value_year")),
        (5, w.t("x_col_conversion")),
        (6, w.t("x_col_sign")),
        *[(7 + a, w.t("x_col_share", actor=w.actor(actor))) for a, actor in enumerate(ACTORS)],
        (10, w.t("x_col_activity")),
        (11, w.t("x_col_area")),
        (12, w.t("x_col_status")),
        (13, w.t("x_col_source")),
    ]
    _header(ws, row, price_columns)
    row += 1
    for k, c in enumerate(inp.consequences):
        _put(ws, row, 1, c.name)
        _put(ws, row, 2, c.value, KR2, is_input=True)
        _put(ws, row, 3, unit_label(w.lang, c.price_unit))
        _put(ws, row, 4, c.value_year, YEAR, is_input=True)
        _put(ws, row, 5, c.conversion, FACTOR, is_input=True)
        _put(ws, row, 6, c.sign, "0", is_input=True)
        for a in range(len(ACTORS)):
            _put(ws, row, 7 + a, c.shares[a], SHARE, is_input=True)
        _put(ws, row, 10, w.t(f"x_unit_{c.unit}"))
        _put(ws, row, 11, w.area(c.area))
        _status_cell(w, ws, row, 12, c.status)
        source = c.source + (f" [{c.ref}]" if c.ref else "")
        if c.split_basis not in ("case", "explicit shares"):
            source += f"; {c.split_basis}"
        kinds = uncertain_kinds(f"consequences[{k}]")
        source += f"; {kinds}" if kinds else ""
        _put(ws, row, 13, source)
        cells.c_value.append(_abs(ws, "B", row))
        cells.c_year.append(_abs(ws, "D", row))
        cells.c_conversion.append(_abs(ws, "E", row))
        cells.c_sign.append(_abs(ws, "F", row))
        cells.c_shares.append([_abs(ws, _col(7 + a), row) for a in range(len(ACTORS))])
        w.name(f"price_{k + 1}", _abs(ws, "B", row))
        w.name(f"shares_{k + 1}", _abs_range(ws, "G", row, "I", row))
        row += 1

    # consequences: profiles
    section(w.t("x_profiles"))
    n_profile = max((len(c.profile) for c in inp.consequences), default=1)
    _header(
        ws,
        row,
        [(1, w.t("x_years_after_success")), (3, w.t("x_col_unit"))]
        + [(FIRST_SERIES_COLUMN + j, j + 1) for j in range(n_profile)],
    )
    row += 1
    for k, c in enumerate(inp.consequences):
        _put(ws, row, 1, c.name)
        _put(ws, row, 3, w.t(f"x_unit_{c.unit}"))
        refs = []
        for j in range(n_profile):
            value = c.profile[j] if j < len(c.profile) else 0.0
            _put(ws, row, FIRST_SERIES_COLUMN + j, value, NUMBER, is_input=True)
            refs.append(_abs(ws, _ycol(j), row))
        cells.c_profile.append(refs)
        w.name(f"profile_{k + 1}", _abs_range(ws, _ycol(0), row, _ycol(n_profile - 1), row))
        row += 1

    # costs
    section(w.t("x_costs"))
    _header(
        ws,
        row,
        [
            (1, w.t("x_col_input")),
            (2, w.t("x_col_amount")),
            (3, w.t("x_col_unit")),
            (4, w.t("x_col_value_year")),
            (5, w.t("x_col_type")),
            (6, w.t("x_col_actor")),
            (7, w.t("x_col_area")),
        ],
    )
    row += 1
    for i, p in enumerate(inp.costs):
        if p.type == "per_participant_period":
            kind = w.t("x_type_per_participant_period", period=w.t(f"x_period_{p.period}"))
        else:
            kind = w.t(f"x_type_{p.type}")
        _put(ws, row, 1, p.name)
        _put(ws, row, 2, p.amount, KR, is_input=True)
        _put(ws, row, 3, w.t("x_kr"))
        _put(ws, row, 4, p.price_year, YEAR, is_input=True)
        _put(ws, row, 5, kind)
        _put(ws, row, 6, w.actor(p.actor))
        _put(ws, row, 7, w.area(p.area))
        note = uncertain_note(f"intervention.costs[{i}]")
        _put(ws, row, 8, note)
        cells.p_amount.append(_abs(ws, "B", row))
        cells.p_year.append(_abs(ws, "D", row))
        w.name(f"cost_{i + 1}", _abs(ws, "B", row))
        row += 1
    cells.p_schedule = [[] for _ in inp.costs]
    participant = [i for i, p in enumerate(inp.costs) if p.per_participant]
    calendar = [i for i, p in enumerate(inp.costs) if not p.per_participant]
    if participant:
        section(w.t("x_cost_schedule_participant"))
        width = max(len(inp.costs[i].schedule) for i in participant)
        _header(
            ws,
            row,
            [(1, w.t("x_years_after_intake"))]
            + [(FIRST_SERIES_COLUMN + j, j + 1) for j in range(width)],
        )
        row += 1
        for i in participant:
            _put(ws, row, 1, inp.costs[i].name)
            _put(ws, row, 3, w.t("x_count"))
            for j in range(width):
                value = inp.costs[i].schedule[j] if j < len(inp.costs[i].schedule) else 0.0
                _put(ws, row, FIRST_SERIES_COLUMN + j, value, NUMBER, is_input=True)
                cells.p_schedule[i].append(_abs(ws, _ycol(j), row))
            row += 1
    if calendar:
        section(w.t("x_cost_schedule_calendar"))
        _header(
            ws,
            row,
            [(1, w.t("x_col_year"))]
            + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
        )
        row += 1
        for i in calendar:
            _put(ws, row, 1, inp.costs[i].name)
            for y in range(len(inp.years)):
                _put(ws, row, FIRST_SERIES_COLUMN + y, inp.costs[i].schedule[y], "0", is_input=True)
                cells.p_schedule[i].append(_abs(ws, _ycol(y), row))
            row += 1
    ws.freeze_panes = "B4"
    return cells


# -- calculation ---------------------------------------------------------------------------------


@dataclass
class _CalcRows:
    """Where the calculation's rows are (row numbers on the calculation sheet)."""

    year_row: int = 0
    df_costs: int = 0
    df_gains: int = 0
    effect: str = ""
    successes_total: str = ""
    gains_per_effect: dict[str, int] = field(default_factory=dict)
    gains: dict[str, int] = field(default_factory=dict)
    costs: dict[str, int] = field(default_factory=dict)
    disc_net: dict[str, int] = field(default_factory=dict)
    cumulative: dict[str, int] = field(default_factory=dict)
    stays: dict[str, int] = field(default_factory=dict)
    area_gains: dict[str, int] = field(default_factory=dict)
    area_costs: dict[str, int] = field(default_factory=dict)
    last_col: str = ""


def _sum_terms(terms: list[str]) -> Formula:
    return Formula("=" + ("+".join(terms) if terms else "0"))


def _factor_formula(year_cell: str, cells: _InputCells) -> Formula:
    """Price factor from the prices of ``year_cell`` to the price year, by the net price index."""
    index = f"INDEX({cells.index_values},MATCH({{y}},{cells.index_years},0))"
    return Formula(
        f"=IF({year_cell}={cells.price_year},1,"
        f"{index.format(y=cells.price_year)}/{index.format(y=year_cell)})"
    )


def _calc_sheet(w: _Writer, ws: Worksheet, inp: SheetInputs, cells: _InputCells) -> _CalcRows:
    rows = _CalcRows()
    n_years = len(inp.years)
    last = _ycol(n_years - 1)
    rows.last_col = last
    ws.column_dimensions["A"].width = 52
    for column in "BCDE":
        ws.column_dimensions[column].width = 14
    _put(ws, 1, 1, w.t("x_calc_title"), font=TITLE)
    row = 3

    def section(title: str) -> None:
        nonlocal row
        row += 1
        _put(ws, row, 1, title, font=SECTION)
        row += 1

    def year_header() -> None:
        nonlocal row
        _header(
            ws,
            row,
            [(1, ""), (2, w.t("x_col_actor")), (3, w.t("x_col_area"))]
            + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
        )
        row += 1

    # discounting ---------------------------------------------------------------------------
    section(w.t("x_discounting"))
    _header(
        ws,
        row,
        [(1, w.t("x_col_year"))]
        + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
    )
    rows.year_row = row
    w.name("years", _abs_range(ws, _ycol(0), row, last, row))
    row += 1
    time_row = row
    _put(ws, row, 1, w.t("x_time"))
    for t in range(n_years + 1):
        _put(ws, row, FIRST_SERIES_COLUMN + t, t, "0")
    row += 1

    def df_rows(bands: tuple[str, str], rate_key: str, time_key: str, df_key: str) -> int:
        nonlocal row
        rate_row = row
        _put(ws, row, 1, w.t(rate_key))
        for t in range(n_years + 1):
            _put(
                ws,
                row,
                FIRST_SERIES_COLUMN + t,
                Formula(f"=LOOKUP({_ycol(t)}{time_row},{bands[0]},{bands[1]})"),
                RATE,
            )
        row += 1
        at_row = row
        _put(ws, row, 1, w.t(time_key))
        _put(ws, row, FIRST_SERIES_COLUMN, 1, FACTOR)
        for t in range(1, n_years + 1):
            _put(
                ws,
                row,
                FIRST_SERIES_COLUMN + t,
                Formula(f"={_ycol(t - 1)}{at_row}/(1+{_ycol(t - 1)}{rate_row})"),
                FACTOR,
            )
        row += 1
        _put(ws, row, 1, w.t(df_key))
        at_range = f"${_ycol(0)}${at_row}:${_ycol(n_years)}${at_row}"
        for y in range(n_years):
            _put(
                ws,
                row,
                FIRST_SERIES_COLUMN + y,
                Formula(f"=INDEX({at_range},1,{y + 1}+{cells.convention})"),
                FACTOR,
            )
        row += 1
        return row - 1

    rows.df_costs = df_rows(cells.bands_costs, "x_rate_costs", "x_df_time_costs", "x_df_costs")
    if cells.bands_gains is not None:
        rows.df_gains = df_rows(cells.bands_gains, "x_rate_gains", "x_df_time_gains", "x_df_gains")
    else:
        rows.df_gains = row
        _put(ws, row, 1, w.t("x_df_gains"))
        for y in range(n_years):
            _put(ws, row, FIRST_SERIES_COLUMN + y, Formula(f"={_ycol(y)}{rows.df_costs}"), FACTOR)
        row += 1
    w.name("df_costs", _abs_range(ws, _ycol(0), rows.df_costs, last, rows.df_costs))
    w.name("df_gains", _abs_range(ws, _ycol(0), rows.df_gains, last, rows.df_gains))

    # successes -----------------------------------------------------------------------------
    section(w.t("x_success"))
    effect = (
        f"={cells.absolute_effect}" if inp.absolute else f"={cells.rate_with}-{cells.rate_without}"
    )
    _put(ws, row, 1, w.t("x_effect"))
    _put(ws, row, 2, Formula(effect), SHARE)
    rows.effect = _abs(ws, "B", row)
    w.name("effect", rows.effect)
    row += 1
    _put(ws, row, 1, w.t("x_effect_factor"))
    _put(ws, row, 2, Formula(f"=(1-{cells.attribution})*(1-{cells.optimism_effects})"), FACTOR)
    factor = _abs(ws, "B", row)
    row += 1
    _put(ws, row, 1, w.t("x_successes_total"))
    _put(ws, row, 2, Formula(f"={rows.effect}*{factor}*SUM({cells.intake_range})"), NUMBER)
    rows.successes_total = _abs(ws, "B", row)
    w.name("additional_successes_calc", rows.successes_total)
    row += 1
    year_header()
    per_effect_row = row
    _put(ws, row, 1, w.t("x_successes_per_effect"))
    for y in range(n_years):
        terms = [
            f"{cells.intake[y - lag]}*{cells.timing[lag]}"
            for lag in range(len(inp.timing))
            if y - lag >= 0
        ]
        inner = "+".join(terms) if terms else "0"
        _put(ws, row, FIRST_SERIES_COLUMN + y, Formula(f"={factor}*({inner})"), NUMBER)
    row += 1
    _put(ws, row, 1, w.t("x_successes_year"))
    for y in range(n_years):
        _put(
            ws,
            row,
            FIRST_SERIES_COLUMN + y,
            Formula(f"={rows.effect}*{_ycol(y)}{per_effect_row}"),
            NUMBER,
        )
    row += 1
    n_profile = max((len(c.profile) for c in inp.consequences), default=1)
    _header(
        ws,
        row,
        [(1, w.t("x_years_after_success"))]
        + [(FIRST_SERIES_COLUMN + j, j + 1) for j in range(n_profile)],
    )
    row += 1
    decay_row = row
    _put(ws, row, 1, w.t("x_decay"))
    for j in range(n_profile):
        _put(ws, row, FIRST_SERIES_COLUMN + j, Formula(f"=(1-{cells.drop_off})^{j}"), FACTOR)
    row += 1

    # unit prices ----------------------------------------------------------------------------
    section(w.t("x_unit_prices"))
    _header(
        ws,
        row,
        [
            (1, w.t("entry")),
            (2, w.t("x_price_factor")),
            (3, w.t("x_price_per_unit")),
            *[
                (4 + a, w.t("x_price_actor", actor=w.actor(actor)))
                for a, actor in enumerate(ACTORS)
            ],
        ],
    )
    row += 1
    price_cells: list[list[str]] = []
    for k, c in enumerate(inp.consequences):
        _put(ws, row, 1, c.name)
        _put(ws, row, 2, _factor_formula(cells.c_year[k], cells), FACTOR)
        _put(ws, row, 3, Formula(f"={cells.c_value[k]}*B{row}*{cells.c_conversion[k]}"), KR2)
        refs = []
        for a in range(len(ACTORS)):
            _put(
                ws,
                row,
                4 + a,
                Formula(f"={cells.c_sign[k]}*$C{row}*{cells.c_shares[k][a]}"),
                KR2,
            )
            refs.append(f"${_col(4 + a)}${row}")
        price_cells.append(refs)
        row += 1

    # units per unit of effect --------------------------------------------------------------------
    section(w.t("x_units"))
    year_header()
    unit_rows: list[int] = []
    for k, c in enumerate(inp.consequences):
        _put(ws, row, 1, c.name)
        _put(ws, row, 3, w.area(c.area))
        for y in range(n_years):
            terms = [
                f"{_ycol(y - j)}${per_effect_row}*{cells.c_profile[k][j]}*${_ycol(j)}${decay_row}"
                for j in range(n_profile)
                if y - j >= 0
            ]
            _put(ws, row, FIRST_SERIES_COLUMN + y, _sum_terms(terms), NUMBER)
        unit_rows.append(row)
        row += 1

    # gains per unit of effect, per consequence and actor --------------------------------------
    section(w.t("x_gains_per_effect_rows"))
    year_header()
    g_first = row
    for k, c in enumerate(inp.consequences):
        for a, actor in enumerate(ACTORS):
            _put(ws, row, 1, c.name)
            _put(ws, row, 2, w.actor(actor))
            _put(ws, row, 3, w.area(c.area))
            for y in range(n_years):
                _put(
                    ws,
                    row,
                    FIRST_SERIES_COLUMN + y,
                    Formula(f"=-{_ycol(y)}${unit_rows[k]}*{price_cells[k][a]}"),
                    KR,
                )
            row += 1
    g_last = row - 1

    # cost lines -------------------------------------------------------------------------------
    section(w.t("x_cost_rows"))
    _header(
        ws,
        row,
        [
            (1, ""),
            (2, w.t("x_col_actor")),
            (3, w.t("x_col_area")),
            (4, w.t("x_price_factor")),
            (5, w.t("x_price_per_unit")),
        ]
        + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
    )
    row += 1
    c_first = row
    uplift = f"(1+{cells.optimism_costs})"
    for i, p in enumerate(inp.costs):
        _put(ws, row, 1, p.name)
        _put(ws, row, 2, w.actor(p.actor))
        _put(ws, row, 3, w.area(p.area))
        _put(ws, row, 4, _factor_formula(cells.p_year[i], cells), FACTOR)
        _put(ws, row, 5, Formula(f"={cells.p_amount[i]}*D{row}"), KR2)
        schedule = cells.p_schedule[i]
        for y in range(n_years):
            if p.per_participant:
                terms = [
                    f"{cells.intake[y - lag]}*{schedule[lag]}"
                    for lag in range(len(schedule))
                    if y - lag >= 0
                ]
                inner = "+".join(terms) if terms else "0"
            else:
                inner = schedule[y]
            _put(ws, row, FIRST_SERIES_COLUMN + y, Formula(f"=$E{row}*({inner})*{uplift}"), KR)
        row += 1
    c_last = max(row - 1, c_first)
    if not inp.costs:
        row += 1  # an empty line keeps the SUMIFS ranges valid

    # by actor ----------------------------------------------------------------------------------
    section(w.t("x_by_actor"))
    year_header()

    def gains_range(y: int) -> str:
        return f"{_ycol(y)}${g_first}:{_ycol(y)}${g_last}"

    def costs_range(y: int) -> str:
        return f"{_ycol(y)}${c_first}:{_ycol(y)}${c_last}"

    def line(key: str, who: str, fmt: str, formula: Any) -> int:
        nonlocal row
        _put(ws, row, 1, w.t(key))
        _put(ws, row, 2, who)
        for y in range(n_years):
            _put(ws, row, FIRST_SERIES_COLUMN + y, Formula(formula(y)), fmt)
        row += 1
        return row - 1

    df_c = rows.df_costs
    df_g = rows.df_gains
    for actor in ACTORS:
        who = w.actor(actor)
        r0 = row
        gpe = line(
            "x_gains_per_effect",
            who,
            KR,
            lambda y, r0=r0: f"=SUMIFS({gains_range(y)},$B${g_first}:$B${g_last},$B{r0})",
        )
        gains = line("x_gains_year", who, KR, lambda y, gpe=gpe: f"={rows.effect}*{_ycol(y)}{gpe}")
        costs = line(
            "x_costs_year",
            who,
            KR,
            lambda y, r0=r0: (
                f"=SUMIFS({costs_range(y)},$B${c_first}:$B${c_last},$B{r0})" if inp.costs else "=0"
            ),
        )
        line(
            "x_net_year",
            who,
            KR,
            lambda y, g=gains, c=costs: f"={_ycol(y)}{g}-{_ycol(y)}{c}",
        )
        disc = line(
            "x_disc_net_year",
            who,
            KR,
            lambda y, g=gains, c=costs: (
                f"={_ycol(y)}{g}*{_ycol(y)}${df_g}-{_ycol(y)}{c}*{_ycol(y)}${df_c}"
            ),
        )
        cum = line(
            "x_cumulative",
            who,
            KR,
            lambda y, d=disc, me=row: (
                f"={_ycol(y)}{d}" if y == 0 else f"={_ycol(y - 1)}{me}+{_ycol(y)}{d}"
            ),
        )
        rows.gains_per_effect[actor] = gpe
        rows.gains[actor] = gains
        rows.costs[actor] = costs
        rows.disc_net[actor] = disc
        rows.cumulative[actor] = cum
        rows.stays[actor] = _stays_row(w, ws, row, who, cum, n_years)
        row += 1
        for key, r in (("gains_year", gains), ("costs_year", costs), ("cum", cum)):
            w.name(f"{key}_{actor}", _abs_range(ws, _ycol(0), r, last, r))
        row += 1
    # total over actors
    total = w.t("x_col_total")

    def over_actors(name: dict[str, int]) -> Any:
        return lambda y: "=" + "+".join(f"{_ycol(y)}{name[a]}" for a in ACTORS)

    rows.gains_per_effect["total"] = line(
        "x_gains_per_effect", total, KR, over_actors(rows.gains_per_effect)
    )
    rows.gains["total"] = line("x_gains_year", total, KR, over_actors(rows.gains))
    rows.costs["total"] = line("x_costs_year", total, KR, over_actors(rows.costs))
    g_t, c_t = rows.gains["total"], rows.costs["total"]
    line("x_net_year", total, KR, lambda y: f"={_ycol(y)}{g_t}-{_ycol(y)}{c_t}")
    rows.disc_net["total"] = line("x_disc_net_year", total, KR, over_actors(rows.disc_net))
    rows.cumulative["total"] = line("x_cumulative", total, KR, over_actors(rows.cumulative))
    rows.stays["total"] = _stays_row(w, ws, row, total, rows.cumulative["total"], n_years)
    row += 1
    w.name(
        "cum_total",
        _abs_range(ws, _ycol(0), rows.cumulative["total"], last, rows.cumulative["total"]),
    )

    # by area -------------------------------------------------------------------------------------
    section(w.t("x_by_area"))
    year_header()
    areas = [
        a for a in AREAS if a in {c.area for c in inp.consequences} | {p.area for p in inp.costs}
    ]
    for area in areas:
        name = w.area(area)
        r_g = row
        _put(ws, row, 1, w.t("x_gains_year"))
        _put(ws, row, 3, name)
        for y in range(n_years):
            _put(
                ws,
                row,
                FIRST_SERIES_COLUMN + y,
                Formula(
                    f"={rows.effect}*SUMIFS({gains_range(y)},$C${g_first}:$C${g_last},$C{r_g})"
                ),
                KR,
            )
        row += 1
        _put(ws, row, 1, w.t("x_costs_year"))
        _put(ws, row, 3, name)
        for y in range(n_years):
            formula = (
                f"=SUMIFS({costs_range(y)},$C${c_first}:$C${c_last},$C{row})" if inp.costs else "=0"
            )
            _put(ws, row, FIRST_SERIES_COLUMN + y, Formula(formula), KR)
        rows.area_gains[area] = r_g
        rows.area_costs[area] = row
        row += 1
    ws.freeze_panes = "B3"
    return rows


def _stays_row(w: _Writer, ws: Worksheet, row: int, who: str, cum: int, n_years: int) -> int:
    """1 where the cumulative row stays ≥ 0 (within the engine's tolerance) to the horizon."""
    _put(ws, row, 1, w.t("x_stays"))
    _put(ws, row, 2, who)
    for y in range(n_years):
        ok = f"{_ycol(y)}{cum}>=-{BREAK_EVEN_TOLERANCE}"
        formula = (
            f"=IF({ok},1,0)" if y == n_years - 1 else f"=IF(AND({ok},{_ycol(y + 1)}{row}=1),1,0)"
        )
        _put(ws, row, FIRST_SERIES_COLUMN + y, Formula(formula), "0")
    return row


# -- results -------------------------------------------------------------------------------------


def _results_sheet(
    w: _Writer,
    ws: Worksheet,
    result: Result,
    inp: SheetInputs,
    cells: _InputCells,
    calc: _CalcRows,
) -> None:
    calc_ws = w.wb[w.t("x_sheet_calc")]
    n_years = len(inp.years)
    last = calc.last_col
    ws.column_dimensions["A"].width = 52
    for column in "BCDE":
        ws.column_dimensions[column].width = 18
    _put(ws, 1, 1, w.t("x_results_title"), font=TITLE)
    _put(ws, 2, 1, result.case.name)
    _put(ws, 3, 1, w.t("x_results_point"))
    row = 5
    who = [*ACTORS, "total"]
    _header(
        ws,
        row,
        [(1, w.t("key_figures"))]
        + [(2 + i, w.actor(a) if a != "total" else w.t("x_col_total")) for i, a in enumerate(who)],
    )
    row += 1

    def calc_row(r: int) -> str:
        return _abs_range(calc_ws, _ycol(0), r, last, r)

    df_g = calc_row(calc.df_gains)
    df_c = calc_row(calc.df_costs)
    none = w.t("x_no_flows")
    never = w.t("never")
    no_break_even = w.t("x_no_break_even")

    def line(key: str, fmt: str, formula: Any, name: str | None) -> int:
        nonlocal row
        _put(ws, row, 1, w.t(key))
        for i, a in enumerate(who):
            _put(ws, row, 2 + i, Formula(formula(a, _col(2 + i))), fmt)
            if name:
                w.name(f"{name}_{a}", _abs(ws, _col(2 + i), row))
        row += 1
        return row - 1

    g = line(
        "gains",
        KR,
        lambda a, c: f"=SUMPRODUCT({calc_row(calc.gains[a])},{df_g})",
        "gains",
    )
    c = line(
        "costs",
        KR,
        lambda a, col: f"=SUMPRODUCT({calc_row(calc.costs[a])},{df_c})",
        "costs",
    )
    line("npv", KR, lambda a, col: f"={col}{g}-{col}{c}", "npv")
    line(
        "return_per_krone",
        NUMBER,
        lambda a, col: f'=IF({col}{c}>0,{col}{g}/{col}{c},"{none}")',
        "return_per_krone",
    )
    involved = row + 3  # helper row written below
    years = _abs_range(calc_ws, _ycol(0), calc.year_row, last, calc.year_row)

    def break_even_year(a: str, col: str) -> str:
        found = f'IFERROR(INDEX({years},MATCH(1,{calc_row(calc.stays[a])},0)),"{no_break_even}")'
        if a == "total":
            return "=" + found
        return f'=IF({col}${involved}=0,"{none}",{found})'

    line("break_even_year", YEAR, break_even_year, "break_even_year")
    gpe = line(
        "x_gains_per_effect",
        KR,
        lambda a, col: f"=SUMPRODUCT({calc_row(calc.gains_per_effect[a])},{df_g})",
        None,
    )
    baseline = "0" if inp.absolute else cells.rate_without
    be_key = "break_even_effect" if inp.absolute else "break_even_rate"

    def break_even_rate(a: str, col: str) -> str:
        solved = (
            f"IF({col}{c}<=0,{baseline}+0,IF({col}{gpe}>0,{baseline}+{col}{c}/{col}{gpe},"
            f'"{never}"))'
        )
        if a == "total":
            return "=" + solved
        return f'=IF({col}${involved}=0,"{none}",{solved})'

    line(be_key, SHARE, break_even_rate, "break_even_rate")
    assert row == involved
    line(
        "x_involved",
        "0",
        lambda a, col: (
            "=1"
            if a == "total"
            else f"=IF(SUMPRODUCT(ABS({calc_row(calc.gains[a])}))"
            f"+SUMPRODUCT(ABS({calc_row(calc.costs[a])}))>0,1,0)"
        ),
        None,
    )
    row += 1
    _put(ws, row, 1, w.t("x_successes_row"))
    _put(ws, row, 5, Formula(f"={calc.successes_total}"), NUMBER)
    w.name("additional_successes", _abs(ws, "E", row))
    successes = row
    row += 1
    _put(ws, row, 1, w.t("cost_per_success"))
    _put(ws, row, 5, Formula(f'=IF(E{successes}>0,E{c}/E{successes},"{none}")'), KR)
    w.name("cost_per_success", _abs(ws, "E", row))
    row += 2

    # committees
    committees = result.case.committees or {}
    if committees:
        areas_used = set(calc.area_gains)
        _header(
            ws,
            row,
            [(1, w.t("committee")), (2, w.t("x_committee_areas")), (5, w.t("npv"))],
        )
        row += 1
        mapped: set[str] = set()
        groups: list[tuple[str, list[str]]] = []
        for name, members in committees.items():
            groups.append((name, [str(a) for a in members]))
            mapped |= set(members)
        rest: list[str] = [a for a in AREAS if a in areas_used and a not in mapped]
        if rest:
            groups.append((w.t("not_mapped"), rest))
        for n, (title, group) in enumerate(groups, start=1):
            terms = [
                f"SUMPRODUCT({calc_row(calc.area_gains[a])},{df_g})"
                f"-SUMPRODUCT({calc_row(calc.area_costs[a])},{df_c})"
                for a in group
                if a in areas_used
            ]
            _put(ws, row, 1, title)
            _put(ws, row, 2, ", ".join(w.area(a) for a in group))
            _put(ws, row, 5, _sum_terms(terms), KR)
            w.name(f"npv_committee_{n}", _abs(ws, "E", row))
            row += 1
        row += 1

    # cumulative per year, with a chart
    _put(ws, row, 1, w.t("x_chart_cumulative"), font=SECTION)
    row += 1
    _header(
        ws,
        row,
        [(1, w.t("x_col_year"))]
        + [(2 + i, w.actor(a) if a != "total" else w.t("x_col_total")) for i, a in enumerate(who)],
    )
    head = row
    row += 1
    for y, year in enumerate(inp.years):
        _put(ws, row, 1, year, YEAR)
        for i, a in enumerate(who):
            _put(ws, row, 2 + i, Formula(f"={_abs(calc_ws, _ycol(y), calc.cumulative[a])}"), KR)
        row += 1
    chart = LineChart()
    chart.title = w.t("x_chart_cumulative")
    chart.height = 8
    chart.width = 18
    chart.add_data(
        Reference(ws, min_col=2, max_col=5, min_row=head, max_row=head + n_years),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=head + n_years))
    ws.add_chart(chart, f"G{head}")


# -- values only: state-transition cases --------------------------------------------------------


def _number(value: float | None) -> float | str:
    return "–" if value is None else value


def _values_results(w: _Writer, ws: Worksheet, result: Result) -> None:
    ws.column_dimensions["A"].width = 52
    for column in "BCDE":
        ws.column_dimensions[column].width = 18
    _put(ws, 1, 1, w.t("x_results_title").split("(")[0].strip(), font=TITLE)
    _put(ws, 2, 1, result.case.name)
    _put(ws, 3, 1, w.t("x_results_values"), font=BOLD)
    row = 5
    who = [*ACTORS, "total"]
    _header(
        ws,
        row,
        [(1, w.t("key_figures"))]
        + [(2 + i, w.actor(a) if a != "total" else w.t("x_col_total")) for i, a in enumerate(who)],
    )
    row += 1
    gains = result.discounted_gains_by_actor()
    costs = result.discounted_costs_by_actor()
    npv = result.npv_by_actor()
    rpk = result.return_per_krone_by_actor()
    be = result.break_even_year_by_actor()
    table: list[tuple[str, str, dict[str, Any]]] = [
        ("gains", KR, {**gains, "total": sum(gains.values())}),
        ("costs", KR, {**costs, "total": sum(costs.values())}),
        ("npv", KR, {**npv, "total": result.npv_total}),
        ("return_per_krone", NUMBER, {**rpk, "total": result.return_per_krone}),
        ("break_even_year", YEAR, {**be, "total": result.break_even_year}),
    ]
    for key, fmt, values in table:
        _put(ws, row, 1, w.t(key))
        for i, a in enumerate(who):
            value = values[a]
            if key == "break_even_year" and value is None:
                value = w.t("x_no_break_even") if a == "total" else w.t("x_no_flows")
            _put(ws, row, 2 + i, _number(value), fmt)
        row += 1
    committees = result.by_committee()
    if committees:
        row += 1
        _header(ws, row, [(1, w.t("committee")), (2, w.t("x_committee_areas")), (5, w.t("npv"))])
        row += 1
        for item in committees:
            _put(ws, row, 1, item["committee"] or w.t("not_mapped"))
            _put(ws, row, 2, ", ".join(w.area(a) for a in item["areas"] or []))
            _put(ws, row, 5, item["npv"], KR)
            row += 1


def _values_yearly(w: _Writer, ws: Worksheet, result: Result) -> None:
    ws.column_dimensions["A"].width = 40
    _put(ws, 1, 1, w.t("x_yearly_title"), font=TITLE)
    _put(ws, 2, 1, w.t("x_results_values"), font=BOLD)
    row = 4
    _header(
        ws,
        row,
        [(1, ""), (2, w.t("x_col_actor"))]
        + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(result.years)],
    )
    row += 1
    yearly = result.yearly_by_actor()
    cumulative = result.cumulative_by_actor()
    series = [
        ("x_gains_year", yearly["gains"]),
        ("x_costs_year", yearly["costs"]),
        ("x_net_year", yearly["net"]),
        ("x_disc_net_year", yearly["discounted_net"]),
        ("x_cumulative", cumulative),
    ]
    for k, actor in enumerate(ACTORS):
        for key, values in series:
            _put(ws, row, 1, w.t(key))
            _put(ws, row, 2, w.actor(actor))
            for y in range(len(result.years)):
                _put(ws, row, FIRST_SERIES_COLUMN + y, float(values[k, y]), KR)
            row += 1
        row += 1
    _put(ws, row, 1, w.t("x_cumulative"))
    _put(ws, row, 2, w.t("x_col_total"))
    for y, value in enumerate(result.cumulative_total().tolist()):
        _put(ws, row, FIRST_SERIES_COLUMN + y, value, KR)


def _values_outcomes(w: _Writer, ws: Worksheet, result: Result) -> None:
    table = result.outcome_table()
    assert table is not None
    ws.column_dimensions["A"].width = 40
    _put(ws, 1, 1, w.t("outcomes_title"), font=TITLE)
    _put(ws, 2, 1, w.t("x_results_values"), font=BOLD)
    row = 4
    _header(
        ws,
        row,
        [
            (1, w.t("x_outcome")),
            (2, w.t("arm_comparator")),
            (3, w.t("x_arm_intervention")),
            (4, w.t("difference")),
        ],
    )
    row += 1
    for name, values in table["outcomes"].items():
        _put(ws, row, 1, name)
        _put(ws, row, 2, values["comparator"], NUMBER)
        _put(ws, row, 3, values["intervention"], NUMBER)
        _put(ws, row, 4, values["difference"], NUMBER)
        row += 1
    if table["ratios"]:
        row += 1
        _header(ws, row, [(1, w.t("x_ratio")), (2, w.t("x_col_value"))])
        row += 1
        for name, ratio in table["ratios"].items():
            _put(ws, row, 1, f"{name} ({ratio['numerator']} / {ratio['denominator']})")
            _put(ws, row, 2, _number(ratio["value"]), NUMBER)
            row += 1


# -- Monte Carlo summaries (values) ----------------------------------------------------------------


def _uncertainty_sheet(w: _Writer, ws: Worksheet, result: Result) -> None:
    u = result.uncertainty()
    assert u is not None
    ws.column_dimensions["A"].width = 46
    for column in "BCDEFG":
        ws.column_dimensions[column].width = 16
    _put(ws, 1, 1, w.t("x_uncertainty_title", draws=u["draws"], seed=u["seed"]), font=TITLE)
    _put(ws, 2, 1, w.t("x_results_values"), font=BOLD)
    row = 4
    columns = [
        ("mean", "u_mean"),
        ("sd", "x_sd"),
        ("p05", "u_p05"),
        ("p50", "u_p50"),
        ("p95", "u_p95"),
    ]

    def block(
        title: str,
        items: list[tuple[str, dict[str, Any] | None]],
        fmt: str,
        extra: tuple[str, str] | None,
    ) -> None:
        nonlocal row
        heads = [(1, title)] + [(2 + i, w.t(key)) for i, (_, key) in enumerate(columns)]
        if extra is not None:
            heads.append((2 + len(columns), w.t(extra[1])))
        _header(ws, row, heads)
        row += 1
        for name, stats in items:
            if stats is None:
                continue
            _put(ws, row, 1, name)
            for i, (key, _) in enumerate(columns):
                _put(ws, row, 2 + i, _number(stats[key]), fmt)
            if extra is not None:
                _put(ws, row, 2 + len(columns), stats[extra[0]], SHARE)
            row += 1
        row += 1

    actors = [(w.actor(a), u["by_actor"][a]) for a in ACTORS]
    involved = result.actors_involved()
    actors = [item for item, ok in zip(actors, involved, strict=True) if ok]
    block(
        w.t("npv"),
        [(w.t("x_col_total"), u["total"]), *actors],
        KR,
        ("prob_positive", "u_prob_positive"),
    )
    block(w.t("return_per_krone"), [(w.t("x_col_total"), u["return_per_krone"])], NUMBER, None)
    block(w.t("x_successes_row"), [(w.t("x_col_total"), u["additional_successes"])], NUMBER, None)
    be_key = (
        "break_even_effect" if result.break_even_basis == "absolute_effect" else ("break_even_rate")
    )
    if result.break_even_basis is not None:
        rate = u["break_even_success_rate"]
        items = [(w.t("x_col_total"), rate["total"])] + [
            (w.actor(a), rate["by_actor"][a]) for a in ACTORS
        ]
        block(w.t(be_key), items, SHARE, ("prob_never", "x_prob_never"))
    _header(ws, row, [(1, w.t("x_break_even_year_dist")), (2, w.t("x_share_of_draws"))])
    row += 1
    for key, share in u["break_even_year"]["distribution"].items():
        _put(
            ws,
            row,
            1,
            w.t("x_no_break_even") if key == "none" else int(key),
            YEAR if key != "none" else None,
        )
        _put(ws, row, 2, share, SHARE)
        row += 1


# -- one-way sensitivity (values) ---------------------------------------------------------------


def _sensitivity_sheet(w: _Writer, ws: Worksheet, sens: Sensitivity) -> None:
    from socialinvest.analysis.sensitivity import input_kind
    from socialinvest.output.analysis_tables import input_label

    ws.column_dimensions["A"].width = 52
    for letter in "BCDEFGHIJKLM":
        ws.column_dimensions[letter].width = 15
    _put(ws, 1, 1, w.t("x_sensitivity_title"), font=TITLE)
    _put(ws, 2, 1, w.t("x_results_values"), font=BOLD)
    _put(ws, 3, 1, w.t("tornado_note"))
    row = 5
    _put(ws, row, 1, w.t("sens_point", total="").rstrip(": "), font=BOLD)
    _put(ws, row, 2, sens.npv_point["total"], KR)
    row += 2
    who = [*ACTORS, "total"]
    heads: list[tuple[int, Any]] = [
        (1, w.t("input")),
        (2, w.t("point_value")),
        (3, w.t("low")),
        (4, w.t("high")),
        (5, w.t("swing")),
    ]
    column = 6
    for a in who:
        name = w.actor(a) if a != "total" else w.t("x_col_total")
        heads.append((column, f"{w.t('npv')}, {name}: {w.t('low').lower()}"))
        heads.append((column + 1, f"{w.t('npv')}, {name}: {w.t('high').lower()}"))
        column += 2
    _header(ws, row, heads)
    row += 1
    formats = {"share": SHARE, "effect": SHARE, "uplift": SHARE, "money": KR, "count": COUNT}
    for item in sens.one_way:
        fmt = formats.get(input_kind(item.path)[0], NUMBER)
        label_text = input_label(item.path, sens.names, w.lang)
        _put(ws, row, 1, label_text + (" *" if item.basis == "given" else ""))
        _put(ws, row, 2, item.point, fmt)
        _put(ws, row, 3, item.low, fmt)
        _put(ws, row, 4, item.high, fmt)
        _put(ws, row, 5, item.swing, KR)
        column = 6
        for a in who:
            _put(ws, row, column, item.npv_low.get(a, 0.0), KR)
            _put(ws, row, column + 1, item.npv_high.get(a, 0.0), KR)
            column += 2
        row += 1
