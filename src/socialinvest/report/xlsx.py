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
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.worksheet import Worksheet

from socialinvest.knowledge.base import KnowledgeBase, default_knowledge_base
from socialinvest.output.files import write_atomically
from socialinvest.output.messages import unit_label
from socialinvest.report.xlsx_cells import (
    BOLD,
    BREAK_EVEN_TOLERANCE,
    COUNT,
    FACTOR,
    FIRST_SERIES_COLUMN,
    KR,
    KR2,
    NUMBER,
    RATE,
    SECTION,
    SHARE,
    TITLE,
    YEAR,
    Formula,
    Writer,
    cell_ref,
    column_letter,
    header_row,
    put,
    range_ref,
    series_widths,
    status_cell,
    ycol,
)
from socialinvest.report.xlsx_inputs import SheetInputs, sheet_inputs
from socialinvest.report.xlsx_values import (
    contract_sheet,
    results_header,
    sensitivity_sheet,
    uncertainty_sheet,
    values_outcomes,
    values_results,
    values_yearly,
)
from socialinvest.vocabulary import ACTORS, AREAS

if TYPE_CHECKING:
    from socialinvest.analysis.sensitivity import Sensitivity
    from socialinvest.report.content import ContractView, ReportData
    from socialinvest.result import Result


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
        contract=data.contract,
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
    contract: ContractView | None = None,
) -> Workbook:
    """The report workbook of ``result`` in ``lang``.

    ``kb`` must be the knowledge base the result was appraised with (default: the bundled one);
    the result's knowledge-base digest is checked against it. ``sensitivity``: the one-way
    analysis to show (values). ``charts``: embed the report's charts (PNG) on the sheets of
    values; the live Results sheet has a native chart that follows its formulas.
    """
    from socialinvest.knowledge.local import with_local_prices

    # a case's local prices are laid over the knowledge base, as when it was appraised
    knowledge = with_local_prices(
        kb or default_knowledge_base(), result.case.local_prices, result.file
    )
    if knowledge.digest != result.knowledge_base_digest:
        raise ValueError(
            "the result was appraised with another knowledge base than the one given "
            f"({result.knowledge_base_digest[:12]} vs {knowledge.digest[:12]})"
        )
    w = Writer(Workbook(), lang)
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
        values_results(w, ws, result)
        if images is not None:
            images.place(ws, ["cumulative", "flows"], column="H", row=5)
        values_yearly(w, w.sheet("x_sheet_yearly"), result)
        if result.outcome_table() is not None:
            values_outcomes(w, w.sheet("x_sheet_outcomes"), result)
    if result.draws > 1:
        ws = w.sheet("x_sheet_uncertainty")
        uncertainty_sheet(w, ws, result)
        if images is not None:
            images.place(ws, ["histogram"], column="I", row=4)
    if sensitivity is not None and sensitivity.one_way:
        ws = w.sheet("x_sheet_sensitivity")
        sensitivity_sheet(w, ws, sensitivity)
        if images is not None:
            images.place(ws, ["tornado"], column="A", row=ws.max_row + 3)
    if contract is not None:
        contract_sheet(w, w.sheet("x_sheet_contract"), contract)
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


# -- about ---------------------------------------------------------------------------------------


def _about(w: Writer, ws: Worksheet, result: Result, live: bool, created: dt.date) -> None:
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
        put(ws, row, 1, value, font=font)
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


def _inputs_sheet(w: Writer, ws: Worksheet, result: Result, inp: SheetInputs) -> _InputCells:
    cells = _InputCells()
    ws.column_dimensions["A"].width = 58
    for column in "BCDE":
        ws.column_dimensions[column].width = 16
    series_widths(ws, max(len(inp.years), 9), 14)
    put(ws, 1, 1, w.t("x_inputs_title"), font=TITLE)
    put(ws, 2, 1, w.t("x_about_colours"))
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
        put(ws, row, 1, key_text)
        put(ws, row, 2, value, fmt, is_input=is_input)
        put(ws, row, 3, unit)
        if status is not None:
            status_cell(w, ws, row, 4, status)
        put(ws, row, 5, note)
        ref = cell_ref(ws, "B", row)
        if name:
            w.name(name, ref)
        row += 1
        return ref

    def section(title: str) -> None:
        nonlocal row
        row += 1
        put(ws, row, 1, title, font=SECTION)
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
    header_row(
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
    put(ws, row, 1, w.t("x_measure", measure=inp.measure))
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
    header_row(
        ws,
        row,
        [(1, w.t("x_years_after_intake"))]
        + [(FIRST_SERIES_COLUMN + j, j + 1) for j in range(len(inp.timing))],
    )
    row += 1
    put(ws, row, 1, w.t("x_timing"))
    put(ws, row, 3, w.t("x_share_unit"))
    put(ws, row, 5, uncertain_note("success.timing"))
    for j, share in enumerate(inp.timing):
        put(ws, row, FIRST_SERIES_COLUMN + j, share, SHARE, is_input=True)
        cells.timing.append(cell_ref(ws, ycol(j), row))
    w.name("timing", range_ref(ws, ycol(0), row, ycol(len(inp.timing) - 1), row))
    row += 1

    # intake by year
    section(w.t("x_target_group", description=result.case.target_group.description))
    header_row(
        ws,
        row,
        [(1, w.t("x_col_year"))]
        + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
    )
    row += 1
    put(ws, row, 1, w.t("x_intake"))
    put(ws, row, 3, w.t("x_count"))
    put(ws, row, 5, uncertain_note("target_group"))
    for y, value in enumerate(inp.intake):
        put(ws, row, FIRST_SERIES_COLUMN + y, value, COUNT, is_input=True)
        cells.intake.append(cell_ref(ws, ycol(y), row))
    cells.intake_range = range_ref(ws, ycol(0), row, ycol(len(inp.years) - 1), row)
    w.name("intake", cells.intake_range)
    row += 1

    # discount rates
    def bands(title: str, items: tuple[tuple[int, float], ...], source: str) -> tuple[str, str]:
        nonlocal row
        section(title)
        header_row(ws, row, [(1, ""), (2, w.t("x_from_year")), (3, w.t("x_rate"))])
        row += 1
        first = row
        for n, (start, rate) in enumerate(items, start=1):
            put(ws, row, 1, w.t("x_band", n=n))
            put(ws, row, 2, start, "0", is_input=True)
            put(ws, row, 3, rate, RATE, is_input=True)
            put(ws, row, 5, source)
            row += 1
        return (
            range_ref(ws, "B", first, "B", row - 1),
            range_ref(ws, "C", first, "C", row - 1),
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
    header_row(ws, row, [(1, ""), (2, w.t("x_col_year")), (3, w.t("x_index")), (5, w.t("source"))])
    row += 1
    first = row
    records = {int(r["year"]): r for r in result.price_index_used}
    index_years = sorted(set(inp.price_index) | {inp.price_year})
    for year in index_years:
        record = records.get(year, {})
        put(ws, row, 1, w.t("x_index_year", year=year))
        put(ws, row, 2, year, YEAR)
        put(ws, row, 3, inp.price_index.get(year), NUMBER, is_input=True)
        if record:
            status_cell(w, ws, row, 4, str(record.get("status", "official")))
            put(ws, row, 5, str(record.get("source", "")))
        row += 1
    cells.index_years = range_ref(ws, "B", first, "B", row - 1)
    cells.index_values = range_ref(ws, "C", first, "C", row - 1)

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
    header_row(ws, row, price_columns)
    row += 1
    for k, c in enumerate(inp.consequences):
        put(ws, row, 1, c.name)
        put(ws, row, 2, c.value, KR2, is_input=True)
        put(ws, row, 3, unit_label(w.lang, c.price_unit))
        put(ws, row, 4, c.value_year, YEAR, is_input=True)
        put(ws, row, 5, c.conversion, FACTOR, is_input=True)
        put(ws, row, 6, c.sign, "0", is_input=True)
        for a in range(len(ACTORS)):
            put(ws, row, 7 + a, c.shares[a], SHARE, is_input=True)
        put(ws, row, 10, w.t(f"x_unit_{c.unit}"))
        put(ws, row, 11, w.area(c.area))
        status_cell(w, ws, row, 12, c.status)
        source = c.source + (f" [{c.ref}]" if c.ref else "")
        if c.split_basis not in ("case", "explicit shares"):
            source += f"; {c.split_basis}"
        kinds = uncertain_kinds(f"consequences[{k}]")
        source += f"; {kinds}" if kinds else ""
        put(ws, row, 13, source)
        cells.c_value.append(cell_ref(ws, "B", row))
        cells.c_year.append(cell_ref(ws, "D", row))
        cells.c_conversion.append(cell_ref(ws, "E", row))
        cells.c_sign.append(cell_ref(ws, "F", row))
        cells.c_shares.append([cell_ref(ws, column_letter(7 + a), row) for a in range(len(ACTORS))])
        w.name(f"price_{k + 1}", cell_ref(ws, "B", row))
        w.name(f"shares_{k + 1}", range_ref(ws, "G", row, "I", row))
        row += 1

    # consequences: profiles
    section(w.t("x_profiles"))
    n_profile = max((len(c.profile) for c in inp.consequences), default=1)
    header_row(
        ws,
        row,
        [(1, w.t("x_years_after_success")), (3, w.t("x_col_unit"))]
        + [(FIRST_SERIES_COLUMN + j, j + 1) for j in range(n_profile)],
    )
    row += 1
    for k, c in enumerate(inp.consequences):
        put(ws, row, 1, c.name)
        put(ws, row, 3, w.t(f"x_unit_{c.unit}"))
        refs = []
        for j in range(n_profile):
            value = c.profile[j] if j < len(c.profile) else 0.0
            put(ws, row, FIRST_SERIES_COLUMN + j, value, NUMBER, is_input=True)
            refs.append(cell_ref(ws, ycol(j), row))
        cells.c_profile.append(refs)
        w.name(
            f"profile_{k + 1}",
            range_ref(ws, ycol(0), row, ycol(n_profile - 1), row),
        )
        row += 1

    # costs
    section(w.t("x_costs"))
    header_row(
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
        put(ws, row, 1, p.name)
        put(ws, row, 2, p.amount, KR, is_input=True)
        put(ws, row, 3, w.t("x_kr"))
        put(ws, row, 4, p.price_year, YEAR, is_input=True)
        put(ws, row, 5, kind)
        put(ws, row, 6, w.actor(p.actor))
        put(ws, row, 7, w.area(p.area))
        note = uncertain_note(f"intervention.costs[{i}]")
        put(ws, row, 8, note)
        cells.p_amount.append(cell_ref(ws, "B", row))
        cells.p_year.append(cell_ref(ws, "D", row))
        w.name(f"cost_{i + 1}", cell_ref(ws, "B", row))
        row += 1
    cells.p_schedule = [[] for _ in inp.costs]
    participant = [i for i, p in enumerate(inp.costs) if p.per_participant]
    calendar = [i for i, p in enumerate(inp.costs) if not p.per_participant]
    if participant:
        section(w.t("x_cost_schedule_participant"))
        width = max(len(inp.costs[i].schedule) for i in participant)
        header_row(
            ws,
            row,
            [(1, w.t("x_years_after_intake"))]
            + [(FIRST_SERIES_COLUMN + j, j + 1) for j in range(width)],
        )
        row += 1
        for i in participant:
            put(ws, row, 1, inp.costs[i].name)
            put(ws, row, 3, w.t("x_count"))
            for j in range(width):
                value = inp.costs[i].schedule[j] if j < len(inp.costs[i].schedule) else 0.0
                put(ws, row, FIRST_SERIES_COLUMN + j, value, NUMBER, is_input=True)
                cells.p_schedule[i].append(cell_ref(ws, ycol(j), row))
            row += 1
    if calendar:
        section(w.t("x_cost_schedule_calendar"))
        header_row(
            ws,
            row,
            [(1, w.t("x_col_year"))]
            + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
        )
        row += 1
        for i in calendar:
            put(ws, row, 1, inp.costs[i].name)
            for y in range(len(inp.years)):
                put(ws, row, FIRST_SERIES_COLUMN + y, inp.costs[i].schedule[y], "0", is_input=True)
                cells.p_schedule[i].append(cell_ref(ws, ycol(y), row))
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


def _calc_sheet(w: Writer, ws: Worksheet, inp: SheetInputs, cells: _InputCells) -> _CalcRows:
    rows = _CalcRows()
    n_years = len(inp.years)
    last = ycol(n_years - 1)
    rows.last_col = last
    ws.column_dimensions["A"].width = 52
    for column in "BCDE":
        ws.column_dimensions[column].width = 14
    series_widths(ws, n_years + 1, 14)
    put(ws, 1, 1, w.t("x_calc_title"), font=TITLE)
    row = 3

    def section(title: str) -> None:
        nonlocal row
        row += 1
        put(ws, row, 1, title, font=SECTION)
        row += 1

    def year_header() -> None:
        nonlocal row
        header_row(
            ws,
            row,
            [(1, ""), (2, w.t("x_col_actor")), (3, w.t("x_col_area"))]
            + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
        )
        row += 1

    # discounting ---------------------------------------------------------------------------
    section(w.t("x_discounting"))
    header_row(
        ws,
        row,
        [(1, w.t("x_col_year"))]
        + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
    )
    rows.year_row = row
    w.name("years", range_ref(ws, ycol(0), row, last, row))
    row += 1
    time_row = row
    put(ws, row, 1, w.t("x_time"))
    for t in range(n_years + 1):
        put(ws, row, FIRST_SERIES_COLUMN + t, t, "0")
    row += 1

    def df_rows(bands: tuple[str, str], rate_key: str, time_key: str, df_key: str) -> int:
        nonlocal row
        rate_row = row
        put(ws, row, 1, w.t(rate_key))
        for t in range(n_years + 1):
            put(
                ws,
                row,
                FIRST_SERIES_COLUMN + t,
                Formula(f"=LOOKUP({ycol(t)}{time_row},{bands[0]},{bands[1]})"),
                RATE,
            )
        row += 1
        at_row = row
        put(ws, row, 1, w.t(time_key))
        put(ws, row, FIRST_SERIES_COLUMN, 1, FACTOR)
        for t in range(1, n_years + 1):
            put(
                ws,
                row,
                FIRST_SERIES_COLUMN + t,
                Formula(f"={ycol(t - 1)}{at_row}/(1+{ycol(t - 1)}{rate_row})"),
                FACTOR,
            )
        row += 1
        put(ws, row, 1, w.t(df_key))
        at_range = f"${ycol(0)}${at_row}:${ycol(n_years)}${at_row}"
        for y in range(n_years):
            put(
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
        put(ws, row, 1, w.t("x_df_gains"))
        for y in range(n_years):
            put(
                ws,
                row,
                FIRST_SERIES_COLUMN + y,
                Formula(f"={ycol(y)}{rows.df_costs}"),
                FACTOR,
            )
        row += 1
    w.name("df_costs", range_ref(ws, ycol(0), rows.df_costs, last, rows.df_costs))
    w.name("df_gains", range_ref(ws, ycol(0), rows.df_gains, last, rows.df_gains))

    # successes -----------------------------------------------------------------------------
    section(w.t("x_success"))
    effect = (
        f"={cells.absolute_effect}" if inp.absolute else f"={cells.rate_with}-{cells.rate_without}"
    )
    put(ws, row, 1, w.t("x_effect"))
    put(ws, row, 2, Formula(effect), SHARE)
    rows.effect = cell_ref(ws, "B", row)
    w.name("effect", rows.effect)
    row += 1
    put(ws, row, 1, w.t("x_effect_factor"))
    put(ws, row, 2, Formula(f"=(1-{cells.attribution})*(1-{cells.optimism_effects})"), FACTOR)
    factor = cell_ref(ws, "B", row)
    row += 1
    put(ws, row, 1, w.t("x_successes_total"))
    put(ws, row, 2, Formula(f"={rows.effect}*{factor}*SUM({cells.intake_range})"), NUMBER)
    rows.successes_total = cell_ref(ws, "B", row)
    w.name("additional_successes_calc", rows.successes_total)
    row += 1
    year_header()
    per_effect_row = row
    put(ws, row, 1, w.t("x_successes_per_effect"))
    for y in range(n_years):
        terms = [
            f"{cells.intake[y - lag]}*{cells.timing[lag]}"
            for lag in range(len(inp.timing))
            if y - lag >= 0
        ]
        inner = "+".join(terms) if terms else "0"
        put(ws, row, FIRST_SERIES_COLUMN + y, Formula(f"={factor}*({inner})"), NUMBER)
    row += 1
    put(ws, row, 1, w.t("x_successes_year"))
    for y in range(n_years):
        put(
            ws,
            row,
            FIRST_SERIES_COLUMN + y,
            Formula(f"={rows.effect}*{ycol(y)}{per_effect_row}"),
            NUMBER,
        )
    row += 1
    n_profile = max((len(c.profile) for c in inp.consequences), default=1)
    header_row(
        ws,
        row,
        [(1, w.t("x_years_after_success"))]
        + [(FIRST_SERIES_COLUMN + j, j + 1) for j in range(n_profile)],
    )
    row += 1
    decay_row = row
    put(ws, row, 1, w.t("x_decay"))
    for j in range(n_profile):
        put(ws, row, FIRST_SERIES_COLUMN + j, Formula(f"=(1-{cells.drop_off})^{j}"), FACTOR)
    row += 1

    # unit prices ----------------------------------------------------------------------------
    section(w.t("x_unit_prices"))
    header_row(
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
        put(ws, row, 1, c.name)
        put(ws, row, 2, _factor_formula(cells.c_year[k], cells), FACTOR)
        put(ws, row, 3, Formula(f"={cells.c_value[k]}*B{row}*{cells.c_conversion[k]}"), KR2)
        refs = []
        for a in range(len(ACTORS)):
            put(
                ws,
                row,
                4 + a,
                Formula(f"={cells.c_sign[k]}*$C{row}*{cells.c_shares[k][a]}"),
                KR2,
            )
            refs.append(f"${column_letter(4 + a)}${row}")
        price_cells.append(refs)
        row += 1

    # units per unit of effect --------------------------------------------------------------------
    section(w.t("x_units"))
    year_header()
    unit_rows: list[int] = []
    for k, c in enumerate(inp.consequences):
        put(ws, row, 1, c.name)
        put(ws, row, 3, w.area(c.area))
        for y in range(n_years):
            terms = [
                f"{ycol(y - j)}${per_effect_row}*{cells.c_profile[k][j]}*${ycol(j)}${decay_row}"
                for j in range(n_profile)
                if y - j >= 0
            ]
            put(ws, row, FIRST_SERIES_COLUMN + y, _sum_terms(terms), NUMBER)
        unit_rows.append(row)
        row += 1

    # gains per unit of effect, per consequence and actor --------------------------------------
    section(w.t("x_gains_per_effect_rows"))
    year_header()
    g_first = row
    for k, c in enumerate(inp.consequences):
        for a, actor in enumerate(ACTORS):
            put(ws, row, 1, c.name)
            put(ws, row, 2, w.actor(actor))
            put(ws, row, 3, w.area(c.area))
            for y in range(n_years):
                put(
                    ws,
                    row,
                    FIRST_SERIES_COLUMN + y,
                    Formula(f"=-{ycol(y)}${unit_rows[k]}*{price_cells[k][a]}"),
                    KR,
                )
            row += 1
    g_last = row - 1

    # cost lines -------------------------------------------------------------------------------
    section(w.t("x_cost_rows"))
    header_row(
        ws,
        row,
        [
            (1, ""),
            (2, w.t("x_col_actor")),
            (3, w.t("x_col_area")),
            (4, w.t("x_price_factor")),
            (5, w.t("x_amount_price_year")),
        ]
        + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(inp.years)],
    )
    row += 1
    c_first = row
    uplift = f"(1+{cells.optimism_costs})"
    for i, p in enumerate(inp.costs):
        put(ws, row, 1, p.name)
        put(ws, row, 2, w.actor(p.actor))
        put(ws, row, 3, w.area(p.area))
        put(ws, row, 4, _factor_formula(cells.p_year[i], cells), FACTOR)
        put(ws, row, 5, Formula(f"={cells.p_amount[i]}*D{row}"), KR2)
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
            put(ws, row, FIRST_SERIES_COLUMN + y, Formula(f"=$E{row}*({inner})*{uplift}"), KR)
        row += 1
    c_last = max(row - 1, c_first)
    if not inp.costs:
        row += 1  # an empty line keeps the SUMIFS ranges valid

    # by actor ----------------------------------------------------------------------------------
    section(w.t("x_by_actor"))
    year_header()

    def gains_range(y: int) -> str:
        return f"{ycol(y)}${g_first}:{ycol(y)}${g_last}"

    def costs_range(y: int) -> str:
        return f"{ycol(y)}${c_first}:{ycol(y)}${c_last}"

    def line(key: str, who: str, fmt: str, formula: Any) -> int:
        nonlocal row
        put(ws, row, 1, w.t(key))
        put(ws, row, 2, who)
        for y in range(n_years):
            put(ws, row, FIRST_SERIES_COLUMN + y, Formula(formula(y)), fmt)
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
        gains = line("x_gains_year", who, KR, lambda y, gpe=gpe: f"={rows.effect}*{ycol(y)}{gpe}")
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
            lambda y, g=gains, c=costs: f"={ycol(y)}{g}-{ycol(y)}{c}",
        )
        disc = line(
            "x_disc_net_year",
            who,
            KR,
            lambda y, g=gains, c=costs: (
                f"={ycol(y)}{g}*{ycol(y)}${df_g}-{ycol(y)}{c}*{ycol(y)}${df_c}"
            ),
        )
        cum = line(
            "x_cumulative",
            who,
            KR,
            lambda y, d=disc, me=row: (
                f"={ycol(y)}{d}" if y == 0 else f"={ycol(y - 1)}{me}+{ycol(y)}{d}"
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
            w.name(f"{key}_{actor}", range_ref(ws, ycol(0), r, last, r))
        row += 1
    # total over actors
    total = w.t("x_col_total")

    def over_actors(name: dict[str, int]) -> Any:
        return lambda y: "=" + "+".join(f"{ycol(y)}{name[a]}" for a in ACTORS)

    rows.gains_per_effect["total"] = line(
        "x_gains_per_effect", total, KR, over_actors(rows.gains_per_effect)
    )
    rows.gains["total"] = line("x_gains_year", total, KR, over_actors(rows.gains))
    rows.costs["total"] = line("x_costs_year", total, KR, over_actors(rows.costs))
    g_t, c_t = rows.gains["total"], rows.costs["total"]
    line("x_net_year", total, KR, lambda y: f"={ycol(y)}{g_t}-{ycol(y)}{c_t}")
    rows.disc_net["total"] = line("x_disc_net_year", total, KR, over_actors(rows.disc_net))
    rows.cumulative["total"] = line("x_cumulative", total, KR, over_actors(rows.cumulative))
    rows.stays["total"] = _stays_row(w, ws, row, total, rows.cumulative["total"], n_years)
    row += 1
    w.name(
        "cum_total",
        range_ref(ws, ycol(0), rows.cumulative["total"], last, rows.cumulative["total"]),
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
        put(ws, row, 1, w.t("x_gains_year"))
        put(ws, row, 3, name)
        for y in range(n_years):
            put(
                ws,
                row,
                FIRST_SERIES_COLUMN + y,
                Formula(
                    f"={rows.effect}*SUMIFS({gains_range(y)},$C${g_first}:$C${g_last},$C{r_g})"
                ),
                KR,
            )
        row += 1
        put(ws, row, 1, w.t("x_costs_year"))
        put(ws, row, 3, name)
        for y in range(n_years):
            formula = (
                f"=SUMIFS({costs_range(y)},$C${c_first}:$C${c_last},$C{row})" if inp.costs else "=0"
            )
            put(ws, row, FIRST_SERIES_COLUMN + y, Formula(formula), KR)
        rows.area_gains[area] = r_g
        rows.area_costs[area] = row
        row += 1
    ws.freeze_panes = "B3"
    return rows


def _stays_row(w: Writer, ws: Worksheet, row: int, who: str, cum: int, n_years: int) -> int:
    """1 where the cumulative row stays ≥ 0 (within the engine's tolerance) to the horizon."""
    put(ws, row, 1, w.t("x_stays"))
    put(ws, row, 2, who)
    for y in range(n_years):
        ok = f"{ycol(y)}{cum}>=-{BREAK_EVEN_TOLERANCE}"
        formula = (
            f"=IF({ok},1,0)" if y == n_years - 1 else f"=IF(AND({ok},{ycol(y + 1)}{row}=1),1,0)"
        )
        put(ws, row, FIRST_SERIES_COLUMN + y, Formula(formula), "0")
    return row


# -- results -------------------------------------------------------------------------------------


def _results_sheet(
    w: Writer,
    ws: Worksheet,
    result: Result,
    inp: SheetInputs,
    cells: _InputCells,
    calc: _CalcRows,
) -> None:
    calc_ws = w.wb[w.t("x_sheet_calc")]
    n_years = len(inp.years)
    last = calc.last_col
    row = results_header(w, ws, result, w.t("x_results_title"), w.t("x_results_point"))
    who = [*ACTORS, "total"]

    def calc_row(r: int) -> str:
        return range_ref(calc_ws, ycol(0), r, last, r)

    df_g = calc_row(calc.df_gains)
    df_c = calc_row(calc.df_costs)
    none = w.t("x_no_flows")
    never = w.t("never")
    no_break_even = w.t("x_no_break_even")

    def line(key: str, fmt: str, formula: Any, name: str | None) -> int:
        nonlocal row
        put(ws, row, 1, w.t(key))
        for i, a in enumerate(who):
            put(ws, row, 2 + i, Formula(formula(a, column_letter(2 + i))), fmt)
            if name:
                w.name(f"{name}_{a}", cell_ref(ws, column_letter(2 + i), row))
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
    years = range_ref(calc_ws, ycol(0), calc.year_row, last, calc.year_row)

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
    put(ws, row, 1, w.t("x_successes_row"))
    put(ws, row, 5, Formula(f"={calc.successes_total}"), NUMBER)
    w.name("additional_successes", cell_ref(ws, "E", row))
    successes = row
    row += 1
    put(ws, row, 1, w.t("cost_per_success"))
    put(ws, row, 5, Formula(f'=IF(E{successes}>0,E{c}/E{successes},"{none}")'), KR)
    w.name("cost_per_success", cell_ref(ws, "E", row))
    row += 2

    # committees
    committees = result.case.committees or {}
    if committees:
        areas_used = set(calc.area_gains)
        header_row(
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
            put(ws, row, 1, title)
            put(ws, row, 2, ", ".join(w.area(a) for a in group))
            put(ws, row, 5, _sum_terms(terms), KR)
            w.name(f"npv_committee_{n}", cell_ref(ws, "E", row))
            row += 1
        row += 1

    # cumulative per year, with a chart
    put(ws, row, 1, w.t("x_chart_cumulative"), font=SECTION)
    row += 1
    header_row(
        ws,
        row,
        [(1, w.t("x_col_year"))]
        + [(2 + i, w.actor(a) if a != "total" else w.t("x_col_total")) for i, a in enumerate(who)],
    )
    head = row
    row += 1
    for y, year in enumerate(inp.years):
        put(ws, row, 1, year, YEAR)
        for i, a in enumerate(who):
            put(
                ws,
                row,
                2 + i,
                Formula(f"={cell_ref(calc_ws, ycol(y), calc.cumulative[a])}"),
                KR,
            )
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
