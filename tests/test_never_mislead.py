"""Issue 14: a report never misleads a council or a fund.

Every test here was written to fail on the code before the issue: probabilities from one draw,
who pays stated twice, "pays only for documented effect" without a counterfactual, party cash
flows that do not add to zero, silently skipped tool checks on CI.
"""

from __future__ import annotations

import shutil

import pytest

from .conftest import require_tools


def test_a_missing_tool_fails_on_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set but pdftoppm not installed"):
        require_tools("pdftoppm", install="poppler-utils")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="pdftoppm not installed"):
        require_tools("pdftoppm", install="poppler-utils")
