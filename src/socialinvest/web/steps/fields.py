"""Values as typed in a form ↔ values in a case file.

Numbers follow the page language: Danish ``0,5`` and ``1.234.567,50``; English ``0.5`` and
``1,234,567.50``. A number that cannot be read is passed on unchanged as text, so the case model
reports it ("expected a number") beside its field; nothing typed is thrown away. A cell may also
hold a distribution written as in a case file: ``{dist: beta, mean: 0.4, sd: 0.05}``. Lists
(success timing, units per success per year) are written with ``;`` between the items.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

Path = tuple[str | int, ...]

_DA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_EN_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(raw: str, lang: str) -> Any:
    """A typed number as int or float; the text itself when it is not a number; None if empty."""
    text = raw.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if text.startswith("{"):
        return parse_cell(raw)
    if lang == "da":
        if "," in text:
            candidate = text.replace(".", "").replace(",", ".")
        elif _DA_THOUSANDS.match(text):
            candidate = text.replace(".", "")
        else:
            candidate = text
    else:
        candidate = text.replace(",", "") if _EN_THOUSANDS.match(text) else text
    try:
        if re.fullmatch(r"[+-]?\d+", candidate):
            return int(candidate)
        value = float(candidate)
    except ValueError:
        return raw.strip()
    if not math.isfinite(value):
        return raw.strip()
    return value


def parse_cell(raw: str) -> Any:
    """A distribution written as a YAML flow mapping; the text itself when it does not parse."""
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw.strip()
    return value if isinstance(value, dict) else raw.strip()


def split_list(raw: str) -> list[str]:
    """Items of a typed list: separated by ';' outside braces (by spaces when there is no ';')."""
    items: list[str] = []
    depth = 0
    current = ""
    for char in raw:
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        if char == ";" and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    if len(items) == 1 and "{" not in raw:
        items = raw.split()
    return [item.strip() for item in items if item.strip()]


def parse_list(raw: str, lang: str) -> list[Any] | None:
    items = split_list(raw)
    if not items:
        return None
    return [parse_number(item, lang) for item in items]


def format_number(value: Any, lang: str) -> str:
    """A case value as it is shown in a form field (no thousands separators, so it reads back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value) if not value.is_integer() else str(int(value))
        if "e" in text:
            text = f"{value:.15f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if lang == "da" else text
    if isinstance(value, dict):
        return format_cell(value)
    return str(value)


def format_cell(value: dict[str, Any]) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()


def format_list(values: Any, lang: str) -> str:
    if not isinstance(values, list):
        return format_number(values, lang)
    return "; ".join(format_number(v, lang) for v in values)


def get_path(data: Any, path: Path) -> Any:
    current = data
    for part in path:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            return None
    return current


def parse_path(dotted: str) -> Path:
    """``intervention.costs[0].amount`` → ('intervention', 'costs', 0, 'amount')."""
    parts: list[str | int] = []
    for piece in re.finditer(r"([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]", dotted):
        name, index, quoted = piece.groups()
        if index is not None:
            parts.append(int(index))
        elif quoted is not None:
            parts.append(quoted)
        else:
            parts.append(name)
    return tuple(parts)


def prune(value: Any) -> Any:
    """Drop empty (None) fields, so a left-out optional field is simply absent."""
    if isinstance(value, dict):
        return {k: prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value
