"""Knowledge base v2: coverage, sources and statuses, the price index to 2026, the effect library
(from_study), consequence profiles, local prices, knowledge list/search and the generated
docs/knowledge-sources.md. Expected numbers are from the cited pages or worked out by hand here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from socialinvest.case.load import load_case_text
from socialinvest.cli import app
from socialinvest.errors import InputError
from socialinvest.knowledge import KnowledgeBase, default_knowledge_base
from socialinvest.knowledge.authorities import is_public_authority, library_problems, problems
from socialinvest.knowledge.catalogue import kinds, rows, select
from socialinvest.knowledge.effects import default_effect_library
from socialinvest.knowledge.profiles import default_profile_library
from socialinvest.knowledge.schema import Reference
from socialinvest.runner import appraise

from .conftest import ROOT

KB = default_knowledge_base()
runner = CliRunner()


# -- coverage, sources, statuses ------------------------------------------------------------------
def test_at_least_80_priced_entries_each_dated_with_unit_split_and_sources():
    priced = [i for i in KB.validate_all() if KB.entry(i).kind == "unit_price"]
    assert len(priced) >= 80
    for entry_id in priced:
        entry = KB.entry(entry_id)
        assert entry.unit.startswith("DKK") and entry.area and entry.actor_split is not None
        split = KB.split(entry_id, entry.values[-1].valid_from.year)
        assert sum(split.shares.values()) == pytest.approx(1.0)
        for v in entry.values:
            assert v.valid_from and v.reference.title.strip() and v.reference.accessed


def test_every_area_the_issue_names_has_priced_entries():
    by_area: dict[str, int] = {}
    for entry_id in KB.ids():
        entry = KB.entry(entry_id)
        if entry.kind == "unit_price":
            by_area[str(entry.area)] = by_area.get(str(entry.area), 0) + 1
    for area in ("employment", "children", "social", "health", "justice", "education"):
        assert by_area.get(area, 0) >= 2, (area, by_area)
    assert by_area.get("housing", 0) >= 1, by_area


def test_no_value_without_source_and_official_only_from_public_authorities():
    assert problems(KB) == []
    assert library_problems() == []


def test_the_authority_rule_rejects_an_official_value_from_a_private_page(tmp_path: Path):
    private = Reference(
        title="Kontanthjælp 2024",
        publisher="seniorfolk.dk",
        url="https://seniorfolk.dk/kontanthjaelp-2024/",
        accessed="2026-12-05",
    )
    ministry = Reference(
        title="Satser",
        publisher="Beskæftigelsesministeriet",
        url="https://bm.dk/satser/satser-for-2023/kontanthjaelp/",
        accessed="2026-12-05",
    )
    no_url = Reference(title="Svar", publisher="Justitsministeriet", accessed="2026-12-05")
    assert not is_public_authority(private)
    assert is_public_authority(ministry) and is_public_authority(no_url)
    entry = tmp_path / "benefits" / "x.yaml"
    entry.parent.mkdir(parents=True)
    entry.write_text(
        "label: {da: X, en: X}\nkind: unit_price\nunit: DKK/month\narea: employment\n"
        "actor_split: {kommune: 1.0, status: assumption, reference: {title: Split, accessed: "
        "2026-01-01}}\nvalues:\n  - {valid_from: 2024-01-01, value: 12326, status: official,\n"
        "     reference: {title: Kontanthjælp 2024, publisher: seniorfolk.dk,\n"
        "       url: 'https://seniorfolk.dk/kontanthjaelp-2024/', accessed: 2026-12-05}}\n",
        encoding="utf-8",
    )
    found = problems(KnowledgeBase(tmp_path))
    assert len(found) == 1 and "benefits/x (2024-01-01): status official" in found[0]


@pytest.mark.parametrize(
    ("entry_id", "year", "value", "status"),
    [
        # bm.dk satser for 2023 (kontanthjælp, uddannelseshjælp) and 2016
        ("benefits/cash-benefit/under-30-living-with-parents", 2023, 3715, "official"),
        ("benefits/cash-benefit/under-30-living-with-parents", 2016, 3411, "official"),
        ("benefits/cash-benefit/single-parent-under-30", 2023, 15172, "official"),
        ("benefits/education-benefit/single-parent", 2023, 13090, "official"),
        (
            "benefits/education-benefit/activity-supplement-under-25-living-with-parents",
            2023,
            894,
            "official",
        ),
        # bm.dk ressourceforløbsydelse 2024; dagpenge 2025
        ("benefits/resource-course-benefit/under-25-living-with-parents", 2024, 3834, "official"),
        ("benefits/unemployment-benefit/part-time", 2025, 14061, "official"),
        # kalundborg.dk: supplements of the new system from 1 July 2025
        ("benefits/cash-benefit-2025/child-supplement", 2025, 2784, "secondary"),
        # the political agreement's amount, used as the 2025 amount: an assumption
        ("benefits/cash-benefit-2025/higher-rate", 2025, 12064, "assumption"),
        # Kriminalforsorgen 2015; VIVE/REFUD 2022; Danmarks Statistik 2016
        ("justice/prison-day-copenhagen", 2015, 1574, "official"),
        ("justice/halfway-house-day", 2015, 1197, "official"),
        ("education/special-class-week", 2022, 4638, "official"),
        ("education/primary-school-pupil-year", 2016, 64243, "official"),
        ("children/foster-family-year", 2019, 470000, "secondary"),
        ("children/residential-care-year", 2019, 1160000, "secondary"),
        ("social/womens-shelter-day", 2017, 1659, "official"),
        ("justice/recidivism-avoided-10-years", 2020, 505300, "official"),
        # dst.dk, Boligstøtte december 2018
        ("housing/housing-benefit-tenant-month", 2018, 1307, "official"),
        # sm.dk satser 2020 and 2024; retsinformation.dk BEK of 27 December 2014
        ("children/secure-unit-year-15-17", 2020, 1510239, "official"),
        ("children/foster-care-board-and-lodging-day-10-plus", 2024, 221, "official"),
        ("children/foster-care-board-and-lodging-day-10-plus", 2015, 183, "official"),
        ("children/foster-care-board-and-lodging-day-under-10", 2024, 206, "official"),
    ],
)
def test_published_figures_v2(entry_id, year, value, status):
    number, dated = KB.number(entry_id, year)
    assert dated.valid_from.year == year
    assert number == value
    assert dated.status == status


def test_actor_splits_as_published():
    # refud.dk: region 352 kr., kommune 110 kr. per contact
    split = KB.split("health/health-insurance-other-practitioner-contact", 2022)
    assert split.shares["region"] == pytest.approx(352 / 462)
    assert split.shares["kommune"] == pytest.approx(110 / 462)
    # Silkeborg Kommune: the state reimburses 50 % of the shelter tariff
    shelter = KB.split("social/womens-shelter-day", 2017)
    assert shelter.shares == {"kommune": 0.5, "region": 0.0, "stat": 0.5}
    # the new cash benefit follows the reimbursement staircase (53 weeks: state 20 %)
    assert KB.split("benefits/cash-benefit-2025/basic-rate", 2025).shares["stat"] == 0.2


# -- the price index through 2026 -----------------------------------------------------------------
def test_price_index_reaches_2026_and_marks_the_projection():
    index = KB.price_index()
    assert index[2023][1].status == "official"
    first_half_2024 = [118.1, 118.8, 118.8, 118.8, 118.8, 118.8]  # dst.dk, January-June 2024
    i2024 = round(sum(first_half_2024) / 6, 1)
    i2025 = round(i2024 * 1.019, 1)  # oes.dk: forecast 2024-2025 for the net price index 1.9 %
    i2026 = round(i2025 * 1.019, 1)
    # (118.7, 121.0, 123.3): the knowledge base's values must equal these, computed from the
    # published figures above (an assertion on the test's own arithmetic would prove nothing)
    assert (index[2024][0], index[2025][0], index[2026][0]) == (i2024, i2025, i2026)
    for year in (2024, 2025, 2026):
        assert index[year][1].status == "assumption"
        assert "PROJECTION" in (index[year][1].reference.note or "")


CASE_2026 = """
name: Test
price_year: 2026
start_year: 2026
horizon_years: 3
target_group: {{description: test group, cohorts: [{{year: 2026, intake: 100}}]}}
intervention:
  name: X
  duration_years: 1
  costs: [{{name: support, type: per_participant, amount: 10000, actor: kommune, area: social}}]
success:
  measure: in work
  {success}
consequences:
  - ref: justice/prison-day-copenhagen
    units_per_success: [-10, -10, -10]
{extra}
"""


def test_a_case_in_2026_prices_converts_with_the_projected_index():
    loaded = load_case_text(
        CASE_2026.format(success="rate_with: 0.5\n  rate_without: 0.3", extra="")
    )
    result = appraise(loaded)
    rec = next(r for r in result.provenance_entries if r["id"] == "justice/prison-day-copenhagen")
    assert rec["price_factor"] == pytest.approx(123.3 / 100.0)  # 2015 index 100.0
    assert rec["origin"] == "national"
    statuses = {r["year"]: r["status"] for r in result.price_index_used}
    assert statuses[2026] == "assumption"


# -- effect library -------------------------------------------------------------------------------
def test_every_study_and_profile_validates_with_a_reference():
    studies = default_effect_library().validate_all()
    assert len(studies) >= 5
    for study_id in studies:
        st = default_effect_library().study(study_id)
        assert st.reference.title and st.reference.url and st.follow_up_months > 0
    assert default_profile_library().validate_all()


def _hellstrom_sd() -> float:
    # Hellström et al. 2017: 37.8 % without, OR 1.34 (95 % CI 0.86 to 2.10); the interval's bounds
    # as rates with the intervention, at the comparison group's odds
    odds0 = 0.378 / (1 - 0.378)

    def p(odds_ratio: float) -> float:
        return odds0 * odds_ratio / (1 + odds0 * odds_ratio)

    return (p(2.10) - p(0.86)) / (2 * 1.959963984540054)


def test_a_case_using_from_study_reproduces_the_study_effect_as_the_mean_of_its_draws():
    case = load_case_text(
        CASE_2026.format(success="from_study: ips-mood-anxiety-hellstrom-2017", extra="")
    )
    success = case.success
    assert success is not None and success.rate_without == 0.378
    spec = success.rate_with
    assert spec.dist == "beta"
    # the sd from the published interval, computed here (about 0.0555)
    assert spec.mean == 0.444 and spec.sd == pytest.approx(_hellstrom_sd(), rel=1e-12)
    draws = spec.distribution.sample(400_000, np.random.default_rng(7))
    effect = draws - success.rate_without
    # published: 44.4 % vs 37.8 %, a difference of 6.6 points; Monte Carlo error ~ 0.0555/632
    assert effect.mean() == pytest.approx(0.444 - 0.378, abs=4e-4)
    assert draws.std() == pytest.approx(_hellstrom_sd(), rel=0.01)


def test_the_run_names_the_study_it_took_its_rates_from():
    case = load_case_text(
        CASE_2026.format(success="from_study: housing-first-act-at-home-chez-soi-2015", extra="")
    )
    result = appraise(case, draws=200, seed=3)
    study = next(r for r in result.provenance_entries if r["id"].startswith("effects/"))
    assert study["id"] == "effects/housing-first-act-at-home-chez-soi-2015"
    assert "At Home/Chez Soi" in study["label"] and study["url"]
    # risk difference 0.42 (95 % CI 0.36 to 0.48): sd = 0.12 / (2 x 1.96)
    assert case.success.rate_with.sd == pytest.approx(0.12 / (2 * 1.959963984540054))


def test_a_study_with_only_an_odds_ratio_applies_it_to_the_cases_own_rate():
    case = load_case_text(
        CASE_2026.format(
            success="from_study: critical-time-intervention-herman-2011\n  rate_without: 0.7",
            extra="",
        )
    )
    # CTI: OR of homelessness 0.22 (0.06 to 0.88); 30 % homeless without, so odds 0.3/0.7
    odds = 0.3 / 0.7

    def homeless(odds_ratio: float) -> float:
        return odds * odds_ratio / (1 + odds * odds_ratio)

    assert case.success.rate_with.mean == pytest.approx(1 - homeless(0.22))
    assert case.success.rate_with.sd == pytest.approx(
        (homeless(0.88) - homeless(0.06)) / (2 * 1.959963984540054)
    )
    assert case.success.rate_without == 0.7


@pytest.mark.parametrize(
    ("success", "words"),
    [
        ("from_study: no-such-study", "from_study to name a study of the effect library"),
        (
            "from_study: ips-mood-anxiety-hellstrom-2017\n  rate_with: 0.5",
            "either from_study or rate_with",
        ),
        ("from_study: critical-time-intervention-herman-2011", "a rate_without of the case's own"),
        (
            "from_study: ips-mood-anxiety-hellstrom-2017\n  rate_without: 0.3",
            "no rate_without of the case's own",
        ),
    ],
)
def test_from_study_mistakes_are_one_sentence(success: str, words: str):
    with pytest.raises(InputError) as info:
        load_case_text(CASE_2026.format(success=success, extra=""), file="case.yaml")
    message = info.value.message
    assert message.startswith("case.yaml, line ") and "field 'success'" in message
    assert words in message and "\n" not in message


# -- local prices ---------------------------------------------------------------------------------
def _local_folder(root: Path, value: int) -> Path:
    national = ROOT / "src/socialinvest/knowledge/data/justice/prison-day-copenhagen.yaml"
    text = national.read_text(encoding="utf-8").replace("value: 1574", f"value: {value}")
    target = root / "local" / "justice" / "prison-day-copenhagen.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    return root / "local"


def _run(tmp_path: Path, extra: str):
    case_file = tmp_path / "case.yaml"
    case_file.write_text(
        CASE_2026.format(success="rate_with: 0.5\n  rate_without: 0.3", extra=extra),
        encoding="utf-8",
    )
    from socialinvest.case.load import load_case

    return appraise(load_case(case_file))


def test_a_local_folder_overrides_a_national_price_and_provenance_says_so(tmp_path: Path):
    _local_folder(tmp_path, 2000)
    national = _run(tmp_path, "")
    local = _run(tmp_path, "local_prices: local")
    rec = next(r for r in local.provenance_entries if r["id"] == "justice/prison-day-copenhagen")
    assert rec["value"] == 2000 and rec["origin"] == "local" and "local price" in rec["source"]
    others = [r for r in local.provenance_entries if r["id"] != "justice/prison-day-copenhagen"]
    assert all(r.get("origin") == "national" for r in others)
    # the digest identifies the local set too
    assert local.knowledge_base_digest != national.knowledge_base_digest
    # 10 fewer days a year per additional success (20 per 100): the saving scales with the price
    ratio = local.npv_total - national.npv_total
    saving_national = national.npv_total + 1_000_000  # intervention costs 100 x 10,000 in year 1
    saving_local = local.npv_total + 1_000_000
    assert ratio != 0
    assert saving_local / saving_national == pytest.approx(2000 / 1574)


def test_a_local_xlsx_sheet_overrides_values_and_is_validated(tmp_path: Path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "prices"
    sheet.append(
        ["id", "valid_from", "value", "status", "source", "publisher", "url", "accessed", "note"]
    )
    sheet.append(
        [
            "justice/prison-day-copenhagen",
            "2015-01-01",
            2000,
            "secondary",
            "Kommunens egen opgørelse",
            "Eksempel Kommune",
            None,
            "2026-12-01",
            None,
        ]
    )
    book.save(tmp_path / "priser.xlsx")
    result = _run(tmp_path, "local_prices: priser.xlsx")
    rec = next(r for r in result.provenance_entries if r["id"] == "justice/prison-day-copenhagen")
    assert rec["value"] == 2000 and rec["origin"] == "local"
    assert rec["status"] == "secondary" and rec["source"].startswith("Kommunens egen opgørelse")

    sheet.append(
        [
            "justice/prison-day-copenhagen",
            "2016-01-01",
            -5,
            "secondary",
            "Eget tal",
            None,
            None,
            "2026-12-01",
            None,
        ]
    )
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(InputError) as info:
        _run(tmp_path, "local_prices: bad.xlsx")
    assert "bad.xlsx, sheet 'prices', row 3" in info.value.message
    assert ">= 0" in info.value.message


def test_local_price_mistakes_are_one_sentence(tmp_path: Path):
    with pytest.raises(InputError) as info:
        _run(tmp_path, "local_prices: nowhere")
    assert "field 'local_prices' has 'nowhere'" in info.value.message
    folder = _local_folder(tmp_path, 2000)
    path = folder / "justice" / "prison-day-copenhagen.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("unit: DKK/day", "unit: kr"), encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        _run(tmp_path, "local_prices: local")
    assert "prison-day-copenhagen.yaml, line" in info.value.message
    assert "'unit'" in info.value.message
    (folder / "justice" / "prison-day-copenhagen.yaml").rename(folder / "justice" / "Bad_Name.yaml")
    with pytest.raises(InputError) as info:
        _run(tmp_path, "local_prices: local")
    assert "Bad_Name.yaml: the file name is not a valid ID" in info.value.message


# -- knowledge list / search ----------------------------------------------------------------------
def test_list_names_its_kinds_and_areas_and_filters_on_them():
    assert {"unit_price", "price_index", "effect_study", "consequence_profile"} <= set(kinds())
    result = runner.invoke(app, ["knowledge", "list", "--kind", "effect_study", "--lang", "en"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].split("\t")[:4] == ["id", "kind", "area", "label"]
    assert len(lines) - 1 == len(default_effect_library().ids())
    children = runner.invoke(app, ["knowledge", "list", "--area", "children"])
    listed = {line.split("\t")[0] for line in children.stdout.strip().splitlines()[1:]}
    assert {
        "children/foster-family-year",
        "children/residential-care-year",
        "children/secure-unit-year-15-17",
    } <= listed
    assert all(KB.entry(i).area == "children" for i in listed)
    # the kinds and areas it filters on are named (on stderr when the data go to a pipe)
    assert "effect_study" in result.stderr and "children" in result.stderr
    bad = runner.invoke(app, ["knowledge", "list", "--area", "kids", "--lang", "en"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: Field '--area' has 'kids'; expected one of employment")


def test_search_finds_danish_and_english_labels():
    foster = {
        "children/foster-family-year",
        "children/foster-care-fee-month",
        "children/foster-care-board-and-lodging-day-under-10",
        "children/foster-care-board-and-lodging-day-10-plus",
    }
    for word in ("plejefamilie", "foster", "PLEJEFAMILIE"):
        assert {r.id for r in select(rows(), word=word)} == foster, word
    assert [r.id for r in select(rows(), word="plejefamilie gennemsnit")] == [
        "children/foster-family-year"
    ]
    assert [r.id for r in select(rows(), word="foster family average")] == [
        "children/foster-family-year"
    ]
    assert "social/womens-shelter-day" in [r.id for r in select(rows(), word="krisecenter")]
    assert "social/womens-shelter-day" in [r.id for r in select(rows(), word="women's shelter")]
    # æ/ø/å typed or spelled out
    assert [r.id for r in select(rows(), word="fængsler københavn")] == [
        "justice/prison-day-copenhagen"
    ]
    assert [r.id for r in select(rows(), word="faengsler koebenhavn")] == [
        "justice/prison-day-copenhagen"
    ]
    result = runner.invoke(app, ["knowledge", "search", "recidiv", "--lang", "en"])
    assert result.exit_code == 0 and "justice/recidivism-avoided-10-years" in result.stdout
    none = runner.invoke(app, ["knowledge", "search", "zzzz"])
    assert none.exit_code == 1 and "zzzz" in none.stderr


def test_the_source_column_is_not_cut_in_a_pipe_or_file(tmp_path: Path):
    result = runner.invoke(app, ["knowledge", "list", "--kind", "unit_price"])
    title = (
        "Økonomiske konsekvenser af indsatser over for indsatte - Den Socialøkonomiske "
        "Investeringsmodel, 1. delrapport"
    )
    line = next(
        x
        for x in result.stdout.splitlines()
        if x.startswith("justice/recidivism-avoided-10-years\t")
    )
    cells = line.split("\t")
    assert cells[8].startswith(title) and cells[9] == (
        "https://www.ft.dk/samling/20201/almdel/REU/bilag/425/2440970/index.htm"
    )
    assert not any(len(x.split("\t")) != 10 for x in result.stdout.splitlines())


def test_show_describes_a_study_and_a_profile():
    study = runner.invoke(
        app, ["knowledge", "show", "effects/ips-mood-anxiety-hellstrom-2017", "--lang", "en"]
    )
    assert study.exit_code == 0
    assert "odds ratio 1.34, 95 % CI 0.86 to 2.1" in study.stdout
    assert f"sd {_hellstrom_sd():.4f}" in study.stdout
    profile = runner.invoke(
        app, ["knowledge", "show", "profiles/released-prisoner-no-reoffending-jm-2021"]
    )
    assert profile.exit_code == 0 and "total -245 over 10 years" in profile.stdout


# -- the generated sources document ---------------------------------------------------------------
def test_docs_knowledge_sources_is_generated_and_current():
    from socialinvest.output.knowledge_sources import render

    committed = (ROOT / "docs" / "knowledge-sources.md").read_text(encoding="utf-8")
    assert committed == render(), (
        "run: socialinvest knowledge sources --out docs/knowledge-sources.md"
    )


def test_the_counts_in_the_sources_document_add_up():
    from socialinvest.output.knowledge_sources import value_counts

    counts = value_counts()
    total = sum(len(KB.entry(i).values) for i in KB.ids())
    assert sum(counts["entries"].values()) == total
    by_hand = {"official": 0, "secondary": 0, "assumption": 0}
    for entry_id in KB.ids():
        for v in KB.entry(entry_id).values:
            by_hand[v.status] += 1
    assert dict(counts["entries"]) == {k: v for k, v in by_hand.items() if v}
    # the committed document states the counts made by hand here, and its total is their sum
    document = (ROOT / "docs" / "knowledge-sources.md").read_text(encoding="utf-8")
    row = (
        f"| dated values of entries | {by_hand['official']} | {by_hand['secondary']} | "
        f"{by_hand['assumption']} | {total} |"
    )
    assert row in document.splitlines()


def test_the_service_offers_the_catalogue():
    from socialinvest import service

    studies = service.knowledge_catalogue(kind="effect_study")
    assert [r.id for r in studies] == [f"effects/{i}" for i in default_effect_library().ids()]
    assert {"effect_study", "consequence_profile"} <= set(service.knowledge_kinds())
    found = service.knowledge_catalogue(word="sikret afdeling", area="children")
    assert [r.id for r in found] == ["children/secure-unit-year-15-17"]
    assert found[0].value == 1510239 and found[0].status == "official"
    with pytest.raises(InputError, match="Field '--kind' has 'prices'; expected one of unit_price"):
        service.knowledge_catalogue(kind="prices")
