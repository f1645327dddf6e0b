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


# -- hostile and huge input on every entry point (issue 9) ----------------------------------------
# Each example runs in a forked child whose data segment is limited (RLIMIT_DATA: heap and every
# private writable mapping) and which is stopped after a time limit: a bomb that got through would
# die there with MemoryError or the alarm, and the test would report it. The program reads the
# same limit (socialinvest.limits.memory_limit), so its own estimates refuse what would not fit.
HOSTILE_MEMORY = 1_500_000_000  # bytes above what the test process already uses
HOSTILE_SECONDS = 90


def _vm_data() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def _warm() -> None:
    """Import what the commands import, in this process, so that forked children share it."""
    import socialinvest.analysis.compare
    import socialinvest.analysis.sensitivity
    import socialinvest.contract.indigo
    import socialinvest.contract.result
    import socialinvest.report.html
    import socialinvest.runner  # noqa: F401
    from socialinvest.case import load_case
    from socialinvest.runner import appraise

    appraise(load_case(EXAMPLES / "impact60-job-education.yaml"))  # reads the knowledge base


def bounded_invoke(args: list[str]) -> dict:
    """Invoke the command line in a forked child under a memory and a time limit."""
    import json
    import os
    import resource
    import signal

    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: limit, run, report, and leave without running anything else
        os.close(reader)
        try:
            limit = _vm_data() + HOSTILE_MEMORY
            resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
            signal.alarm(HOSTILE_SECONDS)
            result = CliRunner().invoke(app, args)
            exception = result.exception
            crash = None if exception is None or isinstance(exception, SystemExit) else exception
            report = {
                "exit_code": result.exit_code,
                "stdout": result.stdout[-3000:],
                "stderr": result.stderr[-3000:],
                "crash": repr(crash) if crash is not None else None,
            }
        except BaseException as exc:
            report = {"exit_code": -1, "stdout": "", "stderr": "", "crash": repr(exc)}
        os.write(writer, json.dumps(report).encode())
        os._exit(0)
    os.close(writer)
    chunks = []
    while chunk := os.read(reader, 65536):
        chunks.append(chunk)
    os.close(reader)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return {"exit_code": -1, "stdout": "", "stderr": "", "crash": f"child status {status}"}
    return json.loads(b"".join(chunks))


EXTREME = [
    1e308,
    -1e308,
    1.7976931348623157e308,
    5e-324,
    -5e-324,
    1e300,
    10**40,
    "1e999",
    ".inf",
    "-.inf",
    ".nan",
]
CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x1b", "\x7f", "\x85", "\x9b", "\ufeff", "\ud800"]


def _key_bomb(fan: int, depth: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * fan)}]"]
    for level in range(1, depth):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * fan)}]")
    lines.append(f"? [{', '.join([f'*l{depth - 1}'] * fan)}]\n: x")
    return "\n".join(lines) + "\n"


@st.composite
def hostile(draw) -> tuple[str, str]:
    """(suffix, text) of a hostile document: an alias bomb in a key, deep nesting, a control
    character, an extreme number, a huge list, a self-referencing alias."""
    shape = draw(
        st.sampled_from(["key bomb", "deep", "control", "extreme", "huge list", "self alias"])
    )
    data = copy.deepcopy(VALID)
    if shape == "key bomb":
        return ".yaml", _key_bomb(draw(st.integers(6, 12)), draw(st.integers(5, 8)))
    if shape == "deep":
        depth = draw(st.integers(65, 5_000))
        if draw(st.booleans()):
            return ".json", '{"name": ' + "[" * depth + "]" * depth + "}"
        if draw(st.booleans()):
            return ".yaml", "name: " + "[" * depth + "]" * depth + "\n"
        return ".yaml", "".join("  " * i + f"k{i}:\n" for i in range(min(depth, 400))) + "x\n"
    if shape == "self alias":
        return ".yaml", draw(st.sampled_from(["name: &a [*a]\n", "a: &a {b: *a}\n"]))
    if shape == "huge list":
        lists = [p for p in _paths(data) if p and isinstance(_parent(data, p)[p[-1]], list)]
        path = draw(st.sampled_from(lists))
        size = draw(st.sampled_from([101, 5_000, 300_000]))
        _parent(data, path)[path[-1]] = [0.5] * size
        return ".yaml", yaml.safe_dump(data, sort_keys=False, default_flow_style=True, width=10**9)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if shape == "control":
        cut = draw(st.integers(0, len(text)))
        return ".yaml", text[:cut] + draw(st.sampled_from(CONTROL)) + text[cut:]
    numbers = [
        p
        for p in _paths(data)
        if p
        and isinstance(_parent(data, p)[p[-1]], int | float)
        and not isinstance(_parent(data, p)[p[-1]], bool)
    ]
    path = draw(st.sampled_from(numbers))
    value = draw(st.sampled_from(EXTREME))
    marker = "__EXTREME__"
    _parent(data, path)[path[-1]] = marker
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return ".yaml", text.replace(f"'{marker}'", str(value)).replace(marker, str(value))


ENTRY_POINTS = ["run", "validate", "compare", "contract", "sensitivity", "report", "indigo-import"]


def _command(entry: str, hostile_file: Path, folder: Path) -> tuple[list[str], Path | None]:
    out = folder / "out.txt"
    example = str(EXAMPLES / "impact60-job-education.yaml")
    deal = str(EXAMPLES / "contracts" / "indigo" / "fair-chance-fund-rate-card.indigo.json")
    path = str(hostile_file)
    if entry == "validate":
        return ["validate", path], None
    if entry == "compare":
        return ["compare", example, path, "-f", "json", "--out", str(out)], out
    if entry == "report":
        return ["report", path, "--format", "html", "--out", str(out)], out
    if entry == "indigo-import":
        # the hostile file as the INDIGO document when it is JSON, else as the case
        pair = [path, example] if hostile_file.suffix == ".json" else [deal, path]
        return ["indigo-import", *pair, "--out", str(out)], out
    return [entry, path, "-f", "json", "--out", str(out)], out


@settings(
    max_examples=16,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(hostile(), st.sampled_from(ENTRY_POINTS), st.sampled_from(["da", "en"]))
def test_hostile_input_is_refused_in_bounded_memory_and_time(
    tmp_path_factory, document, entry, lang
):
    suffix, text = document
    _warm()
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / f"case{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    args, out = _command(entry, path, folder)
    report = bounded_invoke([*args, "--lang", lang])
    assert report["crash"] is None, (entry, report["crash"], text[:300])
    assert report["exit_code"] in (0, 2), (entry, report, text[:300])
    if report["exit_code"] == 2:
        lines = report["stderr"].strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in report["stderr"], report["stderr"]
        assert lines[0].startswith("fejl: " if lang == "da" else "error: "), lines[0]
        assert lines[0].endswith(".") and len(lines[0]) < 800, lines[0]
        assert report["stdout"] == ""
        assert sorted(p.name for p in folder.iterdir()) == [path.name]  # nothing written
    elif out is not None and out.exists() and entry != "report":
        content = out.read_text(encoding="utf-8")
        assert "NaN" not in content and "Infinity" not in content
