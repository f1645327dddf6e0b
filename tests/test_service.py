"""The public service seam (socialinvest.service): what the command line and the web call.

Numbers are worked out by hand below; the rest checks the seam's own behaviour: text and bytes
with a display name, one-sentence errors, progress, cancellation, report bytes, the knowledge
base, INDIGO in and out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from socialinvest import service
from socialinvest.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FAIR_CHANCE = EXAMPLES / "contracts" / "fair-chance-fund-rate-card.yaml"

SMALL = """
name: Seam hand case
price_year: 2024
horizon_years: 2
target_group:
  description: test group
  cohorts: [{year: 2024, intake: 10}]
intervention:
  name: mentor
  duration_years: 1
  costs:
    - {name: mentor, type: per_participant, amount: 1000, actor: kommune, area: employment}
success: {measure: job, rate_with: 0.5, rate_without: 0.2}
consequences:
  - name: fewer visits
    price: {value: 450, unit: DKK, area: health, actor_split: {region: 1.0},
            source: own figure, status: assumption}
    unit: occurrence
    units_per_success: [-20, -10]
discounting: {rate: 0.04, convention: start}
"""

UNCERTAIN = SMALL.replace("rate_with: 0.5", "rate_with: {dist: beta, mean: 0.5, sd: 0.05}")


def _hand_npv() -> dict[str, float]:
    successes = 10 * (0.5 - 0.2)  # 3 additional successes in 2024
    region = successes * 20 * 450 + successes * 10 * 450 / 1.04  # 27,000 + 13,500 / 1.04
    kommune = -10 * 1000.0  # 1,000 kr. per participant at intake, not discounted (year 0)
    return {"kommune": kommune, "region": region, "total": kommune + region}


def test_a_case_from_bytes_with_a_display_name_runs_to_the_hand_figures():
    loaded = service.load_text(SMALL.encode("utf-8"), "upload.yaml")
    assert loaded.file == "upload.yaml"
    result = service.appraise(loaded)
    expected = _hand_npv()
    assert result.npv_by_actor()["kommune"] == pytest.approx(expected["kommune"], rel=1e-12)
    assert result.npv_by_actor()["region"] == pytest.approx(expected["region"], rel=1e-12)
    assert result.npv_total == pytest.approx(expected["total"], rel=1e-12)
    assert result.to_dict()["npv"]["total"] == pytest.approx(expected["total"], rel=1e-12)


def test_text_data_and_path_give_the_same_case(tmp_path: Path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    from_path = service.load(path)
    from_data = service.load_data(yaml.safe_load(SMALL), "form")
    assert from_path.file == str(path)
    assert from_path.sha256 == service.load_text(SMALL, "x.yaml").sha256
    assert from_data.case.model_dump() == from_path.case.model_dump()
    assert service.appraise(from_data).npv_total == pytest.approx(_hand_npv()["total"])


def test_bad_input_is_one_sentence_naming_the_name_line_field_and_value():
    bad = SMALL.replace("rate_with: 0.5", "rate_with: 1.5")
    with pytest.raises(service.InputError) as caught:
        service.load_text(bad.encode(), "upload.yaml")
    message = caught.value.message
    assert "upload.yaml" in message
    assert "line 13" in message  # the success line of SMALL (counting its first empty line)
    assert "success.rate_with" in message
    assert "1.5" in message
    assert "\n" not in message

    with pytest.raises(service.InputError, match=r"upload\.yaml.*UTF-8"):
        service.load_text(b"name: \xff\xfe bad", "upload.yaml")


def test_validate_resolves_knowledge_base_references():
    unknown = SMALL.replace(
        "consequences:\n",
        "consequences:\n  - {ref: prices/no-such-entry, unit: year, units_per_success: [1]}\n",
    )
    loaded = service.load_text(unknown, "case.yaml")  # the file itself is well-formed
    with pytest.raises(service.InputError, match="no-such-entry"):
        service.validate(loaded)


def test_progress_reaches_the_draws_and_cancel_stops_the_run():
    loaded = service.load_text(UNCERTAIN, "u.yaml")
    seen: list[tuple[int, int]] = []
    result = service.appraise(loaded, draws=300, seed=4, progress=lambda d, n: seen.append((d, n)))
    assert seen and seen[-1] == (300, 300)
    assert result.run["seed"] == 4

    with pytest.raises(service.Cancelled):
        service.appraise(loaded, draws=300, seed=4, cancel=lambda: True)
    answers = iter([False, True])  # at the start, then after the first chunk
    with pytest.raises(service.Cancelled):
        service.appraise(loaded, draws=300, seed=4, cancel=lambda: next(answers))


def test_compare_counts_the_progress_of_all_alternatives():
    a = service.load_text(SMALL, "a.yaml")
    b = service.load_text(SMALL.replace("amount: 1000", "amount: 2000"), "b.yaml")
    seen: list[tuple[int, int]] = []
    comparison = service.compare([("A", a), ("B", b)], progress=lambda d, n: seen.append((d, n)))
    assert seen == [(1, 2), (2, 2)]
    npv = {alt.name: alt.npv for alt in comparison.alternatives}
    # B costs 10 participants x 1,000 kr. more in year 0
    assert npv["A"] - npv["B"] == pytest.approx(10_000.0)


def test_sensitivity_takes_ranges_as_text():
    path, given = service.parse_range("success.rate_with=0,4:0,6")
    assert (path, given) == ("success.rate_with", (0.4, 0.6))
    found = service.sensitivity(service.load_text(SMALL, "s.yaml"), inputs={path: given})
    (row,) = found.one_way
    # The region's gain is linear in the additional successes: 10 x (rate - 0.2) x 450 x
    # (20 + 10 / 1.04); the cost does not depend on the rate.
    per_success = 450 * (20 + 10 / 1.04)
    assert row.npv_low["total"] == pytest.approx(10 * 0.2 * per_success - 10_000, rel=1e-12)
    assert row.npv_high["total"] == pytest.approx(10 * 0.4 * per_success - 10_000, rel=1e-12)
    assert row.npv_low["kommune"] == pytest.approx(-10_000.0)


def test_reports_are_bytes_in_each_format():
    loaded = service.load_text(SMALL, "r.yaml")
    html = service.report(loaded, "html", lang="en")
    assert html.startswith(b"<!DOCTYPE html>") and b"Seam hand case" in html
    xlsx = service.report(loaded, " XLSX ", lang="da")
    assert xlsx[:2] == b"PK"  # a zip container
    assert service.report_format("Pdf") == "pdf"
    with pytest.raises(service.InputError, match="html, pdf or xlsx"):
        service.report(loaded, "doc")


def test_knowledge_list_search_and_show():
    every = service.knowledge_list()
    assert len(every) == len(service.knowledge_base().ids())
    prices = service.knowledge_list("unit_price")
    assert prices and all(item.entry.kind == "unit_price" for item in prices)
    found = [item.id for item in service.knowledge_search("praktiserende LÆGE konsultation")]
    assert found == ["health/gp-consultation"]
    assert service.knowledge_search("") == every
    shown = service.knowledge_entry("health/gp-consultation").to_dict()
    assert shown["id"] == "health/gp-consultation" and shown["kind"] == "unit_price"
    with pytest.raises(service.InputError, match="did you mean 'health/gp-consultation'"):
        service.knowledge_entry("health/gp-consultatio")


def test_versions_name_what_a_result_depends_on():
    import socialinvest

    result = service.appraise(service.load_text(SMALL, "v.yaml"))
    assert service.versions() == {
        "package": socialinvest.__version__,
        "knowledge_base": result.knowledge_base_version,
        "knowledge_base_digest": result.knowledge_base_digest,
    }


def test_schema_and_template():
    schema = service.case_schema()
    assert "target_group" in schema["properties"]  # type: ignore[operator]
    assert json.loads(service.case_schema_json()) == schema
    template = service.case_template()
    assert service.load_text(template, "template.yaml").case.name


def test_indigo_out_and_back_keeps_the_published_prices():
    result = service.contract(service.load(FAIR_CHANCE))
    document = service.indigo_export_json(result)
    text = service.indigo_import(document.encode(), FAIR_CHANCE, document_name="deal.json")
    contract = service.load_text(text, "back.yaml").case.contract
    assert contract is not None
    published = yaml.safe_load(FAIR_CHANCE.read_text("utf-8"))["contract"]["payments"]
    assert [p.price for p in contract.payments] == [p["price"] for p in published]
    with pytest.raises(service.InputError, match=r"deal\.json"):
        service.indigo_import(b"{not json", FAIR_CHANCE, document_name="deal.json")


def test_the_cli_json_equals_the_service_result(tmp_path: Path):
    path = tmp_path / "small.yaml"
    path.write_text(UNCERTAIN, encoding="utf-8")
    out = CliRunner().invoke(app, ["run", str(path), "--format", "json", "-n", "50", "-s", "3"])
    assert out.exit_code == 0, out.output
    from_cli = json.loads(out.stdout)
    from_service = service.appraise(service.load(path), draws=50, seed=3).to_dict()
    assert from_cli["npv"] == json.loads(json.dumps(from_service["npv"]))
