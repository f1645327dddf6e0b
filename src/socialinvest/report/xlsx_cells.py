"""Cells, styles and references shared by the sheets of the XLSX report (internal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from socialinvest.output.messages import actor_labels, area_labels
from socialinvest.report.xlsx_labels import label

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


def column_letter(column: int) -> str:
    return get_column_letter(column)


def ycol(index: int) -> str:
    """Column letter of year (or lag) ``index`` of a series."""
    return get_column_letter(FIRST_SERIES_COLUMN + index)


def series_widths(ws: Worksheet, count: int, width: float) -> None:
    """Set the width of the first ``count`` columns of the series (years or lags)."""
    for index in range(count):
        ws.column_dimensions[ycol(index)].width = width


def cell_ref(sheet: Worksheet, column: str, row: int) -> str:
    return f"'{sheet.title}'!${column}${row}"


def range_ref(sheet: Worksheet, c1: str, r1: int, c2: str, r2: int) -> str:
    return f"'{sheet.title}'!${c1}${r1}:${c2}${r2}"


@dataclass
class Writer:
    """The workbook being written, its language, and the defined names collected so far."""

    wb: Workbook
    lang: str
    names: dict[str, str] = field(default_factory=dict)

    def t(self, key: str, **kwargs: object) -> str:
        return label(self.lang, key, **kwargs)

    def actor(self, actor: str) -> str:
        return actor_labels(self.lang)[actor]

    def area(self, area: str) -> str:
        return area_labels(self.lang).get(area, area)

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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Formula(str):
    """A cell formula written by the report. Any other text that starts with "=" (a case's
    name, a cost line's name, a source) is written as text, never as a formula."""


def put(
    ws: Worksheet,
    row: int,
    column: int,
    value: Any,
    number_format: str | None = None,
    *,
    is_input: bool = False,
    font: Font | None = None,
) -> None:
    """Write one cell: a number, a text or a :class:`Formula`, with its format and style."""
    cell = ws.cell(row=row, column=column, value=value)
    if cell.data_type == "f" and not isinstance(value, Formula):
        cell.data_type = "s"
    if isinstance(value, str) and not isinstance(value, Formula) and value[:1] in FORMULA_STARTS:
        # text a spreadsheet could take for a formula when the cell is edited: marked as text
        # (Excel's leading apostrophe), so it is shown and never executed
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format is not None:
        cell.number_format = number_format
    if is_input:
        cell.fill = INPUT_FILL
    if font is not None:
        cell.font = font


def status_cell(w: Writer, ws: Worksheet, row: int, column: int, status: str) -> None:
    put(ws, row, column, w.status(status))
    if status == "assumption":
        ws.cell(row=row, column=column).fill = ASSUMPTION_FILL
        ws.cell(row=row, column=column).font = BOLD


def header_row(ws: Worksheet, row: int, values: list[tuple[int, Any]]) -> None:
    for column, value in values:
        put(ws, row, column, value)
        cell = ws.cell(row=row, column=column)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
