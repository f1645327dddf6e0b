"""Loading a case file: parse, validate, and turn every mistake into one clear sentence."""

from __future__ import annotations

import hashlib
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from socialinvest.case.checks import check_case
from socialinvest.case.models import Case, Deferred
from socialinvest.errors import (
    InputError,
    KeyedValueError,
    Msg,
    choices,
    field_path,
    msg,
    show_value,
)
from socialinvest.safe_input import show_shape
from socialinvest.source import Document, Path_, parse_text, read_document


@dataclass(frozen=True)
class LoadedCase:
    """A validated case with where it came from (for error lines and provenance)."""

    case: Case
    document: Document
    sha256: str

    @property
    def file(self) -> str:
        return self.document.file

    def error(self, path: Path_, expected: str | Msg, **kwargs: Any) -> InputError:
        """An :class:`InputError` located at ``path`` in this case's file."""
        return InputError(
            expected,
            file=self.file,
            line=self.document.line_of(path),
            field=_dotted(path),
            **kwargs,
        )

    @classmethod
    def of(cls, case: Case) -> LoadedCase:
        """The source of a case returned by :func:`load_case` (or an empty one)."""
        document = Document(
            data=None, file=case._source_file or "<case>", lines=dict(case._source_lines)
        )
        return cls(case=case, document=document, sha256=case._source_sha256 or "")


def load_case(path: str | Path) -> Case:
    """Read, validate and check a case file (YAML or JSON)."""
    document = read_document(path)
    return _validated(document, document.sha256).case


def load_case_text(text: str, file: str = "<case>") -> Case:
    """Like :func:`load_case`, for text already in memory."""
    document = parse_text(text, file)
    return _validated(document, hashlib.sha256(text.encode()).hexdigest()).case


def _validated(document: Document, digest: str) -> LoadedCase:
    if not isinstance(document.data, dict):
        # what the file holds, never its content: it may be any file the user named
        raise InputError(
            "",
            file=document.file,
            line=1,
            statement=msg("e_not_a_case", shape=show_shape(document.data)),
        )
    try:
        case = Case.model_validate(document.data)
    except ValidationError as exc:
        raise _translate(exc, document) from None
    case._source_file = document.file
    case._source_lines = dict(document.lines)
    case._source_sha256 = digest
    loaded = LoadedCase(case=case, document=document, sha256=digest)
    check_case(loaded)
    return loaded


# -- turning pydantic's errors into sentences ------------------------------------------------------
def _dotted(path: Path_) -> str:
    return field_path(path)


# Names pydantic puts into error locations for the member of a tagged union.
_UNION_TAGS = frozenset(
    {"number", "distribution", "per_participant", "per_participant_period", "fixed", "one_off"}
)


def _is_type_tag(part: str) -> bool:
    return (
        "[" in part
        or part.startswith(("constrained-", "function-"))
        or part in {"float", "int", "str", "bool", "list", "dict", "Dist", "none"}
    )


def _data_path(loc: tuple[Any, ...], data: Any) -> Path_:
    """Keep the parts of pydantic's error location that exist in the data (drop union tags)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and part not in current:
            # either a missing field (last part) or a union tag such as 'fixed'
            if part == loc[-1] and part not in _UNION_TAGS and not _is_type_tag(part):
                path.append(part)
            continue
        elif isinstance(part, str) and _is_type_tag(part):
            continue  # pydantic names the union member it tried, e.g. 'list[constrained-float]'

    return tuple(path)


def _unwrap(annotation: Any, value: Any) -> type[BaseModel] | None:
    """The model class an annotation stands for, given the data found there."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0], value)
    if origin in (typing.Union, types.UnionType):
        candidates = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [m for a in candidates if (m := _unwrap(a, value)) is not None]
        if isinstance(value, dict) and "type" in value:
            for model in models:
                tag = model.model_fields.get("type")
                if tag is not None and value["type"] in typing.get_args(tag.annotation):
                    return model
        return models[0] if len(models) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _model_and_field(path: Path_, data: Any) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model holding the last field of ``path``, and that field's info."""
    model: type[BaseModel] | None = Case
    annotation: Any = Case
    current = data
    info: FieldInfo | None = None
    parent: type[BaseModel] | None = None
    for part in path:
        if isinstance(part, int):
            args = typing.get_args(annotation)
            annotation = args[0] if args else annotation
            current = current[part] if isinstance(current, list) and part < len(current) else None
            model = _unwrap(annotation, current)
            continue
        if model is None or part not in model.model_fields:
            return model, None
        parent = model
        info = model.model_fields[part]
        annotation = info.annotation
        deferred = [m for m in info.metadata if isinstance(m, Deferred)]
        if deferred:  # a model imported when first used (the contract): the error is inside it
            annotation = deferred[0].model() | None
        current = current.get(part) if isinstance(current, dict) else None
        model = _unwrap(annotation, current)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            # Optional[list[X]] and similar: look through to the non-None member
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
    return parent, info


def _value_at(path: Path_, data: Any) -> tuple[bool, Any]:
    current = data
    for part in path:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
        else:
            return False, None
    return True, current


def _g(value: Any) -> str:
    if isinstance(value, int | float) and float(value).is_integer() and abs(value) >= 1e6:
        return f"{int(value):,}"
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _bounds(info: FieldInfo | None) -> dict[str, float]:
    """The numeric bounds (ge, gt, le, lt) declared on a field, looking through Optional,
    Annotated and the number-or-distribution unions."""
    out: dict[str, float] = {}
    if info is None:
        return out

    def collect(item: Any) -> None:
        for name in ("ge", "gt", "le", "lt"):
            bound = getattr(item, name, None)
            if isinstance(bound, int | float) and not isinstance(bound, bool):
                out[name] = float(bound)
        for inner in getattr(item, "metadata", ()) or ():
            collect(inner)

    def walk(annotation: Any, depth: int = 0) -> None:
        if depth > 6:
            return
        for meta in getattr(annotation, "__metadata__", ()):
            collect(meta)
        for arg in typing.get_args(annotation):
            walk(arg, depth + 1)

    for meta in info.metadata:
        collect(meta)
    walk(info.annotation)
    return out


class English:
    """A model's English field description: shown in English messages, left out in Danish."""

    def __init__(self, text: str | None) -> None:
        self.text = text

    def render(self, lang: str) -> str:
        return f" ({self.text})" if self.text and lang == "en" else ""


def _number(value: Any) -> Any:
    """A bound for a message: a whole number (grouped in the user's language) or text."""
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    return _g(value)


def _translate(exc: ValidationError, document: Document) -> InputError:
    errors = exc.errors(include_url=False)
    data = document.data

    def line_of(err: Any) -> int:
        return document.line_of(_data_path(tuple(err["loc"]), data)) or 0

    # An unknown field usually explains a "missing" one (a typo), so it is reported first.
    err = min(errors, key=lambda e: (e["type"] != "extra_forbidden", line_of(e)))
    loc = tuple(err["loc"])
    path = _data_path(loc, data)
    kind = err["type"]
    ctx = err.get("ctx") or {}
    parent, info = _model_and_field(path, data)
    described = info.description.rstrip(".") if info is not None and info.description else None
    lowered = f"{described[0].lower()}{described[1:]}" if described else None
    field = _dotted(path)
    line = document.line_of(path)
    found, value = _value_at(path, data)

    def fail(expected: str | Msg, **kw: Any) -> InputError:
        return InputError(expected, file=document.file, line=line, field=field or None, **kw)

    if kind == "missing":
        return fail(msg("t_a_value", described=English(lowered)), problem=msg("t_is_missing"))
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else ""
        allowed = (
            sorted(info.alias or name for name, info in parent.model_fields.items())
            if parent is not None
            else []
        )
        import difflib

        close = difflib.get_close_matches(name, allowed, n=1)
        hint = msg("t_did_you_mean", name=close[0]) if close else ""
        return fail(
            msg("t_known_fields", fields=", ".join(allowed), hint=hint)
            if allowed
            else msg("t_documented_fields"),
            problem=msg("t_unknown_field"),
        )
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        tags = ctx.get("expected_tags", "")
        if "'distribution'" in str(tags):
            return fail(msg("t_number_or_distribution"), value=value if found else None)
        return fail(msg("t_type_one_of", tags=tags), value=value if found else None)
    if kind == "literal_error":
        return fail(msg("t_one_of", expected=choices(ctx.get("expected", ""))), value=value)
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        bounds = _bounds(info)
        low, high = bounds.get("ge", bounds.get("gt")), bounds.get("le", bounds.get("lt"))
        words: Msg
        if low == 0 and high == 1 and "ge" in bounds and "le" in bounds:
            words = msg("t_share")
        elif low is not None and high is not None:
            words = msg(
                "t_range_excluded" if "lt" in bounds else "t_range",
                low=_number(low),
                high=_number(high),
                described=English(lowered),
            )
        else:
            bound = {
                "greater_than_equal": ctx.get("ge"),
                "greater_than": ctx.get("gt"),
                "less_than_equal": ctx.get("le"),
                "less_than": ctx.get("lt"),
            }[kind]
            words = msg(f"t_{kind}", bound=_number(bound), described=English(lowered))
        if described and described.lower().startswith("a share"):
            words = Msg(words.key, {**words.params, "described": ""})
        return fail(words, value=value)
    if kind in {"too_short", "too_long"}:
        size = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return fail(msg(f"t_{kind}", size=size, described=English(described)), value=value)
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return fail(msg("t_whole_number"), value=value)
    if kind in {"float_type", "float_parsing", "finite_number"}:
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+,\d+\s*", value):
            return fail(msg("t_decimal_point"), value=value)
        return fail(msg("t_number"), value=value)
    if kind in {"string_type"}:
        return fail(msg("t_text"), value=value)
    if kind in {"list_type"}:
        return fail(msg("t_list"), value=value)
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return fail(msg("t_mapping"), value=value)
    if kind == "bool_type" or kind == "bool_parsing":
        return fail(msg("t_true_or_false"), value=value)
    if kind == "distribution":
        keyed = ctx.get("keyed")
        return InputError(
            "",
            file=document.file,
            line=line,
            field=field or None,
            statement=keyed if isinstance(keyed, Msg) else str(err["msg"]),
        )
    if kind == "value_error":
        original = ctx.get("error")
        if isinstance(original, KeyedValueError):
            return fail(original.msg, has_value=False)
        message = str(err["msg"]).removeprefix("Value error, ")
        return fail(message, has_value=False)
    message = str(err["msg"])
    message = message.removeprefix("Input should be ")
    return fail(
        message[0].lower() + message[1:] if message else "a valid value",
        value=value if found else None,
        has_value=found,
    )


__all__ = ["LoadedCase", "load_case", "load_case_text", "show_value"]
