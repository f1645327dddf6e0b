"""The partnership pages in a real browser (Playwright, Debian's Chromium) against a real server
holding the synthetic demo partnership (IMPACT60-shaped, halfway through its term), per role:
the payer enrols, the provider imports, the evaluator verifies, the payer settles and approves,
the investor sees the fan chart and never a participant's row. Screenshots go to
test-artefacts/web/ledger-*.png."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.ui_helpers import CHROMIUM, CHROMIUM_ARGS, PASSWORD, Server, running_server, shot

from .ledger_web_support import KEY

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():  # pragma: no cover - CI installs chromium (.ci/run)
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    old = os.environ.get("SOCIALINVEST_LEDGER_KEY")
    os.environ["SOCIALINVEST_LEDGER_KEY"] = KEY
    try:
        with running_server(tmp_path_factory.mktemp("ledger-ui")) as running:
            from socialinvest.service.partnership_demo import load_demo_partnership
            from socialinvest.store.db import make_engine, session_factory
            from socialinvest.web.security import hash_password

            engine = make_engine(running.database_url)
            with session_factory(engine)() as db:
                pid, created = load_demo_partnership(db, hash_password(PASSWORD))
            engine.dispose()
            assert created
            running.demo_id = pid  # type: ignore[attr-defined]
            yield running
    finally:
        if old is None:
            os.environ.pop("SOCIALINVEST_LEDGER_KEY", None)
        else:
            os.environ["SOCIALINVEST_LEDGER_KEY"] = old


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def as_user(browser: Any, server: Server, username: str) -> Any:
    page = browser.new_context(locale="da-DK").new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/cases**")
    return page


def test_enrol_import_verify_settle_approve_and_the_fan_chart(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    base = f"{server.url}/partnerships/{server.demo_id}"  # type: ignore[attr-defined]
    # the payer enrols a citizen of the 2026 cohort (a synthetic number: a demo partnership)
    payer = as_user(browser, server, "sagsbehandler")
    payer.click("text=Partnerskaber")
    payer.click("text=IMPACT60-lignende")
    payer.click("nav.subnav >> text=Deltagere")
    payer.fill("#cpr", "6906904321")  # 9 June 1990 + 60 days: nobody's number
    payer.fill("#enrolled", "2026-06-01")
    payer.fill("#cohort", "2026")
    boxes = payer.locator('input[name="criterion"]')
    assert boxes.count() == 4  # the demo's criteria, each declared met by ticking it
    for i in range(4):
        boxes.nth(i).check()
    with payer.expect_navigation():
        payer.click("form >> text=Indskriv")
    shot(payer, "ledger-1-payer-enrolled")
    rows = payer.locator("#participants tbody tr")
    assert rows.count() == 81
    last = rows.nth(80).inner_text()
    assert "6906904321" not in payer.content() and "k1:" in last
    shot(payer, "ledger-1-payer-enrolled")
    # the provider imports a week in work for the new participant
    provider = as_user(browser, server, "jobkonsulent")
    provider.goto(base)
    csv = tmp_path / "uge78.csv"
    csv.write_text(
        "participant,metric,period,value,source,reference\n"
        "81,weeks_in_job_or_education,78,1,Jobcenter Aalborg (synthetic),DEMO-081-078\n",
        encoding="utf-8",
    )
    provider.set_input_files("#file", str(csv))
    provider.click("text=Indlæs >> nth=-1")
    assert "1 registrering(er) oprettet" in provider.inner_text("main")
    shot(provider, "ledger-2-provider-imported")
    # the evaluator verifies it
    evaluator = as_user(browser, server, "evaluator")
    evaluator.goto(base + "/records")
    row = evaluator.locator("#records tbody tr", has_text="DEMO-081-078")
    row.locator("input[type=checkbox]").check()
    evaluator.click("text=Verificér valgte")
    evaluator.goto(base + "/records?status=verified")
    assert evaluator.locator("#records tbody tr", has_text="DEMO-081-078").count() == 1
    shot(evaluator, "ledger-3-evaluator-verified")
    # the payer's head of department approves settlement 6 (weeks 66–78)
    approver = as_user(browser, server, "afdelingschef")
    approver.goto(base + "/settlements/6")
    assert "udkast" in approver.inner_text("#settlement-status")
    assert approver.locator("table.statement tbody tr").count() > 1
    shot(approver, "ledger-4-payer-statement")
    approver.click("#approve")
    approver.wait_for_selector("text=godkendt af afdelingschef")
    shot(approver, "ledger-5-payer-approved")
    assert approver.locator("#approve").count() == 0
    approver.click("a[hreflang=en]")  # the same pages in English, as an English reader sees them
    assert approver.url.endswith("/settlements/6")
    assert "approved by afdelingschef" in approver.inner_text("#settlement-status")
    shot(approver, "ledger-5-payer-approved-en")
    approver.goto(base + "/participants")
    assert "Active" in approver.inner_text("#participants")
    shot(approver, "ledger-5-payer-participants-en")
    approver.goto(base + "/renegotiate")
    shot(approver, "ledger-5-payer-renegotiate-en")
    # the investor: the overview with the fan chart and the realised path; no rows
    investor = as_user(browser, server, "investor")
    investor.goto(base)
    fan = investor.locator("#fan svg")
    assert fan.count() == 1 and investor.locator("#fan polyline.realised").count() == 1
    assert investor.locator("#parties").inner_text().count("IRR") == 2
    shot(investor, "ledger-6-investor-overview")
    assert "Deltagere" not in investor.inner_text("nav.subnav")
    answer = investor.goto(base + "/participants")
    assert answer is not None and answer.status == 403
    answer = investor.goto(base + "/records")
    assert answer is not None and answer.status == 403
    investor.goto(base + "/settlements/6")
    assert "Investorer ser kun totaler" in investor.inner_text("main")
    assert investor.locator("table.statement").count() == 0
    shot(investor, "ledger-7-investor-statement")
    # the server's log holds no CPR number (the enrolment was a POST body, never a URL)
    log = (server.data_dir / "server.log").read_text(encoding="utf-8")
    assert "POST /partnerships/" in log and "6906904321" not in log and "690690" not in log
