"""Every output is checked finite before anything is written (docs/limits.md).

A result that holds NaN or infinity would be written as ``NaN``/``Infinity``, which is not JSON,
and would mislead in a table. :func:`check_payload` finds the first such number in what is about
to be written and raises one sentence naming the input that caused it: a formula that gives no
finite number is caught where it is evaluated (:func:`formula_error`); otherwise the input of
largest magnitude, when one is large enough to overflow, is named; otherwise the output field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from socialinvest.errors import InputError, field_path, msg

Path_ = tuple[str | int, ...]
LARGE = 1e15  # an input this large (in absolute value) can overflow sums, products and powers


def first_non_finite(data: Any, path: Path_ = ()) -> Path_ | None:
    """The path of the first NaN or infinite float in nested dicts, lists and arrays."""
    stack: list[tuple[Any, Path_]] = [(data, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return where
        elif isinstance(item, dict):
            stack.extend((v, (*where, str(k))) for k, v in reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(item))))
        elif hasattr(item, "dtype") and hasattr(item, "shape"):
            import numpy as np

            if item.dtype.kind == "f":
                bad = np.argwhere(~np.isfinite(item))
                if len(bad):
                    return (*where, *(int(i) for i in bad[0]))
    return None


def _numbers(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, float]]:
    stack: list[tuple[Any, Path_]] = [(data, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int | float):
            yield where, float(item)
        elif isinstance(item, dict):
            stack.extend((v, (*where, str(k))) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(item))


def check_payload(payload: Any, sources: list[Any] | None = None) -> None:
    """Raise one sentence if ``payload`` holds a non-finite number. ``sources`` are the
    LoadedCase(s) or Case(s) the payload came from, to name the input that caused it."""
    where = first_non_finite(payload)
    if where is None:
        return
    output = field_path(where)
    for source in sources or []:
        found = _largest_input(source)
        if found is not None:
            file, line, path, value = found
            raise InputError(
                msg("e_input_overflows", output=output),
                file=file,
                line=line,
                field=field_path(path),
                value=value,
            )
    raise InputError("", statement=msg("e_result_not_finite", output=output))


def _source(source: Any) -> tuple[Any, str | None, Any] | None:
    """(data, file, line_of) of a LoadedCase or a Case (its fields as the file writes them)."""
    document = getattr(source, "document", None)
    if document is not None and document.data is not None:
        return document.data, document.file, document.line_of
    case = getattr(source, "case", source)
    if not hasattr(case, "model_dump"):
        return None
    data = case.model_dump(mode="python", by_alias=True, exclude_none=True)
    lines = dict(getattr(case, "_source_lines", {}) or {})

    def line_of(path: Path_) -> int | None:
        for cut in range(len(path), -1, -1):
            if tuple(path[:cut]) in lines:
                return int(lines[tuple(path[:cut])])
        return None

    return data, getattr(case, "_source_file", None), line_of


def _largest_input(source: Any) -> tuple[str | None, int | None, Path_, float] | None:
    """(file, line, path, value) of the input of largest magnitude, if it is large."""
    found = _source(source)
    if found is None:
        return None
    data, file, line_of = found
    largest = max(_numbers(data), key=_magnitude, default=None)
    if largest is None or _magnitude(largest) < LARGE:
        return None
    return file, line_of(largest[0]), largest[0], largest[1]


def _magnitude(item: tuple[Path_, float]) -> float:
    """How large the numbers an input stands for can be: a lognormal's meanlog and sdlog act
    through exp()."""
    path, value = item
    if path and path[-1] in ("meanlog", "sdlog"):
        return math.exp(min(abs(value), 709.0))
    return abs(value)


def locate(data: Any, value: Any) -> Path_ | None:
    """The path of the first field in ``data`` whose value is ``value`` (a formula's text)."""
    stack: list[tuple[Any, Path_]] = [(data, ())]
    while stack:
        item, where = stack.pop(0)
        if isinstance(item, dict):
            stack.extend((v, (*where, str(k))) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(item))
        elif item == value and isinstance(item, type(value)):
            return where
    return None


def formula_error(text: str, loaded: Any, path: Path_ | None = None) -> InputError:
    """A formula that gives a value that is not a finite number, named in its case file."""
    found = _source(loaded)
    file, line = None, None
    if found is not None:
        data, file, line_of = found
        path = path if path is not None else locate(data, text)
        line = line_of(path) if path is not None else None
    return InputError(
        msg("e_formula_not_finite"),
        file=file,
        line=line,
        field=field_path(path) if path else None,
        value=text,
    )
