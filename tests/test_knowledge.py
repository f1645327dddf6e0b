"""The bundled knowledge base: every entry validates, published figures are as published, and a
broken entry fails loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialinvest.cli import app
from socialinvest.errors import KnowledgeBaseError
from socialinvest.knowledge import KnowledgeBase, default_knowledge_base

KB = default_knowledge_base()


def test_every_entry_validates_and_has_sources():
    ids = KB.validate_all()
    assert len(ids) >= 20
    for entry_id in ids:
        entry = KB.entry(entry_id)
        for value in entry.values:
            assert value.status in {"official", "secondary", "assumption"}
            assert value.reference.title and value.reference.accessed


def test_at_least_fifteen_priced_consequence_types_for_employment_and_homelessness():
    prices = [i for i in KB.ids() if KB.entry(i).kind == "unit_price"]
    assert len(prices) >= 15
    needed = [
        "benefits/cash-benefit/30-plus-without-children",
        "benefits/resource-course-benefit/without-children",
        "benefits/sickness-benefit/maximum",
        "benefits/unemployment-benefit/maximum-full-time",
        "benefits/disability-pension/single",
        "employment/income-tax-year-in-work",
        "employment/vat-year-in-work",
        "health/psychiatric-bed-day",
        "social/shelter-stay-year",
        "justice/prison-day-closed",
    ]
    for entry_id in needed:
        assert entry_id in prices, entry_id


@pytest.mark.parametrize(
    ("entry_id", "year", "value", "status"),
    [
        # shared/reference/danish-public-figures.md, with the sources named there
        ("benefits/cash-benefit/30-plus-without-children", 2023, 11944, "official"),
        ("benefits/cash-benefit/30-plus-with-children", 2023, 15874, "official"),
        ("benefits/unemployment-benefit/maximum-full-time", 2025, 21092, "official"),
        ("benefits/unemployment-benefit/maximum-full-time", 2023, 19728, "official"),
        ("benefits/sickness-benefit/maximum", 2024, 4695, "official"),
        ("benefits/resource-course-benefit/without-children", 2024, 12326, "official"),
        ("benefits/education-benefit/living-away-from-parents", 2023, 6545, "official"),
        ("health/special-psychiatric-place-day", 2022, 4165, "official"),
        ("economy/net-tax-factor", 2023, 1.28, "official"),
    ],
)
def test_published_figures(entry_id, year, value, status):
    number, dated = KB.number(entry_id, year)
    assert dated.valid_from.year == year
    assert number == value
    assert dated.status == status


def test_reimbursement_staircase_as_published_by_star_dk():
    # weeks 1-4: state 80 %; 5-26: 40 %; 27-52: 30 %; 53+: 20 %
    for weeks, state in [
        (1, 0.8),
        (4, 0.8),
        (5, 0.4),
        (26, 0.4),
        (27, 0.3),
        (52, 0.3),
        (53, 0.2),
        (300, 0.2),
    ]:
        share, _ = KB.state_share("reimbursement/transfer-payments-2016", weeks, 2024)
        assert share == pytest.approx(state)
    split = KB.split("benefits/cash-benefit/30-plus-without-children", 2023)
    assert split.shares == {
        "kommune": pytest.approx(0.8),
        "region": 0.0,
        "stat": pytest.approx(0.2),
    }
    early = KB.split("benefits/cash-benefit/30-plus-without-children", 2023, weeks_on_support=3)
    assert early.shares["stat"] == pytest.approx(0.8)


def test_finance_ministry_discount_schedule():
    bands, dated = KB.discount_bands("discounting/finansministeriet", 2024)
    assert [(b.from_year, b.rate) for b in bands] == [(0, 0.035), (35, 0.025), (70, 0.015)]
    assert dated.status == "official"
    old, _ = KB.discount_bands("discounting/finansministeriet", 2015)
    assert [(b.from_year, b.rate) for b in old] == [(0, 0.04), (35, 0.03), (70, 0.02)]


# Monthly net price index (2015 = 100) as printed on dst.dk's Nettoprisindeks page.
DST_MONTHLY = {
    2015: [98.7, 99.8, 100.2, 100.3, 100.3, 100.3, 100.3, 100.0, 100.2, 100.2, 99.9, 99.8],
    2019: [102.6, 103.3, 103.4, 103.7, 103.6, 103.4, 104.1, 103.7, 103.4, 103.8, 103.6, 103.4],
    2022: [107.9, 109.5, 110.1, 111.6, 112.7, 113.6, 115.1, 115.1, 116.4, 117.7, 116.7, 116.0],
    2023: [117.4, 118.5, 118.3, 118.7, 117.2, 117.6, 119.2, 118.3, 118.0, 118.3, 117.8, 117.2],
}


def test_net_price_index_annual_averages_from_the_monthly_figures():
    index = KB.price_index()
    for year, months in DST_MONTHLY.items():
        assert index[year][0] == pytest.approx(round(sum(months) / 12, 1), abs=1e-9)
        assert index[year][1].status == "official"


def test_assumptions_are_labelled_as_such():
    tax = KB.entry("employment/income-tax-year-in-work")
    assert {v.status for v in tax.values} == {"assumption"}
    bed_day = KB.entry("health/psychiatric-bed-day")
    assert {v.status for v in bed_day.values} == {"assumption"}


def _write(root: Path, entry_id: str, text: str) -> None:
    path = root / f"{entry_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


GOOD = """label: {da: X, en: X}
kind: unit_price
unit: DKK/day
area: health
actor_split: {region: 1.0, status: official, reference: {title: Source, accessed: 2026-01-01}}
values:
  - {valid_from: 2024-01-01, value: 10, status: official,
     reference: {title: Source, accessed: 2026-01-01}}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            (
                "status: official,\n     reference: {title: Source, accessed: 2026-01-01}}",
                "status: official}",
            ),
            "values.0.reference",
        ),
        (("unit: DKK/day", "unit: kroner per day"), "unit"),
        (("region: 1.0", "region: 0.5"), "sum to 1"),
        (("area: health\n", ""), "needs 'area'"),
        (("value: 10", "value: -10"), "values must be numbers >= 0"),
        (("kind: unit_price", "kind: price"), "kind"),
    ],
)
def test_a_broken_entry_fails_loudly(tmp_path: Path, change, message):
    _write(tmp_path, "prices/x", GOOD.replace(*change))
    kb = KnowledgeBase(tmp_path)
    with pytest.raises(KnowledgeBaseError) as info:
        kb.validate_all()
    assert message in str(info.value)
    assert "x.yaml, line" in str(info.value)


def test_good_entry_and_bad_names(tmp_path: Path):
    _write(tmp_path, "prices/x", GOOD)
    assert KnowledgeBase(tmp_path).validate_all() == ["prices/x"]
    _write(tmp_path, "prices/Bad_Name", GOOD)
    with pytest.raises(KnowledgeBaseError, match="not a valid ID"):
        KnowledgeBase(tmp_path).validate_all()


def test_dangling_reimbursement_reference_fails(tmp_path: Path):
    _write(
        tmp_path,
        "prices/x",
        GOOD.replace(
            "actor_split: {region: 1.0, status: official, reference: {title: Source, "
            "accessed: 2026-01-01}}",
            "actor_split: {reimbursement: reimbursement/nope}",
        ),
    )
    with pytest.raises(KnowledgeBaseError, match="does not exist"):
        KnowledgeBase(tmp_path).validate_all()


def test_knowledge_list_and_show_print_sources():
    runner = CliRunner()
    listed = runner.invoke(app, ["knowledge", "list", "--lang", "en"])
    assert listed.exit_code == 0
    assert "benefits/cash-benefit/30-plus-without-children" in listed.stdout
    assert "ASSUMPTION" in listed.stdout
    shown = runner.invoke(
        app, ["knowledge", "show", "benefits/cash-benefit/30-plus-without-children"]
    )
    assert shown.exit_code == 0
    assert "11944" in shown.stdout and "bm.dk" in shown.stdout
    assert "kommune 0.8, stat 0.2" in shown.stdout
    missing = runner.invoke(app, ["knowledge", "show", "benefits/cash-benefit", "--lang", "en"])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: Field 'ID' has 'benefits/cash-benefit'")
    assert "entries under it: benefits/cash-benefit/30-plus-with-children" in missing.stderr
