"""Reading YAML or JSON documents while remembering the line of every field.

Both the case loader and the knowledge-base loader read user-editable files. When a value is wrong
the error must name the line it stands on, so besides the plain Python data we keep a map from each
field's path (a tuple of keys and list indices) to its line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from socialinvest.errors import InputError, field_path

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """Parsed data plus the line (1-based) where each path starts."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest known prefix of ``path``."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


class _Loader(yaml.SafeLoader):
    """A safe loader whose date-like scalars stay strings (pydantic converts them)."""


# Keep timestamps as text: a case's dates are validated by the models, not by YAML's resolver.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


if hasattr(yaml, "CSafeLoader"):

    class _FastLoader(yaml.CSafeLoader):
        """The same loader on libyaml (several times faster); a document it rejects is read
        again with ``_Loader`` so that the error is worded as before."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _LOADERS: tuple[type[Any], ...] = (_FastLoader, _Loader)
else:  # pragma: no cover - PyYAML without libyaml
    _LOADERS = (_Loader,)


_MAX_NODES = 2_000_000  # values in one document, aliases expanded (stops "billion laughs")


def _build(
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    loader: _Loader,
    file: str,
    budget: list[int] | None = None,
) -> Any:
    budget = budget if budget is not None else [_MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(
            f"a document of at most {_MAX_NODES:,} values (its aliases expand to more)",
            file=file,
            line=node.start_mark.line + 1,
            has_value=False,
        )
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise InputError(
                    "each field only once in a mapping",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=field_path((*path, key)),
                    problem="appears twice",
                )
            child = (*path, key)
            out[key] = _build(value_node, child, lines, loader, file, budget)
            lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), lines, loader, file, budget)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def parse_text(text: str, file: str) -> Document:
    """Parse YAML or JSON text (JSON is checked with the JSON parser first, for its messages)."""
    if file.lower().endswith(".json"):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"well-formed JSON ({exc.msg} at column {exc.colno})",
                file=file,
                line=exc.lineno,
                has_value=False,
            ) from None
    for number, kind in enumerate(_LOADERS):
        loader = kind(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return Document(data=None, file=file, lines={})
            lines: dict[Path_, int] = {}
            data = _build(node, (), lines, loader, file)
        except yaml.MarkedYAMLError as exc:
            if number < len(_LOADERS) - 1:
                continue  # read again with the pure-Python loader, for the usual wording
            mark = exc.problem_mark or exc.context_mark
            problem = (exc.problem or exc.context or "a syntax error").strip()
            raise InputError(
                f"well-formed YAML ({problem})",
                file=file,
                line=mark.line + 1 if mark is not None else None,
                has_value=False,
            ) from None
        except yaml.YAMLError as exc:
            if number < len(_LOADERS) - 1:
                continue
            raise InputError(f"well-formed YAML ({exc})", file=file, has_value=False) from None
        finally:
            loader.dispose()
        return Document(data=data, file=file, lines=lines)
    raise AssertionError("unreachable: the last loader raises or returns")


def read_document(path: str | Path) -> Document:
    """Read a YAML or JSON file; missing or unreadable files become an :class:`InputError`."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("an existing case file", file=name, has_value=False) from None
    except IsADirectoryError:
        raise InputError("a file, not a folder", file=name, has_value=False) from None
    except OSError as exc:
        raise InputError(f"a readable file ({exc.strerror})", file=name, has_value=False) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"text encoded as UTF-8 (byte {exc.start} is not)", file=name, has_value=False
        ) from None
    return parse_text(text, name)
