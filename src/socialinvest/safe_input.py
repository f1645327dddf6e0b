"""The loading gate: every file (and, later, every upload) the program reads passes through here.

``load_document(path)`` reads a YAML or JSON file, ``parse_document(data, name)`` parses bytes or
text already in memory (an upload: ``name`` is what the user calls it), and ``load_json`` reads a
plain JSON document (an INDIGO file). Each returns the data with the line of every field, or
raises :class:`~socialinvest.errors.InputError` with one sentence in the user's language. Before
any work is done the gate refuses:

- anything that is not a regular file (a folder, a device such as ``/dev/zero``, a pipe);
- a file larger than :data:`LIMITS.max_bytes` (read at most that much, never more);
- text that is not UTF-8, or that holds control characters (a NUL byte, a terminal escape);
- nesting deeper than ``max_depth`` lists and mappings, counted with aliases expanded;
- more than ``max_values`` values with aliases expanded, counted on keys and values alike (a
  "billion laughs" bomb hidden in a mapping key is refused as one in a value);
- an alias inside the value it names (``a: &a [*a]``), a key that is a list or a mapping;
- YAML 1.1 surprises: a plain key ``on``, ``off``, ``yes``, ``no``, ``y`` or ``n`` (which YAML
  1.1 reads as true or false) must be written in quotes; a key ``~`` or ``null``; as a value such
  a word stays text (only ``true`` and ``false`` are booleans, as in YAML 1.2);
- numbers that are not finite (``.inf``, ``.nan``, ``NaN`` in JSON, 1e400) or integers of more
  than ``max_digits`` digits.

Parse errors of every kind (PyYAML's, the JSON parser's, recursion) become one sentence; no
message quotes the content of the file beyond the offending value of a field.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent

from socialinvest.errors import InputError, Msg, field_path, msg

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Limits:
    """What one document may hold (see docs/limits.md)."""

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64
    max_values: int = 100_000
    max_digits: int = 40  # a recorded seed is 128 bits (39 digits); INDIGO files carry it


LIMITS = Limits()


@dataclass(frozen=True)
class Document:
    """Parsed data plus the line (1-based) where each path starts."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)
    sha256: str = ""

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest known prefix of ``path``."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


# -- reading bytes ---------------------------------------------------------------------------------
def read_limited(path: str | Path, name: str | None = None, *, limits: Limits = LIMITS) -> bytes:
    """The bytes of a regular file of at most ``limits.max_bytes`` (never reads more)."""
    name = str(path) if name is None else name
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(msg("e_file_folder"), file=name, has_value=False)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(msg("e_file_special"), file=name, has_value=False)
        if info.st_size > limits.max_bytes:
            raise _too_large(name, limits)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(msg("e_file_missing"), file=name, has_value=False) from None
    except PermissionError:
        raise InputError(msg("e_file_no_access"), file=name, has_value=False) from None
    except OSError as exc:
        raise _unreadable(name, exc) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between stat and open
            raise InputError(msg("e_file_special"), file=name, has_value=False)
        chunks: list[bytes] = []
        remaining = limits.max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise _unreadable(name, exc) from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limits.max_bytes:
        raise _too_large(name, limits)
    return raw


def _too_large(name: str, limits: Limits) -> InputError:
    return InputError(
        msg("e_file_too_large", limit=_mib(limits.max_bytes)), file=name, has_value=False
    )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _unreadable(name: str, exc: OSError) -> InputError:
    code = errno.errorcode.get(exc.errno or 0, "EIO")
    if exc.errno == errno.ENAMETOOLONG:
        return InputError(msg("e_file_name_too_long"), file=name[:80] + "…", has_value=False)
    return InputError(msg("e_file_unreadable", code=code), file=name, has_value=False)


# PyYAML's set of acceptable characters; anything else (C0 and C1 controls, lone surrogates) is
# refused here with its line and column instead of PyYAML's ReaderError.
_BAD_CHAR = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# control characters that must not reach a value (tab, line feed and carriage return may)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode(raw: bytes | str, name: str, *, limits: Limits = LIMITS) -> str:
    """UTF-8 text without control characters (a byte-order mark is dropped)."""
    if isinstance(raw, str):
        text = raw
        if len(text) > limits.max_bytes:
            raise _too_large(name, limits)
    else:
        if len(raw) > limits.max_bytes:
            raise _too_large(name, limits)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                msg("e_not_utf8", byte=exc.start), file=name, has_value=False
            ) from None
    text = text.removeprefix("\ufeff")
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise InputError(
            msg("e_control_char", char=f"U+{ord(bad.group()):04X}", column=column),
            file=name,
            line=line,
            has_value=False,
        )
    return text


# -- YAML ------------------------------------------------------------------------------------------
class _Refused(Exception):
    """A limit was hit while composing; carries the finished InputError."""

    def __init__(self, error: InputError) -> None:
        super().__init__(error.message)
        self.error = error


_BOOL_1_2 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_BOOL_1_1_WORDS = frozenset(
    [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
    ]
)


class _PyEvents(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's own reader, scanner and parser (pure Python)."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


class _Loader(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """A safe loader that counts while it composes: depth and values with aliases expanded.

    The events come from libyaml (:class:`_CLoader`) or PyYAML's parser (:class:`_PyLoader`);
    the composing is PyYAML's, in Python, with :meth:`compose_node` counting every node and
    alias before anything is built."""

    limits: Limits = LIMITS
    file: str = "<document>"
    _events: Any = _PyEvents

    def __init__(self, stream: str) -> None:
        self._events.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._total = 0
        self._open: set[str] = set()
        self._heights: dict[str, int] = {}
        self._sizes: dict[str, int] = {}
        self._stack: list[int] = []

    def _refuse(self, key: str, mark: Any, **params: Any) -> _Refused:
        line = mark.line + 1 if mark is not None else None
        return _Refused(InputError(msg(key, **params), file=self.file, line=line, has_value=False))

    def _count(self, amount: int, mark: Any) -> None:
        self._total += amount
        if self._total > self.limits.max_values:
            raise self._refuse("e_too_many_values", mark, limit=self.limits.max_values)

    def _reach(self, height: int, mark: Any) -> None:
        if len(self._stack) + height > self.limits.max_depth:
            raise self._refuse("e_too_deep", mark, limit=self.limits.max_depth)
        if self._stack:
            self._stack[-1] = max(self._stack[-1], height)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, AliasEvent):
            anchor = event.anchor
            if anchor in self._open:
                raise self._refuse("e_alias_self", event.start_mark, alias=anchor)
            if anchor in self._sizes:
                self._count(self._sizes[anchor], event.start_mark)
                self._reach(self._heights[anchor], event.start_mark)
            return super().compose_node(parent, index)
        anchor = event.anchor
        start = self._total
        self._count(1, event.start_mark)
        if len(self._stack) >= self.limits.max_depth:
            raise self._refuse("e_too_deep", event.start_mark, limit=self.limits.max_depth)
        self._stack.append(0)
        if anchor is not None:
            self._open.add(anchor)
        node = super().compose_node(parent, index)
        height = self._stack.pop() + 1
        if anchor is not None:
            self._open.discard(anchor)
            self._sizes[anchor] = self._total - start
            self._heights[anchor] = height
        if self._stack:
            self._stack[-1] = max(self._stack[-1], height)
        return node


# Timestamps stay text (the models validate dates); booleans are only true/false (YAML 1.2), so
# a value `no` or `on` stays the word the user wrote.
_Loader.yaml_implicit_resolvers = {
    key: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for key, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_1_2, list("tTfF"))


class _PyLoader(_Loader, _PyEvents):
    """The counting loader on PyYAML's pure-Python parser."""

    _events = _PyEvents


try:  # libyaml's scanner and parser (C) when PyYAML was built with it: about ten times faster
    from yaml.cyaml import CParser as _CEvents  # type: ignore[attr-defined]

    class _CLoader(_Loader, _CEvents):
        """The counting loader on libyaml's parser."""

        _events = _CEvents

    #: The loaders in order of preference (the tests read every example with each).
    _LOADERS: tuple[type[_Loader], ...] = (_CLoader, _PyLoader)
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _LOADERS = (_PyLoader,)


# PyYAML's problems in the user's words (other problems: "a syntax error").
_YAML_PROBLEMS = {
    "mapping values are not allowed": "yp_mapping_values",
    "could not find expected ':'": "yp_expected_colon",
    "that cannot start any token": "yp_bad_token",
    "expected ',' or ']'": "yp_flow_sequence",
    "expected ',' or '}'": "yp_flow_mapping",
    "found unexpected end of stream": "yp_end_of_stream",
    "found undefined alias": "yp_undefined_alias",
    "found duplicate anchor": "yp_duplicate_anchor",
    "expected <block end>": "yp_indentation",
    "expected a single document": "yp_single_document",
    "found unknown escape character": "yp_escape",
    "found unexpected ':'": "yp_mapping_values",
    "expected alphabetic or numeric character": "yp_anchor_name",
    "could not determine a constructor": "yp_tag",
    "found a tab character": "yp_bad_token",
    # libyaml's wording
    "did not find expected ',' or ']'": "yp_flow_sequence",
    "did not find expected ',' or '}'": "yp_flow_mapping",
    "did not find expected ':'": "yp_expected_colon",
    "did not find expected <document start>": "yp_indentation",
    "did not find expected key": "yp_indentation",
    "did not find expected '-' indicator": "yp_indentation",
    "found another document": "yp_single_document",
    "found unknown escape": "yp_escape",
    "did not find expected alphabetic or numeric character": "yp_anchor_name",
}


def _yaml_problem(exc: yaml.YAMLError) -> Msg:
    problem = " ".join(
        str(part) for part in (getattr(exc, "problem", None), getattr(exc, "context", None)) if part
    ) or str(exc)
    for start, key in _YAML_PROBLEMS.items():
        if start in problem:
            return msg(key)
    return msg("yp_other")


def parse_text(
    text: str, name: str, *, limits: Limits = LIMITS, syntax: str | None = None, sha256: str = ""
) -> Document:
    """Parse YAML or JSON text (``syntax`` 'yaml' or 'json'; default: from the name's suffix)."""
    text = decode(text, name, limits=limits)
    is_json = syntax == "json" or (syntax is None and name.lower().endswith(".json"))
    if is_json:
        check_json(text, name, limits=limits)
    loader = type("_Bounded", (_LOADERS[0],), {"limits": limits, "file": name})(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(data=None, file=name, lines={}, sha256=sha256)
        lines: dict[Path_, int] = {}
        data = _build(node, (), lines, loader, name, limits)
    except _Refused as refused:
        raise refused.error from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own limit (1,000 levels)
            raise InputError(
                msg("e_too_deep", limit=limits.max_depth),
                file=name,
                line=mark.line + 1 if mark is not None else None,
                has_value=False,
            ) from None
        raise InputError(
            msg("e_yaml_syntax", problem=_yaml_problem(exc)),
            file=name,
            line=mark.line + 1 if mark is not None else None,
            has_value=False,
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(
            msg("e_yaml_syntax", problem=_yaml_problem(exc)), file=name, has_value=False
        ) from None
    except (RecursionError, MemoryError):
        raise InputError(
            msg("e_too_deep", limit=limits.max_depth), file=name, has_value=False
        ) from None
    finally:
        loader.dispose()
    return Document(data=data, file=name, lines=lines, sha256=sha256)


def _build(
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    loader: _Loader,
    file: str,
    limits: Limits,
) -> Any:
    line = node.start_mark.line + 1
    lines[path] = line
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node, path, loader, file)
            if key in out:
                raise InputError(
                    msg("e_key_once"),
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=field_path((*path, key)),
                    problem=msg("e_key_twice"),
                )
            child = (*path, key)
            out[key] = _build(value_node, child, lines, loader, file, limits)
            lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), lines, loader, file, limits)
            for index, item in enumerate(node.value)
        ]
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError:  # an integer of more than 4,300 digits (Python's limit)
        raise InputError(
            msg("e_number_digits", limit=limits.max_digits),
            file=file,
            line=line,
            field=field_path(path) or None,
            has_value=False,
        ) from None
    return _checked_scalar(value, path, file, line, limits)


def _key(key_node: yaml.Node, path: Path_, loader: _Loader, file: str) -> str:
    line = key_node.start_mark.line + 1
    where = field_path(path) or None
    if not isinstance(key_node, yaml.ScalarNode):
        raise InputError(msg("e_key_not_text"), file=file, line=line, field=where, has_value=False)
    if not key_node.style and key_node.value in _BOOL_1_1_WORDS:
        raise InputError(
            "",
            file=file,
            line=line,
            field=where,
            statement=msg("e_key_boolean", key=key_node.value),
        )
    try:
        key = loader.construct_object(key_node, deep=True)
    except ValueError:  # an integer key of more than 4,300 digits
        raise InputError(msg("e_key_not_text"), file=file, line=line, field=where) from None
    if key is None:
        raise InputError(msg("e_key_empty"), file=file, line=line, field=where, has_value=False)
    if isinstance(key, float) and not math.isfinite(key):
        raise InputError(msg("e_key_not_text"), file=file, line=line, field=where, has_value=False)
    key = key if isinstance(key, str) else str(key)
    bad = _CONTROL.search(key)
    if bad is not None:
        raise InputError(
            msg("e_text_control", char=f"U+{ord(bad.group()):04X}"),
            file=file,
            line=line,
            field=where,
            value=key,
        )
    return key


def _checked_scalar(value: Any, path: Path_, file: str, line: int, limits: Limits) -> Any:
    where = field_path(path) or None
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(msg("e_number_finite"), file=file, line=line, field=where, value=value)
    huge = isinstance(value, int) and not isinstance(value, bool)
    if huge and abs(value) >= 10**limits.max_digits:
        raise InputError(
            msg("e_number_digits", limit=limits.max_digits),
            file=file,
            line=line,
            field=where,
            value=value,
        )
    if isinstance(value, str):
        bad = _CONTROL.search(value)
        if bad is not None:
            raise InputError(
                msg("e_text_control", char=f"U+{ord(bad.group()):04X}"),
                file=file,
                line=line,
                field=where,
                value=value,
            )
    if isinstance(value, bytes | bytearray):  # !!binary
        raise InputError(msg("e_value_binary"), file=file, line=line, field=where, has_value=False)
    return value


# -- JSON ------------------------------------------------------------------------------------------
_JSON_PROBLEMS = {
    "Expecting value": "jp_value",
    "Expecting ',' delimiter": "jp_comma",
    "Expecting ':' delimiter": "jp_colon",
    "Expecting property name": "jp_property",
    "Unterminated string": "jp_string",
    "Extra data": "jp_extra",
    "Invalid control character": "jp_control",
    "Invalid \\escape": "jp_escape",
    "Invalid \\uXXXX escape": "jp_escape",
}


def _json_problem(text: str) -> Msg:
    for start, key in _JSON_PROBLEMS.items():
        if text.startswith(start):
            return msg(key)
    return msg("yp_other")


class _JsonRefused(Exception):
    def __init__(self, key: str, value: Any, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.value = value
        self.params = params


def check_json(text: str, name: str, *, limits: Limits = LIMITS) -> Any:
    """The data of a JSON document (finite numbers, bounded nesting), or one sentence."""

    def constant(word: str) -> Any:
        raise _JsonRefused("e_number_finite", word)

    def floating(word: str) -> float:
        number = float(word)
        if not math.isfinite(number):
            raise _JsonRefused("e_number_finite", word)
        return number

    def integer(word: str) -> int:
        if len(word.lstrip("-")) > limits.max_digits:
            raise _JsonRefused("e_number_digits", f"{word[:12]}…", limit=limits.max_digits)
        return int(word)

    try:
        data = json.loads(text, parse_constant=constant, parse_float=floating, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise InputError(
            msg("e_json_syntax", problem=_json_problem(exc.msg), column=exc.colno),
            file=name,
            line=exc.lineno,
            has_value=False,
        ) from None
    except _JsonRefused as refused:
        raise InputError(
            msg(refused.key, **refused.params), file=name, value=str(refused.value)
        ) from None
    except (RecursionError, MemoryError):
        raise InputError(
            msg("e_too_deep", limit=limits.max_depth), file=name, has_value=False
        ) from None
    if _depth(data) > limits.max_depth:
        raise InputError(msg("e_too_deep", limit=limits.max_depth), file=name, has_value=False)
    return data


def _depth(data: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _control_in_json(data: Any, name: str) -> None:
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            bad = _CONTROL.search(item)
            if bad is not None:
                raise InputError(
                    msg("e_text_control", char=f"U+{ord(bad.group()):04X}"), file=name, value=item
                )


# -- the entry points ------------------------------------------------------------------------------
def parse_document(
    data: bytes | str, name: str, *, syntax: str | None = None, limits: Limits = LIMITS
) -> Document:
    """Parse an upload (bytes or text) called ``name`` by the user: YAML, or JSON when ``syntax``
    is 'json' or the name ends in .json."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(raw).hexdigest()
    return parse_text(
        decode(data, name, limits=limits), name, limits=limits, syntax=syntax, sha256=digest
    )


def load_document(
    path: str | Path, name: str | None = None, *, syntax: str | None = None, limits: Limits = LIMITS
) -> Document:
    """Read and parse a YAML or JSON file through the gate."""
    name = str(path) if name is None else name
    raw = read_limited(path, name, limits=limits)
    return parse_document(raw, name, syntax=syntax, limits=limits)


def load_json(
    path: str | Path | None = None,
    name: str | None = None,
    *,
    data: bytes | str | None = None,
    limits: Limits = LIMITS,
) -> Any:
    """A plain JSON document (e.g. INDIGO) from a file or from bytes in memory, through the
    gate: regular file, size, UTF-8 without control characters, finite numbers, depth."""
    name = name if name is not None else str(path)
    raw = data if data is not None else read_limited(path or "", name, limits=limits)
    parsed = check_json(decode(raw, name, limits=limits), name, limits=limits)
    _control_in_json(parsed, name)
    return parsed


MAX_XLSX_UNPACKED = 64 * 1024 * 1024  # bytes of a workbook's parts once unzipped
MAX_XLSX_ROWS = 20_000


def unpacked_size(data: bytes) -> int | None:
    """The bytes a zip archive (an .xlsx workbook) unpacks to, read from its directory without
    unpacking anything; None when ``data`` is not a zip archive."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def check_workbook(path: str | Path, name: str | None = None, *, limits: Limits = LIMITS) -> None:
    """Refuse, before a spreadsheet library opens it, an .xlsx file that is not a regular file,
    is larger than the size limit, is not a zip archive, or unpacks to more than
    :data:`MAX_XLSX_UNPACKED` bytes (a "zip bomb")."""
    name = str(path) if name is None else name
    unpacked = unpacked_size(read_limited(path, name, limits=limits))
    if unpacked is None:
        raise InputError(msg("e_workbook"), file=name, has_value=False)
    if unpacked > MAX_XLSX_UNPACKED:
        raise InputError(
            msg("e_workbook_unpacked", limit=_mib(MAX_XLSX_UNPACKED)), file=name, has_value=False
        )


def show_shape(data: Any) -> Msg:
    """What a document holds at its top level, without its content (for a file that is not
    what was expected: its text is never quoted)."""
    if data is None:
        return msg("shape_empty")
    if isinstance(data, dict):
        return msg("shape_mapping")
    if isinstance(data, list):
        return msg("shape_list", count=len(data))
    if isinstance(data, bool | int | float):
        return msg("shape_number")
    return msg("shape_text")


__all__ = [
    "LIMITS",
    "Document",
    "Limits",
    "check_workbook",
    "decode",
    "load_document",
    "load_json",
    "parse_document",
    "parse_text",
    "read_limited",
    "show_shape",
    "unpacked_size",
]
