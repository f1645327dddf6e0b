"""The contract commands end to end: loading a published deal from INDIGO JSON onto a case."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from socialinvest.cli import app

from .conftest import EXAMPLES

runner = CliRunner()
DEAL = EXAMPLES / "contracts" / "indigo" / "fair-chance-fund-rate-card.indigo.json"
CASE = EXAMPLES / "impact60-uncertain.yaml"


def _import(tmp_path, *extra: str):
    out = tmp_path / "deal.yaml"
    args = ["indigo-import", str(DEAL), str(CASE), "--out", str(out), "--period", "month"]
    args += ["--start-date", "2025-01-01", "--states", "success", *extra]
    return runner.invoke(app, args), out


def test_a_published_deal_loads_onto_a_case_and_runs(tmp_path):
    result, out = _import(tmp_path, "--exchange-rate", "GBP=8.7")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    pricings = {p["name"]: p["price"] for p in data["contract"]["payments"]}
    # the published Fair Chance Fund price of £500 for entry into accommodation, at 8.7 kr./£
    assert pricings["Entry into accommodation"] == 500 * 8.7
    assert data["contract"]["person_cap"] == 15_000 * 8.7
    assert any("8.7" in v for v in data["contract"]["sources"].values())
    run = runner.invoke(app, ["contract", str(out), "--draws", "50", "--seed", "1", "-f", "json"])
    assert run.exit_code == 0, run.output


def test_a_bad_exchange_rate_is_one_sentence_and_writes_nothing(tmp_path):
    result, out = _import(tmp_path, "--exchange-rate", "GBP:8.7")
    assert result.exit_code == 2
    assert "--exchange-rate" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_a_document_that_is_not_json_is_one_sentence(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    out = tmp_path / "deal.yaml"
    result = runner.invoke(app, ["indigo-import", str(bad), str(CASE), "--out", str(out)])
    assert result.exit_code == 2
    assert "bad.json" in result.stderr and "JSON" in result.stderr
    assert not out.exists()


def test_no_indigo_file_is_left_when_the_main_output_cannot_be_written(tmp_path):
    indigo = tmp_path / "deal.indigo.json"
    result = runner.invoke(
        app,
        [
            "contract",
            str(EXAMPLES / "contracts" / "aalborg-impact60.yaml"),
            "--indigo",
            str(indigo),
            "--out",
            str(tmp_path / "missing-folder" / "out.txt"),
        ],
    )
    assert result.exit_code == 2
    assert "missing-folder" in result.stderr
    assert not indigo.exists()
