"""Errors meant for users: one sentence naming the file, line, field, value and what is expected.

Everything a user can get wrong (a case file, a knowledge-base reference, a command-line option) is
reported as an :class:`InputError`. The command line prints its message in the user's language
(``error.render(lang)``) and exits with code 2; it never shows a traceback for a user's mistake.

The parts of a message are either plain text (older call sites, English) or a :class:`Msg`: a key
of the message catalogues (``locale/{da,en}/errors.yaml``) with its parameters, rendered in the
language asked for. The frame around them ("file, line N: field 'x' has V; expected …") is in
the catalogues too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_MAX_VALUE_CHARS = 60
# ten digits, with or without the hyphen, or nine (a number that lost its leading zero)
_LIKE_CPR = re.compile(r"(?<!\d)(\d{6}-\d{4}|\d{9,10})(?!\d)")
HIDDEN = "[number not shown]"


def scrub(value: object) -> object:
    """A value safe to put in a message: anything that could be a CPR number is replaced."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int | str):
        text_value = str(value)
        if _LIKE_CPR.search(text_value):
            return _LIKE_CPR.sub(HIDDEN, text_value)
    return value


def hidden_in(text_value: str, lang: str) -> str:
    """``text_value`` with the marker :func:`scrub` left for a hidden number in ``lang``'s
    words ("[nummer ikke vist]" in Danish)."""
    if HIDDEN not in text_value:
        return text_value
    from socialinvest.output.messages import text

    return text_value.replace(HIDDEN, text(lang, "v_hidden_number"))


_PLAIN_KEY = re.compile(r"^[^\W\d][\w\- ]*$")
_PATH_FIRST = re.compile(r"^[^\s,:]*[/.][^\s,:]*[,:]")  # "priser.xlsx, ..." or "dir/x.yaml: ..."


@dataclass(frozen=True)
class Msg:
    """A text from the message catalogues: its key and the values of its placeholders.

    A parameter may itself be a :class:`Msg` (rendered in the same language), a :class:`Shown`
    value (rendered as :func:`show_value` does), a whole number (grouped by the language's
    thousands separator) or anything else (``str``).
    """

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        from socialinvest.output.messages import messages

        return messages(lang)[self.key].format(
            **{k: _param(v, lang) for k, v in self.params.items()}
        )


def msg(key: str, /, **params: Any) -> Msg:
    """A catalogue text with its parameters: ``msg("e_file_too_large", limit=...)``."""
    return Msg(key, dict(params))


@dataclass(frozen=True)
class Alternatives:
    """Words joined by the language's "or": ``investor or guarantor``, ``investor eller …``."""

    words: tuple[str, ...]

    def render(self, lang: str) -> str:
        return (" eller " if lang == "da" else " or ").join(self.words)


@dataclass(frozen=True)
class Joined:
    """Words joined by the language's "and" or "or": ``min, mode and max``, ``min, mode og max``.

    A word may itself be a ``Joined`` (``alpha and beta, or mean and sd``); ``optional`` names
    follow as "(and optionally …)" / "(og eventuelt …)"; no words read "nothing" / "intet".
    """

    words: tuple[Any, ...]
    last: str = "and"
    optional: tuple[str, ...] = ()

    def render(self, lang: str) -> str:
        from socialinvest.output.messages import text as t

        parts = [_param(w, lang) for w in self.words]
        if not parts:
            return t(lang, "w_nothing")
        conjunction = t(lang, "w_or" if self.last == "or" else "w_and")
        nested = any(isinstance(w, Joined) and len(w.words) > 1 for w in self.words)
        if len(parts) == 1:
            out = parts[0]
        elif nested:  # "alpha and beta, or mean and sd"
            out = f"{', '.join(parts[:-1])}, {conjunction} {parts[-1]}"
        else:
            out = f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"
        if self.optional:
            out += " " + t(lang, "w_and_optionally", names=Joined(self.optional).render(lang))
        return out


def choices(expected: Any) -> Joined | str:
    """pydantic's "'a', 'b' or 'c'" (a literal's choices) as words joined in the message's
    language; the text as it is if it is not such a list."""
    text = str(expected)
    words = re.findall(r"'[^']*'|\d+(?:\.\d+)?", text)
    rebuilt = ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)
    return Joined(tuple(words), "or") if words and rebuilt == text else text


@dataclass(frozen=True)
class Shown:
    """A user's value to be shown as :func:`show_value` shows it (in the message's language)."""

    value: Any


def _param(value: Any, lang: str) -> str:
    render = getattr(value, "render", None)
    if callable(render):  # a Msg, or a value that knows how to show itself (a size in GiB)
        return str(render(lang))
    if isinstance(value, Shown):
        return show_value(value.value, lang)
    if isinstance(value, int) and not isinstance(value, bool):
        return group_digits(value, lang)
    return str(value)


def group_digits(value: int, lang: str) -> str:
    """A whole number with the language's thousands separator: 2.000.000 (da), 2,000,000 (en)."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "da" else text


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


def show_value(value: Any, lang: str = "en") -> str:
    """A short, readable rendering of an offending value for an error message."""
    from socialinvest.output.messages import text as t

    if isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = t(lang, "v_empty")
    elif isinstance(value, bool):
        text = t(lang, "v_true" if value else "v_false")
    elif isinstance(value, dict):
        keys = [field_path((str(k),)) for k in list(value)[:5]]
        text = t(lang, "v_mapping", keys=", ".join(keys)) if keys else t(lang, "v_empty_mapping")
    elif isinstance(value, list):
        if 0 < len(value) <= 6 and all(isinstance(v, int | float | str) for v in value):
            text = "[" + ", ".join(show_value(v, lang) for v in value) + "]"
        else:
            text = t(lang, "v_list_one" if len(value) == 1 else "v_list", count=len(value))
    elif isinstance(value, int) and value.bit_length() > 64:
        text = t(lang, "v_huge_number", digits=len(str(abs(value))))
    else:
        text = str(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    return plain_text(text)


def plain_text(text: str) -> str:
    """Escape control and line-breaking characters so a message stays on one line (and a
    terminal escape sequence in a user's text is shown, not obeyed)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_printable = plain_text


def _part(part: str | Msg | None, lang: str) -> str:
    if part is None:
        return ""
    return part.render(lang) if isinstance(part, Msg) else part


class InputError(Exception):
    """A mistake in what the user gave us, explained in one sentence."""

    def __init__(
        self,
        expected: str | Msg = "",
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: Any = None,
        has_value: bool = True,
        problem: str | Msg | None = None,
        statement: str | Msg | None = None,
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

    def message_key(self) -> str | None:
        """The catalogue key of the message's main part (None for an older plain-text one)."""
        for part in (self.statement, self.problem, self.expected):
            if isinstance(part, Msg):
                return part.key
        return None

    @property
    def message(self) -> str:
        """The message in English (the Python API's and the logs' language)."""
        return self.render("en")

    def render(self, lang: str) -> str:
        """The one-sentence message in ``lang`` (``da`` or ``en``)."""
        from socialinvest.output.messages import text as t

        where = ", ".join(
            part
            for part in (
                plain_text(self.file) if self.file else "",
                t(lang, "err_line", line=self.line) if self.line is not None else "",
            )
            if part
        )
        expected = _part(self.expected, lang).rstrip(".")
        statement = _part(self.statement, lang)
        problem = _part(self.problem, lang)
        field = plain_text(self.field) if self.field else None
        if statement:
            statement = statement.rstrip(".")
            body = t(
                lang,
                "err_field_statement" if field else "err_statement",
                field=field,
                statement=statement,
            )
        elif field and problem:
            body = t(lang, "err_field_problem", field=field, problem=problem, expected=expected)
        elif field and self.has_value:
            body = t(
                lang,
                "err_field_has",
                field=field,
                value=show_value(self.value, lang),
                expected=expected,
            )
        elif field:
            body = t(lang, "err_field_expected", field=field, expected=expected)
        elif self.has_value and self.value is not None:
            body = t(lang, "err_value_wrong", value=show_value(self.value, lang), expected=expected)
        else:
            body = t(lang, "err_expected", expected=expected)
        if where or _PATH_FIRST.match(body):  # a path is shown as it is written
            message = f"{where}: {body}" if where else body
        else:
            message = body[0].upper() + body[1:]
        return plain_text(hidden_in(message, lang))

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


class KeyedValueError(ValueError):
    """A model validator's ValueError that carries its catalogue message, so that the case
    loader can render it in the user's language (its ``str`` is the English text)."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.render("en"))
        self.msg = message


def invalid(key: str, /, **params: Any) -> KeyedValueError:
    """``raise invalid("v_key", ...)`` in a pydantic validator."""
    return KeyedValueError(msg(key, **params))


class KnowledgeBaseError(Exception):
    """The bundled knowledge base itself is broken (a developer's mistake, not a user's).

    ``keyed`` is the message from the catalogues where there is one (a local price set's entry
    file read by the same reader is a user's file, and its error is shown in their language).
    """

    def __init__(self, text: str, keyed: Msg | None = None) -> None:
        super().__init__(text)
        self.keyed = keyed
