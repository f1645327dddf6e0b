"""Errors meant for users: one sentence naming the file, line, field, value and what is expected.

Everything a user can get wrong (a case file, a knowledge-base reference, a command-line option) is
reported as an :class:`InputError`. The command line prints its message and exits with code 2; it
never shows a traceback for a user's mistake.
"""

from __future__ import annotations

import re
from typing import Any

_MAX_VALUE_CHARS = 60
_PLAIN_KEY = re.compile(r"^[^\W\d][\w\- ]*$")


def field_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """A field's path as users write it: ``consequences[0].ref``; odd keys are quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part) and part.strip() == part:
            out += ("." if out else "") + part
        else:
            out += f"[{part!r}]"
    return out


def show_value(value: Any) -> str:
    """A short, readable rendering of an offending value for an error message."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "empty"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        keys = [field_path((str(k),)) for k in list(value)[:5]]
        text = "a mapping with keys " + ", ".join(keys) if keys else "an empty mapping"
    elif isinstance(value, list):
        if 0 < len(value) <= 6 and all(isinstance(v, int | float | str) for v in value):
            text = "[" + ", ".join(show_value(v) for v in value) + "]"
        else:
            text = f"a list of {len(value)} item" + ("" if len(value) == 1 else "s")
    else:
        text = str(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    return text


def _printable(text: str) -> str:
    """Escape control and line-breaking characters so a message stays on one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(Exception):
    """A mistake in what the user gave us, explained in one sentence."""

    def __init__(
        self,
        expected: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: Any = None,
        has_value: bool = True,
        problem: str | None = None,
        statement: str | None = None,
    ) -> None:
        self.problem = problem
        self.statement = statement
        self.file = file
        self.line = line
        self.field = field
        self.value = value
        self.has_value = has_value
        self.expected = expected
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = ", ".join(
            part
            for part in (self.file or "", f"line {self.line}" if self.line is not None else "")
            if part
        )
        expected = self.expected.rstrip(".")
        if self.statement:
            subject = f"field '{self.field}': " if self.field else ""
            body = f"{subject}{self.statement.rstrip('.')}."
        elif self.field and self.problem:
            body = f"field '{self.field}' {self.problem}; expected {expected}."
        elif self.field and self.has_value:
            body = f"field '{self.field}' has {show_value(self.value)}; expected {expected}."
        elif self.field:
            body = f"field '{self.field}': expected {expected}."
        elif self.has_value and self.value is not None:
            body = f"the value {show_value(self.value)} is wrong; expected {expected}."
        else:
            body = f"expected {expected}."
        message = f"{where}: {body}" if where else body[0].upper() + body[1:]
        return _printable(message)

    def located(self, file: str | None = None, line: int | None = None) -> InputError:
        """The same error with a file (and line) filled in where it was missing."""
        return InputError(
            self.expected,
            file=self.file or file,
            line=self.line if self.line is not None else line,
            field=self.field,
            value=self.value,
            has_value=self.has_value,
            problem=self.problem,
            statement=self.statement,
        )


class KnowledgeBaseError(Exception):
    """The bundled knowledge base itself is broken (a developer's mistake, not a user's)."""
