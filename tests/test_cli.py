"""The command line end to end: the bundled examples, every output format, templates, schema."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from socialinvest.case.schema import case_schema
from socialinvest.cli import app

from .conftest import EXAMPLES, ROOT

runner = CliRunner()
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def case_model(path: Path) -> str:
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("model", "success_rate")


def test_there_are_two_examples():
    names = {p.name for p in EXAMPLE_FILES}
    assert {"impact60-job-education.yaml", "housing-first-young-homeless.yaml"} <= names


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["da", "en"])
def test_examples_run_as_readable_tables(example: Path, lang: str):
    result = runner.invoke(app, ["run", str(example), "--lang", lang])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if lang == "da":
        assert "Nutidsværdi" in out and "Tilbagebetalingsår" in out and "kr." in out
        assert "Afkast pr. investeret krone" in out
    else:
        assert "Net present value" in out and "Break-even year" in out and "DKK" in out
    for year in range(2025, 2035):
        assert str(year) in out


def test_danish_number_format_in_the_table():
    result = runner.invoke(app, ["run", str(EXAMPLES / "impact60-job-education.yaml")])
    data = json.loads(
        runner.invoke(
            app, ["run", str(EXAMPLES / "impact60-job-education.yaml"), "--format", "json"]
        ).stdout
    )
    npv = round(data["npv"]["total"])
    danish = f"{npv:,}".replace(",", ".") + " kr."
    assert danish in result.stdout
    rpk = data["return_per_krone"]
    assert f"{rpk:.2f}".replace(".", ",") + " kr." in result.stdout


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_json_output_has_the_documented_fields(example: Path):
    result = runner.invoke(app, ["run", str(example), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["currency"] == "DKK"
    assert data["price_year"] == yaml.safe_load(example.read_text(encoding="utf-8"))["price_year"]
    assert data["draws"] == 1
    assert set(data["npv"]) == {"total", "by_actor"}
    assert set(data["npv"]["by_actor"]) == {"kommune", "region", "stat"}
    assert data["npv"]["total"] == pytest.approx(sum(data["npv"]["by_actor"].values()))
    assert data["break_even_year"] is None or 2025 <= data["break_even_year"] <= 2034
    assert isinstance(data["return_per_krone"], float)
    assert set(data["break_even_success_rate"]) >= {"total", "by_actor"}
    if case_model(example) == "state_transition":
        assert set(data["state_transition"]["outcomes"]) >= {"months_in_job_or_education"}
    assert set(data["break_even_success_rate"]["by_actor"]) == {"kommune", "region", "stat"}
    row = data["yearly"][0]
    assert set(row) >= {"year", "actor", "area", "gains", "costs", "net", "discounted_net"}
    for r in data["yearly"]:
        assert r["net"] == pytest.approx(r["gains"] - r["costs"])
    # the yearly rows add up to the NPV
    assert sum(r["discounted_net"] for r in data["yearly"]) == pytest.approx(data["npv"]["total"])
    prov = data["provenance"]
    assert prov["package_version"] and prov["knowledge_base_version"]
    assert len(prov["knowledge_base_digest"]) == 64
    for entry in prov["entries"]:
        assert {"id", "value", "year", "source", "status"} <= set(entry)
    ids = {e["id"] for e in prov["entries"]}
    assert "discounting/finansministeriet" in ids
    case = yaml.safe_load(example.read_text(encoding="utf-8"))
    consequences = case.get("consequences") or case["state_transition"]["consequences"]
    assert {c["ref"] for c in consequences} <= ids


def test_json_is_reproducible():
    args = ["run", str(EXAMPLES / "housing-first-young-homeless.yaml"), "--format", "json"]
    assert runner.invoke(app, args).stdout == runner.invoke(app, args).stdout


@pytest.mark.parametrize(("lang", "delimiter"), [("da", ";"), ("en", ",")])
def test_csv_output(lang: str, delimiter: str):
    example = EXAMPLES / "impact60-job-education.yaml"
    data = json.loads(runner.invoke(app, ["run", str(example), "--format", "json"]).stdout)
    result = runner.invoke(app, ["run", str(example), "--format", "csv", "--lang", lang])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter=delimiter))
    assert len(rows) == len(data["yearly"])

    def number(text: str) -> float:
        return float(text.replace(",", ".")) if lang == "da" else float(text)

    total = sum(number(r["discounted_net"]) for r in rows)
    assert total == pytest.approx(data["npv"]["total"], abs=0.01 * len(rows))


def test_out_writes_the_file(tmp_path: Path):
    out = tmp_path / "result.json"
    result = runner.invoke(
        app,
        [
            "run",
            str(EXAMPLES / "impact60-job-education.yaml"),
            "--format",
            "json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["price_year"] == 2023
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]  # no temp files left


def test_validate(tmp_path: Path):
    result = runner.invoke(app, ["validate", *map(str, EXAMPLE_FILES)])
    assert result.exit_code == 0
    assert result.stdout.count("gyldig") == len(EXAMPLE_FILES)


def test_new_template_runs_and_does_not_overwrite(tmp_path: Path):
    target = tmp_path / "my-case.yaml"
    assert runner.invoke(app, ["new", str(target)]).exit_code == 0
    assert "docs/case-format.md" in target.read_text(encoding="utf-8")
    assert runner.invoke(app, ["run", str(target)]).exit_code == 0
    again = runner.invoke(app, ["new", str(target)])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_multiple_cases_give_a_json_list():
    result = runner.invoke(app, ["run", *map(str, EXAMPLE_FILES), "--format", "json"])
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == len(EXAMPLE_FILES)


def test_schema_is_committed_and_current():
    committed = json.loads((ROOT / "docs" / "case.schema.json").read_text(encoding="utf-8"))
    assert committed == case_schema(), "run: socialinvest schema --out docs/case.schema.json"


@pytest.mark.parametrize(
    "example", EXAMPLE_FILES + sorted((EXAMPLES / "contracts").glob("*.yaml")), ids=lambda p: p.stem
)
def test_examples_validate_against_the_json_schema(example: Path):
    # YAML 1.2 (what editors' language servers use) reads 2025-01-06 as a string; PyYAML reads
    # it as a date, so dates go back to text before validating
    data = json.loads(json.dumps(yaml.safe_load(example.read_text(encoding="utf-8")), default=str))
    jsonschema.validate(data, case_schema())


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "validate", "new", "schema", "knowledge"):
        assert command in result.stdout


def test_python_api(tmp_path: Path):
    import socialinvest

    case = socialinvest.load_case(EXAMPLES / "impact60-job-education.yaml")
    result = socialinvest.appraise(case)
    frame = result.to_frame()
    assert list(frame.columns)[:4] == ["year", "actor", "area", "gains"]
    assert frame["discounted_net"].sum() == pytest.approx(result.npv_total)
    assert set(frame["committee"].dropna()) <= set(case.committees or {})
