"""`socialinvest run`: appraise case files and print or write the results, without typer.

The command is declared with typer in :mod:`socialinvest.cli.commands` (its help, its usage
errors); its work is :func:`run_cases`, here, so that :func:`socialinvest.cli.main` can run a
plain, valid `run` command line (:func:`read_args`) without importing typer and building its
parser (~30 ms of the command's start-up). Anything :func:`read_args` does not accept word for
word (help, an unknown or repeated option, a value typer would refuse or convert) goes through
typer, as before.
"""

from __future__ import annotations

import os
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from socialinvest.errors import InputError, msg

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from socialinvest.service import DaskChunks


class Lang(StrEnum):
    da = "da"
    en = "en"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def echo_err(message: str) -> None:
    """One line on standard error, as ``typer.echo(message, err=True)`` writes it (typer strips
    terminal escape codes when standard error is not a terminal, and writes UTF-8 where Python's
    standard error is set to ASCII, e.g. PYTHONIOENCODING=ascii, instead of Python's
    backslash escapes: those cases go to typer)."""
    if "\x1b" in message or not _encodable(message, sys.stderr):
        import typer

        typer.echo(message, err=True)
        return
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _encodable(message: str, stream: IO[str]) -> bool:
    try:
        message.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def fail(error: InputError, lang: str = "da") -> NoReturn:
    """The error as one sentence on standard error, exit code 2."""
    from socialinvest.output.messages import text

    echo_err(text(lang, "err_prefix") + error.render(lang))
    raise SystemExit(2)


def console(file: IO[str] | None = None) -> Console:
    from rich.console import Console

    width = None if sys.stdout.isatty() else 120
    # markup and emoji codes off: labels from case files are printed as plain text
    return Console(file=file, width=width, highlight=False, markup=False, emoji=False)


def deliver(
    content: str | bytes,
    out: Path | None,
    lang: str,
    inputs: list[Path] | None = None,
    on_error: Callable[[InputError, str], object] = fail,
) -> None:
    """Print ``content``, or write it to ``out`` all or nothing (a clear error if it cannot;
    never over one of the command's ``inputs``); ``on_error`` reports the error and exits."""
    if out is None:
        sys.stdout.write(content if isinstance(content, str) else content.decode())
        return
    from socialinvest.output.files import write_output
    from socialinvest.output.messages import text

    try:
        write_output(out, content, inputs or [])
    except InputError as error:
        on_error(error, lang)
    echo_err(text(lang, "written", file=out))


def chunk_mapper(scheduler: str | None, workers: int | None, draws: int) -> DaskChunks | None:
    """The Dask chunk mapper asked for by --scheduler or --workers (None: run in this process)."""
    from socialinvest.limits import check_draws, check_workers

    check_draws(draws)
    check_workers(workers)
    if scheduler is None and workers is None:
        return None
    option = "--scheduler" if scheduler is not None else "--workers"
    if scheduler is not None and workers is not None:
        raise InputError("", field=option, statement=msg("c_scheduler_or_workers"))
    if draws < 2:
        raise InputError("", field=option, statement=msg("c_dask_needs_draws"))
    from socialinvest import service

    return service.dask_chunks(scheduler=scheduler, workers=workers)


def run_cases(
    cases: list[Path],
    lang: Lang = Lang.da,
    fmt: Format = Format.table,
    out: Path | None = None,
    draws: int = 1,
    seed: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> None:
    """What `socialinvest run` does with its arguments."""
    from contextlib import ExitStack

    from socialinvest import service
    from socialinvest.output.files import to_csv, to_json
    from socialinvest.output.progress import DelayedProgress

    try:
        results = []
        with ExitStack() as stack:
            chunks = chunk_mapper(scheduler, workers, draws)
            if chunks is not None:
                stack.callback(chunks.close)
            for path in cases:
                with DelayedProgress(f"{path.name}") as progress:
                    results.append(
                        service.appraise(
                            service.load(path),
                            draws=draws,
                            seed=seed,
                            progress=progress.update,
                            map_chunks=chunks,
                        )
                    )
        from socialinvest.finite import check_payload

        for result in results:  # nothing is printed or written unless every number is finite
            check_payload(result.to_dict(), [result.case])
    except InputError as error:
        fail(error, lang.value)
    if fmt is Format.json:
        content = to_json(results)
    elif fmt is Format.csv:
        content = to_csv(results, lang.value)
    else:
        plain = plain_tables(cases, results, lang.value, hints=out is None)
        if plain is not None and out is None:
            sys.stdout.write(plain)
            return
        if plain is not None:
            deliver(plain, out, lang.value, list(cases))
            return
        import io

        from socialinvest.output.table import render

        if out is None:
            shown = console()
            for path, result in zip(cases, results, strict=True):
                shown.print(render(result, lang.value))
                if result.case.contract is not None:
                    from socialinvest.output.messages import text

                    shown.print(text(lang.value, "contract_hint", file=path), style="dim")
                shown.print()
            return
        buffer = io.StringIO()
        written = console(buffer)
        written.width = 120
        for result in results:
            written.print(render(result, lang.value))
            written.print()
        content = buffer.getvalue()
    deliver(content, out, lang.value, list(cases))


def plain_tables(cases: list[Path], results: list[Any], lang: str, hints: bool) -> str | None:
    """`run`'s tables as plain text, the characters Rich prints when the output is not a
    terminal (a pipe or ``--out``), without importing Rich; None when Rich must print them (a
    terminal, or a text whose width output/plain.py does not know)."""
    from socialinvest.output.plain import Line, plain_console, write
    from socialinvest.output.table import blocks

    if not plain_console(sys.stdout if hints else None):
        return None
    shown = []
    for path, result in zip(cases, results, strict=True):
        parts = blocks(result, lang)
        if hints and result.case.contract is not None:
            from socialinvest.output.messages import text

            parts.append(Line(text(lang, "contract_hint", file=path), style="dim"))
        content = write(parts, 120)
        if content is None:
            return None
        shown.append(content + "\n")
    return "".join(shown)


# --- reading a plain `run` command line without typer ----------------------------------------

_POSITIVE = re.compile(r"[1-9][0-9]{0,17}")
_COUNT = re.compile(r"0|[1-9][0-9]{0,17}")
# option → (parameter, how its value is read: a function returning None to refuse it)
_OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {}


def _choice(kind: type[StrEnum]) -> Callable[[str], Any]:
    return lambda value: kind(value) if value in kind.__members__ else None


def _number(pattern: re.Pattern[str]) -> Callable[[str], Any]:
    return lambda value: int(value) if pattern.fullmatch(value) else None


def _path(value: str) -> Path | None:
    """A path as typer's Path parameter gives it (readable: an existing file that cannot be
    read is typer's usage error, so typer reports it)."""
    try:
        os.stat(value)
    except (OSError, ValueError):
        return Path(value)
    return Path(value) if os.access(value, os.R_OK) else None


for _names, _parameter, _read in (
    (("--lang",), "lang", _choice(Lang)),
    (("--format", "-f"), "fmt", _choice(Format)),
    (("--out", "-o"), "out", _path),
    (("--draws", "-n"), "draws", _number(_POSITIVE)),
    (("--seed", "-s"), "seed", _number(_COUNT)),
    (("--scheduler",), "scheduler", lambda value: value),
    (("--workers",), "workers", _number(_POSITIVE)),
):
    for _name in _names:
        _OPTIONS[_name] = (_parameter, _read)


def read_args(args: list[str]) -> dict[str, Any] | None:
    """The arguments of :func:`run_cases` for ``run CASE… [OPTION VALUE]…``, or None for any
    command line typer should read: another command, help, an option not written as
    ``--name value``, ``--name=value`` or ``-x value``, an option given twice, an empty value or
    one starting with ``-``, a value typer would refuse, no case file."""
    if not args or args[0] != "run" or "_SOCIALINVEST_COMPLETE" in os.environ:
        return None
    values: dict[str, Any] = {"cases": []}
    rest = args[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg and not arg.startswith("-"):
            path = _path(arg)
            if path is None:
                return None
            values["cases"].append(path)
            i += 1
            continue
        if not arg:
            return None
        name, equals, value = arg.partition("=")
        if equals and not name.startswith("--"):
            return None
        if name not in _OPTIONS:
            return None
        if not equals:
            if i + 1 == len(rest):
                return None
            value = rest[i + 1]
            i += 1
        i += 1
        parameter, read = _OPTIONS[name]
        if parameter in values or not value or value.startswith("-"):
            return None
        parsed = read(value)
        if parsed is None:
            return None
        values[parameter] = parsed
    return values if values["cases"] else None
