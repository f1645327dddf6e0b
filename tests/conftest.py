"""Shared helpers: a small fixed knowledge base for hand-worked cases, and case builders."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialinvest.knowledge import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FIXTURE_KB = Path(__file__).parent / "fixtures" / "knowledge"


@pytest.fixture(scope="session")
def fixture_kb() -> KnowledgeBase:
    """A tiny knowledge base whose values never change, so hand-worked numbers stay valid."""
    return KnowledgeBase(FIXTURE_KB, version="test")


def write_case(tmp_path: Path, data: dict[str, Any], name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


BASE_CASE: dict[str, Any] = {
    "name": "Base",
    "price_year": 2024,
    "horizon_years": 6,
    "target_group": {"description": "test", "cohorts": [{"year": 2024, "intake": 10}]},
    "intervention": {
        "name": "test",
        "duration_years": 1,
        "costs": [{"name": "c", "type": "per_participant", "amount": 1000, "area": "social"}],
    },
    "success": {"measure": "m", "rate_with": 0.5, "rate_without": 0.2},
    "consequences": [
        {
            "name": "own",
            "price": {
                "value": 100,
                "unit": "DKK/day",
                "area": "health",
                "actor_split": {"kommune": 0.5, "region": 0.5},
                "source": "test",
            },
            "unit": "day",
            "units_per_success": [-10, -10, -5],
        }
    ],
}


def base_case(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_CASE)
    data.update(changes)
    return data


def require_tools(*names: str, install: str) -> None:
    """Skip the calling test when a system tool is missing, except on CI (the environment
    variable CI is set), where a missing tool is a failure: CI installs them (.ci/run), and a
    silent skip there would hide the checks these tools make."""
    import os
    import shutil

    missing = [name for name in names if shutil.which(name) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed: apt-get install {install}"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {message}")
    pytest.skip(message)


@pytest.fixture
def poppler() -> None:
    """The test needs poppler-utils (pdftoppm, pdftotext, pdfinfo)."""
    require_tools("pdftoppm", "pdftotext", "pdfinfo", install="poppler-utils")
