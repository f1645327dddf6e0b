"""The bundled examples are found however the package was installed (``pip install .`` puts them
under ``<prefix>/share/socialinvest/examples``; the ledger's demo read them from the source tree
only, so ``socialinvest ledger demo`` failed with a traceback after a plain install)."""

from __future__ import annotations

import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from socialinvest import bundled
from socialinvest.ledger import demo as ledger_demo

ROOT = Path(__file__).resolve().parents[1]


def test_an_installed_examples_folder_is_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "share" / "socialinvest" / "examples"
    (installed / "contracts").mkdir(parents=True)
    (installed / "contracts" / "aalborg-impact60.yaml").write_text("name: x\n", encoding="utf-8")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert bundled.examples_dir() == installed
    assert bundled.example("contracts/aalborg-impact60.yaml") == (
        installed / "contracts" / "aalborg-impact60.yaml"
    )


def test_the_source_tree_otherwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "prefix", str(tmp_path))  # no share/ folder there
    assert bundled.examples_dir() == ROOT / "examples"
    assert bundled.example("contracts/aalborg-impact60.yaml") == (
        ROOT / "examples" / "contracts" / "aalborg-impact60.yaml"
    )


def test_the_ledger_demo_case_is_among_the_installed_data_files() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = [p for ps in data["tool"]["setuptools"]["data-files"].values() for p in ps]
    rel = ledger_demo.EXAMPLE.relative_to(ROOT).as_posix()
    assert rel == "examples/contracts/aalborg-impact60.yaml"
    assert any(fnmatch(rel, p) for p in patterns)
