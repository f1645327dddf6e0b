"""The web pages in a real browser (Playwright driving Debian's Chromium) against a real server.

One server (``socialinvest serve`` on a free 127.0.0.1 port, a temporary SQLite database) and one
browser for the whole module. The tests run in order and build on each other: the analyst builds
the Aalborg-shaped case (examples/impact60-job-education.yaml) through the guided steps, meets a
Danish error beside the success rate, saves, checks the NPV against the command line on the
downloaded file, downloads the PDF, saves a second version and compares the two; a reviewer
approves; a viewer cannot edit; a user of another organisation gets 404. Every page visited is
kept as a screenshot under test-artefacts/web/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.ui_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Server,
    cli_json,
    login,
    running_server,
    shot,
)

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():  # pragma: no cover - CI installs chromium (.ci/run)
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

EXAMPLE = ROOT / "examples" / "impact60-job-education.yaml"
STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("web-ui")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Any, server: Server, username: str) -> Any:
    context = browser.new_context(accept_downloads=True, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(30_000)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.outside = [u for u in requests]  # filled below by a check
    page.requests = requests
    login(page, server, username)
    return page


def only_local(page: Any, server: Server) -> None:
    """No request of the page left the server (no CDN, no font, no image elsewhere)."""
    outside = [u for u in page.requests if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == []


def field(page: Any, name: str) -> Any:
    return page.locator(f'[name="{name}"]')


def fill(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        target = field(page, name)
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)


def press(page: Any, action: str) -> None:
    page.locator(f'form#steps button[name=action][value="{action}"]').last.click()
    page.wait_for_load_state("load")


def download(page: Any, link: str, target: Path) -> None:
    """Follow a download link: the file at once, or (a report that takes long) through the
    job page, which follows the job's progress until its result can be fetched."""
    href = page.locator(link).get_attribute("href")
    answer = page.request.get(server_url(page) + href, max_redirects=0)
    if answer.status == 303:
        page.goto(server_url(page) + answer.headers["location"])
        shot(page, "job-page")
        page.wait_for_selector("#job-download", timeout=120_000)
        link = "#job-download"
    with page.expect_download() as info:
        page.click(link)
    info.value.save_as(target)


def server_url(page: Any) -> str:
    return "/".join(page.url.split("/")[:3])


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id)"""


def step_heading(page: Any) -> str:
    """The current step's heading, after checking that every field of it has a label."""
    assert page.evaluate(UNLABELLED) == []
    return str(page.locator("#h-step").inner_text())


def test_guided_steps_build_the_aalborg_case(browser: Any, server: Server) -> None:
    anonymous = browser.new_page()
    anonymous.goto(server.url + "/cases")  # not logged in: to the login page
    assert "/login" in anonymous.url
    shot(anonymous, "00-login")
    anonymous.close()
    page = new_page(browser, server, "anna")
    shot(page, "01-library")
    page.click("#new-case")
    assert step_heading(page) == "Indstillinger"
    fill(
        page,
        {
            "name": "IMPACT60 bygget i trinene",
            "municipality": "Aalborg Kommune (eksempel)",
            "price_year": "2023",
            "start_year": "2025",
            "horizon_years": "10",
            "discounting.schedule": "discounting/finansministeriet",
            "discounting.convention": "start",
        },
    )
    shot(page, "02-step-settings")
    field(page, "horizon_years").press("Enter")  # the keyboard's Enter means "Next"
    page.wait_for_load_state("load")

    assert step_heading(page) == "Målgruppe"
    fill(page, {"target_group.description": "Psykisk sårbare borgere på kontanthjælp, 30+"})
    press(page, "add:target_group.cohorts")
    press(page, "add:target_group.cohorts")
    for i, year in enumerate((2025, 2026, 2027)):
        fill(
            page,
            {
                f"target_group.cohorts[{i}].year": str(year),
                f"target_group.cohorts[{i}].intake": "40",
            },
        )
    shot(page, "03-step-target")
    press(page, "next")

    assert step_heading(page) == "Omkostninger"
    fill(
        page,
        {
            "intervention.name": "Helhedsorienteret job- og uddannelsesstøtte",
            "intervention.duration_years": "3",
        },
    )
    press(page, "add:intervention.costs")
    press(page, "add:intervention.costs")
    fill(
        page,
        {
            "intervention.costs[0].name": "Mentor og jobkonsulent",
            "intervention.costs[0].type": "per_participant_period",
            "intervention.costs[0].amount": "5.000",  # Danish thousands separator
            "intervention.costs[0].area": "employment",
            "intervention.costs[0].period": "month",
            "intervention.costs[0].periods": "18",
            "intervention.costs[1].name": "Projektledelse og evaluering",
            "intervention.costs[1].type": "fixed",
            "intervention.costs[1].amount": "400000",
            "intervention.costs[1].area": "employment",
            "intervention.costs[1].first_year": "2025",
            "intervention.costs[1].last_year": "2029",
            "intervention.costs[2].name": "Opstart",
            "intervention.costs[2].type": "one_off",
            "intervention.costs[2].amount": "250000",
            "intervention.costs[2].area": "employment",
            "intervention.costs[2].year": "2025",
        },
    )
    shot(page, "04-step-costs")
    press(page, "next")

    assert step_heading(page) == "Succesrate"
    fill(
        page,
        {
            "success.measure": "I job, fleksjob eller uddannelse",
            "success.rate_with": "1,5",
            "success.rate_without": "0,2",
            "success.timing": "0,3; 0,5; 0,2",
        },
    )
    press(page, "next")
    # the step is shown again: a Danish sentence beside the field, nothing typed lost
    assert step_heading(page) == "Succesrate"
    beside = page.locator("#f-success-rate-with-err")
    assert beside.inner_text() == (
        "Du skrev 1,5; feltet skal være en andel mellem 0 og 1 (fx 0,4 for 40 %)."
    )
    assert field(page, "success.rate_with").get_attribute("aria-invalid") == "true"
    assert field(page, "success.rate_without").input_value() == "0,2"
    assert field(page, "success.timing").input_value() == "0,3; 0,5; 0,2"
    shot(page, "05-step-success-error")
    fill(page, {"success.rate_with": "0,5"})
    press(page, "next")

    assert step_heading(page) == "Konsekvenser"
    fill(page, {"kb_query": "kontanthjælp uden forsørger"})
    press(page, "search")
    press(page, "pick:benefits/cash-benefit/30-plus-without-children")
    fill(page, {"kb_query": "psykiatri"})
    press(page, "search")
    press(page, "pick:health/psychiatric-bed-day")
    fill(
        page,
        {
            "consequences[0].unit": "month",
            "consequences[0].units_per_success": "-8; -10; -9; -8; -7; -6; -5; -4; -3; -3",
            "consequences[0].weeks_on_support": "53",
            "consequences[1].unit": "day",
            "consequences[1].units_per_success": "-3; -3; -2; -2; -1; -1",
        },
    )
    shot(page, "06-step-consequences")
    press(page, "next")

    assert step_heading(page) == "Udvalg"
    press(page, "add:committees")
    press(page, "add:committees")
    for i, (name, area) in enumerate(
        [
            ("Beskæftigelsesudvalget", "employment"),
            ("Sundheds- og Kulturudvalget", "health"),
            ("Familie- og Socialudvalget", "social"),
        ]
    ):
        fill(page, {f"committees[{i}].name": name})
        page.check(f'[name="committees[{i}].areas"][value="{area}"]')
    shot(page, "07-step-committees")
    press(page, "next")

    assert step_heading(page) == "Kontrakt"
    # the Aalborg-shaped partnership (examples/contracts/aalborg-impact60.yaml) on this case
    fill(page, {"contract_example": "contracts/aalborg-impact60.yaml"})
    press(page, "contract-example")
    assert "Den Sociale Kapitalfond" in field(page, "contract").input_value()
    shot(page, "08-step-contract")
    press(page, "next")

    assert step_heading(page) == "Resultat"
    contract = page.locator("#report-contract")
    for party in ("Aalborg Kommune", "Den Sociale Kapitalfond", "Fokus Folkeoplysning"):
        assert party in contract.inner_text()
    expected = cli_json("run", str(EXAMPLE))["npv"]["total"]
    shown = float(page.locator("#npv-total .num").get_attribute("data-value"))
    assert round(shown, 2) == round(expected, 2)
    shot(page, "09-step-result")
    page.fill("#message", "Bygget i trinene som IMPACT60-eksemplet")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    STATE["case_url"] = page.url
    STATE["case_id"] = int(page.url.rsplit("/", 1)[1])
    shot(page, "10-case-page")
    only_local(page, server)
    page.context.close()


def test_page_npv_equals_the_cli_on_the_downloaded_file(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    page = new_page(browser, server, "anna")
    page.goto(STATE["case_url"])
    page.wait_for_load_state("networkidle")
    charts = page.evaluate(
        "() => [...document.querySelectorAll('figure.chart img')].map(i => i.naturalWidth)"
    )
    assert len(charts) >= 2 and all(width > 0 for width in charts)  # drawn by the server
    shown_text = page.locator("#npv-total").inner_text()
    shown = float(page.locator("#npv-total .num").get_attribute("data-value"))
    with page.expect_download() as info:
        page.click("#dl-yaml")
    saved = tmp_path / "downloaded.yaml"
    info.value.save_as(saved)
    cli = cli_json("run", str(saved))["npv"]["total"]
    assert round(shown, 2) == round(cli, 2)
    danish = f"{cli:,.2f}".translate(str.maketrans({",": ".", ".": ","}))
    assert shown_text == f"{danish} kr."  # to the øre, as a Danish reader writes it
    # and it is the bundled example's result: the steps built the same case
    assert round(cli, 2) == round(cli_json("run", str(EXAMPLE))["npv"]["total"], 2)

    pdf = tmp_path / "report.pdf"
    download(page, "#dl-pdf", pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    page.goto(STATE["case_url"])
    page.fill("#draws", "2000")
    page.fill("#seed", "3")
    page.click("#h-mc ~ form button[type=submit]")
    page.wait_for_selector("#mc-table")
    shot(page, "21-uncertainty")
    page.context.close()


def test_second_version_history_diff_and_comparison(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    page = new_page(browser, server, "anna")
    case_id = STATE["case_id"]
    page.goto(f"{server.url}/cases/{case_id}/edit")
    press(page, "goto:success")
    fill(page, {"success.rate_with": "0,46"})
    # live preview (our own JavaScript): the draft's NPV while typing, before any save
    second = tmp_path / "second.yaml"
    second.write_text(EXAMPLE.read_text().replace("rate_with: 0.50", "rate_with: 0.46"))
    expected = round(cli_json("run", str(second))["npv"]["total"])
    shown = f"{expected:,} kr.".replace(",", ".")
    page.wait_for_selector("#preview .preview-ok")
    assert shown in page.locator("#preview").inner_text()
    press(page, "goto:result")
    page.fill("#message", "Realiseret succesrate 46 %")
    page.click("#save")
    page.wait_for_url(re.compile(rf".*/cases/{case_id}$"))
    assert "Version 2" in page.locator(".meta").inner_text()

    page.goto(f"{server.url}/cases/{case_id}/history")
    shot(page, "11-history")
    page.click("#compare-versions")
    changes = page.locator("#changes tbody tr")
    assert changes.count() == 1
    assert changes.first.inner_text().split("\t")[0].strip() == "success.rate_with"
    assert "0.5" in changes.first.inner_text() and "0.46" in changes.first.inner_text()
    shot(page, "12-diff")

    page.click("#compare-results")
    rows = page.locator("#comparison tbody tr")
    assert rows.count() == 2
    assert page.locator("#chart-compare svg").count() == 1
    # the comparison's NPVs are the two versions' own results
    v1 = float(rows.nth(0).locator("td .num").first.get_attribute("data-value"))
    v2 = float(rows.nth(1).locator("td .num").first.get_attribute("data-value"))
    assert {round(v1, 2), round(v2, 2)} >= {round(cli_json("run", str(EXAMPLE))["npv"]["total"], 2)}
    assert v1 != v2
    # at 1280 px (Playwright's default width) the table fits: no scrolling sideways
    assert page.viewport_size["width"] == 1280
    wide, box = page.evaluate(
        "() => { const e = document.querySelector('#comparison').closest('.table-wrap');"
        " return [e.scrollWidth, e.clientWidth]; }"
    )
    assert wide <= box
    shot(page, "13-compare")
    only_local(page, server)
    page.context.close()


def test_reviewer_approves_a_version(browser: Any, server: Server, tmp_path: Path) -> None:
    page = new_page(browser, server, "rita")
    page.goto(f"{server.url}/cases/{STATE['case_id']}/history")
    page.click("#approve-2")
    page.wait_for_load_state("load")
    assert "godkendt af rita" in page.locator("#version-2").inner_text()
    page.goto(f"{server.url}/cases/{STATE['case_id']}")
    assert "godkendt" in page.locator(".meta").inner_text()
    shot(page, "14-approved")
    page.click("a[hreflang=en]")  # the language switch keeps the page
    assert page.url.endswith(f"/cases/{STATE['case_id']}")
    assert page.locator("#h-key").inner_text() == "Key figures"
    second = tmp_path / "second.yaml"
    second.write_text(EXAMPLE.read_text().replace("rate_with: 0.50", "rate_with: 0.46"))
    expected = cli_json("run", str(second))["npv"]["total"]
    assert page.locator("#npv-total").inner_text() == f"DKK {expected:,.2f}"
    shot(page, "14-approved-en")
    page.context.close()


def test_viewer_cannot_edit(browser: Any, server: Server) -> None:
    page = new_page(browser, server, "vera")
    page.goto(f"{server.url}/cases/{STATE['case_id']}")
    assert page.locator("text=Redigér i trinene").count() == 0
    answer = page.goto(f"{server.url}/cases/{STATE['case_id']}/edit")
    assert answer is not None and answer.status == 403
    assert page.goto(f"{server.url}/cases/new").status == 403
    shot(page, "15-viewer-forbidden")
    page.context.close()


def test_other_organisation_gets_404(browser: Any, server: Server) -> None:
    page = new_page(browser, server, "otto")
    for path in ("", "/history", "/edit", "/download/yaml", "/diff?a=1&b=2"):
        answer = page.goto(f"{server.url}/cases/{STATE['case_id']}{path}")
        assert answer is not None and answer.status == 404, path
        assert "IMPACT60" not in page.content()
    shot(page, "16-outsider-404")
    page.goto(f"{server.url}/cases")
    assert "IMPACT60" not in page.locator("#case-list").inner_text()
    shot(page, "16-outsider-library")
    page.goto(f"{server.url}/knowledge?q=psykiatri")
    assert "health/psychiatric-bed-day" in page.locator("table").inner_text()
    shot(page, "20-knowledge")
    page.context.close()


SCRIPT = "<script>window.__xss = 1</script>"
IMG = '"><img src=x onerror="window.__xss = 2">'
FORMULA = "=1+1"


def hostile_case() -> str:
    """The Aalborg-shaped contract case with both payloads in every text a user can type (names,
    descriptions, the target group, cost names, the success measure, a consequence's name, the
    committees, the contract's name, parties, tranches and sources)."""
    import yaml

    data = yaml.safe_load((ROOT / "examples/contracts/aalborg-impact60.yaml").read_text())

    def evil(text: str) -> str:
        return f"{text} {SCRIPT} {IMG}"

    for party in ("Den Sociale Kapitalfond", "Aalborg Kommune", "Fokus Folkeoplysning"):
        marked = evil(party)

        def rename(value: Any, old: str = party, new: str = marked) -> Any:
            if isinstance(value, dict):
                return {k: rename(v) for k, v in value.items()}
            if isinstance(value, list):
                return [rename(v) for v in value]
            return new if value == old else value

        data = rename(data)
    data["name"] = evil("Fjendtlig sag")
    data["description"] = evil("Beskrivelse")
    data["municipality"] = f"{FORMULA} {SCRIPT}"
    data["target_group"]["description"] = evil("Målgruppe")
    data["intervention"]["name"] = evil("Indsats")
    data["intervention"]["description"] = f"{FORMULA} {IMG}"
    for cost in data["intervention"]["costs"]:
        cost["name"] = evil(cost["name"])
    data["success"]["measure"] = evil("Succes")
    data["consequences"][0]["name"] = evil("Kontanthjælp")
    data["committees"] = {evil(k): v for k, v in data["committees"].items()}
    data["contract"]["name"] = evil("Kontrakt")
    data["contract"]["sources"] = {k: evil(v) for k, v in data["contract"]["sources"].items()}
    for tranche in data["contract"]["finance"]["tranches"]:
        tranche["name"] = evil(tranche["name"])
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def no_script_ran(page: Any) -> None:
    assert page.evaluate("() => window.__xss === undefined")
    assert page.evaluate("() => document.querySelectorAll('img[onerror]').length") == 0
    scripts = page.evaluate("() => [...document.scripts].map(s => s.text).join(' ')")
    assert "__xss" not in scripts


def test_typed_scripts_never_run(browser: Any, server: Server, tmp_path: Path) -> None:
    page = new_page(browser, server, "anna")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url + "/yaml/new")
    page.fill("#text", hostile_case())
    shot(page, "19-yaml-editor")
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = page.url
    # the text is shown as text
    assert SCRIPT in page.locator("h1").inner_text()
    no_script_ran(page)
    shot(page, "17-hostile-case")
    case_id = case_url.rsplit("/", 1)[1]
    for path in ("/history", "/edit", "/diff?a=1&b=1"):
        page.goto(case_url + path)
        no_script_ran(page)
    page.goto(f"{case_url}/edit")
    for step in ("target", "costs", "success", "consequences", "committees", "contract", "result"):
        press(page, f"goto:{step}")
        no_script_ran(page)
    shot(page, "18-hostile-steps-result")
    for path in ("/cases", f"/compare?v={case_id}:1&v={STATE['case_id']}:1"):
        page.goto(server.url + path)
        no_script_ran(page)
    page.goto(case_url)
    report = tmp_path / "report.html"
    download(page, "#dl-html", report)
    html = report.read_text(encoding="utf-8")
    assert "<script>window.__xss" not in html and "&lt;script&gt;" in html
    viewer = page.context.new_page()
    viewer.set_content(html)  # no CSP here: only the report's own escaping protects it
    no_script_ran(viewer)
    assert SCRIPT in viewer.locator("h1").inner_text()
    workbook_file = tmp_path / "report.xlsx"
    page.goto(case_url)
    download(page, "#dl-xlsx", workbook_file)
    from openpyxl import load_workbook

    workbook = load_workbook(workbook_file)
    typed = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and (FORMULA in cell.value or "__xss" in cell.value)
    ]
    assert any(FORMULA in cell.value for cell in typed)
    assert all(cell.data_type != "f" for cell in typed)  # typed text is never a formula
    assert dialogs == []
    only_local(page, server)
    page.context.close()


def test_the_steps_work_without_javascript(browser: Any, server: Server) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, server, "bo")
    page.goto(f"{server.url}/cases/{STATE['case_id']}/edit")
    press(page, "goto:costs")
    before = page.locator("fieldset[data-cost]").count()
    press(page, "add:intervention.costs")
    assert page.locator("fieldset[data-cost]").count() == before + 1
    press(page, "goto:success")
    fill(page, {"success.rate_with": "1,5"})
    press(page, "next")
    assert (
        "skal være en andel mellem 0 og 1" in page.locator("#f-success-rate-with-err").inner_text()
    )
    fill(page, {"success.rate_with": "0,5"})
    press(page, "goto:result")
    assert page.locator("#npv-total").count() == 1
    shot(page, "22-no-javascript")
    context.close()
