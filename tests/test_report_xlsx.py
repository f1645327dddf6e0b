"""The XLSX report: live formulas recalculated by a real spreadsheet engine equal the engine.

LibreOffice (headless) opens each workbook written by openpyxl (formulas without cached values),
recalculates it and saves it; the values it computed are compared with socialinvest's engine,
which shares no code with the spreadsheet's formulas. Then one input is changed in a copy of the
file, LibreOffice recalculates again, and the results must move exactly as the engine says for
the correspondingly changed case. All files go through LibreOffice in one call.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from socialinvest import service
from socialinvest.case import load_case, load_case_text
from socialinvest.knowledge import KnowledgeBase
from socialinvest.report.content import ReportData
from socialinvest.report.xlsx import build_workbook, render_xlsx, write_xlsx
from socialinvest.result import Result
from socialinvest.runner import appraise
from socialinvest.vocabulary import ACTORS

from .conftest import EXAMPLES, base_case
from .test_hand_cases import CASE_1

FIXTURES = Path(__file__).parent / "fixtures"
EVERY_FORMULA = FIXTURES / "xlsx-every-formula.yaml"
REL = 1e-9  # LibreOffice stores 15 significant digits
ABS = 1e-6  # kroner


def _data(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Workbook_:
    """A workbook written by the report (formulas) and LibreOffice's recalculation of it."""

    written: Path
    recalculated: Path
    expected: Result  # the engine's deterministic result for the (possibly changed) case
    lang: str


@dataclass(frozen=True)
class Case_:
    """A workbook to recalculate: a case, its language and draws, and optionally inputs to
    change in the written file (defined name -> (position in its range, new value)) with the
    same change made to the case (``change``)."""

    key: str
    source: Path | str  # a case file, or the text of a case
    lang: str
    draws: int = 1
    edits: tuple[tuple[str, int, float], ...] = ()
    change: Any = None
    fixture_kb: bool = False

    def data(self) -> dict[str, Any]:
        if isinstance(self.source, Path):
            return _data(self.source)
        loaded: dict[str, Any] = yaml.safe_load(self.source)
        return loaded


def _set_rate_with(data: dict[str, Any]) -> None:
    data["success"]["rate_with"] = 0.4


def _housing_changes(data: dict[str, Any]) -> None:
    data["intervention"]["costs"][0]["amount"] = 6_000_000
    data.setdefault("adjustments", {})["attribution"] = 0.2
    # the first band of the schedule is the only one within 10 years: a constant 5 %
    data["discounting"] = {"rate": 0.05, "convention": "start"}


def _every_formula_changes(data: dict[str, Any]) -> None:
    data["consequences"][0]["price"]["value"] = 950
    data["consequences"][0]["price"]["actor_split"] = {"kommune": 0.5, "region": 0.5}
    data["target_group"]["cohorts"][1]["intake"] = 20
    data["discounting"]["convention"] = "start"


def _hand_case_changes(data: dict[str, Any]) -> None:
    data["consequences"][0]["units_per_success"][1] = -6


JOB = EXAMPLES / "impact60-job-education.yaml"
HOUSING = EXAMPLES / "housing-first-young-homeless.yaml"
# 40 years: the Finance Ministry's schedule steps from 3.5 % to 2.5 % after year 35
LONG = yaml.safe_dump({**_data(JOB), "horizon_years": 40}, allow_unicode=True)
NO_COSTS = yaml.safe_dump(
    base_case(intervention={"name": "free", "duration_years": 1, "costs": []}),
    allow_unicode=True,
)

CASES: list[Case_] = [
    Case_("impact60-da", JOB, "da"),
    Case_("housing-en", HOUSING, "en"),
    Case_("uncertain-da", EXAMPLES / "impact60-uncertain.yaml", "da", draws=300),
    Case_("every-formula-en", EVERY_FORMULA, "en"),
    Case_("hand-case-1-da", CASE_1, "da", fixture_kb=True),
    Case_("no-costs-en", NO_COSTS, "en"),
    Case_("impact60-40-years-en", LONG, "en"),
    Case_("impact60-da-changed", JOB, "da", edits=(("rate_with", 0, 0.4),), change=_set_rate_with),
    Case_(
        "housing-en-changed",
        HOUSING,
        "en",
        edits=(("cost_1", 0, 6_000_000), ("attribution", 0, 0.2), ("discount_rates", 0, 0.05)),
        change=_housing_changes,
    ),
    Case_(
        "every-formula-da-changed",
        EVERY_FORMULA,
        "da",
        edits=(
            ("price_1", 0, 950),
            ("shares_1", 0, 0.5),
            ("shares_1", 1, 0.5),
            ("intake", 1, 20),
            ("convention", 0, 0),
        ),
        change=_every_formula_changes,
    ),
    Case_(
        "hand-case-1-en-changed",
        CASE_1,
        "en",
        edits=(("profile_1", 1, -6),),
        change=_hand_case_changes,
        fixture_kb=True,
    ),
]


def _cells(wb: openpyxl.Workbook, name: str) -> list[Any]:
    """The cells a defined name points to (one or a row)."""
    (sheet, ref), *_ = list(wb.defined_names[name].destinations)
    found = wb[sheet][ref.replace("$", "")]
    if isinstance(found, tuple):
        return [cell for row in found for cell in (row if isinstance(row, tuple) else (row,))]
    return [found]


def _appraise_data(
    data: dict[str, Any], kb: KnowledgeBase | None, draws: int = 1, seed: int | None = None
) -> Result:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return appraise(load_case_text(text, "case.yaml"), kb, draws=draws, seed=seed)


@pytest.fixture(scope="module")
def workbooks(
    tmp_path_factory: pytest.TempPathFactory, fixture_kb: KnowledgeBase
) -> dict[str, Workbook_]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip(
            "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
        )
    folder = tmp_path_factory.mktemp("xlsx")
    written: dict[str, tuple[Path, Result, str]] = {}
    for case in CASES:
        kb = fixture_kb if case.fixture_kb else None
        seed = 11 if case.draws > 1 else None
        result = _appraise_data(case.data(), kb, draws=case.draws, seed=seed)
        path = folder / f"{case.key}.xlsx"
        build_workbook(result, case.lang, kb=kb, charts=False).save(path)
        expected = result if case.draws == 1 else _appraise_data(case.data(), kb)
        if case.edits:
            wb = openpyxl.load_workbook(path)
            for name, index, value in case.edits:
                _cells(wb, name)[index].value = value
            wb.save(path)
            data = case.data()
            case.change(data)
            expected = _appraise_data(data, kb)
        written[case.key] = (path, expected, case.lang)
    out = folder / "recalculated"
    profile = folder / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            *[str(path) for path, _, _ in written.values()],
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {
        key: Workbook_(path, out / path.name, expected, lang)
        for key, (path, expected, lang) in written.items()
    }


def _close(actual: Any, expected: float) -> bool:
    return isinstance(actual, int | float) and math.isclose(
        actual, expected, rel_tol=REL, abs_tol=ABS
    )


def _check_against_engine(book: Workbook_) -> None:
    src = openpyxl.load_workbook(book.written)
    out = openpyxl.load_workbook(book.recalculated, data_only=True)
    r = book.expected

    def value(name: str) -> Any:
        assert str(_cells(src, name)[0].value).startswith("="), f"{name} is not a formula"
        return _cells(out, name)[0].value

    def row(name: str) -> list[Any]:
        return [cell.value for cell in _cells(out, name)]

    involved = dict(zip(ACTORS, r.actors_involved(), strict=True))
    none_text = "ingen" if book.lang == "da" else "none"
    never_text = "nås ikke" if book.lang == "da" else "never"

    def check(name: str, expected: float | None, missing: str) -> None:
        actual = value(name)
        if expected is None:
            assert actual == missing, f"{name}: {actual!r}, engine: none ({missing!r})"
        else:
            assert _close(actual, expected), f"{name}: {actual!r}, engine: {expected!r}"

    gains, costs = r.discounted_gains_by_actor(), r.discounted_costs_by_actor()
    rpk = r.return_per_krone_by_actor()
    break_even = r.break_even_year_by_actor()
    rate = r.break_even_success_rate()
    for actor in ACTORS:
        mark = none_text if involved[actor] else "–"
        check(f"npv_{actor}", r.npv_by_actor()[actor], "")
        check(f"gains_{actor}", gains[actor], "")
        check(f"costs_{actor}", costs[actor], "")
        check(f"return_per_krone_{actor}", rpk[actor], "–")
        check(f"break_even_year_{actor}", break_even[actor], mark)
        check(
            f"break_even_rate_{actor}",
            rate["by_actor"][actor],
            never_text if involved[actor] else "–",
        )
    check("npv_total", r.npv_total, "")
    check("gains_total", sum(gains.values()), "")
    check("costs_total", sum(costs.values()), "")
    check("return_per_krone_total", r.return_per_krone, "–")
    check("break_even_year_total", r.break_even_year, none_text)
    check("break_even_rate_total", rate["total"], never_text)
    check("additional_successes", r.additional_successes, "–")
    check("cost_per_success", r.cost_per_additional_success, "–")

    yearly = r.yearly_by_actor()
    cumulative = r.cumulative_by_actor()
    for k, actor in enumerate(ACTORS):
        for name, series in (
            (f"gains_year_{actor}", yearly["gains"][k]),
            (f"costs_year_{actor}", yearly["costs"][k]),
            (f"cum_{actor}", cumulative[k]),
        ):
            actual = row(name)
            assert all(_close(a, e) for a, e in zip(actual, series.tolist(), strict=True)), name
    assert all(
        _close(a, e) for a, e in zip(row("cum_total"), r.cumulative_total().tolist(), strict=True)
    )
    assert all(
        _close(a, e)
        for a, e in zip(row("df_costs"), r.summary.discount_costs.tolist(), strict=True)
    )
    assert all(
        _close(a, e)
        for a, e in zip(row("df_gains"), r.summary.discount_gains.tolist(), strict=True)
    )

    committees = r.by_committee()
    n = 1
    while f"npv_committee_{n}" in src.defined_names:
        if n <= len(committees):
            check(f"npv_committee_{n}", committees[n - 1]["npv"], "")
        else:  # an unmapped area whose flows are all zero (the engine leaves it out)
            check(f"npv_committee_{n}", 0.0, "")
        n += 1
    assert n - 1 >= len(committees)


@pytest.mark.parametrize("key", [case.key for case in CASES])
def test_recalculated_results_equal_the_engine(workbooks: dict[str, Workbook_], key: str) -> None:
    _check_against_engine(workbooks[key])


def test_a_changed_input_moves_the_results(workbooks: dict[str, Workbook_]) -> None:
    """The changed files' results differ from the unchanged ones (and equal the engine's for the
    changed case: test_recalculated_results_equal_the_engine)."""
    for before, after in (
        ("impact60-da", "impact60-da-changed"),
        ("housing-en", "housing-en-changed"),
    ):
        old = openpyxl.load_workbook(workbooks[before].recalculated, data_only=True)
        new = openpyxl.load_workbook(workbooks[after].recalculated, data_only=True)
        src = openpyxl.load_workbook(workbooks[before].written)
        (sheet, ref), *_ = list(src.defined_names["npv_total"].destinations)
        assert old[sheet][ref.replace("$", "")].value != new[sheet][ref.replace("$", "")].value
    # lower success rate: lower NPV, exactly as the engine says
    assert workbooks["impact60-da-changed"].expected.npv_total < (
        workbooks["impact60-da"].expected.npv_total
    )


def test_monte_carlo_summaries_are_values(workbooks: dict[str, Workbook_]) -> None:
    book = workbooks["uncertain-da"]
    result = appraise(load_case(EXAMPLES / "impact60-uncertain.yaml"), draws=300, seed=11)
    u = result.uncertainty()
    assert u is not None
    wb = openpyxl.load_workbook(book.written)
    ws = wb["Usikkerhed"]
    numbers = [
        cell.value
        for line in ws.iter_rows()
        for cell in line
        if isinstance(cell.value, int | float)
    ]
    assert not any(
        isinstance(cell.value, str) and cell.value.startswith("=")
        for line in ws.iter_rows()
        for cell in line
    )
    expected = [u["total"][k] for k in ("mean", "sd", "p05", "p50", "p95", "prob_positive")]
    for actor in ("kommune", "stat"):
        expected += [u["by_actor"][actor][k] for k in ("mean", "p05", "p95", "prob_positive")]
    expected += [u["return_per_krone"]["mean"], u["additional_successes"]["p95"]]
    expected += [u["break_even_success_rate"]["total"]["p50"]]
    expected += list(u["break_even_year"]["distribution"].values())
    for value in expected:
        assert any(math.isclose(value, n, rel_tol=1e-12) for n in numbers), value
    # the deterministic results of the Monte Carlo run's case are live formulas
    about = wb["Om"]
    texts = " ".join(str(c.value) for line in about.iter_rows() for c in line if c.value)
    assert "300 trækninger" in texts and "seed 11" in texts


def test_state_transition_case_is_written_as_values_with_a_note(tmp_path: Path) -> None:
    result = appraise(load_case(EXAMPLES / "impact60-state-transition.yaml"))
    wb = build_workbook(result, "en")
    assert wb.sheetnames == ["About", "Results", "Per year", "Outcomes"]
    about = " ".join(str(c.value) for line in wb["About"].iter_rows() for c in line if c.value)
    assert "not written as spreadsheet formulas" in about
    ws = wb["Results"]
    cells = [c for line in ws.iter_rows() for c in line]
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for c in cells)
    numbers = [c.value for c in cells if isinstance(c.value, float)]
    assert any(math.isclose(result.npv_total, n, rel_tol=1e-12) for n in numbers)
    for actor, npv in result.npv_by_actor().items():
        assert any(math.isclose(npv, n, rel_tol=1e-12, abs_tol=1e-9) for n in numbers), actor


def test_labels_and_number_formats_follow_the_language() -> None:
    result = appraise(load_case(EXAMPLES / "impact60-job-education.yaml"))
    da = build_workbook(result, "da")
    en = build_workbook(result, "en")
    assert da.sheetnames == ["Om", "Input", "Beregning", "Resultater"]
    assert en.sheetnames == ["About", "Inputs", "Calculation", "Results"]
    (cell,) = _cells(da, "npv_total")
    assert cell.number_format == "#,##0"
    assert cell.value.startswith("=")
    assert da["Resultater"]["A6"].value == "Tilbagediskonterede gevinster"
    # every formula the report writes is a formula (none written as text by mistake)
    texts = [
        (ws.title, cell.coordinate)
        for ws in da.worksheets
        for line in ws.iter_rows()
        for cell in line
        if cell.data_type == "s" and str(cell.value).startswith("=")
    ]
    assert texts == []
    assert sum(c.data_type == "f" for line in da["Beregning"].iter_rows() for c in line) > 500
    assert en["Results"]["A6"].value == "Discounted gains"
    # inputs are value cells, marked, with their status; assumptions stand out
    (rate,) = _cells(da, "rate_with")
    assert rate.value == 0.5 and rate.fill.fgColor.rgb.endswith("DDEBF7")
    statuses = [c.value for line in da["Input"].iter_rows() for c in line]
    assert "ANTAGELSE" in statuses
    assert "ASSUMPTION" in [c.value for line in en["Inputs"].iter_rows() for c in line]


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize(
    "case_file",
    sorted(EXAMPLES.glob("*.yaml")) + sorted((EXAMPLES / "published-models").glob("*.yaml")),
    ids=lambda p: p.stem,
)
def test_every_bundled_example_in_both_languages(
    tmp_path: Path, case_file: Path, lang: str
) -> None:
    result = appraise(load_case(case_file))
    target = tmp_path / f"{case_file.stem}.{lang}.xlsx"
    write_xlsx(ReportData(result=result, lang=lang), target)  # type: ignore[arg-type]
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[0] == ("Om" if lang == "da" else "About")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


def test_a_result_of_another_knowledge_base_is_refused(fixture_kb: Any) -> None:
    case = load_case_text(yaml.safe_dump(base_case(), allow_unicode=True), "own-price.yaml")
    result = appraise(case, fixture_kb)
    with pytest.raises(ValueError, match="another knowledge base"):
        build_workbook(result, "en")
    assert build_workbook(result, "en", kb=fixture_kb).sheetnames[1] == "Inputs"


def test_sensitivity_and_charts_of_a_monte_carlo_report() -> None:
    data = service.report_data(
        service.load(EXAMPLES / "impact60-uncertain.yaml"), "en", draws=200, seed=5
    )
    assert data.sensitivity is not None
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(data)))
    assert wb.sheetnames == [
        "About",
        "Inputs",
        "Calculation",
        "Results",
        "Uncertainty",
        "Sensitivity",
    ]
    ws = wb["Sensitivity"]
    numbers = [c.value for line in ws.iter_rows() for c in line if isinstance(c.value, float)]
    assert any(math.isclose(data.sensitivity.npv_point["total"], n) for n in numbers)
    for item in data.sensitivity.one_way:
        for value in (
            item.low,
            item.high,
            item.swing,
            item.npv_low["total"],
            item.npv_high["kommune"],
        ):
            assert any(math.isclose(value, n, rel_tol=1e-12) for n in numbers), item.path
    # the report's charts as pictures on the sheets of values; a native (live) chart on Results
    assert len(wb["Uncertainty"]._images) == 1
    assert len(ws._images) == 1
    assert len(wb["Results"]._charts) == 1
    assert wb.calculation.fullCalcOnLoad


def test_text_from_the_case_is_never_a_formula() -> None:
    """A case's texts that look like formulas ("=...") are written as text."""
    marker = '=HYPERLINK("http://example.invalid","INJECTED")'
    data = _data(EVERY_FORMULA)
    data["name"] = marker
    data["municipality"] = marker
    data["target_group"]["description"] = marker
    data["success"]["measure"] = marker
    data["intervention"]["costs"][0]["name"] = marker
    data["consequences"][0]["name"] = marker
    data["consequences"][1]["price"]["source"] = marker
    data["committees"] = {marker: ["health"], "Beskæftigelse": ["employment"]}
    result = _appraise_data(data, None, draws=50, seed=1)
    wb = build_workbook(result, "da", charts=False)
    found = 0
    for ws in wb.worksheets:
        for line in ws.iter_rows():
            for cell in line:
                if isinstance(cell.value, str) and "INJECTED" in cell.value:
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    found += 1
                elif cell.data_type == "f":
                    assert "HYPERLINK" not in str(cell.value)
    assert found >= 10


def test_hand_worked_case_in_the_spreadsheet(workbooks: dict[str, Workbook_]) -> None:
    """tests/test_hand_cases.py's case 1, worked by hand: the recalculated spreadsheet holds the
    hand-computed figures (not only the engine's)."""
    book = workbooks["hand-case-1-da"]
    src = openpyxl.load_workbook(book.written)
    out = openpyxl.load_workbook(book.recalculated, data_only=True)

    def value(name: str) -> Any:
        (sheet, ref), *_ = list(src.defined_names[name].destinations)
        return out[sheet][ref.replace("$", "")].value

    # 3 additional successes per cohort; 12,000 kr./month split 80/20 (kommune/stat);
    # 50,000 kr. per participant at intake; 4 % for years 0-2, then 2 %; start of year.
    net_kommune = [-327200, 18400, 691200, 345600]
    gains_stat = [0.2 * 12000 * m for m in (18, 54, 72, 36)]
    df = [1.0, 1 / 1.04, 1 / 1.04**2, 1 / (1.04**2 * 1.02)]
    npv_kommune = sum(n * d for n, d in zip(net_kommune, df, strict=True))
    npv_stat = sum(g * d for g, d in zip(gains_stat, df, strict=True))
    assert value("npv_kommune") == pytest.approx(npv_kommune, rel=1e-12)
    assert value("npv_stat") == pytest.approx(npv_stat, rel=1e-12)
    assert value("npv_total") == pytest.approx(npv_kommune + npv_stat, rel=1e-12)
    assert value("break_even_year_kommune") == 2026
    assert value("break_even_year_stat") == 2024
    assert value("break_even_year_region") == "–"  # no flows at all
    assert value("break_even_year_total") == 2026
    assert value("additional_successes") == pytest.approx(6)
