"""Tables and lines as plain text, laid out as Rich lays them out, without importing Rich.

`socialinvest run` prints its tables with Rich on a terminal. When the output goes to a pipe or a
file, Rich writes no colours or styles, only characters; this module writes those same characters
(same column widths, collapsing, word wrapping and folding, the same box), so the command need not
import and run Rich (~40 ms of its start-up). It follows Rich 13–15's `Table` with the settings
`output/table.py` uses: the heavy-head box, edges shown, padding of one space each side, no
expansion, a left-justified title, columns justified left or right with "ellipsis" or "fold"
overflow. :func:`write` returns ``None`` for any text whose width it cannot be sure of (characters
outside the ranges Rich itself counts as one cell wide, and a few punctuation marks checked against
Rich in the tests), or a column too narrow for its padding; the caller then uses Rich.
``tests/test_plain_table.py`` compares the output with Rich's on varied tables and widths.
"""

from __future__ import annotations

import itertools
import re
from typing import Final, Literal, NamedTuple

# One cell wide in a terminal: the ranges Rich's `cells.py` treats as single-cell, plus general
# punctuation (dashes, quotes, bullets, the ellipsis, per mille) and currency signs, which Rich's
# width table also gives one cell (checked character by character in the tests).
ONE_CELL_RANGES: Final = (
    (0x20, 0x7E),
    (0xA0, 0xAC),
    (0xAE, 0x2FF),
    (0x370, 0x482),
    (0x2010, 0x2027),
    (0x2030, 0x205E),
    (0x20A0, 0x20C0),
    (0x2500, 0x25FC),
)
_OTHER: Final = re.compile(
    "[^\n" + "".join(f"\\U{start:08x}-\\U{end:08x}" for start, end in ONE_CELL_RANGES) + "]"
)

_WORD: Final = re.compile(r"\s*\S+\s*")  # a word and the whitespace around it, as Rich wraps
_TRAILING_SPACE: Final = re.compile(r"\s+$")
_ELLIPSIS: Final = "…"

Justify = Literal["left", "right"]
Overflow = Literal["ellipsis", "fold"]


class Span(NamedTuple):
    """A piece of text with the Rich style it has on a terminal (not shown in plain text)."""

    text: str
    style: str = ""


#: A table cell: plain text, or styled pieces (joined as they are).
Cell = str | tuple[Span, ...]


class Line(NamedTuple):
    """A line (or lines) of text printed on its own, wrapped at the width."""

    text: str
    style: str = ""


class Column(NamedTuple):
    header: str
    justify: Justify = "left"
    overflow: Overflow = "ellipsis"
    style: str = ""


class Grid:
    """A table: a title above it, the columns and the rows of cells."""

    def __init__(self, title: str, columns: list[Column], rows: list[list[Cell]] | None = None):
        self.title = title
        self.columns = columns
        self.rows = rows if rows is not None else []

    def add_row(self, *cells: Cell) -> None:
        self.rows.append(list(cells))


Block = Line | Grid


def cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else "".join(span.text for span in cell)


def write(blocks: list[Block], width: int) -> str | None:
    """The blocks as Rich prints them on a console of ``width`` columns that is not a terminal,
    or None when a text holds characters whose width this module does not know."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Line):
            if not _known(block.text):
                return None
            out.extend(_wrap_plain(block.text, width))
            continue
        grid = _grid(block, width)
        if grid is None:
            return None
        out.extend(grid)
    # the console crops every line to its width
    return "".join(line[:width] + "\n" for line in out)


def _known(text: str) -> bool:
    return _OTHER.search(text) is None


# --- text wrapping (Rich's Text.wrap with its divide_line) -----------------------------------


def _divide(text: str, width: int, fold: bool) -> list[int]:
    """Offsets to break ``text`` at so that each piece fits in ``width`` cells."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if fold:
                pieces = [word[i : i + width] for i in range(0, len(word), width)]
                for i, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    if i == len(pieces) - 1:
                        offset = len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _pieces(line: str, width: int, fold: bool) -> list[str]:
    bounds = [0, *_divide(line, width, fold), len(line)]
    pieces = []
    for start, end in itertools.pairwise(bounds):
        piece = line[start:end]
        if len(piece) > width:  # trailing whitespace beyond the width goes
            found = _TRAILING_SPACE.search(piece)
            if found is not None:
                piece = piece[: len(piece) - min(len(found.group(0)), len(piece) - width)]
        pieces.append(piece)
    return pieces


def _truncate(text: str, width: int, overflow: str) -> str:
    if len(text) > width:
        return text[: max(width - 1, 0)] + _ELLIPSIS if overflow == "ellipsis" else text[:width]
    return text


def _wrap(text: str, width: int, justify: str, overflow: str) -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        for piece in _pieces(line, width, overflow == "fold"):
            if justify == "left":
                piece = _truncate(piece, width, overflow).ljust(width)
            elif justify == "right":
                piece = _truncate(piece.rstrip(), width, overflow)
                piece = " " * (width - len(piece)) + piece
            lines.append(_truncate(piece, width, overflow))
    return lines


def _wrap_plain(text: str, width: int) -> list[str]:
    """A text printed on its own: wrapped, not justified, long words folded."""
    return _wrap(text, width, "default", "fold")


# --- tables (Rich's Table with the heavy-head box) -------------------------------------------


def _measure_column(texts: list[str], max_width: int) -> int:
    """The width a column's cells want with their padding, at most ``max_width`` (Rich's
    Measurement of a padded Text: its longest line plus the padding; the whole width when the
    padding leaves no room)."""
    if max_width < 1:
        return 0
    if max_width < 3:
        return max_width
    widest = max(len(line) for text in texts for line in [*text.splitlines(), ""])
    return min(widest + 2, max_width)


def _ratio_reduce(
    total: int, ratios: list[int], maximums: list[int], values: list[int]
) -> list[int]:
    ratios = [ratio if top else 0 for ratio, top in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result = []
    for ratio, top, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            distributed = min(top, round(ratio * remaining / total_ratio))
            result.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _collapse(widths: list[int], max_width: int) -> list[int]:
    total = sum(widths)
    excess = total - max_width
    while total and excess > 0:
        widest = max(widths)
        second = max(w if w != widest else 0 for w in widths)
        difference = widest - second
        ratios = [1 if w == widest else 0 for w in widths]
        if not any(ratios) or not difference:
            break
        widths = _ratio_reduce(excess, ratios, [min(excess, difference)] * len(widths), widths)
        total = sum(widths)
        excess = total - max_width
    return widths


def _column_widths(texts: list[list[str]], max_width: int) -> list[int]:
    widths = [_measure_column(column, max_width) or 1 for column in texts]
    if sum(widths) > max_width:
        widths = _collapse(widths, max_width)
        if sum(widths) > max_width:
            excess = sum(widths) - max_width
            widths = _ratio_reduce(excess, [1] * len(widths), widths, widths)
        widths = [_measure_column(column, w) for column, w in zip(texts, widths, strict=True)]
    return widths


def _grid(grid: Grid, width: int) -> list[str] | None:
    columns = grid.columns
    body = [[cell_text(cell) for cell in row] for row in grid.rows]
    texts = [[c.header] + [row[i] for row in body] for i, c in enumerate(columns)]
    if not all(_known(t) for column in texts for t in column) or not _known(grid.title):
        return None
    extra = len(columns) + 1  # the edges and the lines between columns
    widths = _column_widths(texts, width - extra)
    for w, column in zip(widths, texts, strict=True):
        if w < 3 and not (w == 2 and not any(column)):  # no room inside the padding
            return None
    table_width = sum(widths) + extra
    out: list[str] = []
    if grid.title:  # Rich shows no empty title
        out.extend(line[:width] for line in _wrap(grid.title, table_width, "left", "fold"))
    out.append("┏" + "┳".join("━" * w for w in widths) + "┓")
    rows = [[c.header for c in columns], *body]
    for index, row in enumerate(rows):
        cells = [
            [" " + line + " " for line in _wrap(text, w - 2, column.justify, column.overflow)]
            if w > 2
            else ["  "]
            for text, w, column in zip(row, widths, columns, strict=True)
        ]
        height = max(len(cell) for cell in cells)
        for cell, w in zip(cells, widths, strict=True):
            blank = [" " * w] * (height - len(cell))
            cell[:] = blank + cell if index == 0 else cell + blank  # header cells sit at the bottom
        edge = "┃" if index == 0 else "│"
        out.extend(edge + edge.join(cell[i] for cell in cells) + edge for i in range(height))
        if index == 0:
            out.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    out.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return out


def plain_console(file: object) -> bool:
    """Whether a Rich console writing to ``file`` would write plain characters, as :func:`write`
    does: not a terminal by Rich's rules (``FORCE_COLOR``, ``TTY_COMPATIBLE`` and a Jupyter
    kernel make it one: the user's settings keep winning), UTF-8 (Rich draws an ASCII box
    otherwise), not Windows' console. Any ``FORCE_COLOR``, even empty or beside
    ``TTY_COMPATIBLE=0``, leaves the choice to Rich: Rich 13 counts it as a terminal whatever its
    value (the project accepts Rich 13.7 and later), Rich 14 and 15 not when it is empty or
    ``TTY_COMPATIBLE`` is 0."""
    import builtins
    import os
    import sys

    if sys.platform == "win32" or hasattr(builtins, "get_ipython"):
        return False
    if os.environ.get("TTY_COMPATIBLE") == "1" or "FORCE_COLOR" in os.environ:
        return False
    isatty = getattr(file, "isatty", None)
    try:
        if isatty is not None and isatty():
            return False
    except ValueError:  # a closed file: Rich counts it as no terminal
        pass
    encoding = (getattr(file, "encoding", None) or "utf-8").lower()
    return encoding.startswith("utf")
