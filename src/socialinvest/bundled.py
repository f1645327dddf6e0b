"""Where the bundled example case files are, installed or in a source tree.

``pip install .`` puts them in ``<prefix>/share/socialinvest/examples`` (pyproject.toml's
data files); an editable install or a source checkout has them in the repository's
``examples``. Both the web's demo organisation and the ledger's demo partnership read them
from here, so neither depends on how the package was installed.
"""

from __future__ import annotations

import sys
from pathlib import Path


def examples_dir() -> Path | None:
    """The folder of the bundled examples: installed with the package, else the source tree's,
    else ``./examples``; None when there is none."""
    for candidate in (
        Path(sys.prefix) / "share" / "socialinvest" / "examples",
        Path(__file__).resolve().parents[2] / "examples",
        Path.cwd() / "examples",
    ):
        if candidate.is_dir():
            return candidate
    return None


def example(relative: str) -> Path:
    """A bundled example by its path under ``examples/`` (e.g. ``contracts/aalborg-impact60.yaml``);
    the source tree's path when no examples folder holds it (reading it then fails naming it)."""
    root = examples_dir()
    if root is not None and (root / relative).is_file():
        return root / relative
    return Path(__file__).resolve().parents[2] / "examples" / relative
