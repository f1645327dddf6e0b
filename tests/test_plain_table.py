"""`output/plain.py` writes the characters Rich prints for the same tables on a console that is
not a terminal: compared with Rich itself (the peer) on the examples and on random tables at
widths down to where Rich's padding no longer fits."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from socialinvest import service
from socialinvest.output.plain import (
    ONE_CELL_RANGES,
    Column,
    Grid,
    Line,
    Span,
    _known,
    plain_console,
    write,
)
from socialinvest.output.table import blocks, to_rich

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def rich_text(parts: list, width: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False, markup=False, emoji=False)
    console.print(to_rich(parts))
    return buffer.getvalue()


def test_every_character_counted_as_one_cell_is_one_cell_for_rich():
    one_cell = {chr(c) for start, end in ONE_CELL_RANGES for c in range(start, end + 1)}
    assert all(cell_len(c) == 1 for c in one_cell)
    assert cell_len("…") == 1  # the ellipsis a cut cell ends with
    for code in range(0x3000):  # and every other character is left to Rich
        assert _known(chr(code)) == (chr(code) in one_cell or chr(code) == "\n"), hex(code)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_examples_read_as_rich_prints_them(example):
    result = service.appraise(service.load(example), draws=1)
    for lang in ("da", "en"):
        parts = blocks(result, lang)
        for width in (120, 100, 72, 50, 36):
            assert write(parts, width) == rich_text(parts, width), (lang, width)


WORDS = [
    "kr.",
    "1.234.567",
    "-2.775",
    "36,6 %",
    "–",
    "Kommune",
    "Beskæftigelsesudvalget",
    "år",
    "Sundheds-",
    "og",
    "Kulturudvalget",
    "benefits/cash-benefit/30-plus-without-children",
    "0",
    "1,80",
    "(2023)",
    "DKK 12,345.67",
    "x",
    "ØØØØØØØØØØØØØØØØØØØØØØØØØ",
    "fra",
    "uge",
    "Δ",
    "“citat”",
    "…",
    "½",
    "",
]


def random_text(rng: random.Random, lines: int = 1) -> str:
    out = []
    for _ in range(lines):
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 6))]
        out.append(rng.choice([" ", "  ", " "]).join(words) + rng.choice(["", "", " "]))
    return "\n".join(out)


def random_grid(rng: random.Random) -> Grid:
    columns = [
        Column(
            random_text(rng),
            justify=rng.choice(["left", "right"]),
            overflow=rng.choice(["ellipsis", "fold"]),
            style=rng.choice(["", "bold"]),
        )
        for _ in range(rng.randint(1, 7))
    ]
    grid = Grid(random_text(rng), columns)
    for _ in range(rng.randint(0, 6)):
        row = []
        for _ in columns:
            if rng.random() < 0.2:
                row.append((Span(random_text(rng)), Span("\n"), Span(random_text(rng), "dim")))
            else:
                row.append(random_text(rng, rng.choice([1, 1, 1, 2, 3])))
        grid.add_row(*row)
    return grid


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_read_as_rich_prints_them(seed):
    rng = random.Random(seed)
    parts = [Line(random_text(rng, 2), style="bold"), random_grid(rng), random_grid(rng)]
    checked = 0
    for width in (140, 120, 90, 60, 45, 33, 25, 18):
        mine = write(parts, width)
        if mine is None:  # a column left no room inside its padding: Rich prints it
            continue
        assert mine == rich_text(parts, width), width
        checked += 1
    assert checked >= 3


def test_unknown_widths_are_left_to_rich():
    for text in ("宽字符", "e\u0301", "tab\there", "nbsp\u00a0ok\u200b"):
        assert write([Line(text)], 80) is None
        assert write([Grid("t", [Column("a")], [[text]])], 80) is None


def test_the_plain_writer_is_used_only_where_rich_writes_plain_characters(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert plain_console(io.StringIO())
    assert plain_console(None)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not plain_console(Terminal())
    assert not plain_console(io.TextIOWrapper(io.BytesIO(), encoding="latin-1"))
    monkeypatch.setenv("FORCE_COLOR", "1")  # the user's setting: Rich writes styles
    assert not plain_console(io.StringIO())
    # Rich 13 (the project accepts 13.7 and later) counts FORCE_COLOR as a terminal whatever its
    # value ("If FORCE_COLOR env var has any value at all, we assume a terminal", rich 13.7.1
    # console.py), beside TTY_COMPATIBLE=0 too (a setting Rich 13 does not know): Rich decides
    monkeypatch.setenv("FORCE_COLOR", "")
    assert not plain_console(io.StringIO())
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not plain_console(io.StringIO())
    monkeypatch.delenv("FORCE_COLOR")
    assert plain_console(io.StringIO())
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert not plain_console(io.StringIO())


@pytest.mark.parametrize("force_color", [None, "", "0", "1"])
@pytest.mark.parametrize("tty_compatible", [None, "", "0", "1", "2"])
def test_the_plain_writer_is_used_only_where_this_rich_is_no_terminal(
    monkeypatch, force_color, tty_compatible
):
    for name, value in (("FORCE_COLOR", force_color), ("TTY_COMPATIBLE", tty_compatible)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if plain_console(io.StringIO()):
        assert not Console(file=io.StringIO()).is_terminal
