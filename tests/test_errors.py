"""Bad input gets one clear sentence naming file, line, field, value and what is expected;
exit code 2; no traceback; nothing written."""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from socialinvest.cli import app

from .conftest import EXAMPLES, base_case, write_case

runner = CliRunner()


def cli(*args: str, lang: str = "en"):
    """Run the command line; error messages are checked in English here (``lang='da'``: the
    default language, Danish)."""
    return runner.invoke(app, [*args, "--lang", lang] if lang != "da" else list(args))


def assert_one_clear_sentence(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    message = result.stderr
    assert "Traceback" not in message and "Traceback" not in result.stdout
    lines = message.strip().splitlines()
    assert len(lines) == 1, message
    line = lines[0]
    assert line.startswith(("error: ", "fejl: ")) and line.endswith(".")
    # one sentence: no full stop followed by a new capitalised sentence inside
    assert not re.search(r"\.\s+[A-Z]", line.removesuffix(".").replace("e.g. ", "")), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def line_with(path: Path, needle: str) -> str:
    """'line N' of the first line of the file containing needle (counted independently)."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in text:
            return f"line {number}"
    raise AssertionError(f"{needle!r} not in {path}")


def test_malformed_yaml(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: test\nprice_year: 2024\ntarget_group: [unclosed\n", encoding="utf-8")
    assert_one_clear_sentence(cli("run", str(path)), "broken.yaml", "line 4", "well-formed YAML")


def test_malformed_json(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x",\n "price_year": 2024,,}', encoding="utf-8")
    assert_one_clear_sentence(cli("run", str(path)), "broken.json", "line 2", "well-formed JSON")


def test_unknown_field_suggests_the_right_one(tmp_path: Path):
    data = base_case()
    data["horizon"] = data.pop("horizon_years")
    path = write_case(tmp_path, data)
    assert_one_clear_sentence(
        cli("run", str(path)),
        "case.yaml",
        line_with(path, "horizon:"),
        "field 'horizon' is not a known field",
        "did you mean 'horizon_years'",
    )


def test_unknown_field_inside_a_cost(tmp_path: Path):
    data = base_case()
    data["intervention"]["costs"][0]["amout"] = 5
    assert_one_clear_sentence(
        cli("run", str(write_case(tmp_path, data))),
        "field 'intervention.costs[0].amout' is not a known field",
        "did you mean 'amount'",
    )


def test_wrong_type(tmp_path: Path):
    data = base_case()
    data["target_group"]["cohorts"][0]["intake"] = "many"
    path = write_case(tmp_path, data)
    assert_one_clear_sentence(
        cli("run", str(path)),
        line_with(path, "intake: many"),
        "field 'target_group.cohorts[0].intake' has 'many'",
        "expected a number",
    )


def test_rate_outside_zero_one(tmp_path: Path):
    data = base_case()
    data["success"]["rate_with"] = 1.5
    assert_one_clear_sentence(
        cli("run", str(write_case(tmp_path, data))),
        "field 'success.rate_with' has 1.5",
        "expected a share between 0 and 1",
    )


def test_negative_intake(tmp_path: Path):
    data = base_case()
    data["target_group"]["cohorts"][0]["intake"] = -5
    assert_one_clear_sentence(
        cli("run", str(write_case(tmp_path, data))),
        "field 'target_group.cohorts[0].intake' has -5",
        "expected a number from 0 to 100,000,000",
    )


def test_unknown_knowledge_base_reference(tmp_path: Path):
    data = base_case()
    data["consequences"] = [
        {"ref": "benefits/cash-benefit/30-plus-without-childern", "units_per_success": [-1]}
    ]
    path = write_case(tmp_path, data)
    assert_one_clear_sentence(
        cli("run", str(path)),
        "case.yaml",
        line_with(path, "30-plus-without-childern"),
        "field 'consequences[0].ref' has 'benefits/cash-benefit/30-plus-without-childern'",
        "socialinvest knowledge list",
        "did you mean 'benefits/cash-benefit/30-plus-without-children'",
    )


def test_horizon_shorter_than_the_intervention(tmp_path: Path):
    data = base_case(horizon_years=2)
    data["intervention"]["duration_years"] = 3
    path = write_case(tmp_path, data)
    assert_one_clear_sentence(
        cli("run", str(path)),
        line_with(path, "horizon_years: 2"),
        "field 'horizon_years' has 2",
        "at least 3 years",
    )


def test_missing_field(tmp_path: Path):
    data = base_case()
    del data["success"]["measure"]
    assert_one_clear_sentence(
        cli("run", str(write_case(tmp_path, data))), "field 'success.measure' is missing"
    )


def test_missing_file():
    assert_one_clear_sentence(
        cli("run", "no-such-case.yaml"), "no-such-case.yaml", "an existing file"
    )


def test_price_year_outside_the_index(tmp_path: Path):
    data = base_case(price_year=1990, start_year=2024)
    data["consequences"].append(
        {"ref": "benefits/cash-benefit/30-plus-without-children", "units_per_success": [-1]}
    )
    assert_one_clear_sentence(
        cli("run", str(write_case(tmp_path, data))),
        "field 'price_year' has 1990",
        "net price index covers",
    )


def test_bad_output_leaves_no_file(tmp_path: Path):
    data = base_case()
    data["success"]["rate_with"] = 2
    out = tmp_path / "out.json"
    assert_one_clear_sentence(
        cli("run", str(write_case(tmp_path, data)), "--format", "json", "--out", str(out))
    )
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["case.yaml"]


def test_validate_reports_the_same_errors(tmp_path: Path):
    data = base_case()
    data["success"]["rate_without"] = -0.1
    assert_one_clear_sentence(
        cli("validate", str(write_case(tmp_path, data))), "field 'success.rate_without' has -0.1"
    )


# -- random malformed cases ---------------------------------------------------------------------
VALID = yaml.safe_load((EXAMPLES / "impact60-job-education.yaml").read_text(encoding="utf-8"))
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=2),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _parent(data, path):
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def malformed(draw):
    data = copy.deepcopy(VALID)
    paths = [p for p in _paths(data) if p]
    kind = draw(st.sampled_from(["replace", "delete", "add", "text"]))
    if kind == "text":
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        cut = draw(st.integers(1, len(text) - 1))
        insert = draw(st.sampled_from(["[", "{", ": :", "\t", "- x\n", "'", "&a *b", "\n  - "]))
        return text[:cut] + insert + text[cut:]
    path = draw(st.sampled_from(paths))
    parent = _parent(data, path)
    key = path[-1]
    if kind == "replace":
        parent[key] = draw(JUNK)
    elif kind == "delete":
        del parent[key]
    else:
        target = parent[key] if isinstance(parent[key], dict) else parent
        if isinstance(target, dict):
            target[draw(st.text(min_size=1, max_size=8))] = draw(JUNK)
        else:
            target.append(draw(JUNK))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(malformed(), st.sampled_from(["run", "validate"]))
def test_random_malformed_cases_get_one_clear_sentence(tmp_path_factory, text, command):
    path = tmp_path_factory.mktemp("fuzz") / f"case-{random.randrange(10**9)}.yaml"
    path.write_text(text, encoding="utf-8")
    result = (
        cli(command, str(path), "--format", "json") if command == "run" else cli(command, str(path))
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        text,
        result.exception,
    )
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    if result.exit_code == 2:
        line = assert_one_clear_sentence(result, path.name)
        assert result.stdout == ""
        assert len(line) < 600


@pytest.mark.parametrize("bad", ["-1", "0.5", "[1, 2]", "'this year'"])
def test_cohort_year_must_be_a_year_in_the_horizon(tmp_path: Path, bad: str):
    data = base_case()
    data["target_group"]["cohorts"][0]["year"] = yaml.safe_load(bad)
    path = write_case(tmp_path, data)
    assert_one_clear_sentence(cli("run", str(path)), "target_group.cohorts[0].year")


def test_danish_decimal_comma_gets_a_hint(tmp_path: Path):
    data = base_case()
    data["success"]["rate_with"] = "0,5"
    assert_one_clear_sentence(
        cli("run", str(write_case(tmp_path, data))),
        "field 'success.rate_with' has '0,5'",
        "decimal point",
    )
