"""Reading YAML or JSON documents while remembering the line of every field.

Both the case loader and the knowledge-base loader read user-editable files. When a value is wrong
the error must name the line it stands on, so besides the plain Python data we keep a map from each
field's path (a tuple of keys and list indices) to its line number.

Every read goes through the loading gate, :mod:`socialinvest.safe_input` (regular files only, a
size limit, a depth limit, aliases counted, control characters and YAML 1.1 surprises refused);
this module keeps the names the rest of the package uses.
"""

from __future__ import annotations

from pathlib import Path

from socialinvest.safe_input import Document, Path_, load_document
from socialinvest.safe_input import parse_text as _parse_text


def parse_text(text: str, file: str) -> Document:
    """Parse YAML or JSON text (JSON is checked with the JSON parser first, for its messages)."""
    return _parse_text(text, file)


def read_document(path: str | Path) -> Document:
    """Read a YAML or JSON file; missing or unreadable files become an :class:`InputError`."""
    return load_document(path)


__all__ = ["Document", "Path_", "parse_text", "read_document"]
