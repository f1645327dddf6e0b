"""Loading and checking case files, the case JSON Schema and the case template."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from socialinvest.case.load import LoadedCase, load_case, load_case_text
from socialinvest.case.models import Case
from socialinvest.case.schema import case_schema as _case_schema
from socialinvest.case.schema import case_schema_json as _case_schema_json

#: A case as the service accepts it: loaded by this module, or a model built in Python.
CaseInput = LoadedCase | Case


def loaded(case: CaseInput) -> LoadedCase:
    """``case`` with its source (file name, lines, digest) for error messages and provenance."""
    return case if isinstance(case, LoadedCase) else LoadedCase.of(case)


def load(path: str | Path) -> LoadedCase:
    """Read, validate and check a case file (YAML or JSON).

    Raises :class:`InputError` (one sentence naming the file, line, field and value) for a file
    that is missing, unreadable, malformed or invalid.
    """
    return LoadedCase.of(load_case(Path(path)))


def decode_text(content: str | bytes, name: str) -> str:
    """``content`` as text: bytes are read as UTF-8 (a byte-order mark is dropped); an
    :class:`InputError` names ``name`` when they are not UTF-8, hold control characters or are
    larger than the loading gate's size limit (socialinvest.safe_input)."""
    from socialinvest.safe_input import decode

    return decode(content, name)  # the loading gate: size, UTF-8, no control characters


def load_text(content: str | bytes, name: str = "<case>") -> LoadedCase:
    """Validate and check a case given as text or bytes (an upload, an editor's content).

    ``name`` is the display name used in error messages and provenance; a name ending in
    ``.json`` is parsed as JSON, anything else as YAML (which JSON also is). Bytes must be UTF-8
    (a byte-order mark is ignored). Raises :class:`InputError` like :func:`load`.
    """
    return LoadedCase.of(load_case_text(decode_text(content, name), name))


def load_data(data: Mapping[str, Any], name: str = "<case>") -> LoadedCase:
    """Validate and check a case given as plain data (e.g. built from form fields).

    The data is written as YAML text first (see :func:`case_yaml`) so that errors carry a line
    of that text, and the digest is the digest of that text. Raises :class:`InputError`.
    """
    return load_text(case_yaml(data), name)


def case_yaml(data: Mapping[str, Any]) -> str:
    """Plain case data as YAML text (key order kept), as it would be saved or downloaded."""
    return yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=100)


def validate(case: CaseInput | str | Path) -> LoadedCase:
    """Load (a path given as :class:`~pathlib.Path` or str) and check a case completely:
    besides the file's own checks, every knowledge-base reference, price year and unit is
    resolved (a deterministic run). Returns the loaded case; raises :class:`InputError`."""
    from socialinvest.runner import appraise

    found = load(case) if isinstance(case, str | Path) else loaded(case)
    appraise(found)
    return found


def case_schema() -> dict[str, object]:
    """The JSON Schema of case files (for editors, forms and API documents)."""
    return _case_schema()


def case_schema_json() -> str:
    """:func:`case_schema` as JSON text."""
    return _case_schema_json()


def case_template() -> str:
    """The commented case template (YAML) that ``socialinvest new`` writes, to start from."""
    return files("socialinvest.case").joinpath("template.yaml").read_text(encoding="utf-8")
