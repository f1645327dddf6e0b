"""The guided steps without a browser: typed values ↔ case values, the steps' forms read into a
case, errors beside their fields in Danish and English, nothing typed lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from socialinvest.web.steps import flow
from socialinvest.web.steps.fields import parse_number, split_list

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("typed", "lang", "value"),
    [
        ("0,5", "da", 0.5),
        ("1.234.567,50", "da", 1234567.5),
        ("400.000", "da", 400000),  # a Danish thousands separator
        ("1.5", "da", 1.5),  # one dot and not three digits: a decimal point
        ("−8", "da", -8),  # the minus sign a word processor writes
        ("1,234.5", "en", 1234.5),
        ("0.46", "en", 0.46),
        ("12", "en", 12),
        ("abc", "da", "abc"),  # passed on, so the case model names it beside the field
        ("", "da", None),
        ("{dist: beta, mean: 0.4, sd: 0.05}", "da", {"dist": "beta", "mean": 0.4, "sd": 0.05}),
    ],
)
def test_numbers_as_people_type_them(typed: str, lang: str, value: Any) -> None:
    assert parse_number(typed, lang) == value


def test_lists_split_on_semicolons_outside_braces() -> None:
    assert split_list("-8; -10;-9") == ["-8", "-10", "-9"]
    assert split_list("0,3; 0,5") == ["0,3", "0,5"]
    assert split_list("1 2  3") == ["1", "2", "3"]
    assert split_list("{dist: normal, mean: -8, sd: 1.5}; -10") == [
        "{dist: normal, mean: -8, sd: 1.5}",
        "-10",
    ]


def form(fields: dict[str, str]) -> dict[str, list[str]]:
    return {k: [v] for k, v in fields.items()}


# The forms a user fills in to build examples/impact60-job-education.yaml, step by step.
IMPACT60_FORMS: list[tuple[str, dict[str, list[str]]]] = [
    (
        "settings",
        {
            "name": ["IMPACT60"],
            "price_year": ["2023"],
            "start_year": ["2025"],
            "horizon_years": ["10"],
            "discounting.__mode": ["schedule"],
            "discounting.schedule": ["discounting/finansministeriet"],
            "discounting.convention": ["start"],
        },
    ),
    (
        "target",
        {
            "target_group.description": ["Psykisk sårbare borgere på kontanthjælp"],
            "rows.target_group.cohorts": ["3"],
            **{
                f"target_group.cohorts[{i}].{k}": [v]
                for i, y in enumerate(("2025", "2026", "2027"))
                for k, v in (("year", y), ("intake", "40"))
            },
        },
    ),
    (
        "costs",
        {
            "intervention.name": ["Job- og uddannelsesstøtte"],
            "intervention.duration_years": ["3"],
            "rows.intervention.costs": ["3"],
            "intervention.costs[0].name": ["Mentor"],
            "intervention.costs[0].type": ["per_participant_period"],
            "intervention.costs[0].amount": ["5.000"],
            "intervention.costs[0].actor": ["kommune"],
            "intervention.costs[0].area": ["employment"],
            "intervention.costs[0].period": ["month"],
            "intervention.costs[0].periods": ["18"],
            "intervention.costs[0].year": ["2031"],  # shown for another type: left out
            "intervention.costs[1].name": ["Projektledelse"],
            "intervention.costs[1].type": ["fixed"],
            "intervention.costs[1].amount": ["400000"],
            "intervention.costs[1].actor": ["kommune"],
            "intervention.costs[1].area": ["employment"],
            "intervention.costs[1].first_year": ["2025"],
            "intervention.costs[1].last_year": ["2029"],
            "intervention.costs[2].name": ["Opstart"],
            "intervention.costs[2].type": ["one_off"],
            "intervention.costs[2].amount": ["250.000"],
            "intervention.costs[2].actor": ["kommune"],
            "intervention.costs[2].area": ["employment"],
            "intervention.costs[2].year": ["2025"],
        },
    ),
    (
        "success",
        {
            "success.measure": ["I job eller uddannelse"],
            "success.__mode": ["rates"],
            "success.rate_with.__kind": ["value"],
            "success.rate_with": ["0,50"],
            "success.rate_without.__kind": ["value"],
            "success.rate_without": ["0,2"],
            "success.timing": ["0,3; 0,5; 0,2"],
        },
    ),
    (
        "consequences",
        {
            "rows.consequences": ["2"],
            "consequences[0].__mode": ["ref"],
            "consequences[0].ref": ["benefits/cash-benefit/30-plus-without-children"],
            "consequences[0].unit": ["month"],
            "consequences[0].units_per_success": ["-8; -10; -9; -8; -7; -6; -5; -4; -3; -3"],
            "consequences[0].weeks_on_support": ["53"],
            "consequences[1].__mode": ["ref"],
            "consequences[1].ref": ["health/psychiatric-bed-day"],
            "consequences[1].unit": ["day"],
            "consequences[1].units_per_success": ["-3;-3;-2;-2;-1;-1"],
        },
    ),
    (
        "committees",
        {
            "rows.committees": ["4"],
            "committees[0].name": ["Beskæftigelsesudvalget"],
            "committees[0].areas": ["employment"],
            "committees[1].name": ["Sundheds- og Kulturudvalget"],
            "committees[1].areas": ["health"],
            "committees[2].name": ["Familie- og Socialudvalget"],
            "committees[2].areas": ["social"],
            "committees[3].name": [""],  # the empty row the page offers for one more
        },
    ),
    ("contract", {"contract": [""]}),
]


def test_the_steps_build_the_example_case() -> None:
    """Read step by step, the forms make a case whose result is the bundled example's, to the
    last bit: the same case as the file the command line reads."""
    from socialinvest import service

    draft = flow.new_draft(2023)
    for step, fields in IMPACT60_FORMS:
        draft = flow.read(step, fields, draft, "da")
        assert flow.check(draft, "da", step) == [], step
    assert flow.check(draft, "da", "result") == []
    built = service.appraise(service.load_text(flow.dump(draft), "built.yaml"))
    example = service.appraise(service.load(ROOT / "examples" / "impact60-job-education.yaml"))
    assert built.to_dict()["npv"] == example.to_dict()["npv"]
    assert built.to_dict()["yearly"] == example.to_dict()["yearly"]
    costs = draft["intervention"]["costs"]
    assert "year" not in costs[0] and costs[0]["amount"] == 5000 and costs[2]["amount"] == 250000


def test_errors_beside_their_fields_in_danish_and_nothing_lost() -> None:
    draft = flow.new_draft(2023)
    for step, fields in IMPACT60_FORMS[:3]:
        draft = flow.read(step, fields, draft, "da")
    typed = form(
        {
            "success.measure": "Job",
            "success.__mode": "rates",
            "success.rate_with.__kind": "value",
            "success.rate_with": "1,5",
            "success.rate_without.__kind": "value",
            "success.rate_without": "abc",
            "success.timing": "0,3; 0,5; 0,3",
        }
    )
    draft = flow.read("success", typed, draft, "da")
    errors = {e.field: e.message for e in flow.check(draft, "da", "success")}
    assert errors == {
        "success.rate_with": "Du skrev 1,5; feltet skal være en andel mellem 0 og 1 (fx 0,4 for "
        "40 %).",
        "success.rate_without": "Du skrev 'abc'; feltet skal være et tal (fx 0,5 eller 1200).",
        "success.timing": "Summen er 1,1; andelene af succeser pr. år efter indtag skal "
        "tilsammen give 1.",
    }
    english = {e.field: e.message for e in flow.check(draft, "en", "success")}
    assert english["success.rate_with"] == (
        "You wrote 1.5; the field must be a share between 0 and 1 (e.g. 0.4 for 40 %)."
    )
    shown = flow.from_form(typed)
    assert shown.get("success.rate_without") == "abc"
    assert shown.get("success.timing") == "0,3; 0,5; 0,3"
    # the draft keeps what was typed, so going to another step and back loses nothing
    again = flow.from_draft("success", yaml.safe_load(flow.dump(draft)), "da")
    assert again.get("success.rate_with") == "1,5"
    assert again.get("success.rate_without") == "abc"


def test_a_later_step_missing_is_not_this_steps_error() -> None:
    draft = flow.read("settings", IMPACT60_FORMS[0][1], flow.new_draft(2023), "da")
    assert flow.check(draft, "da", "settings") == []
    missing = flow.check(draft, "da", "result")
    assert missing and missing[0].message == "Skal udfyldes."


def test_fields_the_form_does_not_show_are_kept() -> None:
    draft = yaml.safe_load((ROOT / "examples" / "impact60-job-education.yaml").read_text())
    draft["intervention"]["costs"][0]["price_year"] = 2022
    draft["discounting"]["gains"] = {"rate": 0.04}
    draft["adjustments"] = {"attribution": 0.1}
    for step in ("settings", "costs", "success", "consequences", "committees"):
        shown = flow.from_draft(step, draft, "da")
        fields = {k: [v] for k, v in shown.fields.items()}
        fields.update({k: v for k, v in shown.lists.items()})
        draft = flow.read(step, fields, draft, "da")
    assert draft["intervention"]["costs"][0]["price_year"] == 2022
    assert draft["discounting"]["gains"] == {"rate": 0.04}
    assert draft["adjustments"] == {"attribution": 0.1}
    assert flow.check(draft, "da", "result") == []


def test_a_distribution_in_the_success_rate_widget() -> None:
    draft = yaml.safe_load((ROOT / "examples" / "impact60-job-education.yaml").read_text())
    typed = form(
        {
            "success.measure": "Job",
            "success.__mode": "rates",
            "success.rate_with.__kind": "beta",
            "success.rate_with.__mean": "0,48",
            "success.rate_with.__sd": "0,05",
            "success.rate_without.__kind": "value",
            "success.rate_without": "0,2",
        }
    )
    draft = flow.read("success", typed, draft, "da")
    assert draft["success"]["rate_with"] == {"dist": "beta", "mean": 0.48, "sd": 0.05}
    assert flow.check(draft, "da", "success") == []
    shown = flow.from_draft("success", draft, "da")
    assert shown.get("success.rate_with.__kind") == "beta"
    assert shown.get("success.rate_with.__sd") == "0,05"


def test_an_untouched_row_is_left_out_and_each_field_has_one_sentence() -> None:
    draft = yaml.safe_load((ROOT / "examples" / "impact60-job-education.yaml").read_text())
    shown = flow.from_draft("costs", draft, "da")
    fields = {k: [v] for k, v in shown.fields.items()}
    # the row "add a cost" gives: its selects have values, nothing is typed
    fields.update(
        {
            "rows.intervention.costs": ["4"],
            "intervention.costs[3].type": ["per_participant_period"],
            "intervention.costs[3].period": ["week"],
            "intervention.costs[3].actor": ["kommune"],
        }
    )
    assert len(flow.read("costs", fields, draft, "da")["intervention"]["costs"]) == 3
    fields["intervention.costs[3].name"] = ["Supervision"]
    typed = flow.read("costs", fields, draft, "da")
    errors = flow.check(typed, "da", "costs")
    assert [(e.field, e.message) for e in errors] == [
        ("intervention.costs[3].amount", "Skal udfyldes."),
        ("intervention.costs[3].area", "Skal udfyldes."),
        ("intervention.costs[3].periods", "Skal udfyldes."),
    ]
